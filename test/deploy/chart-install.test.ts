// api-suite: the Helm chart through the real helm and kubectl on a real kube-apiserver (issue #12)
// `helm install` as docs/operations.md ("Install with Helm") says creates every object the chart
// renders, and nothing Helm did not render (no Secret: the controller makes the heartbeat key);
// the rendered chart applied server-side in a dry run is accepted and differs in nothing from
// what Helm stored; `helm uninstall` removes all but the CRDs, which keep their IPPools.
// On the stand-in this suite is skipped, not run: helm, like kubectl, validates against the
// OpenAPI document and applies server-side, and the stand-in serves neither, nor Deployments,
// DaemonSets or RBAC (standin-kubectl.test.ts pins what kubectl meets there).
// What the chart renders, and that it matches deploy/, is checked without a server in chart.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEPLOY } from './crds.ts';
import { CHART, findHelm, helmSession, keyOf, parseRendered, stderrProblems } from './helm.ts';
import { REAL_ONLY, startKubectlCluster, type KubectlCluster, type KubectlSession } from './kubectl.ts';
import { arr, obj, str, type Obj } from './schema-check.ts';

const helm = findHelm();
const SKIP = REAL_ONLY !== false ? REAL_ONLY : helm.ok ? false : `needs the helm binary: ${helm.message}`;

/** The `helm install` line of docs/operations.md, "Install with Helm", as arguments, the chart path made absolute, no values file. */
function documentedInstall(): string[] {
  const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('\n### Install with Helm\n')).split(/\n##+ /)[1] ?? '';
  const line = /^helm install herald deploy\/chart\/herald (.*)$/m.exec(section)?.[1];
  assert.ok(line !== undefined, 'docs/operations.md, "Install with Helm", has no `helm install herald deploy/chart/herald` line');
  const words = line.replace(/ -f \S+/, '').split(' ');
  return ['install', 'herald', CHART, ...words];
}

const NAMESPACE = 'herald-system';

/**
 * The one warning expected, as for `kubectl apply -k deploy/` (kubectl-apply.test.ts): the namespace
 * warns at `restricted`, which the host-network speaker cannot meet (it is admitted: enforce is privileged).
 */
const SPEAKER_PSA_WARNING = /Warning: would violate PodSecurity \\?"restricted:latest\\?": host namespaces \(hostNetwork=true\), hostPort \(container \\?"speaker\\?"/;
const unexpected = (stderr: string): string[] => stderrProblems(stderr).filter((l) => !SPEAKER_PSA_WARNING.test(l));

describe('the Helm chart on a real kube-apiserver', { skip: SKIP }, () => {
  let k: KubectlCluster;
  let h: KubectlSession;
  let rendered: string;
  let keys: string[];
  before(async () => {
    if (!helm.ok) return;
    k = await startKubectlCluster();
    h = await helmSession(helm.helm, k.cp.kubeconfigYaml());
    rendered = await h.ok(['template', 'herald', CHART]);
    keys = parseRendered(rendered, 'helm template').map(keyOf).sort();
  });
  after(async () => {
    await h?.close();
    await k?.close();
  });

  /** What the server has of the rendered objects, by kind/namespace/name; one `kubectl get`. */
  async function present(): Promise<Map<string, Obj>> {
    const r = await k.run(['get', '--ignore-not-found', '-o', 'json', '-f', '-'], rendered);
    assert.equal(r.code, 0, r.stderr);
    const items = r.stdout.trim() === '' ? [] : arr(obj(JSON.parse(r.stdout), 'list')['items'] ?? [obj(JSON.parse(r.stdout), 'object')], 'items');
    return new Map(items.map((i) => [keyOf(obj(i, 'item')), obj(i, 'item')]));
  }

  it('helm install, as docs/operations.md says, creates every object the chart renders, owned by the release', async () => {
    const args = documentedInstall();
    assert.ok(args.includes('--create-namespace') && args.includes(NAMESPACE), args.join(' '));
    const r = await h.run(args);
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /^STATUS: deployed$/m);
    assert.match(r.stderr, SPEAKER_PSA_WARNING);
    assert.deepEqual(unexpected(r.stderr), []);
    const live = await present();
    assert.deepEqual([...live.keys()].sort(), keys);
    for (const [key, o] of live) {
      const m = obj(o['metadata'], key);
      assert.equal(obj(m['annotations'], `${key} annotations`)['meta.helm.sh/release-name'], 'herald', key);
      assert.equal(obj(m['labels'], `${key} labels`)['app.kubernetes.io/managed-by'], 'Helm', key);
    }
    // --create-namespace made the namespace bare; the chart's server-side apply gave it the Pod
    // Security labels the speaker needs.
    const ns = obj(obj(live.get(`Namespace//${NAMESPACE}`), 'namespace')['metadata'], 'metadata');
    assert.equal(obj(ns['labels'], 'labels')['pod-security.kubernetes.io/enforce'], 'privileged');
    // No Secret but Helm's release record: the heartbeat key is the controller's to make.
    const secrets = (await k.ok(['-n', NAMESPACE, 'get', 'secrets', '-o', 'name'])).trim().split('\n');
    assert.deepEqual(secrets, ['secret/sh.helm.release.v1.herald.v1']);
    const list = arr(JSON.parse(await h.ok(['list', '-n', NAMESPACE, '-o', 'json'])), 'helm list');
    assert.deepEqual(list.map((x) => [obj(x, 'release')['name'], obj(x, 'release')['status']]), [['herald', 'deployed']]);
  });

  it('kubectl apply --server-side --dry-run=server of the rendered chart: every object accepted, none would change', async () => {
    const r = await k.run(['apply', '--server-side', '--dry-run=server', '-f', '-'], rendered);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(unexpected(r.stderr), []);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, keys.length, r.stdout);
    for (const l of lines) assert.match(l, / serverside-applied \(server dry run\)$/);
    // What Helm stored is what the chart renders, after the server's defaulting.
    const d = await k.run(['diff', '--server-side', '-f', '-'], rendered);
    assert.equal(d.code, 0, `kubectl diff --server-side of the rendered chart:\n${d.stdout}${d.stderr}`);
  });

  it('helm uninstall removes every object but the CRDs, which keep their IPPools', async () => {
    await k.ok(['apply', '-f', join(DEPLOY, 'examples', 'ippool-ipv4.yaml')]);
    const pools = await k.ok(['get', 'ippools', '-o', 'name']);
    assert.notEqual(pools.trim(), '');
    const r = await h.run(['uninstall', 'herald', '-n', NAMESPACE]);
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /These resources were kept due to the resource policy:/);
    const crds = keys.filter((key) => key.startsWith('CustomResourceDefinition/'));
    assert.equal(crds.length, 4);
    for (const key of crds) assert.ok(r.stdout.includes(key.split('/')[2] ?? '?'), `helm uninstall did not report ${key} as kept:\n${r.stdout}`);
    const live = await present();
    // This lab runs no kube-controller-manager, so a deleted Namespace stays Terminating here;
    // in a cluster the namespace controller then deletes what is left in it.
    const ns = live.get(`Namespace//${NAMESPACE}`);
    if (ns !== undefined) assert.equal(str(obj(ns['status'], 'status')['phase'], 'phase'), 'Terminating');
    assert.deepEqual([...live.keys()].filter((key) => !key.startsWith('Namespace/')).sort(), crds);
    assert.equal(await k.ok(['get', 'ippools', '-o', 'name']), pools, 'an IPPool went with the release');
    assert.deepEqual(JSON.parse(await h.ok(['list', '-n', NAMESPACE, '-o', 'json'])), []);
  });
});
