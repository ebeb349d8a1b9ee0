// deploy/grafana/herald-dashboard.json and deploy/prometheus/herald-rules.yaml (issue #12): every
// PromQL expression in them names only metrics Herald registers, with labels those metrics carry,
// read from the real registries (createMetrics, createSpeakerMetrics) and not from a second list;
// docs/metrics.md "Alert rules" and the rules file hold the same alerts; the dashboard's panels
// have unique ids and titles, a unit each, and no hard-coded data source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import { Histogram, Summary } from 'prom-client';
import type { Registry } from 'prom-client';
import { createMetrics } from '../../src/observability/metrics.ts';
import { createSpeakerMetrics } from '../../src/speaker/metrics.ts';
import { arr, isObj, obj, str } from './schema-check.ts';
import { findDashboardCheck } from './dashboard-check.ts';
import type { Obj } from './schema-check.ts';

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const DASHBOARD = obj(JSON.parse(read('deploy/grafana/herald-dashboard.json')), 'dashboard');
const RULES_TEXT = read('deploy/prometheus/herald-rules.yaml');
const RULES = obj(parse(RULES_TEXT, { uniqueKeys: true, prettyErrors: true }), 'herald-rules.yaml'); // throws on any YAML error

// ---- Which metrics an expression selects, and which labels it names ----------------------------
// Read from the syntax tree of the Prometheus project's own PromQL grammar (@prometheus-io/lezer-promql,
// the parser of Prometheus's web UI), so nothing PromQL allows is misread and nothing it refuses passes.

interface Selector { metric: string; labels: string[] }
interface PromqlRefs { selectors: Selector[]; grouping: string[] }

/**
 * Grafana's variables are no PromQL: its interval variables become a duration, any other
 * variable a number (label values are strings, where a variable changes nothing that is read).
 */
function withoutGrafanaVariables(expr: string): string {
  return expr.replace(/\$\{?__(?:rate_interval|interval|range)(?:_ms|_s)?\}?/g, '5m').replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, '1');
}

function promqlRefs(expr: string): PromqlRefs {
  const text = withoutGrafanaVariables(expr);
  const selectors: Selector[] = [];
  const grouping: string[] = [];
  const labelNames = (node: SyntaxNode | null): string[] => {
    const out: string[] = [];
    for (let c = node?.firstChild ?? null; c !== null; c = c.nextSibling) {
      if (c.name === 'LabelName') out.push(text.slice(c.from, c.to));
      else if (c.name.endsWith('LabelMatcher')) out.push(...labelNames(c));
    }
    return out;
  };
  parser.parse(text).iterate({
    enter: (n) => {
      if (n.type.isError) throw new Error(`not PromQL at ${n.from} of ${JSON.stringify(expr)}`);
      if (n.name === 'VectorSelector') {
        const metric = n.node.getChild('Identifier');
        if (metric === null) throw new Error(`a selector without a metric name in ${JSON.stringify(expr)}`);
        selectors.push({ metric: text.slice(metric.from, metric.to), labels: labelNames(n.node.getChild('LabelMatchers')) });
      } else if (n.name === 'GroupingLabels') grouping.push(...labelNames(n.node));
    },
  });
  return { selectors, grouping };
}

