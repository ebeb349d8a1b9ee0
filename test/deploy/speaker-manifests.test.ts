// deploy/speaker.yaml and deploy/speaker-rbac.yaml: the L2 speaker DaemonSet runs on the host
// network with NET_RAW and nothing more, its flags match its ports, and its RBAC reads the
// desired-state inputs, writes Events and owns the Leases of herald-system, and writes nothing
// else. The checks shared with the controller (bindings, wildcards, kustomization) are in
// manifests.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { arr, loadYamlDocs, obj, str } from './schema-check.ts';
import type { Obj } from './schema-check.ts';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));
const docs = loadYamlDocs(DEPLOY).filter((d) => !d.file.startsWith('examples/'));

function one(kind: string, name: string): Obj {
  const found = docs.filter((d) => d.doc['kind'] === kind && obj(d.doc['metadata'], `${d.file} metadata`)['name'] === name);
  assert.equal(found.length, 1, `expected one ${kind} ${name}`);
  const [d] = found;
  assert.ok(d !== undefined);
  return d.doc;
}

const ds = one('DaemonSet', 'herald-speaker');
const pod = obj(obj(obj(ds['spec'], 'spec')['template'], 'template')['spec'], 'pod');
const containers = arr(pod['containers'], 'containers').map((c) => obj(c, 'container'));
const [c] = containers;
const args = arr(c?.['args'], 'args').map((a) => str(a, 'arg'));
const flag = (name: string): string => str(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1], `--${name}`);
const portOf = (addr: string): number => Number(/:([0-9]+)$/.exec(addr)?.[1]);

test('the speaker is a host-network DaemonSet running `herald speaker` with the intended flags', () => {
  assert.equal(containers.length, 1);
  assert.ok(c !== undefined);
  assert.equal(obj(ds['metadata'], 'metadata')['namespace'], 'herald-system');
  assert.equal(pod['hostNetwork'], true);
  assert.equal(pod['dnsPolicy'], 'ClusterFirstWithHostNet', 'a host-network pod needs this to resolve cluster names');
  for (const k of ['hostPID', 'hostIPC']) assert.notEqual(pod[k], true, k);
  assert.equal(pod['serviceAccountName'], 'herald-speaker');
  assert.equal(c['image'], 'herald:dev');
  assert.deepEqual(args, ['speaker', '--namespace=herald-system', '--metrics-addr=:9423', '--health-addr=:9424', '--heartbeat-port=9425', '--bgp-listen-port=179', '--log-level=info', '--node-lease-renew=2s', '--heartbeat-key-file=/etc/herald/heartbeat/key', '--heartbeat-accept-key-file=/etc/herald/heartbeat/accept-key']);
  const env = arr(c['env'], 'env').map((e) => obj(e, 'env'));
  assert.deepEqual(env.find((e) => e['name'] === 'NODE_NAME')?.['valueFrom'], { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } });
});

test('the speaker holds NET_RAW and NET_BIND_SERVICE and no other capability (no NET_ADMIN), and cannot gain more', () => {
  assert.ok(c !== undefined);
  const sec = obj(c['securityContext'], 'container securityContext');
  assert.deepEqual(sec['capabilities'], { drop: ['ALL'], add: ['NET_BIND_SERVICE', 'NET_RAW'] });
  assert.equal(sec['allowPrivilegeEscalation'], false);
  assert.equal(sec['readOnlyRootFilesystem'], true);
  assert.notEqual(sec['privileged'], true);
  assert.deepEqual(sec['seccompProfile'], { type: 'RuntimeDefault' });
  const podSec = obj(pod['securityContext'], 'pod securityContext');
  assert.deepEqual(podSec['seccompProfile'], { type: 'RuntimeDefault' });
  // Belt and braces: NET_ADMIN (or SYS_ADMIN) nowhere in the file, not even in a second container.
  const text = JSON.stringify(ds);
  for (const cap of ['NET_ADMIN', 'SYS_ADMIN']) assert.ok(!text.includes(cap), cap);
  // No hostPath: a node's filesystem is not needed to answer ARP. The one Secret is the heartbeat key.
  for (const v of arr(pod['volumes'] ?? [], 'volumes').map((x) => obj(x, 'volume'))) assert.ok('emptyDir' in v || v['name'] === 'heartbeat-key', `unexpected volume ${JSON.stringify(v)}`);
});

test('heartbeats are authenticated out of the box (issue #14): the key Secret is mounted whole, read-only, and the flags name its files', () => {
  assert.ok(c !== undefined);
  const volume = arr(pod['volumes'], 'volumes').map((x) => obj(x, 'volume')).find((v) => v['name'] === 'heartbeat-key');
  // Not optional: without it the pod waits for the controller to make the Secret, then starts.
  assert.deepEqual(volume, { name: 'heartbeat-key', secret: { secretName: 'herald-heartbeat-key', defaultMode: 0o400 } });
  const mount = arr(c['volumeMounts'], 'volumeMounts').map((m) => obj(m, 'mount')).find((m) => m['name'] === 'heartbeat-key');
  // A whole-volume mount (no subPath), so the kubelet applies a rotation's edits in place.
  assert.deepEqual(mount, { name: 'heartbeat-key', mountPath: '/etc/herald/heartbeat', readOnly: true });
  assert.equal(flag('heartbeat-key-file'), '/etc/herald/heartbeat/key');
  assert.equal(flag('heartbeat-accept-key-file'), '/etc/herald/heartbeat/accept-key');
  assert.ok(!args.includes('--insecure-heartbeats'));
});

