// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// No secret in logs, Events, metrics or `herald status` (issue #14, "Security by default").
// `herald controller` and two `herald speaker`s run as real processes at --log-level debug, as
// their own ServiceAccounts with deploy/'s RBAC on the real server. The controller makes the
// heartbeat key; the speakers get it (and a second, "next" key) in files, as the kubelet mounts
// them, sign and check each other's heartbeats, take a rotation step, and run a BGP session whose
// TCP MD5 password comes from the Secret herald-bgp-passwords; the password is then changed. Every
// byte they wrote, every Event in the cluster, every Lease of herald-system, their /metrics and
// `herald status` are then searched for each secret: as text, hex, base64 (padded, unpadded,
// URL-safe), the byte list a Buffer serialises to, and the first half of each of those.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HERALD_GROUP, HERALD_VERSION, BGPPEER_PLURAL, BGPPOLICY_PLURAL, IPPOOL_PLURAL, L2POLICY_PLURAL } from '../../src/api/names.ts';
import { HEARTBEAT_SECRET } from '../../src/controller/heartbeat-secret.ts';
import { apiStatus } from '../../src/kube/client.ts';
import { keyId } from '../../src/speaker/heartbeat-keys.ts';
import { CONTROLLER_SA, HERALD_NS, SPEAKER_SA, startApiSuite } from '../support/api-suite.ts';
import type { ApiSuite } from '../support/api-suite.ts';
import { Running, freeTcpPort, freeUdpPort, httpGet, runHerald } from '../cli/run.ts';

const PASSWORD = `md5-${randomBytes(9).toString('hex')}`;
const NEW_PASSWORD = `md5-${randomBytes(9).toString('hex')}`;
const NEXT_KEY = randomBytes(32);

/** Every spelling of `secret` a log, an Event or a metric could carry, and the first half of each. */
function spellings(secret: Buffer): string[] {
  const forms = (b: Buffer): string[] => [
    b.toString('hex'),
    b.toString('hex').toUpperCase(),
    b.toString('base64'),
    b.toString('base64').replace(/=+$/, ''),
    b.toString('base64url'),
    [...b].join(','),
  ];
  const half = secret.subarray(0, Math.ceil(secret.length / 2));
  // Text secrets (passwords) as themselves too; halves of at least 8 characters only.
  const text = /^[\x20-\x7e]+$/.test(secret.toString('latin1')) ? [secret.toString('utf8'), half.toString('utf8')] : [];
  return [...new Set([...forms(secret), ...forms(half), ...text])].filter((s) => s.length >= 8);
}

