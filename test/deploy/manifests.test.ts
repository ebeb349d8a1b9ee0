// deploy/: every YAML parses to a known Kubernetes object, kustomize installs all of it, RBAC has
// no wildcards and binds each workload's roles to its own ServiceAccount (rbac.test.ts compares
// the grants with docs/operations.md), the controller Deployment meets the `restricted` Pod
// Security profile, and the examples use documentation addresses only (RFC 5737, RFC 2544,
// RFC 3849). The speaker DaemonSet is checked in speaker-manifests.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ipaddr from 'ipaddr.js';
import { parseAllDocuments } from 'yaml';
import { arr, isObj, loadYamlDocs, obj, str, yamlFiles } from './schema-check.ts';
import type { Obj, YamlDoc } from './schema-check.ts';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));
const docs = loadYamlDocs(DEPLOY);
const installed = docs.filter((d) => !d.file.startsWith('examples/'));
const examples = docs.filter((d) => d.file.startsWith('examples/'));

const KNOWN_KINDS = new Set([
  'v1/Namespace', 'v1/ServiceAccount', 'v1/Service', 'apps/v1/Deployment', 'apps/v1/DaemonSet',
  'rbac.authorization.k8s.io/v1/ClusterRole', 'rbac.authorization.k8s.io/v1/ClusterRoleBinding',
  'rbac.authorization.k8s.io/v1/Role', 'rbac.authorization.k8s.io/v1/RoleBinding',
  'apiextensions.k8s.io/v1/CustomResourceDefinition', 'herald.dev/v1alpha1/IPPool', 'herald.dev/v1alpha1/L2AnnouncementPolicy', 'herald.dev/v1alpha1/BGPPeer', 'herald.dev/v1alpha1/BGPAnnouncementPolicy',
  'kustomize.config.k8s.io/v1beta1/Kustomization',
]);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'IPPool', 'L2AnnouncementPolicy', 'BGPPeer', 'BGPAnnouncementPolicy']);

const meta = (d: YamlDoc): Obj => obj(d.doc['metadata'], `${d.file} metadata`);
const ofKind = (kind: string, from: readonly YamlDoc[] = installed): YamlDoc[] => from.filter((d) => d.doc['kind'] === kind);
function one(kind: string, name: string): Obj {
  const found = ofKind(kind).filter((d) => meta(d)['name'] === name);
  assert.equal(found.length, 1, `expected one ${kind} ${name}`);
  const [d] = found;
  assert.ok(d !== undefined);
  return d.doc;
}

test('every YAML under deploy/ parses to a Kubernetes object of a known kind', () => {
  const files = yamlFiles(DEPLOY);
  for (const f of ['namespace.yaml', 'controller-rbac.yaml', 'controller.yaml', 'speaker-rbac.yaml', 'speaker.yaml', 'kustomization.yaml', 'crds/herald.dev_ippools.yaml', 'crds/herald.dev_l2announcementpolicies.yaml', 'crds/herald.dev_bgppeers.yaml', 'crds/herald.dev_bgpannouncementpolicies.yaml']) assert.ok(files.includes(f), f);
  assert.ok(examples.length >= 7, `expected at least 7 example documents, found ${examples.length}`);
  for (const d of docs) {
    const kind = `${String(d.doc['apiVersion'])}/${String(d.doc['kind'])}`;
    assert.ok(KNOWN_KINDS.has(kind), `${d.file}#${d.index}: unexpected ${kind}`);
    if (d.doc['kind'] === 'Kustomization') continue;
    assert.match(str(meta(d)['name'], `${d.file} name`), /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, d.file);
    const ns = meta(d)['namespace'];
    if (CLUSTER_SCOPED.has(String(d.doc['kind']))) assert.equal(ns, undefined, `${d.file}: cluster-scoped ${kind} has a namespace`);
    else if (!d.file.startsWith('examples/')) assert.equal(ns, 'herald-system', `${d.file}: ${kind} outside herald-system`);
  }
});

test('YAML 1.1 readers (kubectl) see the same objects: no bare yes/no/on/off', () => {
  for (const file of yamlFiles(DEPLOY)) {
    const text = readFileSync(join(DEPLOY, file), 'utf8');
    const v12 = parseAllDocuments(text);
    const v11 = parseAllDocuments(text, { version: '1.1' });
    assert.ok(Array.isArray(v12) && Array.isArray(v11), file);
    assert.deepEqual(v11.map((d) => d.toJS()), v12.map((d) => d.toJS()), file);
  }
});