test('the PromQL reader finds metrics and labels, not functions, keywords, label values or durations', () => {
  const cases: [string, Selector[], string[]][] = [
    ['max(herald_controller_is_leader) < 1 or absent(herald_controller_is_leader)',
      [{ metric: 'herald_controller_is_leader', labels: [] }, { metric: 'herald_controller_is_leader', labels: [] }], []],
    ['herald_ipam_pool_addresses{state="available"}\n  / ignoring(state) herald_ipam_pool_addresses{state="total"} < 0.1',
      [{ metric: 'herald_ipam_pool_addresses', labels: ['state'] }, { metric: 'herald_ipam_pool_addresses', labels: ['state'] }], ['state']],
    // A label value that looks like a selector, with an escaped quote; a single-quoted value.
    ['sum by (instance, code) (increase(a_total{code=~"b_total{x=\\"y\\"}|c", d!~\'e f\'}[5m])) > 0',
      [{ metric: 'a_total', labels: ['code', 'd'] }], ['instance', 'code']],
    ['histogram_quantile(0.99, sum by (le) (rate(h_bucket{instance=~"$node"}[$__rate_interval])))',
      [{ metric: 'h_bucket', labels: ['instance'] }], ['le']],
    // Aggregation with the clause after it, vector matching, offset, @, a subquery, a comment,
    // numbers in three notations, `bool`, a keyword in capitals, label_replace's string arguments.
    ['sum(rate(a[5m] offset 1h)) without (job) * on (instance) group_left (node) b unless c @ end() # d_total\n'
      + '+ max_over_time(rate(e[5m])[1h:1m]) > bool 1e-3 AND f > 0x1F\n'
      + 'or label_replace(g, "dst", "$1", "src", "(.*)") > .5',
      ['a', 'b', 'c', 'e', 'f', 'g'].map((metric) => ({ metric, labels: [] })), ['job', 'instance', 'node']],
    ['topk(3, sum by (pool) (herald_ipam_allocations_total)) > ${threshold}', [{ metric: 'herald_ipam_allocations_total', labels: [] }], ['pool']],
  ];
  for (const [expr, selectors, grouping] of cases) assert.deepEqual(promqlRefs(expr), { selectors, grouping }, expr);
});

test('the PromQL reader refuses what PromQL refuses, and a selector it cannot name, rather than miss a name', () => {
  for (const bad of ['a{b="c}', 'a{b}', 'rate(a[5m)', 'sum by (a (b)', 'a{b="c"', 'a +', 'sum(a) by', 'rate(a[5m]']) assert.throws(() => promqlRefs(bad), /not PromQL/, bad);
  assert.throws(() => promqlRefs('{__name__="a"}'), /without a metric name/);
});

// ---- What Herald exports -----------------------------------------------------------------------

/** Labels Prometheus attaches to every scraped series (prometheus.io, "Jobs and instances"). */
const TARGET_LABELS = ['instance', 'job'];

function labelNamesOf(metric: object): string[] {
  const names: unknown = (metric as Record<string, unknown>)['labelNames'];
  return Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : [];
}