function leaks(haystack: string, secrets: ReadonlyMap<string, Buffer>): string[] {
  const found: string[] = [];
  for (const [name, secret] of secrets) for (const s of spellings(secret)) if (haystack.includes(s)) found.push(`${name} as "${s}"`);
  return found;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('no secret in logs, Events, metrics or `herald status` (issue #14)', () => {
  let suite: ApiSuite;
  const dir = mkdtempSync(join(tmpdir(), 'herald-no-secrets-'));
  const file = (name: string, text: string | Buffer): string => {
    const p = join(dir, name);
    writeFileSync(p, text, { mode: 0o600 });
    return p;
  };
  const processes: Running[] = [];
  const metricsPorts: number[] = [];
  let heartbeatKey = Buffer.alloc(0);
  let adminKubeconfig = '';

  before(async () => {
    suite = await startApiSuite();
    const { admin } = suite;
    adminKubeconfig = file('admin', suite.cp.kubeconfigYaml());
    const controllerKubeconfig = file('controller', await suite.cp.serviceAccountKubeconfig(HERALD_NS, CONTROLLER_SA));
    const speakerKubeconfig = file('speaker', await suite.cp.serviceAccountKubeconfig(HERALD_NS, SPEAKER_SA));
    // Two nodes on loopback: heartbeats leave from 127.0.0.1, the address both nodes have.
    for (const name of ['node-a', 'node-b']) await admin.core.createNode({ body: { metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }] } } });
    await admin.core.createNamespacedSecret({ namespace: HERALD_NS, body: { metadata: { name: 'herald-bgp-passwords' }, stringData: { tor: PASSWORD } } });
    const closed = await freeTcpPort();
    await admin.custom.createClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: BGPPEER_PLURAL, body: { apiVersion: `${HERALD_GROUP}/${HERALD_VERSION}`, kind: 'BGPPeer', metadata: { name: 'tor' }, spec: { peerAddress: '127.0.0.1', peerPort: closed, peerASN: 64999, localASN: 64512, connectRetrySeconds: 1, passwordSecretRef: { name: 'herald-bgp-passwords', key: 'tor' } } } });
    await admin.custom.createClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: BGPPOLICY_PLURAL, body: { apiVersion: `${HERALD_GROUP}/${HERALD_VERSION}`, kind: 'BGPAnnouncementPolicy', metadata: { name: 'all' }, spec: {} } });
    // The heartbeats are part of the path: L2 runs where a policy selects the node (docs/l2.md, "Standby").
    await admin.custom.createClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: L2POLICY_PLURAL, body: { apiVersion: `${HERALD_GROUP}/${HERALD_VERSION}`, kind: 'L2AnnouncementPolicy', metadata: { name: 'all' }, spec: {} } });
    await admin.custom.createClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: IPPOOL_PLURAL, body: { apiVersion: `${HERALD_GROUP}/${HERALD_VERSION}`, kind: 'IPPool', metadata: { name: 'pool' }, spec: { blocks: [{ cidr: '198.51.100.0/28' }] } } });
    await admin.core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'web' }, spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80 }] } } });

    // The controller makes the heartbeat key; the test reads it, as the kubelet would to mount it.
    const controllerMetrics = await freeTcpPort();
    metricsPorts.push(controllerMetrics);
    processes.push(new Running(['controller', '--kubeconfig', controllerKubeconfig, '--namespace', HERALD_NS, '--identity', 'controller-0', '--metrics-addr', `127.0.0.1:${controllerMetrics}`, '--log-level', 'debug']));
    heartbeatKey = await eventually('the heartbeat key Secret', async () => {
      try {
        const s = await admin.core.readNamespacedSecret({ name: HEARTBEAT_SECRET, namespace: HERALD_NS });
        return Buffer.from(s.data?.['key'] ?? '', 'base64');
      } catch (err) {
        if (apiStatus(err) === 404) return undefined;
        throw err;
      }
    });
    const keyFile = file('key', heartbeatKey);
    const acceptFile = file('accept-key', NEXT_KEY);
    for (const node of ['node-a', 'node-b']) {
      const metrics = await freeTcpPort();
      metricsPorts.push(metrics);
      const heartbeat = await freeUdpPort();
      processes.push(new Running(['speaker', '--node-name', node, '--kubeconfig', speakerKubeconfig, '--namespace', HERALD_NS, '--heartbeat-port', String(heartbeat), '--bgp-listen-port', '0', '--metrics-addr', `127.0.0.1:${metrics}`, '--heartbeat-key-file', keyFile, '--heartbeat-accept-key-file', acceptFile, '--log-level', 'debug']));
    }
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await suite?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the whole path with the secrets in play, then finds none of them anywhere', { timeout: 120_000 }, async () => {
    const [, a, b] = processes;
    assert.ok(a !== undefined && b !== undefined);
    const metric = async (port: number | undefined, re: RegExp): Promise<number> => Number(re.exec((await httpGet(port ?? 0, '/metrics')).body)?.[1] ?? 'NaN');
    // The speakers hear each other with the key (signed and checked), and no heartbeat is refused.
    for (const port of metricsPorts.slice(1)) {
      await eventually('signed heartbeats both ways', async () => ((await metric(port, /^herald_l2_heartbeats_received_total (\d+)/m)) > 5 ? true : undefined));
      await eventually('the peer alive', async () => ((await metric(port, /^herald_l2_peers\{state="alive"\} (\d+)/m)) === 1 ? true : undefined));
      assert.ok(Number.isNaN(await metric(port, /^herald_l2_heartbeat_errors_total\{code="BadSignature"\} (\d+)/m)));
    }
    // The BGP speaker has read the MD5 password and tries the session with it.
    await eventually('a BGP connect attempt with the password', async () => (a.lines.some((l) => /BGP/i.test(l.msg) && l.level !== 'text') ? true : undefined));
    // A rotation step (key = next, accept-key = old): each speaker reloads and says so, by key id.
    file('key', NEXT_KEY);
    file('accept-key', heartbeatKey);
    for (const s of [a, b]) {
      const changed = await s.waitFor((l) => l.msg === 'heartbeat keys changed', 20_000, 'the rotation step');
      assert.deepEqual([changed['signKey'], changed['alsoKey']], [keyId(NEXT_KEY), keyId(heartbeatKey)]);
    }
    // The MD5 password changes, and a BGPPeer naming it is invalid: an Event, and more logging.
    await suite.admin.core.replaceNamespacedSecret({ name: 'herald-bgp-passwords', namespace: HERALD_NS, body: { metadata: { name: 'herald-bgp-passwords' }, stringData: { tor: NEW_PASSWORD } } });
    await suite.admin.custom.createClusterCustomObject({ group: HERALD_GROUP, version: HERALD_VERSION, plural: BGPPEER_PLURAL, body: { apiVersion: `${HERALD_GROUP}/${HERALD_VERSION}`, kind: 'BGPPeer', metadata: { name: 'bad' }, spec: { peerAddress: '127.0.0.2', peerASN: 64999, localASN: 64512, passwordSecretRef: { name: 'herald-bgp-passwords', key: 'tor' }, nodeSelector: { matchLabels: { 'bad key!': 'x' } } } } });
    await eventually('the InvalidPeer Event', async () => ((await suite.admin.core.listNamespacedEvent({ namespace: 'default' })).items.some((e) => e.reason === 'InvalidPeer') ? true : undefined));
    await new Promise((r) => setTimeout(r, 2_000));

    // Everything a user or an attacker with read access to these could see.
    const haystacks = new Map<string, string>();
    const status = await runHerald(['status', '--kubeconfig', adminKubeconfig, '--namespace', HERALD_NS]);
    assert.equal(status.code, 0, status.stderr);
    haystacks.set('herald status', status.stdout + status.stderr);
    for (const [i, port] of metricsPorts.entries()) haystacks.set(`/metrics of ${i === 0 ? 'the controller' : `speaker ${i}`}`, (await httpGet(port, '/metrics')).body);
    haystacks.set('Events', JSON.stringify(await suite.admin.core.listEventForAllNamespaces()));
    haystacks.set('Leases of herald-system', JSON.stringify(await suite.admin.coordination.listNamespacedLease({ namespace: HERALD_NS })));
    await Promise.all(processes.map((p) => p.stop()));
    for (const [i, p] of processes.entries()) haystacks.set(`output of ${i === 0 ? 'the controller' : `speaker ${i}`}`, `${p.lines.map((l) => JSON.stringify(l)).join('\n')}\n${p.stderr}`);

    // The search is real: it finds the secrets where they are meant to be, and debug was on.
    const secrets = new Map<string, Buffer>([
      ['the heartbeat key', heartbeatKey],
      ['the next heartbeat key', NEXT_KEY],
      ['the MD5 password', Buffer.from(PASSWORD)],
      ['the new MD5 password', Buffer.from(NEW_PASSWORD)],
    ]);
    const stored = JSON.stringify(await suite.admin.core.listNamespacedSecret({ namespace: HERALD_NS }));
    assert.ok(leaks(stored, new Map([['the heartbeat key', heartbeatKey]])).length > 0 && leaks(stored, new Map([['the new MD5 password', Buffer.from(NEW_PASSWORD)]])).length > 0, 'the search finds the secrets in the Secrets themselves');
    for (const p of processes) assert.ok(p.lines.some((l) => l.level === 'debug'), 'debug lines are written');
    // deploy/'s RBAC sufficed: on the real server these processes are Herald's ServiceAccounts.
    assert.deepEqual(processes.flatMap((p) => p.lines.filter((l) => l.code === 'API_FORBIDDEN').map((l) => l.msg)), []);
    assert.ok((haystacks.get('/metrics of speaker 1') ?? '').includes(`sign="${keyId(NEXT_KEY)}"`), 'the key id is shown instead');

    // HERALD_TEST_DUMP=DIR keeps what was searched, for a human to read.
    const dump = process.env['HERALD_TEST_DUMP'];
    if (dump !== undefined) for (const [where, text] of haystacks) writeFileSync(join(dump, `${where.replace(/[^a-z0-9]+/gi, '-')}.txt`), text);
    const found: string[] = [];
    for (const [where, text] of haystacks) for (const l of leaks(text, secrets)) found.push(`${l} in ${where}`);
    assert.deepEqual(found, []);
  });
});
