// api-suite: upgrades on a real kube-apiserver keep every address (issue #12, "Upgrades")
// From `kubectl apply -k deploy/` to the Helm chart (`helm install --take-ownership`, as
// docs/operations.md "Upgrade" says), then from one chart version to the next (`helm upgrade`):
// the CRDs and IPPools are the same objects throughout (never deleted and re-created, which would
// take every address with them), no Service changes address, and the controller that starts after
// each step allocates for new Services around the old ones. The controller runs in this process
// against the server, stopped during each step as the old Pods would be. The speakers' side of an
// upgrade (a rolling restart: no VIP goes dark) is test/e2e/l2-rollout.test.ts.
// On the stand-in this suite is skipped, not run, for chart-install.test.ts's reason.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startController } from '../../src/controller/command.ts';
import type { RunningController } from '../../src/controller/command.ts';
import { PooledKubeConfig } from '../../src/kube/client.ts';
import { makeClients } from '../../src/kube/api-clients.ts';
import type { KubeClients } from '../../src/kube/client.ts';
import { DEPLOY } from './crds.ts';
import { CHART, findHelm, helmSession } from './helm.ts';
import { eventually, REAL_ONLY, startKubectlCluster, type KubectlCluster, type KubectlSession } from './kubectl.ts';
import { arr, obj, str, type Obj } from './schema-check.ts';

const helm = findHelm();
const SKIP = REAL_ONLY !== false ? REAL_ONLY : helm.ok ? false : `needs the helm binary: ${helm.message}`;
const NAMESPACE = 'herald-system';
const APPS = 'upgrade-apps';

/** The takeover line of docs/operations.md ("From `kubectl apply -k` to the chart"), as arguments, no values file. */
function documentedTakeover(): string[] {
  const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
  const line = /^helm install herald deploy\/chart\/herald (.*--take-ownership.*)$/m.exec(doc)?.[1];
  assert.ok(line !== undefined, 'docs/operations.md has no `helm install herald deploy/chart/herald … --take-ownership` line');
  return ['install', 'herald', CHART, ...line.replace(/ -f \S+/, '').split(' ')];
}

/** Plain Services, single-stack and dual-stack, besides the examples (a requested IP, a shared one). */
function services(n: number, tag: string): string {
  return Array.from({ length: n }, (_, i) => [
    'apiVersion: v1',
    'kind: Service',
    `metadata: { name: ${tag}-${i}, namespace: ${APPS} }`,
    'spec:',
    '  type: LoadBalancer',
    `  ipFamilyPolicy: ${i % 3 === 0 ? 'PreferDualStack' : 'SingleStack'}`,
    `  selector: { app: ${tag}-${i} }`,
    '  ports: [{ port: 80, protocol: TCP }]',
  ].join('\n')).join('\n---\n');
}