/** Every series name the registries expose, with its labels: histograms as _bucket (+ le), _sum, _count. */
function exported(registries: readonly Registry[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (name: string, labels: readonly string[]): void => {
    out.set(name, new Set([...(out.get(name) ?? []), ...labels, ...TARGET_LABELS]));
  };
  for (const registry of registries) {
    for (const m of registry.getMetricsAsArray()) {
      const labels = labelNamesOf(m);
      if (m instanceof Histogram || m instanceof Summary) {
        if (m instanceof Histogram) add(`${m.name}_bucket`, [...labels, 'le']);
        else add(m.name, [...labels, 'quantile']);
        add(`${m.name}_sum`, labels);
        add(`${m.name}_count`, labels);
      } else add(m.name, labels);
    }
  }
  return out;
}

// With the prom-client defaults, so herald_process_* and herald_nodejs_* are in.
const EXPORTED = exported([createMetrics().registry, createSpeakerMetrics().registry]);

/** What is wrong with one expression: unknown metrics, labels a metric lacks, grouping by nothing. */
function problems(expr: string, where: string): string[] {
  const refs = promqlRefs(expr);
  const out = refs.selectors.length === 0 ? [`${where}: names no metric`] : [];
  const known = new Set(TARGET_LABELS);
  for (const s of refs.selectors) {
    const labels = EXPORTED.get(s.metric);
    if (labels === undefined) {
      out.push(`${where}: ${s.metric} is not a metric Herald exports`);
      continue;
    }
    for (const l of labels) known.add(l);
    for (const l of s.labels) if (!labels.has(l)) out.push(`${where}: ${s.metric} has no label ${l}`);
  }
  for (const l of refs.grouping) if (!known.has(l)) out.push(`${where}: groups by ${l}, a label of none of its metrics`);
  return out;
}

test('the exported names come from the registries: histograms by their series, runtime metrics prefixed', () => {
  for (const n of ['herald_l2_failover_seconds_bucket', 'herald_l2_failover_seconds_count', 'herald_ipam_reconcile_duration_seconds_sum', 'herald_process_cpu_seconds_total', 'herald_process_resident_memory_bytes', 'herald_nodejs_eventloop_lag_p99_seconds', 'herald_nodejs_gc_duration_seconds_bucket']) assert.ok(EXPORTED.has(n), n);
  assert.ok(!EXPORTED.has('herald_l2_failover_seconds'), 'a histogram is read through its series only');
  assert.deepEqual([...(EXPORTED.get('herald_l2_failover_seconds_bucket') ?? [])].sort(), ['instance', 'job', 'le']);
  assert.deepEqual(problems('sum by (famly) (herald_l2_vips_held{family="ipv4", node="a"}) + herald_l2_vip_held', 'typo'), [
    'typo: herald_l2_vips_held has no label node',
    'typo: herald_l2_vip_held is not a metric Herald exports',
    'typo: groups by famly, a label of none of its metrics',
  ]);
});

// ---- The dashboard -----------------------------------------------------------------------------

/** Every panel, rows and the panels of collapsed rows included, in order. */
function panels(): Obj[] {
  const out: Obj[] = [];
  for (const p of arr(DASHBOARD['panels'], 'panels')) {
    const panel = obj(p, 'panel');
    out.push(panel, ...(Array.isArray(panel['panels']) ? panel['panels'].map((q) => obj(q, 'panel')) : []));
  }
  return out;
}

const variables = (): Obj[] => arr(obj(DASHBOARD['templating'], 'templating')['list'], 'templating.list').map((v) => obj(v, 'variable'));

/** Every PromQL query of the dashboard with where it is; `label_values(sel, label)` as `sel` and `label`. */
function dashboardQueries(): { where: string; expr: string; label?: string }[] {
  const out: { where: string; expr: string; label?: string }[] = [];
  for (const p of panels()) {
    for (const t of Array.isArray(p['targets']) ? p['targets'] : []) out.push({ where: `panel "${String(p['title'])}"`, expr: str(obj(t, 'target')['expr'], 'expr') });
  }
  for (const v of variables().filter((x) => x['type'] === 'query')) {
    const q = isObj(v['query']) ? v['query']['query'] : v['query'];
    const m = /^\s*label_values\(\s*(.+?)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$/s.exec(str(q, 'variable query'));
    assert.ok(m?.[1] !== undefined && m[2] !== undefined, `variable ${String(v['name'])}: label_values(selector, label) expected`);
    out.push({ where: `variable $${String(v['name'])}`, expr: m[1], label: m[2] });
  }
  return out;
}

test('the dashboard parses: schema 39 or later, a Prometheus data source variable, $node and $peer from label values', () => {
  assert.ok(typeof DASHBOARD['schemaVersion'] === 'number' && DASHBOARD['schemaVersion'] >= 39, `schemaVersion ${String(DASHBOARD['schemaVersion'])}`);
  assert.equal(typeof DASHBOARD['title'], 'string');
  const byName = new Map(variables().map((v) => [v['name'], v]));
  assert.equal(byName.get('datasource')?.['type'], 'datasource');
  assert.equal(byName.get('datasource')?.['query'], 'prometheus');
  for (const name of ['node', 'peer']) assert.match(JSON.stringify(byName.get(name)?.['query']), /label_values\(/, name);
  assert.equal(dashboardQueries().find((q) => q.where === 'variable $peer')?.label, 'peer');
});

const dashboardCheck = findDashboardCheck();

test('Grafana\'s own schema accepts the dashboard (the Foundation SDK\'s strict decoder: no unknown field, no wrong type, no required field missing), and refuses a broken copy', { skip: dashboardCheck.ok ? false : `needs dashboard-check: ${dashboardCheck.ok ? '' : dashboardCheck.message}` }, () => {
  assert.ok(dashboardCheck.ok);
  const file = fileURLToPath(new URL('../../deploy/grafana/herald-dashboard.json', import.meta.url));
  const good = spawnSync(dashboardCheck.path, [file], { encoding: 'utf8' });
  assert.equal(good.status, 0, good.stdout + good.stderr);
  assert.match(good.stdout, /: ok \(\d+ panels\)/);
  // The control: a panel with a field the schema does not know, and a stat panel without a required option.
  const broken = structuredClone(DASHBOARD);
  const panels = arr(broken['panels'], 'panels').map((p) => obj(p, 'panel'));
  const first = panels.find((p) => p['type'] === 'timeseries');
  const stat = obj(panels.find((p) => p['type'] === 'stat')?.['options'], 'stat options');
  assert.ok(first !== undefined);
  first['colour'] = 'red';
  delete stat['wideLayout'];
  const dir = mkdtempSync(join(tmpdir(), 'herald-dashboard-'));
  try {
    writeFileSync(join(dir, 'broken.json'), JSON.stringify(broken));
    const bad = spawnSync(dashboardCheck.path, [join(dir, 'broken.json')], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /unexpected field 'colour'/);
    assert.match(bad.stdout, /wideLayout: required field is missing/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no hard-coded data source: every Prometheus reference is ${datasource}', () => {
  const seen: string[] = [];
  const walk = (v: unknown, path: string): void => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (isObj(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'datasource' && !(isObj(x) && x['type'] === 'grafana')) {
          assert.ok(isObj(x) && x['type'] === 'prometheus' && x['uid'] === '${datasource}', `${path}.datasource is ${JSON.stringify(x)}`);
          seen.push(path);
        } else walk(x, `${path}.${k}`);
      }
    }
  };
  walk(DASHBOARD['panels'], 'panels');
  walk(variables().filter((v) => v['type'] === 'query'), 'templating');
  assert.ok(seen.length > panels().length, 'every panel and query names its data source');
  assert.ok(!JSON.stringify(DASHBOARD).includes('${DS_'), 'no import-time __inputs data source');
});

test('panels: unique ids and titles, grouped under rows, each with a unit and a query, not overlapping', () => {
  const all = panels();
  const ids = all.map((p) => p['id']);
  assert.equal(new Set(ids).size, ids.length, `duplicate ids: ${ids.join(',')}`);
  const titles = all.map((p) => str(p['title'], 'title'));
  assert.deepEqual(titles.filter((t, i) => titles.indexOf(t) !== i), [], 'duplicate titles');
  assert.equal(all[0]?.['type'], 'row', 'the first panel is a row');
  const top = new Set(arr(DASHBOARD['panels'], 'panels')); // a collapsed row's panels keep their open places
  const boxes: { title: string; x: number; y: number; w: number; h: number }[] = [];
  for (const p of all) {
    const g = obj(p['gridPos'], `gridPos of ${String(p['title'])}`);
    const box = { title: String(p['title']), x: Number(g['x']), y: Number(g['y']), w: Number(g['w']), h: Number(g['h']) };
    assert.ok(box.x >= 0 && box.w > 0 && box.x + box.w <= 24 && box.h > 0, `${box.title}: gridPos ${JSON.stringify(g)}`);
    const hit = !top.has(p) ? undefined : boxes.find((b) => b.x < box.x + box.w && box.x < b.x + b.w && b.y < box.y + box.h && box.y < b.y + b.h);
    assert.equal(hit, undefined, `${box.title} overlaps ${hit?.title ?? ''}`);
    if (top.has(p)) boxes.push(box);
    if (p['type'] === 'row') continue;
    assert.ok(typeof obj(obj(p['fieldConfig'], 'fieldConfig')['defaults'], 'defaults')['unit'] === 'string', `${String(p['title'])}: no unit`);
    assert.ok(arr(p['targets'], 'targets').length > 0, `${String(p['title'])}: no query`);
  }
});

test('every dashboard query and variable names only metrics Herald exports, with labels they carry', () => {
  const queries = dashboardQueries();
  assert.ok(queries.length >= 30, `only ${queries.length} queries found`);
  const found: string[] = [];
  for (const q of queries) {
    found.push(...problems(q.expr, q.where));
    const metrics = promqlRefs(q.expr).selectors.map((s) => s.metric);
    if (q.label !== undefined && !metrics.some((m) => EXPORTED.get(m)?.has(q.label ?? ''))) found.push(`${q.where}: no label ${q.label}`);
  }
  assert.deepEqual(found, []);
});

// ---- The alert rules ---------------------------------------------------------------------------

interface Rule { alert: string; expr: string; for: string; labels: Obj; annotations: Obj }

function rulesOf(groupsOwner: Obj, what: string): Rule[] {
  return arr(groupsOwner['groups'], `${what} groups`).flatMap((g) => arr(obj(g, 'group')['rules'], `${what} rules`).map((r) => {
    const rule = obj(r, 'rule');
    return {
      alert: str(rule['alert'], `${what} alert`),
      expr: str(rule['expr'], `${what} expr`).trimEnd(),
      for: typeof rule['for'] === 'string' ? rule['for'] : '',
      labels: isObj(rule['labels']) ? rule['labels'] : {},
      annotations: isObj(rule['annotations']) ? rule['annotations'] : {},
    };
  }));
}

const FILE_RULES = rulesOf(obj(RULES['spec'], 'spec'), 'herald-rules.yaml');

function docRules(): Rule[] {
  const section = read('docs/metrics.md').split('\n## Alert rules\n')[1]?.split(/\n## /)[0];
  const block = /```yaml\n([\s\S]*?)```/.exec(section ?? '')?.[1];
  assert.ok(block !== undefined, 'docs/metrics.md: a yaml block under "## Alert rules"');
  return rulesOf(obj(parse(block), 'docs/metrics.md rules'), 'docs/metrics.md');
}

test('the rules file is a PrometheusRule in herald-system; each rule has for, a severity, a summary, a description and a threshold comment', () => {
  assert.equal(RULES['apiVersion'], 'monitoring.coreos.com/v1');
  assert.equal(RULES['kind'], 'PrometheusRule');
  assert.equal(obj(RULES['metadata'], 'metadata')['namespace'], 'herald-system');
  assert.ok(FILE_RULES.length >= 17, `${FILE_RULES.length} rules`);
  const lines = RULES_TEXT.split('\n');
  for (const r of FILE_RULES) {
    assert.match(r.for, /^[0-9]+[smh]$/, `${r.alert}: for`);
    assert.ok(['critical', 'warning'].includes(String(r.labels['severity'])), `${r.alert}: severity ${String(r.labels['severity'])}`);
    for (const a of ['summary', 'description']) assert.ok(typeof r.annotations[a] === 'string' && r.annotations[a] !== '', `${r.alert}: ${a}`);
    // The comment lines right above `- alert: NAME` give the reason for the threshold.
    let at = lines.findIndex((l) => l.trim() === `- alert: ${r.alert}`);
    assert.ok(at > 0, r.alert);
    const comment: string[] = [];
    while (lines[at - 1]?.trim().startsWith('#') === true) comment.unshift(lines[--at] ?? '');
    assert.match(comment.join(' '), /# Threshold: \S/, `${r.alert}: no "Threshold:" comment above it`);
  }
});

test('every alert rule names only metrics Herald exports, and its annotations only labels it has', () => {
  const found: string[] = [];
  for (const r of FILE_RULES) {
    found.push(...problems(r.expr, r.alert));
    const refs = promqlRefs(r.expr);
    const labels = new Set([...TARGET_LABELS, ...refs.grouping, ...refs.selectors.flatMap((s) => [...(EXPORTED.get(s.metric) ?? [])])]);
    for (const text of Object.values(r.annotations).map(String)) {
      for (const [, l] of text.matchAll(/\$labels\.([A-Za-z_][A-Za-z0-9_]*)/g)) if (l !== undefined && !labels.has(l)) found.push(`${r.alert}: annotation names $labels.${l}`);
    }
  }
  assert.deepEqual(found, []);
});

test('docs/metrics.md and the rules file hold the same alerts, with the same expressions and for', () => {
  const doc = docRules();
  const file = new Map(FILE_RULES.map((r) => [r.alert, r]));
  assert.equal(file.size, FILE_RULES.length, 'an alert name appears twice in the rules file');
  assert.deepEqual(doc.map((r) => r.alert).sort(), [...file.keys()].sort());
  for (const d of doc) {
    assert.equal(file.get(d.alert)?.expr, d.expr, `${d.alert}: expr`);
    assert.equal(file.get(d.alert)?.for, d.for, `${d.alert}: for`);
  }
});