test('ports match the flags, the heartbeat port is UDP on the host, and probes use the health port', () => {
  assert.ok(c !== undefined);
  const ports = new Map(arr(c['ports'], 'ports').map((p) => [str(obj(p, 'port')['name'], 'port name'), obj(p, 'port')]));
  assert.equal(ports.get('metrics')?.['containerPort'], portOf(flag('metrics-addr')));
  assert.equal(ports.get('health')?.['containerPort'], portOf(flag('health-addr')));
  assert.deepEqual(ports.get('heartbeat'), { name: 'heartbeat', containerPort: Number(flag('heartbeat-port')), hostPort: Number(flag('heartbeat-port')), protocol: 'UDP' });
  // On the host network hostPort must equal containerPort; distinct ports cannot collide.
  for (const p of ports.values()) assert.equal(p['hostPort'], p['containerPort'], JSON.stringify(p));
  assert.equal(new Set([...ports.values()].map((p) => p['containerPort'])).size, ports.size);
  for (const [probe, path] of [['livenessProbe', '/healthz'], ['readinessProbe', '/readyz']] as const) {
    assert.deepEqual(obj(c[probe], probe)['httpGet'], { path, port: 'health' });
  }
});

test('it runs on control-plane nodes, has time to hand over, and has no CPU limit', () => {
  assert.ok(c !== undefined);
  const tolerations = arr(pod['tolerations'], 'tolerations');
  assert.ok(tolerations.some((t) => JSON.stringify(t) === JSON.stringify({ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' })));
  const grace = pod['terminationGracePeriodSeconds'];
  assert.ok(typeof grace === 'number' && grace >= 10 && grace <= 60, `grace period ${String(grace)}`);
  const resources = obj(c['resources'], 'resources');
  for (const r of ['cpu', 'memory']) assert.ok(typeof obj(resources['requests'], 'requests')[r] === 'string', `requests.${r}`);
  const limits = obj(resources['limits'], 'limits');
  assert.ok(typeof limits['memory'] === 'string');
  assert.equal(limits['cpu'], undefined, 'CFS throttling would stall heartbeats past the fence time');
  // Rolling one node at a time, never two pods per node (they would fight over the host ports).
  assert.deepEqual(obj(obj(ds['spec'], 'spec')['updateStrategy'], 'updateStrategy'), { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
});

// Issue #10, nineteenth session: V8's tiers capped at Maglev. The flags go in the command (Node
// refuses them in NODE_OPTIONS); a misspelt one would stop every speaker at start with "bad
// option", so this Node must take them.
test('the speaker runs the bundle under V8 flags this Node accepts, with Maglev as the top tier', () => {
  assert.ok(c !== undefined);
  const command = arr(c['command'], 'command').map((a) => str(a, 'command'));
  assert.deepEqual(command, ['node', '--max-opt=2', '/app/bin/herald.js']);
  const flags = command.slice(1, -1);
  const run = spawnSync(process.execPath, [...flags, '-e', 'process.stdout.write(process.execArgv.filter((a) => a.startsWith("--")).join(" "))'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, flags.join(' '));
});

// The exact grants are compared with docs/operations.md in rbac.test.ts; this pins what they mean.
test('the speaker can read Services, Nodes, slices and policies but write none of them, nor any status', () => {
  const READ = new Set(['get', 'list', 'watch']);
  const rules = [one('ClusterRole', 'herald-speaker'), one('Role', 'herald-speaker-leases')].flatMap((r) => arr(r['rules'], 'rules').map((x) => obj(x, 'rule')));
  const granted = (resource: string): Set<string> => new Set(rules.filter((r) => arr(r['resources'], 'resources').includes(resource)).flatMap((r) => arr(r['verbs'], 'verbs').map(String)));
  for (const r of ['services', 'nodes', 'endpointslices', 'l2announcementpolicies', 'bgppeers', 'bgpannouncementpolicies']) {
    assert.deepEqual([...granted(r)].sort(), [...READ].sort(), r);
  }
  for (const r of ['services/status', 'l2announcementpolicies/status', 'bgppeers/status', 'bgpannouncementpolicies/status', 'ippools', 'ippools/status', 'configmaps']) assert.equal(granted(r).size, 0, r);
  // Secrets: one, by name, read only, in the speaker's namespace (the BGP MD5 keys).
  const secretRules = rules.filter((r) => arr(r['resources'], 'resources').includes('secrets'));
  assert.deepEqual(secretRules, [{ apiGroups: [''], resources: ['secrets'], resourceNames: ['herald-bgp-passwords'], verbs: ['get'] }]);
  assert.ok(!granted('events').has('delete') && !granted('events').has('update'));
  // Leases only through the namespaced Role: a ClusterRole would reach kube-node-lease too.
  const cluster = arr(one('ClusterRole', 'herald-speaker')['rules'], 'rules').map((x) => obj(x, 'rule'));
  assert.ok(!cluster.some((r) => arr(r['resources'], 'resources').includes('leases')));
});

test('kustomization.yaml installs the speaker and its RBAC', () => {
  const k = docs.filter((d) => d.doc['kind'] === 'Kustomization');
  assert.equal(k.length, 1);
  const resources = arr(k[0]?.doc['resources'], 'resources');
  for (const f of ['speaker-rbac.yaml', 'speaker.yaml']) assert.ok(resources.includes(f), f);
});