test('kustomization.yaml installs every manifest outside examples/, and only files that exist', () => {
  const k = ofKind('Kustomization');
  assert.equal(k.length, 1);
  const resources = arr(k[0]?.doc['resources'], 'resources').map((r) => str(r, 'resource'));
  for (const r of resources) assert.ok(existsSync(join(DEPLOY, r)), `missing ${r}`);
  const manifests = [...new Set(installed.map((d) => d.file))].filter((f) => f !== 'kustomization.yaml');
  assert.deepEqual([...manifests].sort(), [...resources].sort());
  assert.equal(k[0]?.doc['namespace'], undefined, 'a namespace transformer would also move cluster-wide bindings');
});

test('docs/operations.md, "What gets installed": a row for every file kustomize installs, naming each CRD, its kind and short names', () => {
  const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('\n## What gets installed\n')).split(/\n## /)[1] ?? '';
  const rows = section.split('\n').filter((l) => l.startsWith('| `'));
  const fileCell = (row: string): string[] => [...(row.split('|')[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
  const resources = arr(ofKind('Kustomization')[0]?.doc['resources'], 'resources').map((r) => str(r, 'resource'));
  assert.deepEqual(rows.flatMap(fileCell).sort(), [...resources].sort());
  for (const crd of ofKind('CustomResourceDefinition')) {
    const row = rows.find((r) => fileCell(r).includes(crd.file));
    const names = obj(obj(crd.doc['spec'], 'spec')['names'], 'names');
    for (const word of [str(meta(crd)['name'], 'name'), str(names['kind'], 'kind'), ...arr(names['shortNames'], 'shortNames').map((n) => str(n, 'shortName'))]) {
      assert.ok(row?.includes(`\`${word}\``), `${crd.file}: the row does not name ${word}`);
    }
  }
});

test('the namespace admits the speaker (enforce privileged) and audits and warns at restricted', () => {
  const labels = obj(obj(one('Namespace', 'herald-system')['metadata'], 'metadata')['labels'], 'labels');
  assert.equal(labels['pod-security.kubernetes.io/enforce'], 'privileged');
  for (const mode of ['audit', 'warn']) assert.equal(labels[`pod-security.kubernetes.io/${mode}`], 'restricted', mode);
});

// The exact grants of each ServiceAccount are compared with docs/operations.md in rbac.test.ts.

test('no role grants wildcards, Secrets (but the two named ones, and the controller\'s create in its namespace), or privilege escalation', () => {
  const roles = [...ofKind('ClusterRole'), ...ofKind('Role')];
  assert.ok(roles.length >= 2);
  for (const r of roles) {
    for (const rule of arr(r.doc['rules'], `${r.file} rules`).map((x) => obj(x, 'rule'))) {
      const words = ['apiGroups', 'resources', 'verbs', 'resourceNames', 'nonResourceURLs'].flatMap((k) => (Array.isArray(rule[k]) ? rule[k].map(String) : []));
      assert.ok(!words.some((w) => w.includes('*')), `${r.file}: wildcard in ${JSON.stringify(rule)}`);
      // The one exception: the speaker reads its BGP MD5 Secret by name (speaker-manifests.test.ts pins it).
      const namedSecret = r.file === 'speaker-rbac.yaml' && JSON.stringify(rule['resourceNames']) === '["herald-bgp-passwords"]' && JSON.stringify(rule['verbs']) === '["get"]';
      // And the controller's heartbeat key (issue #14): get by name, and create, which a name cannot
      // restrict, in a Role of herald-system only (controller-manifests pin it in rbac.test.ts).
      const heartbeatKey = r.file === 'controller-rbac.yaml' && r.doc['kind'] === 'Role' && obj(r.doc['metadata'], 'metadata')['name'] === 'herald-controller-heartbeat-key' && (JSON.stringify(rule) === JSON.stringify({ apiGroups: [''], resources: ['secrets'], resourceNames: ['herald-heartbeat-key'], verbs: ['get'] }) || JSON.stringify(rule) === JSON.stringify({ apiGroups: [''], resources: ['secrets'], verbs: ['create'] }));
      assert.ok(namedSecret || heartbeatKey || !words.some((w) => w === 'secrets' || w.startsWith('secrets/')), `${r.file}: secrets in ${JSON.stringify(rule)}`);
      for (const v of ['escalate', 'bind', 'impersonate', 'deletecollection']) assert.ok(!words.includes(v), `${r.file}: verb ${v}`);
    }
  }
});

// Each workload's roles are bound to its own ServiceAccount only, and defined in its own RBAC file.
const WORKLOADS = [
  { kind: 'Deployment', name: 'herald-controller', rbac: 'controller-rbac.yaml' },
  { kind: 'DaemonSet', name: 'herald-speaker', rbac: 'speaker-rbac.yaml' },
] as const;

test('bindings give the roles to the ServiceAccount each workload runs as', () => {
  const bound = new Set<YamlDoc>();
  for (const w of WORKLOADS) {
    const sa = one('ServiceAccount', w.name);
    const saRef = { kind: 'ServiceAccount', name: w.name, namespace: obj(sa['metadata'], 'sa')['namespace'] };
    const pod = obj(obj(obj(one(w.kind, w.name)['spec'], 'spec')['template'], 'template')['spec'], 'pod');
    assert.equal(pod['serviceAccountName'], w.name);
    for (const [bindingKind, roleKind] of [['ClusterRoleBinding', 'ClusterRole'], ['RoleBinding', 'Role']] as const) {
      const bindings = ofKind(bindingKind).filter((b) => b.file === w.rbac);
      assert.ok(bindings.length >= 1, `${w.rbac}: ${bindingKind}`);
      for (const b of bindings) {
        bound.add(b);
        const ref = obj(b.doc['roleRef'], 'roleRef');
        assert.equal(ref['kind'], roleKind);
        assert.equal(ref['apiGroup'], 'rbac.authorization.k8s.io');
        const role = one(roleKind, str(ref['name'], 'roleRef.name'));
        assert.ok(ofKind(roleKind).some((r) => r.file === w.rbac && r.doc === role), `${b.file}: binds a role from another file`);
        if (roleKind === 'Role') assert.equal(obj(role['metadata'], 'm')['namespace'], meta(b)['namespace']);
        assert.deepEqual(b.doc['subjects'], [saRef]);
      }
    }
  }
  // No binding outside the workloads' RBAC files (one would escape the checks above).
  assert.deepEqual([...ofKind('ClusterRoleBinding'), ...ofKind('RoleBinding')].filter((b) => !bound.has(b)), []);
});

function portOf(addr: string): number {
  const m = /:([0-9]+)$/.exec(addr);
  assert.ok(m?.[1] !== undefined, addr);
  return Number(m[1]);
}

test('the controller Deployment meets the restricted profile and matches its flags', () => {
  const deploy = one('Deployment', 'herald-controller');
  const spec = obj(deploy['spec'], 'spec');
  assert.equal(spec['replicas'], 2);
  const pod = obj(obj(spec['template'], 'template')['spec'], 'pod');
  for (const k of ['hostNetwork', 'hostPID', 'hostIPC']) assert.notEqual(pod[k], true, k);
  const podSec = obj(pod['securityContext'], 'pod securityContext');
  assert.equal(podSec['runAsNonRoot'], true);
  assert.ok(typeof podSec['runAsUser'] === 'number' && podSec['runAsUser'] > 0);
  assert.deepEqual(podSec['seccompProfile'], { type: 'RuntimeDefault' });
  for (const v of arr(pod['volumes'] ?? [], 'volumes').map((x) => obj(x, 'volume'))) {
    assert.ok(['emptyDir', 'configMap', 'secret', 'projected', 'downwardAPI'].some((t) => t in v), `volume type not allowed by restricted: ${JSON.stringify(v)}`);
  }
  const containers = arr(pod['containers'], 'containers').map((c) => obj(c, 'container'));
  assert.equal(containers.length, 1);
  const [c] = containers;
  assert.ok(c !== undefined);
  // A local image name: no registry host in front of it (see the comment in controller.yaml).
  assert.equal(c['image'], 'herald:dev');
  const args = arr(c['args'], 'args').map((a) => str(a, 'arg'));
  assert.deepEqual(args, ['controller', '--namespace=herald-system', '--metrics-addr=:9420', '--health-addr=:9421']);
  const sec = obj(c['securityContext'], 'container securityContext');
  assert.equal(sec['allowPrivilegeEscalation'], false);
  assert.equal(sec['readOnlyRootFilesystem'], true);
  assert.notEqual(sec['privileged'], true);
  assert.deepEqual(sec['capabilities'], { drop: ['ALL'] });
  const ports = new Map(arr(c['ports'], 'ports').map((p) => [str(obj(p, 'port')['name'], 'port name'), obj(p, 'port')['containerPort']]));
  const flag = (name: string): string => str(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1], name);
  assert.equal(ports.get('metrics'), portOf(flag('metrics-addr')));
  assert.equal(ports.get('health'), portOf(flag('health-addr')));
  for (const [probe, path] of [['livenessProbe', '/healthz'], ['readinessProbe', '/readyz']] as const) {
    assert.deepEqual(obj(c[probe], probe)['httpGet'], { path, port: 'health' });
  }
  const resources = obj(c['resources'], 'resources');
  for (const k of ['requests', 'limits']) for (const r of ['cpu', 'memory']) assert.ok(typeof obj(resources[k], k)[r] === 'string', `${k}.${r}`);
  const env = arr(c['env'], 'env').map((e) => obj(e, 'env'));
  const podNs = env.find((e) => e['name'] === 'POD_NAMESPACE');
  assert.deepEqual(podNs?.['valueFrom'], { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } });
});

// RFC 5737 documentation, RFC 2544 benchmarking, RFC 3849 documentation.
const DOC_RANGES = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '198.18.0.0/15', '2001:db8::/32'].map((c) => ipaddr.parseCIDR(c));

