// The alert rules of deploy/prometheus/herald-rules.yaml, run by Prometheus's own rule engine
// (issue #12): `promtool check rules` accepts them, and `promtool test rules` runs the unit tests
// of deploy/prometheus/herald-rules.test.yaml (each rule fires after its `for:` with its labels
// and rendered annotations, and stays quiet short of its threshold). Every alert has a test that
// expects it to fire, and a broken rule makes the tests fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { arr, obj, str } from './schema-check.ts';
import { alertNames, findPromtool } from './promtool.ts';

const path = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const RULES = obj(parse(readFileSync(path('deploy/prometheus/herald-rules.yaml'), 'utf8')), 'herald-rules.yaml');
const TESTS = obj(parse(readFileSync(path('deploy/prometheus/herald-rules.test.yaml'), 'utf8')), 'herald-rules.test.yaml');
const promtool = findPromtool();

/** Runs promtool on a copy of the tests beside `spec` written as a plain rule file; its output and status. */
function runPromtool(spec: unknown): { check: ReturnType<typeof spawnSync>; tests: ReturnType<typeof spawnSync> } {
  assert.ok(promtool.ok);
  const dir = mkdtempSync(join(tmpdir(), 'herald-promtool-'));
  try {
    // promtool reads Prometheus rule files: the PrometheusRule's spec is one.
    writeFileSync(join(dir, 'herald-rules.rules.yaml'), stringify(spec));
    copyFileSync(path('deploy/prometheus/herald-rules.test.yaml'), join(dir, 'herald-rules.test.yaml'));
    const run = (...args: string[]): ReturnType<typeof spawnSync> => spawnSync(promtool.path, args, { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    return { check: run('check', 'rules', 'herald-rules.rules.yaml'), tests: run('test', 'rules', 'herald-rules.test.yaml') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const needs = { skip: promtool.ok ? false : `needs promtool: ${promtool.ok ? '' : promtool.message}` };

test('promtool accepts the rules and every unit test of herald-rules.test.yaml passes', needs, () => {
  const { check, tests } = runPromtool(RULES['spec']);
  assert.equal(check.status, 0, `${String(check.stdout)}${String(check.stderr)}`);
  assert.match(String(check.stdout), new RegExp(`SUCCESS: ${alertNames(RULES['spec']).length} rules found`));
  assert.equal(tests.status, 0, `${String(tests.stdout)}${String(tests.stderr)}`);
  assert.match(String(tests.stdout), /SUCCESS/);
});

test('every alert has a unit test that expects it to fire, and one that expects it quiet', () => {
  const firing = new Set<string>();
  const quiet = new Set<string>();
  for (const t of arr(TESTS['tests'], 'tests')) {
    for (const a of arr(obj(t, 'test')['alert_rule_test'], 'alert_rule_test')) {
      const at = obj(a, 'alert_rule_test entry');
      const name = str(at['alertname'], 'alertname');
      (Array.isArray(at['exp_alerts']) && at['exp_alerts'].length > 0 ? firing : quiet).add(name);
    }
  }
  for (const name of alertNames(RULES['spec'])) {
    assert.ok(firing.has(name), `${name}: no test expects it to fire`);
    assert.ok(quiet.has(name), `${name}: no test expects it quiet`);
  }
});

test('regression: HeraldBgpSessionFlapping paged on three Established in 15 m (increase() extrapolated them to 3.21); the tests catch the old rule', needs, () => {
  // Regression (issue #12): increase() extrapolates to the window's edges, so 3 read 3.21.
  const spec = structuredClone(obj(RULES['spec'], 'spec'));
  for (const g of arr(spec['groups'], 'groups')) {
    for (const r of arr(obj(g, 'group')['rules'], 'rules')) {
      const rule = obj(r, 'rule');
      if (rule['alert'] === 'HeraldBgpSessionFlapping') rule['expr'] = 'increase(herald_bgp_sessions_established_total[15m]) > 3';
    }
  }
  const { check, tests } = runPromtool(spec);
  assert.equal(check.status, 0, 'the old rule is valid PromQL');
  assert.notEqual(tests.status, 0, 'the old rule must fail the tests');
  assert.match(`${String(tests.stdout)}${String(tests.stderr)}`, /HeraldBgpSessionFlapping[\s\S]*peer="tor-b"/);
});
