// api-suite: herald controller, speaker and status against a server without Herald's namespace, CRDs or RBAC (issues #13 and #8 point 6)
//
// Each case runs `herald` as a real process against startControlPlane: the answers are the
// server's own (HERALD_APISERVER=real: kube-apiserver v1.34 with RBAC; dev: the stand-in). What a
// user must see: the cause said once, in plain words, with the server and the fixing command;
// retries with backoff meanwhile; /readyz not ready with the same words; and, once fixed, the
// problem resolved without a restart. RBAC, 401 and TLS exist only on the real server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiServerKind, startControlPlane } from '../../src/controlplane/control-plane.ts';
import type { ControlPlane } from '../../src/controlplane/control-plane.ts';
import { PooledKubeConfig } from '../../src/kube/client.ts';
import { makeClients } from '../../src/kube/api-clients.ts';
import type { KubeClients } from '../../src/kube/client.ts';
import { freeTcpPort, freeUdpPort, readyzUntil, runHerald, Running } from './run.ts';
import type { LogLine } from './run.ts';

const KIND = apiServerKind();
const realOnly = KIND === 'real' ? false : 'RBAC, tokens and TLS are the real server\'s (the stand-in has none)';
const dir = mkdtempSync(join(tmpdir(), 'herald-api-errors-'));
const NS = 'herald-system';

/** Without CRDs and without herald-system: a cluster Herald was never installed on. */
let bare: ControlPlane;
/** With CRDs (and herald-system, created below): where Herald can run. */
let full: ControlPlane;
let bareAdmin: KubeClients;
let fullAdmin: KubeClients;

function admin(cp: ControlPlane): KubeClients {
  const kc = new PooledKubeConfig();
  kc.loadFromString(cp.kubeconfigYaml());
  return makeClients(kc);
}