function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (isObj(v)) return [...Object.keys(v), ...Object.values(v)].flatMap(strings);
  return [];
}

test('examples use documentation addresses only', () => {
  let found = 0;
  for (const d of examples) {
    for (const token of strings(d.doc).flatMap((s) => s.split(/[\s,]+/))) {
      const isCidr = ipaddr.isValidCIDR(token);
      if (!isCidr && !ipaddr.isValid(token)) continue;
      found++;
      const [addr, len] = isCidr ? ipaddr.parseCIDR(token) : [ipaddr.parse(token), 0];
      const inside = DOC_RANGES.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits) && (!isCidr || len >= bits));
      assert.ok(inside, `${d.file}: ${token} is not a documentation address`);
    }
  }
  assert.ok(found >= 8, `expected at least 8 addresses in the examples, found ${found}`);
});

/** [first, last] of a block as bigints, with its family. */
function blockRange(b: Obj): { family: string; first: bigint; last: bigint } {
  const big = (a: ipaddr.IPv4 | ipaddr.IPv6): bigint => a.toByteArray().reduce((n, byte) => (n << 8n) | BigInt(byte), 0n);
  if (typeof b['cidr'] === 'string') {
    const [net, len] = ipaddr.parseCIDR(b['cidr']);
    const size = 1n << BigInt((net.kind() === 'ipv4' ? 32 : 128) - len);
    return { family: net.kind(), first: big(net), last: big(net) + size - 1n };
  }
  const start = ipaddr.parse(str(b['start'], 'start'));
  return { family: start.kind(), first: big(start), last: big(ipaddr.parse(str(b['stop'] ?? b['start'], 'stop'))) };
}

