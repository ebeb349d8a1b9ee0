// api-suite: the CRDs' schemas and CEL rules, judged by a real kube-apiserver through kubectl (issue #8, point 2)
// Every CEL rule (x-kubernetes-validations) of deploy/crds is found by walking the schemas, and
// each must have a case below: an object that breaks that rule alone, refused with the rule's
// own message at the field it sits on, and near misses the rule lets through. A new rule without
// a case fails the first test. Then the mistakes users make that the OpenAPI part of the schema
// catches (patterns, enums, ranges, unknown fields), and the status the controller writes.
// Objects are created with `--dry-run=server`, so the cases do not interact.
import { after, before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { celPlacements, loadCrds, pathText, type CelPlacement, type Crd, type SchemaPath } from './crds.ts';
import { eventually, mapLimit, REAL_ONLY, startKubectlCluster, type KubectlCluster } from './kubectl.ts';
import { arr, isObj, obj, type Obj } from './schema-check.ts';
import { parseBgpPolicy, parsePeer } from '../../src/bgp/config.ts';
import { parsePolicy } from '../../src/api/l2-policy.ts';

const crds = loadCrds();
const placements = celPlacements(crds);
const crdOf = (kind: string): Crd => {
  const c = crds.find((x) => x.kind === kind);
  assert.ok(c !== undefined, `no CRD of kind ${kind}`);
  return c;
};

/** The smallest valid object of each kind. */
const MINIMAL: Record<string, () => Obj> = {
  IPPool: () => ({ spec: { blocks: [{ cidr: '192.0.2.0/24' }] } }),
  L2AnnouncementPolicy: () => ({ spec: {} }),
  BGPPeer: () => ({ spec: { peerAddress: '192.0.2.1', peerASN: 65001, localASN: 65000 } }),
  BGPAnnouncementPolicy: () => ({ spec: {} }),
};

function minimal(kind: string, patch: (spec: Obj) => void = () => {}): Obj {
  const make = MINIMAL[kind];
  assert.ok(make !== undefined, `no minimal ${kind}`);
  const o = make();
  patch(obj(o['spec'], 'spec'));
  return o;
}

/** Puts `value` at a schema path of `root` (['spec', 'x', '[]'] makes spec.x = [value]). */
function setAt(root: Obj, path: SchemaPath, value: unknown): void {
  let cur: Obj | unknown[] = root;
  path.forEach((seg, i) => {
    const last = i === path.length - 1;
    const fresh = (): unknown => (last ? value : path[i + 1] === '[]' ? [] : {});
    let next: unknown;
    if (seg === '[]') {
      assert.ok(Array.isArray(cur));
      if (last || cur.length === 0) cur[0] = fresh();
      next = cur[0];
    } else {
      assert.ok(isObj(cur));
      if (last || cur[seg] === undefined) cur[seg] = fresh();
      next = cur[seg];
    }
    if (!last) {
      assert.ok(isObj(next) || Array.isArray(next), `${pathText(path)}: ${seg} is not an object or array`);
      cur = next;
    }
  });
}

/** The field path the API server reports for a schema path (first items). */
const fieldOf = (path: SchemaPath): string => path.map((s) => (s === '[]' ? '[0]' : `.${s}`)).join('').slice(1);

interface CelCase {
  kind?: string;
  /** The rule's message in the CRD: the case is found by it. */
  message: string;
  build(p: CelPlacement): { invalid: Obj[]; field: string; accepted: Obj[] };
}

const SELECTOR = 'operators In and NotIn need values; Exists and DoesNotExist take none';
const peer = (patch: (s: Obj) => void): Obj => minimal('BGPPeer', patch);

const CEL_CASES: CelCase[] = [
  {
    // Every matchExpressions of every selector of every kind.
    message: SELECTOR,
    build: (p) => {
      const at = (e: Obj): Obj => {
        const o = minimal(p.crd.kind);
        setAt(o, p.path, e);
        return o;
      };
      return {
        invalid: [at({ key: 'a', operator: 'In' }), at({ key: 'a', operator: 'NotIn', values: [] }), at({ key: 'a', operator: 'Exists', values: ['b'] })],
        field: fieldOf(p.path),
        accepted: [at({ key: 'a', operator: 'In', values: ['b'] }), at({ key: 'a', operator: 'NotIn', values: ['b', 'c'] }), at({ key: 'a', operator: 'Exists' }), at({ key: 'a', operator: 'DoesNotExist', values: [] })],
      };
    },
  },
  {
    kind: 'IPPool',
    message: 'a block sets either cidr or start (with optional stop), not both',
    build: () => ({
      invalid: [minimal('IPPool', (s) => (s['blocks'] = [{ cidr: '192.0.2.0/24', start: '192.0.2.1' }]))],
      field: 'spec.blocks[0]',
      accepted: [minimal('IPPool', (s) => (s['blocks'] = [{ cidr: '192.0.2.0/24' }, { start: '198.51.100.1' }, { start: '203.0.113.1', stop: '203.0.113.9' }]))],
    }),
  },
  {
    kind: 'IPPool',
    message: 'stop is only valid together with start; a cidr block has no stop',
    build: () => ({
      invalid: [minimal('IPPool', (s) => (s['blocks'] = [{ cidr: '192.0.2.0/24' }, { cidr: '198.51.100.0/24', stop: '198.51.100.9' }]))],
      field: 'spec.blocks[1]',
      accepted: [minimal('IPPool', (s) => (s['blocks'] = [{ cidr: '192.0.2.0/24' }, { start: '198.51.100.0', stop: '198.51.100.9' }]))],
    }),
  },
  {
    kind: 'BGPPeer',
    message: 'holdTimeSeconds must be 0 (no keepalives) or at least 3 (RFC 4271 §4.2)',
    build: () => ({
      invalid: [peer((s) => (s['holdTimeSeconds'] = 1)), peer((s) => (s['holdTimeSeconds'] = 2))],
      field: 'spec',
      accepted: [peer((s) => (s['holdTimeSeconds'] = 0)), peer((s) => (s['holdTimeSeconds'] = 3))],
    }),
  },
  {
    kind: 'BGPPeer',
    message: 'keepaliveTimeSeconds must be less than holdTimeSeconds, and 0 only when holdTimeSeconds is 0',
    build: () => ({
      invalid: [
        peer((s) => Object.assign(s, { holdTimeSeconds: 90, keepaliveTimeSeconds: 90 })),
        peer((s) => Object.assign(s, { holdTimeSeconds: 90, keepaliveTimeSeconds: 0 })),
        peer((s) => Object.assign(s, { keepaliveTimeSeconds: 90 })), // the default hold time is 90
      ],
      field: 'spec',
      accepted: [peer((s) => Object.assign(s, { holdTimeSeconds: 90, keepaliveTimeSeconds: 30 })), peer((s) => Object.assign(s, { holdTimeSeconds: 0, keepaliveTimeSeconds: 0 })), peer((s) => Object.assign(s, { keepaliveTimeSeconds: 89 }))],
    }),
  },
  {
    kind: 'BGPPeer',
    message: 'ebgpMultihop applies to eBGP sessions only (peerASN different from localASN)',
    build: () => ({
      invalid: [peer((s) => Object.assign(s, { peerASN: 65000, localASN: 65000, ebgpMultihop: 2 }))],
      field: 'spec',
      accepted: [peer((s) => Object.assign(s, { ebgpMultihop: 2 })), peer((s) => Object.assign(s, { peerASN: 65000, localASN: 65000 }))],
    }),
  },
  {
    kind: 'BGPPeer',
    message: 'sourceAddress must be of the same family as peerAddress',
    build: () => ({
      invalid: [peer((s) => (s['sourceAddress'] = '2001:db8::21')), peer((s) => Object.assign(s, { peerAddress: '2001:db8::1', sourceAddress: '192.0.2.21' }))],
      field: 'spec',
      accepted: [peer((s) => (s['sourceAddress'] = '192.0.2.21')), peer((s) => Object.assign(s, { peerAddress: '2001:db8::1', sourceAddress: '2001:db8::21' }))],
    }),
  },
  {
    kind: 'BGPPeer',
    message: 'routerID must not be 0.0.0.0 (RFC 6286 §2.1)',
    build: () => ({ invalid: [peer((s) => (s['routerID'] = '0.0.0.0'))], field: 'spec', accepted: [peer((s) => (s['routerID'] = '0.0.0.1'))] }),
  },
  {
    kind: 'BGPPeer',
    message: 'AS 23456 is AS_TRANS (RFC 6793 §9), never a real autonomous system',
    build: () => ({
      invalid: [peer((s) => (s['peerASN'] = 23456)), peer((s) => (s['localASN'] = 23456))],
      field: 'spec',
      accepted: [peer((s) => Object.assign(s, { peerASN: 23455, localASN: 23457 }))],
    }),
  },
];

const caseFor = (p: CelPlacement): CelCase[] => CEL_CASES.filter((c) => c.message === p.message && (c.kind === undefined || c.kind === p.crd.kind));

test('every CEL rule of deploy/crds has exactly one case here, and every case a rule', () => {
  assert.ok(placements.length >= 15, `found ${placements.length} CEL rules`);
  for (const p of placements) assert.equal(caseFor(p).length, 1, `${p.crd.kind} ${pathText(p.path)}: no case for the rule ${p.rule} ("${p.message}")`);
  for (const c of CEL_CASES) assert.ok(placements.some((p) => caseFor(p).includes(c)), `a case for a rule no CRD has: ${c.message}`);
  // One message, one rule text: a message must not stand for two different checks.
  const texts = new Map<string, Set<string>>();
  for (const p of placements) texts.set(p.message, (texts.get(p.message) ?? new Set()).add(p.rule));
  for (const [m, rules] of texts) assert.equal(rules.size, 1, `"${m}" is the message of ${rules.size} different rules`);
});

describe('the CRDs on a real kube-apiserver', { skip: REAL_ONLY }, () => {
  let k: KubectlCluster;
  before(async () => {
    k = await startKubectlCluster();
    await k.ok(['apply', '--server-side', '-f', new URL('../../deploy/crds/', import.meta.url).pathname]);
    await k.ok(['wait', '--for=condition=Established', '--timeout=60s', ...crds.map((c) => `crd/${c.name}`)]);
    for (const c of crds) await eventually(() => k.ok(['get', c.plural]));
  });
  after(async () => k?.close());

  let serial = 0;
  /** `kubectl create --dry-run=server` of `o` as `kind`: the exit code and what kubectl printed. */
  async function create(kind: string, o: Obj): Promise<{ code: number; out: string }> {
    const crd = crdOf(kind);
    const body = { ...o, apiVersion: `${crd.group}/${crd.version}`, kind, metadata: { name: `case-${++serial}` } };
    const r = await k.run(['create', '--dry-run=server', '-o', 'name', '-f', '-'], JSON.stringify(body));
    return { code: r.code, out: `${r.stderr}${r.stdout}` };
  }

  it('every CEL rule refuses its invalid objects with its own message at its field, and lets the near misses through', async () => {
    let refused = 0;
    await mapLimit(placements, 4, async (p) => {
      const [c] = caseFor(p);
      assert.ok(c !== undefined);
      const { invalid, field, accepted } = c.build(p);
      const where = `${p.crd.kind} ${pathText(p.path)} "${p.message}"`;
      for (const o of invalid) {
        const r = await create(p.crd.kind, o);
        assert.notEqual(r.code, 0, `${where}: accepted ${JSON.stringify(o)}`);
        assert.ok(r.out.includes(`${field}: Invalid value: "object": ${p.message}`), `${where}: ${JSON.stringify(o)} refused otherwise:\n${r.out}`);
        // A CEL rule is only evaluated when the OpenAPI schema passes: the object must break nothing else.
        assert.ok(!r.out.includes('some validation rules were not checked'), `${where}: ${JSON.stringify(o)} is invalid in another way:\n${r.out}`);
        refused++;
      }
      for (const o of accepted) {
        const r = await create(p.crd.kind, o);
        assert.equal(r.code, 0, `${where}: refused the near miss ${JSON.stringify(o)}:\n${r.out}`);
      }
    });
    assert.ok(refused >= placements.length);
  });

  // Objects as a user writes them, every optional field set; each case below breaks one thing.
  const GOOD: Record<string, () => Obj> = {
    IPPool: () => ({
      spec: {
        blocks: [{ cidr: '192.0.2.0/24' }, { start: '2001:db8::10', stop: '2001:db8::20' }, { start: '198.51.100.7' }],
        allowFirstLastIPs: 'No',
        disabled: false,
        serviceSelector: { matchLabels: { tier: 'public' }, matchExpressions: [{ key: 'environment', operator: 'In', values: ['production'] }] },
      },
    }),
    L2AnnouncementPolicy: () => ({
      spec: {
        serviceSelector: { matchLabels: { app: 'web' } },
        nodeSelector: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
        interfaces: ['eth[0-9]+'],
        loadBalancerIPs: true,
        externalIPs: false,
      },
    }),
    BGPPeer: () => ({
      spec: {
        peerAddress: '192.0.2.1',
        peerASN: 65001,
        localASN: 4200000000,
        peerPort: 179,
        holdTimeSeconds: 90,
        keepaliveTimeSeconds: 30,
        connectRetrySeconds: 5,
        passwordSecretRef: { name: 'tor1-md5', key: 'password' },
        nodeSelector: { matchExpressions: [{ key: 'rack', operator: 'In', values: ['r1'] }] },
        ebgpMultihop: 2,
        routerID: '192.0.2.21',
        families: ['ipv4-unicast'],
        gracefulRestart: { enabled: true, restartTimeSeconds: 120 },
        sourceAddress: '192.0.2.21',
        gtsm: false,
        passive: false,
        bfd: { minRxMs: 100, minTxMs: 100, detectMultiplier: 3 },
      },
    }),
    BGPAnnouncementPolicy: () => ({
      spec: {
        serviceSelector: { matchLabels: { app: 'web' } },
        nodeSelector: { matchExpressions: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'DoesNotExist' }] },
        peerSelector: { matchLabels: { role: 'tor' } },
        communities: ['65000:100', 'no-export', '65000:1:2'],
        localPreference: 200,
        aggregationLengthIPv4: 24,
        aggregationLengthIPv6: 64,
        loadBalancerIPs: true,
        externalIPs: true,
      },
    }),
  };
  const spec = (o: Obj): Obj => obj(o['spec'], 'spec');
  const sel = (e: Obj): Obj => ({ matchExpressions: [e] });

  // [kind, what, how to break the good object, what kubectl prints]
  const INVALID: [string, string, (o: Obj) => void, string][] = [
    ['IPPool', 'no spec', (o) => delete o['spec'], 'spec: Required value'],
    ['IPPool', 'no blocks', (o) => (spec(o)['blocks'] = []), 'spec.blocks: Invalid value: 0: spec.blocks in body should have at least 1 items'],
    ['IPPool', '1025 blocks', (o) => (spec(o)['blocks'] = Array.from({ length: 1025 }, () => ({ start: '192.0.2.1' }))), 'spec.blocks: Too many: 1025: must have at most 1024 items'],
    ['IPPool', 'stop without start', (o) => (spec(o)['blocks'] = [{ stop: '192.0.2.9' }]), '"spec.blocks[0]" must validate one and only one schema (oneOf). Found none valid'],
    ['IPPool', 'IPv4 prefix 33', (o) => (spec(o)['blocks'] = [{ cidr: '192.0.2.0/33' }]), 'spec.blocks[0].cidr: Invalid value: "192.0.2.0/33": spec.blocks[0].cidr in body should match'],
    ['IPPool', 'IPv6 prefix 129', (o) => (spec(o)['blocks'] = [{ cidr: '2001:db8::/129' }]), 'spec.blocks[0].cidr: Invalid value: "2001:db8::/129": spec.blocks[0].cidr in body should match'],
    ['IPPool', 'cidr without prefix', (o) => (spec(o)['blocks'] = [{ cidr: '192.0.2.0' }]), 'spec.blocks[0].cidr: Invalid value: "192.0.2.0"'],
    ['IPPool', 'octet 256', (o) => (spec(o)['blocks'] = [{ start: '192.0.2.256' }]), 'spec.blocks[0].start: Invalid value: "192.0.2.256"'],
    ['IPPool', 'leading zero', (o) => (spec(o)['blocks'] = [{ start: '192.0.2.01' }]), 'spec.blocks[0].start: Invalid value: "192.0.2.01"'],
    ['IPPool', 'dotted-quad IPv6', (o) => (spec(o)['blocks'] = [{ start: '::ffff:192.0.2.1' }]), 'spec.blocks[0].start: Invalid value: "::ffff:192.0.2.1"'],
    ['IPPool', 'zone index', (o) => (spec(o)['blocks'] = [{ start: 'fe80::1%eth0' }]), 'spec.blocks[0].start: Invalid value: "fe80::1%eth0"'],
    ['IPPool', 'lower-case yes', (o) => (spec(o)['allowFirstLastIPs'] = 'yes'), 'spec.allowFirstLastIPs: Unsupported value: "yes": supported values: "Yes", "No"'],
    ['IPPool', 'a boolean for Yes/No', (o) => (spec(o)['allowFirstLastIPs'] = false), 'spec.allowFirstLastIPs: Invalid value: "boolean": spec.allowFirstLastIPs in body must be of type string: "boolean"'],
    ['IPPool', 'disabled as text', (o) => (spec(o)['disabled'] = 'true'), 'spec.disabled: Invalid value: "string": spec.disabled in body must be of type boolean: "string"'],
    ['IPPool', 'misspelt field', (o) => (spec(o)['blokcs'] = []), 'strict decoding error: unknown field "spec.blokcs"'],
    ['IPPool', 'unknown operator', (o) => (spec(o)['serviceSelector'] = sel({ key: 'a', operator: 'Equals', values: ['b'] })), 'spec.serviceSelector.matchExpressions[0].operator: Unsupported value: "Equals"'],
    ['IPPool', 'expression without key', (o) => (spec(o)['serviceSelector'] = sel({ operator: 'Exists' })), 'spec.serviceSelector.matchExpressions[0].key: Required value'],
    ['IPPool', 'label value of 64 characters', (o) => (spec(o)['serviceSelector'] = { matchLabels: { a: 'x'.repeat(64) } }), 'spec.serviceSelector.matchLabels.a: Too long: may not be more than 63 bytes'],
    ['L2AnnouncementPolicy', 'no spec', (o) => delete o['spec'], 'spec: Required value'],
    ['L2AnnouncementPolicy', 'flag as text', (o) => (spec(o)['externalIPs'] = 'true'), 'spec.externalIPs: Invalid value: "string": spec.externalIPs in body must be of type boolean'],
    ['L2AnnouncementPolicy', 'interfaces as a string', (o) => (spec(o)['interfaces'] = 'eth0'), 'spec.interfaces: Invalid value: "string": spec.interfaces in body must be of type array'],
    ['L2AnnouncementPolicy', 'empty pattern', (o) => (spec(o)['interfaces'] = ['']), 'spec.interfaces[0]: Invalid value: "": spec.interfaces[0] in body should be at least 1 chars long'],
    ['L2AnnouncementPolicy', '33 patterns', (o) => (spec(o)['interfaces'] = Array.from({ length: 33 }, (_, i) => `eth${i}`)), 'spec.interfaces: Too many: 33: must have at most 32 items'],
    ['L2AnnouncementPolicy', 'unknown operator', (o) => (spec(o)['nodeSelector'] = sel({ key: 'a', operator: 'Equals', values: ['b'] })), 'spec.nodeSelector.matchExpressions[0].operator: Unsupported value: "Equals"'],
    ['L2AnnouncementPolicy', 'misspelt field', (o) => (spec(o)['interface'] = ['eth0']), 'strict decoding error: unknown field "spec.interface"'],
    ['BGPPeer', 'no peerAddress', (o) => delete spec(o)['peerAddress'], 'spec.peerAddress: Required value'],
    ['BGPPeer', 'no localASN', (o) => delete spec(o)['localASN'], 'spec.localASN: Required value'],
    ['BGPPeer', 'hostname peer', (o) => (spec(o)['peerAddress'] = 'tor1.example'), 'spec.peerAddress: Invalid value: "tor1.example": spec.peerAddress in body should match'],
    ['BGPPeer', 'ASN 0', (o) => (spec(o)['peerASN'] = 0), 'spec.peerASN: Invalid value: 0: spec.peerASN in body should be greater than or equal to 1'],
    ['BGPPeer', 'ASN 2^32', (o) => (spec(o)['localASN'] = 4294967296), 'spec.localASN: Invalid value: 4294967296: spec.localASN in body should be less than or equal to 4294967295'],
    ['BGPPeer', 'port 0', (o) => (spec(o)['peerPort'] = 0), 'spec.peerPort: Invalid value: 0: spec.peerPort in body should be greater than or equal to 1'],
    ['BGPPeer', 'retry 0', (o) => (spec(o)['connectRetrySeconds'] = 0), 'spec.connectRetrySeconds: Invalid value: 0: spec.connectRetrySeconds in body should be greater than or equal to 1'],
    ['BGPPeer', 'secret without key', (o) => (spec(o)['passwordSecretRef'] = { name: 's' }), 'spec.passwordSecretRef.key: Required value'],
    ['BGPPeer', 'secret name upper case', (o) => (spec(o)['passwordSecretRef'] = { name: 'S', key: 'k' }), 'spec.passwordSecretRef.name: Invalid value: "S": spec.passwordSecretRef.name in body should match'],
    ['BGPPeer', 'multihop 0', (o) => (spec(o)['ebgpMultihop'] = 0), 'spec.ebgpMultihop: Invalid value: 0: spec.ebgpMultihop in body should be greater than or equal to 1'],
    ['BGPPeer', 'router ID IPv6', (o) => (spec(o)['routerID'] = '2001:db8::1'), 'spec.routerID: Invalid value: "2001:db8::1": spec.routerID in body should match'],
    ['BGPPeer', 'unknown family', (o) => (spec(o)['families'] = ['l2vpn-evpn']), 'spec.families[0]: Unsupported value: "l2vpn-evpn": supported values: "ipv4-unicast", "ipv6-unicast"'],
    ['BGPPeer', 'no family', (o) => (spec(o)['families'] = []), 'spec.families: Invalid value: 0: spec.families in body should have at least 1 items'],
    ['BGPPeer', 'a family twice', (o) => (spec(o)['families'] = ['ipv4-unicast', 'ipv4-unicast']), 'spec.families[1]: Duplicate value: "ipv4-unicast"'],
    ['BGPPeer', 'restart time 0', (o) => (spec(o)['gracefulRestart'] = { restartTimeSeconds: 0 }), 'spec.gracefulRestart.restartTimeSeconds: Invalid value: 0: spec.gracefulRestart.restartTimeSeconds in body should be greater than or equal to 1'],
    ['BGPPeer', 'BFD interval 5 ms', (o) => (spec(o)['bfd'] = { minRxMs: 5 }), 'spec.bfd.minRxMs: Invalid value: 5: spec.bfd.minRxMs in body should be greater than or equal to 10'],
    ['BGPPeer', 'BFD multiplier 0', (o) => (spec(o)['bfd'] = { detectMultiplier: 0 }), 'spec.bfd.detectMultiplier: Invalid value: 0: spec.bfd.detectMultiplier in body should be greater than or equal to 1'],
    ['BGPPeer', 'BFD misspelt field', (o) => (spec(o)['bfd'] = { minRx: 100 }), 'strict decoding error: unknown field "spec.bfd.minRx"'],
    ['BGPPeer', 'gtsm as text', (o) => (spec(o)['gtsm'] = 'true'), 'spec.gtsm: Invalid value: "string": spec.gtsm in body must be of type boolean'],
    ['BGPPeer', 'misspelt field', (o) => (spec(o)['holdTime'] = 90), 'strict decoding error: unknown field "spec.holdTime"'],
    ['BGPAnnouncementPolicy', 'no spec', (o) => delete o['spec'], 'spec: Required value'],
    ['BGPAnnouncementPolicy', 'community 65536:1', (o) => (spec(o)['communities'] = ['65536:1']), 'spec.communities[0]: Invalid value: "65536:1": spec.communities[0] in body should match'],
    ['BGPAnnouncementPolicy', 'community name in codec spelling', (o) => (spec(o)['communities'] = ['NO_EXPORT']), 'spec.communities[0]: Invalid value: "NO_EXPORT"'],
    ['BGPAnnouncementPolicy', '65 communities', (o) => (spec(o)['communities'] = Array.from({ length: 65 }, (_, i) => `65000:${i}`)), 'spec.communities: Too many: 65: must have at most 64 items'],
    ['BGPAnnouncementPolicy', 'local preference beyond 32 bits', (o) => (spec(o)['localPreference'] = 4294967296), 'spec.localPreference: Invalid value: 4294967296: spec.localPreference in body should be less than or equal to 4294967295'],
    ['BGPAnnouncementPolicy', 'IPv4 aggregation 33', (o) => (spec(o)['aggregationLengthIPv4'] = 33), 'spec.aggregationLengthIPv4: Invalid value: 33: spec.aggregationLengthIPv4 in body should be less than or equal to 32'],
    ['BGPAnnouncementPolicy', 'IPv6 aggregation 129', (o) => (spec(o)['aggregationLengthIPv6'] = 129), 'spec.aggregationLengthIPv6: Invalid value: 129: spec.aggregationLengthIPv6 in body should be less than or equal to 128'],
    ['BGPAnnouncementPolicy', 'flag as text', (o) => (spec(o)['externalIPs'] = 'yes'), 'spec.externalIPs: Invalid value: "string": spec.externalIPs in body must be of type boolean'],
    ['BGPAnnouncementPolicy', 'unknown operator', (o) => (spec(o)['peerSelector'] = sel({ key: 'a', operator: 'Equals', values: ['b'] })), 'spec.peerSelector.matchExpressions[0].operator: Unsupported value: "Equals"'],
    ['BGPAnnouncementPolicy', 'misspelt field', (o) => (spec(o)['community'] = []), 'strict decoding error: unknown field "spec.community"'],
  ];

  // What the server accepts, the speakers' parsers accept too.
  const PARSERS: Record<string, (o: Obj) => { ok: boolean }> = { L2AnnouncementPolicy: parsePolicy, BGPPeer: parsePeer, BGPAnnouncementPolicy: parseBgpPolicy };

  it('accepts the good object of every kind, and refuses each mistake naming the field', async () => {
    assert.deepEqual(Object.keys(GOOD).sort(), crds.map((c) => c.kind).sort());
    for (const [kind, good] of Object.entries(GOOD)) {
      const r = await create(kind, good());
      assert.equal(r.code, 0, `${kind}: ${r.out}`);
      assert.ok(INVALID.some(([k]) => k === kind), `no invalid case for ${kind}`);
      const parse = PARSERS[kind];
      if (parse !== undefined) assert.ok(parse({ metadata: { name: 'good' }, ...good() }).ok, `${kind}: the good object does not parse`);
    }
    await mapLimit(INVALID, 4, async ([kind, what, breakIt, want]) => {
      const o = GOOD[kind]?.() ?? {};
      breakIt(o);
      const r = await create(kind, o);
      assert.notEqual(r.code, 0, `${kind} ${what}: accepted`);
      assert.ok(r.out.includes(want), `${kind} ${what}: expected "${want}" in\n${r.out}`);
    });
  });

  it('a bare YAML 1.1 No for allowFirstLastIPs is a boolean to kubectl, and refused (docs/operations.md, Install step 3)', async () => {
    const yaml = (v: string): string => `apiVersion: herald.dev/v1alpha1\nkind: IPPool\nmetadata:\n  name: yaml-${v.replace(/\W/g, '').toLowerCase()}-${++serial}\nspec:\n  allowFirstLastIPs: ${v}\n  blocks:\n    - cidr: 192.0.2.0/24\n`;
    const bare = await k.run(['create', '--dry-run=server', '-f', '-'], yaml('No'));
    assert.notEqual(bare.code, 0);
    assert.match(bare.stderr, /spec\.allowFirstLastIPs in body must be of type string: "boolean"/);
    await k.ok(['create', '--dry-run=server', '-f', '-'], yaml("'No'"));
  });

  // The status subresource: what the controller writes must pass, the rest is refused.
  const STATUS: Record<string, Obj> = {
    IPPool: {
      ipsTotal: '18446744073709551616',
      ipsUsed: '0',
      ipsReserved: '0',
      ipsAvailable: '18446744073709551616',
      observedGeneration: 1,
      conditions: [{ type: 'Conflict', status: 'False', reason: 'Resolved', message: 'no overlap', lastTransitionTime: '2025-01-01T00:00:00Z', observedGeneration: 1 }],
    },
    valid: { observedGeneration: 1, conditions: [{ type: 'Valid', status: 'True', reason: 'Valid', message: 'in use', lastTransitionTime: '2025-01-01T00:00:00Z', observedGeneration: 1 }] },
  };
  const cond0 = (s: Obj): Obj => obj(arr(s['conditions'], 'conditions')[0], 'condition');
  const BAD_STATUS: [string, (s: Obj) => void, string][] = [
    ['negative count', (s) => (s['ipsTotal'] = '-1'), 'status.ipsTotal: Invalid value: "-1": ipsTotal in body should match'],
    ['count as a number', (s) => (s['ipsUsed'] = 5), 'status.ipsUsed: Invalid value: "integer": ipsUsed in body must be of type string'],
    ['condition status Maybe', (s) => (cond0(s)['status'] = 'Maybe'), 'status.conditions[0].status: Unsupported value: "Maybe": supported values: "True", "False", "Unknown"'],
    ['condition without reason', (s) => delete cond0(s)['reason'], 'status.conditions[0].reason: Required value'],
    ['condition reason with spaces', (s) => (cond0(s)['reason'] = 'has spaces'), 'status.conditions[0].reason: Invalid value: "has spaces"'],
    ['condition time not RFC 3339', (s) => (cond0(s)['lastTransitionTime'] = 'yesterday'), 'status.conditions[0].lastTransitionTime: Invalid value: "yesterday": conditions[0].lastTransitionTime in body must be of type date-time'],
    ['two conditions of one type', (s) => (s['conditions'] = [cond0(s), cond0(s)]), 'status.conditions[1]: Duplicate value: {"type":"Conflict"}'],
  ];

  it('the status Herald writes is accepted on every kind; malformed status is refused', async () => {
    for (const crd of crds) {
      const name = `status-${crd.plural}`;
      await k.ok(['create', '-f', '-'], JSON.stringify({ ...MINIMAL[crd.kind]?.(), apiVersion: `${crd.group}/${crd.version}`, kind: crd.kind, metadata: { name } }));
      const status = STATUS[crd.kind] ?? STATUS['valid'];
      await k.ok(['patch', `${crd.plural}/${name}`, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
      const stored = obj(JSON.parse(await k.ok(['get', `${crd.plural}/${name}`, '-o', 'json'])), 'stored');
      assert.deepEqual(stored['status'], status, `${crd.kind}: the status was pruned or changed`);
    }
    await mapLimit(BAD_STATUS, 4, async ([what, breakIt, want]) => {
      const status = structuredClone(STATUS['IPPool'] ?? {});
      breakIt(status);
      const r = await k.run(['patch', 'ippools/status-ippools', '--subresource=status', '--type=merge', '--dry-run=server', '-p', JSON.stringify({ status })]);
      assert.notEqual(r.code, 0, `${what}: accepted`);
      assert.ok(`${r.stderr}${r.stdout}`.includes(want), `${what}: expected "${want}" in\n${r.stderr}${r.stdout}`);
    });
  });
});
