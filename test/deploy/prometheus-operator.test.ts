// api-suite: the chart's ServiceMonitor and deploy/prometheus/herald-rules.yaml beside a running
// Prometheus Operator (issue #12), on a real kube-apiserver: the operator's own CRDs accept both
// (server-side validation, not a copy of their schema), and the operator, given a Prometheus that
// selects them, writes a scrape configuration that finds both metrics Services by their labels and
// port, and a rule file with every alert. Prometheus's own `promtool check config` accepts the
// configuration it wrote. On the stand-in this suite is skipped (it serves no OpenAPI, no CRD
// validation of foreign groups, no StatefulSets).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { parse } from 'yaml';
import { CHART, findHelm, helmSession, parseRendered } from './helm.ts';
import { REAL_ONLY, eventually, startKubectlCluster, type KubectlCluster, type KubectlSession } from './kubectl.ts';
import { OPERATOR_CRDS, findPrometheusOperator, startOperator, type RunningOperator } from './prometheus-operator.ts';
import { alertNames, findPromtool } from './promtool.ts';
import { arr, obj, str, type Obj } from './schema-check.ts';

const NAMESPACE = 'herald-system';
const RULES_FILE = fileURLToPath(new URL('../../deploy/prometheus/herald-rules.yaml', import.meta.url));
const helm = findHelm();
const operator = findPrometheusOperator();
const promtool = findPromtool();
const SKIP = REAL_ONLY !== false ? REAL_ONLY : !helm.ok ? `needs the helm binary: ${helm.message}` : !operator.ok ? `needs the Prometheus Operator: ${operator.message}` : false;

/** The Prometheus a kube-prometheus-stack install would have: it selects by `release`, rules by name. */
const PROMETHEUS = `apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata:
  name: prom
  namespace: ${NAMESPACE}
spec:
  serviceMonitorSelector: { matchLabels: { release: prom } }
  serviceMonitorNamespaceSelector: {}
  ruleSelector: { matchLabels: { app.kubernetes.io/name: herald } }
  ruleNamespaceSelector: {}
`;

/** A relabel rule of a generated scrape job, as Prometheus reads it. */
interface Relabel { action: string; source_labels: string[]; regex: string }

function relabels(job: Obj): Relabel[] {
  return arr(job['relabel_configs'], 'relabel_configs').map((r) => {
    const o = obj(r, 'relabel_config');
    return { action: typeof o['action'] === 'string' ? o['action'] : 'replace', source_labels: Array.isArray(o['source_labels']) ? o['source_labels'].map(String) : [], regex: typeof o['regex'] === 'string' ? o['regex'] : '(.*)' };
  });
}

/**
 * Does a target with these discovery labels pass every keep rule that reads discovery labels
 * (Prometheus anchors its regexes)? The operator's sharding rules read labels its own hashmod
 * computes; with one shard they keep every target, and they are Prometheus's, not the chart's.
 */
function kept(rules: readonly Relabel[], meta: Readonly<Record<string, string>>): boolean {
  return rules.filter((r) => r.action === 'keep' && r.source_labels.every((l) => l.startsWith('__meta_kubernetes_'))).every((r) => new RegExp(`^(?:${r.regex})$`).test(r.source_labels.map((l) => meta[l] ?? '').join(';')));
}