test('example pools do not overlap (applying them all gives no Conflict), and the examples use them', () => {
  const pools = ofKind('IPPool', examples);
  const blocks = pools.flatMap((p) => arr(obj(p.doc['spec'], 'spec')['blocks'], 'blocks').map((b) => ({ pool: String(meta(p)['name']), ...blockRange(obj(b, 'block')) })));
  for (const [i, a] of blocks.entries()) {
    assert.ok(a.first <= a.last, `${a.pool}: stop below start`);
    for (const b of blocks.slice(i + 1)) assert.ok(a.family !== b.family || a.last < b.first || b.last < a.first, `${a.pool} overlaps ${b.pool}`);
  }
  assert.ok(new Set(blocks.map((b) => b.family)).size === 2, 'examples should show both families');

  const services = ofKind('Service', examples);
  assert.ok(services.length >= 4);
  for (const s of services) assert.equal(obj(s.doc['spec'], 'spec')['type'], 'LoadBalancer', s.file);
  const annotation = (s: YamlDoc, k: string): unknown => (isObj(meta(s)['annotations']) ? obj(meta(s)['annotations'], 'a')[k] : undefined);
  const [a, b, ...more] = services.filter((s) => annotation(s, 'herald.dev/sharing-key') !== undefined);
  assert.ok(a !== undefined && b !== undefined && more.length === 0, 'the shared-IP pair');
  assert.equal(annotation(a, 'herald.dev/sharing-key'), annotation(b, 'herald.dev/sharing-key'));
  const portsOf = (s: YamlDoc): string[] => arr(obj(s.doc['spec'], 'spec')['ports'], 'ports').map((p) => `${String(obj(p, 'p')['port'])}/${String(obj(p, 'p')['protocol'])}`);
  assert.ok(!portsOf(a).some((p) => portsOf(b).includes(p)), 'sharing Services must not use the same port and protocol');
  const requested = services.map((s) => annotation(s, 'herald.dev/ips')).filter((v) => v !== undefined);
  assert.equal(requested.length, 1);
  const ip = ipaddr.parse(str(requested[0], 'herald.dev/ips'));
  const big = ip.toByteArray().reduce((n, byte) => (n << 8n) | BigInt(byte), 0n);
  assert.ok(blocks.some((b) => b.family === ip.kind() && b.first < big && big < b.last), 'the requested address lies inside an example pool');
});
