// The Helm chart deploy/chart/herald (issue #12), without an API server: `helm lint --strict` is
// clean; `helm template` renders valid YAML with the defaults and with values that set every
// documented value, and each value does what values.yaml says; the README lists every value with
// its default; and the default chart describes the same objects as `kubectl kustomize deploy/`
// once Helm's own labels and annotations are set aside, so the two installs cannot drift.
// chart-install.test.ts installs the chart on a real kube-apiserver.
import { after, before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMap, parse, parseDocument, type YAMLMap } from 'yaml';
import { BUILD_SCRIPT, findBinaries } from '../../src/controlplane/binaries.ts';
import { DEPLOY } from './crds.ts';
import { CHART, findHelm, HELM_LABELS, helmSession, keyOf, parseRendered, stderrProblems, withoutHelmMetadata } from './helm.ts';
import { kubectlSession, type KubectlSession } from './kubectl.ts';
import { arr, isObj, obj, str, type Obj } from './schema-check.ts';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';

const helm = findHelm();
const binaries = findBinaries();

/** What the chart renders beyond `kubectl kustomize deploy/` (the other way round: nothing). */
const CHART_ONLY = ['Service/herald-system/herald-controller-metrics', 'Service/herald-system/herald-speaker-metrics'];

const meta = (o: Obj): Obj => obj(o['metadata'], 'metadata');

function one(objects: readonly Obj[], kind: string, name?: string): Obj {
  const found = objects.filter((o) => o['kind'] === kind && (name === undefined || meta(o)['name'] === name));
  assert.equal(found.length, 1, `expected one ${kind} ${name ?? ''}, found ${found.length}`);
  return found[0] as Obj;
}

function podSpec(objects: readonly Obj[], kind: 'Deployment' | 'DaemonSet'): Obj {
  return obj(obj(obj(one(objects, kind)['spec'], 'spec')['template'], 'template')['spec'], 'pod spec');
}

function container(objects: readonly Obj[], kind: 'Deployment' | 'DaemonSet'): Obj {
  return obj(arr(podSpec(objects, kind)['containers'], 'containers')[0], 'container');
}

const args = (objects: readonly Obj[], kind: 'Deployment' | 'DaemonSet'): string[] => arr(container(objects, kind)['args'], 'args').map((a) => str(a, 'arg'));

/** The values.yaml paths with a `# --` comment (the documented values), in file order, with their defaults. */
function documentedValues(): Map<string, unknown> {
  const doc = parseDocument(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
  const out = new Map<string, unknown>();
  const walk = (map: YAMLMap, path: string[]): void => {
    map.items.forEach((pair, i) => {
      const key = [...path, String((pair.key as { value: unknown }).value)];
      // The comment above a map's first key belongs to the map in the yaml library's tree.
      const comment = (pair.key as { commentBefore?: string }).commentBefore ?? (i === 0 ? map.commentBefore : undefined);
      if (comment?.trimStart().startsWith('-- ') === true) out.set(key.join('.'), doc.getIn(key));
      else if (isMap(pair.value)) walk(pair.value, key);
      else assert.fail(`values.yaml: ${key.join('.')} has no "# -- " comment`);
    });
  };
  assert.ok(isMap(doc.contents));
  walk(doc.contents, []);
  return new Map([...out].map(([k, v]) => [k, (v as { toJSON?: () => unknown } | undefined)?.toJSON?.() ?? v]));
}

/** A non-default value for every documented value, and what each must change in the render. */
const EVERY_OPTION: Obj = {
  namespace: { name: 'lb-system', create: false },
  crds: { install: false },
  image: { repository: 'registry.example/herald', tag: '0.1.0', pullPolicy: 'Always' },
  imagePullSecrets: [{ name: 'regcred' }],
  controller: {
    replicas: 3,
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    nodeSelector: { 'node-role.kubernetes.io/control-plane': '' },
    tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }],
    extraArgs: ['--default-service-ipam=none'],
  },
  speaker: {
    logLevel: 'debug',
    nodeLeaseRenew: '5s',
    resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
    nodeSelector: { 'herald.dev/speaker': 'true' },
    tolerations: [{ operator: 'Exists' }],
    extraArgs: ['--default-service-ipam=none', '--fence-damping'],
  },
  serviceMonitor: { enabled: true, interval: '15s', labels: { release: 'prometheus' } },
};

const valueAt = (o: unknown, path: string): unknown => path.split('.').reduce<unknown>((v, k) => (isObj(v) ? v[k] : undefined), o);