function write(name: string, yaml: string): string {
  const p = join(dir, name);
  writeFileSync(p, yaml, { mode: 0o600 });
  return p;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const errorsWith = (lines: readonly LogLine[], code: string): LogLine[] => lines.filter((l) => (l.level === 'error' || l.level === 'warn') && l.code === code);

before(async () => {
  [bare, full] = await Promise.all([startControlPlane({ heraldCrds: false }), startControlPlane({ heraldCrds: true })]);
  bareAdmin = admin(bare);
  fullAdmin = admin(full);
  await fullAdmin.core.createNamespace({ body: { metadata: { name: NS } } });
});

after(async () => {
  await Promise.all([bare.close(), full.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe(`herald against a cluster it was not installed on (${KIND})`, () => {
  it('controller without the herald-system namespace: said once with the fix, on /readyz, retried with backoff, resolved once created', async () => {
    const health = await freeTcpPort();
    const kubeconfig = write('bare-admin', bare.kubeconfigYaml());
    const c = new Running(['controller', '--kubeconfig', kubeconfig, '--health-addr', `127.0.0.1:${health}`, '--log-level', 'debug']);
    try {
      const line = `namespace "${NS}" does not exist on the API server ${bare.url}; create it with Herald's manifests, \`kubectl apply -k deploy/\`, or pass --namespace with the namespace Herald runs in`;
      const first = await c.waitFor((l) => l.code === 'API_NAMESPACE_MISSING', 15_000, 'the missing namespace');
      assert.equal(first.msg, line);
      assert.equal(first.level, 'error');
      assert.equal(first['server'], bare.url);
      const ready = await readyzUntil(health, (r) => r.status === 503);
      assert.equal(ready.body, `not ok: ${line}\n`);
      // Three attempts (t = 0, 2 s, 6 s: the backoff doubles, up to 7.5 s) and still one line.
      await c.waitFor((l) => l.level === 'debug' && /leader election request failed/.test(l.msg) && l['failures'] === 3, 15_000, 'a third attempt');
      assert.equal(errorsWith(c.lines, 'API_NAMESPACE_MISSING').length, 1);
      assert.ok(!c.lines.some((l) => /HTTP-Code/.test(JSON.stringify(l))), 'no "HTTP-Code" in any line');
      assert.ok(!c.lines.some((l) => l.level === 'warn' && /leader election/.test(l.msg)), 'the elector does not repeat what ApiHealth said');

      // Fixed while it runs: the next attempt succeeds, the problem is over, the replica leads.
      await bareAdmin.core.createNamespace({ body: { metadata: { name: NS } } });
      const resolved = await c.waitFor((l) => l.level === 'info' && l.code === 'API_NAMESPACE_MISSING', 20_000, 'the namespace problem resolved');
      assert.match(resolved.msg, new RegExp(`^resolved after \\d+ s: namespace "${NS}" does not exist on the API server ${escape(bare.url)}$`));
      await c.waitFor((l) => l.msg === 'became leader', 10_000);
      // The next cause in line: the leader's caches need the CRDs, which this cluster lacks.
      const crd = await c.waitFor((l) => l.code === 'API_CRD_MISSING', 10_000, 'the missing CRDs');
      assert.match(crd.msg, new RegExp(`^the API server ${escape(bare.url)} does not serve \\w+\\.herald\\.dev \\(herald\\.dev/v1alpha1\\): Herald's CRDs are not installed; install them with \`kubectl apply -k deploy/\`$`));
      await readyzUntil(health, (r) => r.status === 503 && /Herald's CRDs are not installed/.test(r.body));
      // One line for the whole group, and the informers' restarts are not a second voice.
      await new Promise((r) => setTimeout(r, 1_500));
      assert.equal(errorsWith(c.lines, 'API_CRD_MISSING').length, 1);
      assert.equal(c.lines.filter((l) => l.level === 'warn' && l.msg === 'watch failed; restarting').length, 0);
    } finally {
      assert.equal(await c.stop(), 0);
    }
  });

  it('speaker without the CRDs: said once, on /readyz', async () => {
    const health = await freeTcpPort();
    const heartbeat = await freeUdpPort();
    const kubeconfig = write('bare-admin-speaker', bare.kubeconfigYaml());
    // A key, as deploy/ gives it (issue #14): --insecure-heartbeats would add a warning of its own.
    const key = write('heartbeat-key', 'k'.repeat(32));
    const s = new Running(['speaker', '--node-name', 'node-a', '--heartbeat-key-file', key, '--kubeconfig', kubeconfig, '--health-addr', `127.0.0.1:${health}`, '--heartbeat-port', String(heartbeat), '--bgp-listen-port', '0']);
    try {
      const crd = await s.waitFor((l) => l.code === 'API_CRD_MISSING', 15_000, 'the missing CRDs');
      assert.match(crd.msg, /does not serve \w+\.herald\.dev \(herald\.dev\/v1alpha1\): Herald's CRDs are not installed; install them with `kubectl apply -k deploy\/`$/);
      const ready = await readyzUntil(health, (r) => r.status === 503 && /CRDs are not installed/.test(r.body));
      assert.match(ready.body, /^not ok: the API server .* does not serve/);
      await new Promise((r) => setTimeout(r, 2_000));
      assert.equal(errorsWith(s.lines, 'API_CRD_MISSING').length, 1);
      assert.equal(s.lines.filter((l) => l.level === 'warn').length, 0, s.lines.filter((l) => l.level === 'warn').map((l) => l.msg).join('\n'));
    } finally {
      await s.stop();
    }
  });

  it('controller as a ServiceAccount without RBAC: forbidden, with the verb, the resource and the RBAC file', { skip: realOnly }, async () => {
    const health = await freeTcpPort();
    const kubeconfig = write('no-rbac-controller', await bare.serviceAccountKubeconfig(NS, 'herald-controller'));
    const c = new Running(['controller', '--kubeconfig', kubeconfig, '--health-addr', `127.0.0.1:${health}`]);
    try {
      const line = `forbidden: system:serviceaccount:${NS}:herald-controller may not get leases.coordination.k8s.io in namespace "${NS}" on the API server ${bare.url}; grant it with Herald's RBAC: \`kubectl apply -k deploy/\` (deploy/controller-rbac.yaml)`;
      const first = await c.waitFor((l) => l.code === 'API_FORBIDDEN', 15_000, 'the 403');
      assert.equal(first.msg, line);
      assert.equal((await readyzUntil(health, (r) => r.status === 503)).body, `not ok: ${line}\n`);
    } finally {
      await c.stop();
    }
  });

  it('speaker as a ServiceAccount without RBAC: forbidden, naming deploy/speaker-rbac.yaml', { skip: realOnly }, async () => {
    const health = await freeTcpPort();
    const heartbeat = await freeUdpPort();
    const kubeconfig = write('no-rbac-speaker', await bare.serviceAccountKubeconfig(NS, 'herald-speaker'));
    const s = new Running(['speaker', '--node-name', 'node-a', '--insecure-heartbeats', '--kubeconfig', kubeconfig, '--health-addr', `127.0.0.1:${health}`, '--heartbeat-port', String(heartbeat), '--bgp-listen-port', '0']);
    try {
      const first = await s.waitFor((l) => l.code === 'API_FORBIDDEN', 15_000, 'a 403');
      assert.match(first.msg, new RegExp(`^forbidden: system:serviceaccount:${NS}:herald-speaker may not (list|watch) [\\w.]+ (at the cluster scope|in namespace "${NS}") on the API server ${escape(bare.url)}; grant it with Herald's RBAC: \`kubectl apply -k deploy/\` \\(deploy/speaker-rbac\\.yaml\\)$`));
      const ready = await readyzUntil(health, (r) => r.status === 503 && /forbidden/.test(r.body));
      assert.match(ready.body, /\(deploy\/speaker-rbac\.yaml\)/);
    } finally {
      await s.stop();
    }
  });

  it('a token the server does not know: 401, said once', { skip: realOnly }, async () => {
    const health = await freeTcpPort();
    const kubeconfig = write('bad-token', bare.kubeconfigYaml().replace(/token: .*/, 'token: not-a-token'));
    const c = new Running(['controller', '--kubeconfig', kubeconfig, '--health-addr', `127.0.0.1:${health}`]);
    try {
      const first = await c.waitFor((l) => l.code === 'API_UNAUTHENTICATED', 15_000, 'the 401');
      assert.equal(first.msg, `the API server ${bare.url} refused Herald's credentials (401 Unauthorized): the token or client certificate in the kubeconfig (or the pod's ServiceAccount token) is wrong, expired or from another cluster; give Herald valid credentials for this cluster`);
      await readyzUntil(health, (r) => r.status === 503 && /401 Unauthorized/.test(r.body));
    } finally {
      await c.stop();
    }
    const status = await runHerald(['status', '--kubeconfig', kubeconfig]);
    assert.equal(status.code, 1);
    assert.match(status.stderr, /^herald status: the API server .* refused Herald's credentials \(401 Unauthorized\)/);
  });

  it("another cluster's CA: TLS, with the CA to fix", { skip: realOnly }, async () => {
    // full's kubeconfig (its CA and token) pointed at bare's address: bare's certificate is not full's CA's.
    const kubeconfig = write('wrong-ca', full.kubeconfigYaml().replace(full.url, bare.url));
    const r = await runHerald(['status', '--kubeconfig', kubeconfig]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^herald status: TLS with the API server ${escape(bare.url)} failed: .* \\((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|DEPTH_ZERO_SELF_SIGNED_CERT|ERR_TLS_CERT_ALTNAME_INVALID)\\); .*\n$`));
  });

  it('status: answers with the report where Herald is installed, with the cause where it is not', async () => {
    const ok = await runHerald(['status', '--kubeconfig', write('full-admin', full.kubeconfigYaml())]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^Speakers \(0\):/);
    if (realOnly === false) {
      const kubeconfig = write('no-rbac-status', await bare.serviceAccountKubeconfig('default', 'someone'));
      const r = await runHerald(['status', '--kubeconfig', kubeconfig]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `herald status: forbidden: system:serviceaccount:default:someone may not list leases.coordination.k8s.io in namespace "${NS}" on the API server ${bare.url}; ask for that permission (\`kubectl auth can-i list leases.coordination.k8s.io -n ${NS}\` checks it)\n`);
    }
  });
});

describe(`herald where it is installed (${KIND})`, () => {
  it('controller: ready, and no problem claimed', async () => {
    const health = await freeTcpPort();
    const c = new Running(['controller', '--kubeconfig', write('full-admin-controller', full.kubeconfigYaml()), '--health-addr', `127.0.0.1:${health}`]);
    try {
      // A replica is ready as a standby at once; the one replica here leads within a retry period.
      await readyzUntil(health, (x) => x.status === 200 && x.body === 'ok: leading, caches synced\n', 20_000);
      assert.deepEqual(c.lines.filter((l) => l.level === 'error' || l.level === 'warn').map((l) => l.msg), []);
    } finally {
      assert.equal(await c.stop(), 0);
    }
  });

  it('speaker: a policy that selects this node but none of its interfaces is said plainly, once', async () => {
    await fullAdmin.core.createNode({ body: { metadata: { name: 'node-a', labels: { 'kubernetes.io/hostname': 'node-a' } } } });
    await fullAdmin.custom.createClusterCustomObject({ group: 'herald.dev', version: 'v1alpha1', plural: 'l2announcementpolicies', body: { apiVersion: 'herald.dev/v1alpha1', kind: 'L2AnnouncementPolicy', metadata: { name: 'edge' }, spec: { interfaces: ['nomatch0', 'bond0\\.[0-9]+'] } } });
    const health = await freeTcpPort();
    const heartbeat = await freeUdpPort();
    const s = new Running(['speaker', '--node-name', 'node-a', '--insecure-heartbeats', '--kubeconfig', write('full-admin-speaker', full.kubeconfigYaml()), '--health-addr', `127.0.0.1:${health}`, '--heartbeat-port', String(heartbeat), '--bgp-listen-port', '0', '--heartbeat-interval', '100ms']);
    try {
      const line = await s.waitFor((l) => l.code === 'HERALD_NO_MATCHING_INTERFACE', 20_000, 'the unserved policy');
      assert.match(line.msg, /^L2AnnouncementPolicy "edge" selects node node-a, but none of its interfaces \([^)]*\blo\b[^)]*\) matches spec\.interfaces \["nomatch0","bond0\\\\\.\[0-9\]\+"\] \(whole names; up, ARP-enabled, not loopback\), so this node answers for none of its addresses; fix spec\.interfaces or the policy's nodeSelector$/);
      await readyzUntil(health, (r) => r.status === 200, 20_000);
      // Checked every resync (5 s): still one line.
      await new Promise((r) => setTimeout(r, 5_500));
      assert.equal(s.lines.filter((l) => l.code === 'HERALD_NO_MATCHING_INTERFACE').length, 1);
    } finally {
      await s.stop();
    }
  });
});

describe(`an API server that stops answering (${KIND})`, () => {
  it('status and the controller name the server and "connection refused"', async () => {
    const kubeconfig = write('bare-down', bare.kubeconfigYaml());
    const url = bare.url;
    if (bare.real !== undefined) await bare.real.stopApiServer();
    else await bare.close();
    const r = await runHerald(['status', '--kubeconfig', kubeconfig]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `herald status: cannot reach the API server ${url}: connection refused (ECONNREFUSED); check that kube-apiserver runs and that the kubeconfig names its address and port\n`);
    const health = await freeTcpPort();
    const c = new Running(['controller', '--kubeconfig', kubeconfig, '--health-addr', `127.0.0.1:${health}`]);
    try {
      await c.waitFor((l) => l.code === 'API_UNREACHABLE', 15_000, 'the refused connection');
      const ready = await readyzUntil(health, (x) => x.status === 503);
      assert.equal(ready.body, `not ok: cannot reach the API server ${url}: connection refused (ECONNREFUSED); check that kube-apiserver runs and that the kubeconfig names its address and port\n`);
    } finally {
      await c.stop();
    }
  });
});