describe('upgrades keep every address (real kube-apiserver)', { skip: SKIP }, () => {
  let k: KubectlCluster;
  let h: KubectlSession;
  let clients: KubeClients;
  let controller: RunningController | undefined;
  const dirs: string[] = [];

  before(async () => {
    if (!helm.ok) return;
    k = await startKubectlCluster();
    h = await helmSession(helm.helm, k.cp.kubeconfigYaml());
    const kc = new PooledKubeConfig();
    kc.loadFromString(k.cp.kubeconfigYaml());
    clients = makeClients(kc);
  });
  after(async () => {
    await controller?.stop();
    await h?.close();
    await k?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const startCtl = async (): Promise<void> => {
    controller = await startController({ namespace: NAMESPACE, identity: 'upgrade-test', defaultServiceIpam: 'pool', acceptAnnotations: new Set(), logLevel: 'silent' }, pino({ level: 'silent' }), clients);
  };
  const stopCtl = async (): Promise<void> => {
    await controller?.stop();
    controller = undefined;
  };

  /** Every LoadBalancer Service of the cluster → its ingress IPs, sorted ("" until it has one). */
  async function addresses(): Promise<Map<string, string>> {
    const list = obj(JSON.parse(await k.ok(['get', 'services', '-A', '-o', 'json'])), 'list');
    const out = new Map<string, string>();
    for (const s of arr(list['items'], 'items').map((x) => obj(x, 'service'))) {
      if (obj(s['spec'], 'spec')['type'] !== 'LoadBalancer') continue;
      const m = obj(s['metadata'], 'metadata');
      const lb = obj(obj(s['status'] ?? {}, 'status')['loadBalancer'] ?? {}, 'loadBalancer');
      const ips = arr(lb['ingress'] ?? [], 'ingress').map((i) => str(obj(i, 'ingress')['ip'], 'ip')).sort();
      out.set(`${str(m['namespace'], 'ns')}/${str(m['name'], 'name')}`, ips.join(','));
    }
    return out;
  }

  /** Waits until every LoadBalancer Service has an address; returns them. */
  async function allAddressed(): Promise<Map<string, string>> {
    return eventually(async () => {
      const a = await addresses();
      const missing = [...a].filter(([, ips]) => ips === '').map(([name]) => name);
      if (missing.length > 0) throw new Error(`no address yet: ${missing.join(', ')}`);
      return a;
    }, 30_000);
  }

  /** The uid of every CRD of herald.dev and every IPPool: the same uids mean nothing was re-created. */
  async function uids(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const kind of ['customresourcedefinitions', 'ippools']) {
      const list = obj(JSON.parse(await k.ok(['get', kind, '-o', 'json'])), kind);
      for (const item of arr(list['items'], 'items').map((x) => obj(x, 'item'))) {
        const m = obj(item['metadata'], 'metadata');
        const name = str(m['name'], 'name');
        if (kind === 'ippools' || name.endsWith('.herald.dev')) out.set(`${kind}/${name}`, str(m['uid'], 'uid'));
      }
    }
    return out;
  }

  /** A new Service gets an address from the controller now running, and every old one keeps its own. */
  async function stillAllocates(before: Map<string, string>, tag: string): Promise<Map<string, string>> {
    await startCtl();
    await k.ok(['apply', '-f', '-'], services(1, tag));
    const now = await allAddressed();
    await stopCtl();
    for (const [name, ips] of before) assert.equal(now.get(name), ips, `${name} changed address`);
    const taken = new Set([...before.values()].flatMap((v) => v.split(',')));
    const fresh = now.get(`${APPS}/${tag}-0`) ?? '';
    assert.ok(fresh !== '' && fresh.split(',').every((ip) => !taken.has(ip) || ip === ''), `the new Service took an address in use: ${fresh}`);
    return now;
  }

  it('kustomize install, then the chart takes it over, then the next chart version: same CRDs, same pools, no address moves', async () => {
    // 1. The kustomize install, pools and Services, addresses from the controller.
    await k.ok(['apply', '-k', DEPLOY]);
    await eventually(() => k.ok(['get', 'ippools']));
    await k.ok(['create', 'namespace', APPS]);
    for (const f of ['ippool-ipv4.yaml', 'ippool-ipv6.yaml']) await k.ok(['apply', '-f', join(DEPLOY, 'examples', f)]);
    for (const f of ['service-loadbalancer.yaml', 'service-requested-ip.yaml', 'service-shared-ip.yaml']) await k.ok(['apply', '-f', join(DEPLOY, 'examples', f)]);
    await k.ok(['apply', '-f', '-'], services(9, 'web'));
    await startCtl();
    const v0 = await allAddressed();
    await stopCtl();
    assert.ok(v0.size >= 12, `${v0.size} Services`);
    const ids = await uids();
    assert.equal([...ids.keys()].filter((x) => x.startsWith('customresourcedefinitions/')).length, 4);

    // 2. The chart takes the kustomize objects over (docs/operations.md, "Upgrade").
    // Regression: taken over server-side, the release shared the fields with kubectl's client-side
    // apply, and the upgrade below failed with "conflict with kubectl-client-side-apply".
    const install = await h.run(documentedTakeover());
    assert.equal(install.code, 0, `${install.stdout}${install.stderr}`);
    assert.deepEqual(await uids(), ids, 'a CRD or IPPool was deleted and re-created');
    assert.deepEqual(await addresses(), v0);
    const v1 = await stillAllocates(v0, 'after-takeover');

    // 3. The next chart version: a copy with its version bumped and a value changed.
    const next = mkdtempSync(join(tmpdir(), 'herald-chart-next-'));
    dirs.push(next);
    cpSync(CHART, next, { recursive: true, dereference: true });
    const chartYaml = join(next, 'Chart.yaml');
    writeFileSync(chartYaml, readFileSync(chartYaml, 'utf8').replace(/^version: .*$/m, 'version: 0.2.0'));
    const upgrade = await h.run(['upgrade', 'herald', next, '--namespace', NAMESPACE, '--set', 'controller.replicas=3']);
    assert.equal(upgrade.code, 0, `${upgrade.stdout}${upgrade.stderr}`);
    assert.match(upgrade.stdout, /REVISION: 2/);
    const deployment = obj(JSON.parse(await k.ok(['-n', NAMESPACE, 'get', 'deployment', 'herald-controller', '-o', 'json'])), 'deployment');
    assert.equal(obj(deployment['spec'], 'spec')['replicas'], 3);
    const labels: Obj = obj(obj(deployment['metadata'], 'metadata')['labels'], 'labels');
    assert.equal(labels['helm.sh/chart'], 'herald-0.2.0');
    assert.deepEqual(await uids(), ids, 'the upgrade deleted and re-created a CRD or IPPool');
    assert.deepEqual(await addresses(), v1);
    await stillAllocates(v1, 'after-upgrade');
  });
});