const EFFECTS: Record<string, (r: Obj[]) => void> = {
  'namespace.name': (r) => {
    for (const o of r.filter((x) => meta(x)['namespace'] !== undefined)) assert.equal(meta(o)['namespace'], 'lb-system', keyOf(o));
    assert.ok(args(r, 'Deployment').includes('--namespace=lb-system'));
    assert.ok(args(r, 'DaemonSet').includes('--namespace=lb-system'));
    for (const b of r.filter((x) => x['kind'] === 'RoleBinding' || x['kind'] === 'ClusterRoleBinding')) {
      for (const s of arr(b['subjects'], 'subjects')) assert.equal(obj(s, 'subject')['namespace'], 'lb-system', keyOf(b));
    }
  },
  'namespace.create': (r) => assert.deepEqual(r.filter((o) => o['kind'] === 'Namespace'), []),
  'crds.install': (r) => assert.deepEqual(r.filter((o) => o['kind'] === 'CustomResourceDefinition'), []),
  'image.repository': (r) => {
    for (const k of ['Deployment', 'DaemonSet'] as const) assert.match(str(container(r, k)['image'], 'image'), /^registry\.example\/herald:/);
  },
  'image.tag': (r) => {
    for (const k of ['Deployment', 'DaemonSet'] as const) assert.match(str(container(r, k)['image'], 'image'), /:0\.1\.0$/);
  },
  'image.pullPolicy': (r) => {
    for (const k of ['Deployment', 'DaemonSet'] as const) assert.equal(container(r, k)['imagePullPolicy'], 'Always');
  },
  imagePullSecrets: (r) => {
    for (const k of ['Deployment', 'DaemonSet'] as const) assert.deepEqual(podSpec(r, k)['imagePullSecrets'], [{ name: 'regcred' }]);
  },
  'controller.replicas': (r) => assert.equal(obj(one(r, 'Deployment')['spec'], 'spec')['replicas'], 3),
  'controller.resources': (r) => assert.deepEqual(container(r, 'Deployment')['resources'], valueAt(EVERY_OPTION, 'controller.resources')),
  'controller.nodeSelector': (r) => assert.deepEqual(podSpec(r, 'Deployment')['nodeSelector'], valueAt(EVERY_OPTION, 'controller.nodeSelector')),
  'controller.tolerations': (r) => assert.deepEqual(podSpec(r, 'Deployment')['tolerations'], valueAt(EVERY_OPTION, 'controller.tolerations')),
  'controller.extraArgs': (r) => assert.deepEqual(args(r, 'Deployment').slice(-1), ['--default-service-ipam=none']),
  'speaker.logLevel': (r) => assert.ok(args(r, 'DaemonSet').includes('--log-level=debug')),
  'speaker.nodeLeaseRenew': (r) => assert.ok(args(r, 'DaemonSet').includes('--node-lease-renew=5s')),
  'speaker.resources': (r) => assert.deepEqual(container(r, 'DaemonSet')['resources'], valueAt(EVERY_OPTION, 'speaker.resources')),
  'speaker.nodeSelector': (r) => assert.deepEqual(podSpec(r, 'DaemonSet')['nodeSelector'], valueAt(EVERY_OPTION, 'speaker.nodeSelector')),
  'speaker.tolerations': (r) => assert.deepEqual(podSpec(r, 'DaemonSet')['tolerations'], valueAt(EVERY_OPTION, 'speaker.tolerations')),
  'speaker.extraArgs': (r) => assert.deepEqual(args(r, 'DaemonSet').slice(-2), ['--default-service-ipam=none', '--fence-damping']),
  'serviceMonitor.enabled': (r) => {
    const sm = one(r, 'ServiceMonitor', 'herald');
    assert.equal(sm['apiVersion'], 'monitoring.coreos.com/v1');
    const spec = obj(sm['spec'], 'spec');
    assert.deepEqual(obj(spec['namespaceSelector'], 'namespaceSelector')['matchNames'], ['lb-system']);
    // It selects both metrics Services, and the port it scrapes is theirs.
    const exprs = arr(obj(spec['selector'], 'selector')['matchExpressions'], 'matchExpressions').map((e) => obj(e, 'expression'));
    const selected = r.filter((o) => o['kind'] === 'Service').filter((s) => exprs.every((e) => e['operator'] === 'In' && arr(e['values'], 'values').includes(obj(meta(s)['labels'], 'labels')[str(e['key'], 'key')])));
    assert.deepEqual(selected.map((s) => meta(s)['name']).sort(), ['herald-controller-metrics', 'herald-speaker-metrics']);
    const port = obj(arr(spec['endpoints'], 'endpoints')[0], 'endpoint')['port'];
    for (const s of selected) assert.ok(arr(obj(s['spec'], 'spec')['ports'], 'ports').some((p) => obj(p, 'port')['name'] === port), String(meta(s)['name']));
    // The Prometheus Operator's own schema of monitoring.coreos.com/v1 ServiceMonitor (issue #12;
    // @kubernetes-models/prometheus-operator is generated from its CRD) accepts it; a bad interval
    // is refused by the same check, so the check is not vacuous.
    assert.doesNotThrow(() => new ServiceMonitor(structuredClone(sm) as unknown as IServiceMonitor).validate());
    const bad = structuredClone(sm) as unknown as IServiceMonitor;
    const first = bad.spec.endpoints?.[0];
    assert.ok(first !== undefined);
    first.interval = 'every 15 seconds' as typeof first.interval;
    assert.throws(() => new ServiceMonitor(bad).validate(), /interval/);
  },
  'serviceMonitor.interval': (r) => assert.equal(obj(arr(obj(one(r, 'ServiceMonitor')['spec'], 'spec')['endpoints'], 'endpoints')[0], 'endpoint')['interval'], '15s'),
  'serviceMonitor.labels': (r) => assert.equal(obj(meta(one(r, 'ServiceMonitor'))['labels'], 'labels')['release'], 'prometheus'),
};