describe('the ServiceMonitor and the alert rules beside a running Prometheus Operator, on a real kube-apiserver', { skip: SKIP }, () => {
  let k: KubectlCluster;
  let h: KubectlSession;
  let op: RunningOperator | undefined;
  let rendered: Obj[];
  before(async () => {
    if (!helm.ok || !operator.ok) return;
    k = await startKubectlCluster();
    h = await helmSession(helm.helm, k.cp.kubeconfigYaml());
    await k.ok(['apply', '--server-side', ...operator.crdFiles.flatMap((f) => ['-f', f])]);
    await k.ok(['wait', '--for=condition=Established', '--timeout=60s', ...OPERATOR_CRDS.map((name) => `crd/${name}.monitoring.coreos.com`)]);
    op = startOperator(operator.operator, join(k.dir, 'kubeconfig'), NAMESPACE);
  });
  after(async () => {
    await op?.stop();
    await h?.close();
    await k?.close();
  });

  const serviceMonitorArgs = ['--set', 'serviceMonitor.enabled=true', '--set', 'serviceMonitor.labels.release=prom'];

  it('helm install with serviceMonitor.enabled: the operator\'s ServiceMonitor CRD accepts what the chart renders', async () => {
    const r = await h.run(['install', 'herald', CHART, '-n', NAMESPACE, '--create-namespace', ...serviceMonitorArgs]);
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    rendered = parseRendered(await h.ok(['get', 'manifest', 'herald', '-n', NAMESPACE]), 'helm get manifest');
    const sm = obj(JSON.parse(await k.ok(['-n', NAMESPACE, 'get', 'servicemonitor', 'herald', '-o', 'json'])), 'ServiceMonitor');
    assert.equal(obj(obj(sm['metadata'], 'metadata')['labels'], 'labels')['release'], 'prom');
  });

  it('the PrometheusRule of deploy/prometheus is accepted by the operator\'s CRD', async () => {
    const r = await k.run(['apply', '--server-side', '-f', RULES_FILE]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /prometheusrule.monitoring.coreos.com\/herald serverside-applied/);
  });

  it('the operator writes a scrape job that keeps both metrics Services on their metrics port, and a rule file with every alert; promtool accepts the configuration', async () => {
    await k.ok(['apply', '-f', '-'], PROMETHEUS);
    const secret = await eventually(async () => {
      const got = await k.run(['-n', NAMESPACE, 'get', 'secret', 'prometheus-prom', '-o', 'json']);
      if (got.code !== 0) throw new Error(`no configuration Secret yet: ${got.stderr}\n--- operator log ---\n${op?.log().slice(-3000) ?? ''}`);
      return obj(JSON.parse(got.stdout), 'Secret');
    }, 60_000);
    const gz = str(obj(secret['data'], 'data')['prometheus.yaml.gz'], 'prometheus.yaml.gz');
    const configText = gunzipSync(Buffer.from(gz, 'base64')).toString('utf8');
    const config = obj(parse(configText), 'prometheus.yaml');
    const jobs = arr(config['scrape_configs'], 'scrape_configs').map((j) => obj(j, 'scrape_config'));
    const job = jobs.find((j) => j['job_name'] === `serviceMonitor/${NAMESPACE}/herald/0`);
    assert.ok(job !== undefined, `no job for the ServiceMonitor in:\n${configText}`);
    assert.equal(job['metrics_path'], '/metrics');
    assert.equal(job['scrape_interval'], '30s');
    const sd = obj(arr(job['kubernetes_sd_configs'], 'kubernetes_sd_configs')[0], 'kubernetes_sd_config');
    assert.deepEqual(obj(sd['namespaces'], 'namespaces')['names'], [NAMESPACE]);
    // Every metrics Service the chart renders passes the job's keep rules with its labels and port name.
    const rules = relabels(job);
    const services = rendered.filter((o) => o['kind'] === 'Service');
    assert.equal(services.length, 2, 'the controller and speaker metrics Services');
    const serviceLabels = (o: Obj): Record<string, string> => {
      const labels = obj(obj(o['metadata'], 'metadata')['labels'], 'labels');
      return Object.fromEntries(Object.entries(labels).flatMap(([key, v]) => [[`__meta_kubernetes_service_label_${key.replace(/[^a-zA-Z0-9_]/g, '_')}`, String(v)], [`__meta_kubernetes_service_labelpresent_${key.replace(/[^a-zA-Z0-9_]/g, '_')}`, 'true']]));
    };
    const role = str(sd['role'], 'role');
    const portLabel = role === 'endpointslice' ? '__meta_kubernetes_endpointslice_port_name' : '__meta_kubernetes_endpoint_port_name';
    for (const svc of services) {
      const name = str(obj(svc['metadata'], 'metadata')['name'], 'name');
      const port = str(obj(arr(obj(svc['spec'], 'spec')['ports'], 'ports')[0], 'port')['name'], 'port name');
      const meta = { ...serviceLabels(svc), __meta_kubernetes_service_name: name, __meta_kubernetes_namespace: NAMESPACE, [portLabel]: port };
      assert.ok(kept(rules, meta), `${name} (port ${port}, ${JSON.stringify(meta)}) is dropped by the keep rules of the job:\n${JSON.stringify(rules.filter((r) => r.action === 'keep'))}`);
      assert.ok(!kept(rules, { ...meta, [portLabel]: 'http' }), `${name}: another port would be scraped too`);
    }
    // The rule file the operator mounts into Prometheus holds every alert of the PrometheusRule.
    const cm = obj(JSON.parse(await k.ok(['-n', NAMESPACE, 'get', 'configmap', 'prometheus-prom-rulefiles-0', '-o', 'json'])), 'ConfigMap');
    const files = Object.values(obj(cm['data'], 'data')).map((v) => obj(parse(String(v)), 'rule file'));
    const ours = alertNames(obj(parse(readFileSync(RULES_FILE, 'utf8')), 'PrometheusRule')['spec']);
    assert.deepEqual(files.flatMap(alertNames), ours);
    // Prometheus's own parser accepts the configuration the operator generated.
    if (promtool.ok) {
      const dir = mkdtempSync(join(tmpdir(), 'herald-promconfig-'));
      try {
        writeFileSync(join(dir, 'prometheus.yaml'), configText);
        const check = spawnSync(promtool.path, ['check', 'config', '--syntax-only', 'prometheus.yaml'], { cwd: dir, encoding: 'utf8' });
        assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});