test('a missing helm is one line that names the command building it', () => {
  // A cache folder that does not exist: nothing to make or clean up.
  const found = findHelm({ HERALD_CACHE: join(tmpdir(), `herald-no-cache-${process.pid}`) });
  assert.equal(found.ok, false);
  if (found.ok) return;
  assert.doesNotMatch(found.message, /\n/);
  assert.match(found.message, /^helm v4\.\d+\.\d+ is not built \(missing \S+\/helm-v4\.\d+\.\d+\/helm\); run \S+ once/);
  assert.ok(found.message.includes(BUILD_SCRIPT), found.message);
});

describe('the Helm chart deploy/chart/herald', { skip: helm.ok ? false : `needs the helm binary: ${helm.message}` }, () => {
  let h: KubectlSession;
  let renders = 0;
  before(async () => {
    if (helm.ok) h = await helmSession(helm.helm, '');
  });
  after(async () => h?.close());

  /** `helm template` of the chart, with `values` as a values file; stdout. */
  async function template(values?: Obj): Promise<string> {
    const extra: string[] = [];
    if (values !== undefined) {
      const file = join(h.dir, `values-${renders++}.json`);
      await writeFile(file, JSON.stringify(values));
      extra.push('--values', file);
    }
    const r = await h.run(['template', 'herald', CHART, ...extra]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(stderrProblems(r.stderr), [], 'helm template wrote to stderr');
    return r.stdout;
  }

  it('Chart.yaml: apiVersion v2, version 0.1.0, appVersion the image tag deploy/kustomization.yaml sets', () => {
    const chart = obj(parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')), 'Chart.yaml');
    const kustomization = obj(parse(readFileSync(join(DEPLOY, 'kustomization.yaml'), 'utf8')), 'kustomization.yaml');
    const image = arr(kustomization['images'], 'images').map((i) => obj(i, 'image')).find((i) => i['name'] === 'herald');
    assert.deepEqual([chart['apiVersion'], chart['name'], chart['version']], ['v2', 'herald', '0.1.0']);
    assert.equal(chart['appVersion'], image?.['newTag']);
  });

  it('helm lint --strict is clean, with the defaults and with every option set', async () => {
    const file = join(h.dir, 'every-option.json');
    await writeFile(file, JSON.stringify(EVERY_OPTION));
    for (const extra of [[], ['--values', file]]) {
      const r = await h.run(['lint', '--strict', CHART, ...extra]);
      assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /^1 chart\(s\) linted, 0 chart\(s\) failed$/m);
      // Only the icon recommendation (no public icon yet) may remain.
      const findings = r.stdout.split('\n').filter((l) => /^\[[A-Z]+\]/.test(l));
      assert.deepEqual(findings, ['[INFO] Chart.yaml: icon is recommended'], r.stdout);
      assert.deepEqual(stderrProblems(r.stderr), []);
    }
  });

  it('values.yaml documents every value with "# --", and the README lists each with its default', () => {
    const values = documentedValues();
    assert.ok(values.size >= 20, `found only ${values.size} documented values`);
    const readme = readFileSync(join(CHART, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n## Values\n')).split(/\n## /)[1] ?? '';
    const rows = section.split('\n').filter((l) => l.startsWith('| `')).map((l) => l.split(' | '));
    const listed = rows.map((cells) => [/^\| `([^`]+)`$/.exec(cells[0] ?? '')?.[1], /^`(.*)`$/.exec(cells[1] ?? '')?.[1]]);
    assert.deepEqual(listed, [...values].map(([path, v]) => [path, JSON.stringify(v)]));
  });

  it('renders valid YAML, the same on every run, and never a Secret (the controller makes the heartbeat key)', async () => {
    const first = await template();
    assert.equal(await template(), first, 'two renders differ: something random in the chart');
    const objects = parseRendered(first, 'helm template');
    assert.deepEqual(objects.filter((o) => o['kind'] === 'Secret'), []);
    // The volume the speaker mounts names the Secret the controller creates (src/controller/heartbeat-secret.ts).
    const volumes = arr(podSpec(objects, 'DaemonSet')['volumes'], 'volumes').map((v) => obj(v, 'volume'));
    assert.equal(obj(volumes.find((v) => v['name'] === 'heartbeat-key')?.['secret'], 'secret')['secretName'], 'herald-heartbeat-key');
  });

  it('the metrics Services select the workloads\' Pods and name a port they serve', async () => {
    const objects = parseRendered(await template(), 'helm template');
    for (const [service, kind] of [['herald-controller-metrics', 'Deployment'], ['herald-speaker-metrics', 'DaemonSet']] as const) {
      const spec = obj(one(objects, 'Service', service)['spec'], 'spec');
      assert.equal(spec['clusterIP'], 'None', `${service} is headless`);
      const podLabels = obj(meta(obj(obj(one(objects, kind)['spec'], 'spec')['template'], 'template')), 'metadata')['labels'];
      assert.deepEqual(spec['selector'], podLabels, service);
      const ports = arr(container(objects, kind)['ports'], 'ports').map((p) => obj(p, 'port')['name']);
      for (const p of arr(spec['ports'], 'ports')) assert.ok(ports.includes(obj(p, 'port')['targetPort']), service);
    }
  });

  it('a values file setting every documented value renders valid YAML, and each value has its effect', async () => {
    const values = documentedValues();
    assert.deepEqual(Object.keys(EFFECTS).sort(), [...values.keys()].sort(), 'one effect per documented value');
    for (const [path, def] of values) assert.notDeepEqual(valueAt(EVERY_OPTION, path), def, `${path} is set to its default`);
    const objects = parseRendered(await template(EVERY_OPTION), 'helm template --values every-option');
    for (const [path, check] of Object.entries(EFFECTS)) {
      try {
        check(objects);
      } catch (err) {
        assert.fail(`${path}: ${(err as Error).message}`);
      }
    }
  });

  it('the default chart describes the objects of kubectl kustomize deploy/, but for Helm\'s metadata and the metrics Services', { skip: binaries.ok ? false : `needs the kubectl binary: ${binaries.ok ? '' : binaries.message}` }, async () => {
    if (!binaries.ok) return;
    const k = await kubectlSession(binaries.value.kubectl, '');
    let kustomized: Obj[];
    try {
      kustomized = parseRendered(await k.ok(['kustomize', DEPLOY]), 'kubectl kustomize deploy/');
    } finally {
      await k.close();
    }
    const charted = parseRendered(await template(), 'helm template');
    // Helm's labels are on every object the chart renders (so setting them aside hides nothing else).
    for (const o of charted) for (const l of HELM_LABELS) assert.ok(l in obj(meta(o)['labels'], `${keyOf(o)} labels`), `${keyOf(o)} has no ${l}`);
    const chartKeys = charted.map(keyOf).sort();
    assert.deepEqual(chartKeys.filter((key) => !CHART_ONLY.includes(key)), kustomized.map(keyOf).sort());
    for (const key of CHART_ONLY) assert.ok(chartKeys.includes(key), `${key} is no longer rendered: update CHART_ONLY`);
    const byKey = new Map(charted.map((o) => [keyOf(o), withoutHelmMetadata(o)]));
    for (const o of kustomized) assert.deepEqual(byKey.get(keyOf(o)), o, `${keyOf(o)} differs between the chart and deploy/`);
  });
});
