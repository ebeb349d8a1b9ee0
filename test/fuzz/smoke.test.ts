// A short run of every fuzz target inside the test suite (docs/fuzzing.md): each replays its
// committed corpus (fuzz/corpus/<target>/) and a few thousand mutations of it through the same
// oracle as the full runs, without instrumentation, and fails on any crash that is not a listed,
// known issue. The full runs (≥ 1,000,000 executions each, coverage-guided) are `npm run fuzz`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readCorpus, runLoop } from '../../fuzz/engine/loop.ts';
import { corpusDir, loadTarget, TARGETS, type TargetName } from '../../fuzz/targets.ts';

const MUTATIONS = 5000;

for (const name of Object.keys(TARGETS) as TargetName[]) {
  test(`fuzz smoke: ${name} replays its corpus and ${MUTATIONS} mutations without a crash`, async () => {
    const target = await loadTarget(name);
    const corpus = readCorpus(corpusDir(name));
    // A smoke run over an empty corpus would check almost nothing (STYLE.md lesson 10).
    assert.ok(corpus.length > 0, `fuzz/corpus/${name}/ is empty`);
    const stats = runLoop({ target, runs: corpus.length + target.seeds().length + MUTATIONS, seed: 0x5eed, corpusDirs: [corpusDir(name)], stopOnCrash: true, slowMs: 2000 });
    const crashes = stats.crashes.map((c) => `${c.kind}: ${c.message}\n  input ${Buffer.from(c.input).toString('hex').slice(0, 600)}\n${c.stack}`);
    assert.deepEqual(crashes, []);
    assert.ok(stats.execs >= corpus.length, 'every corpus entry ran');
  });
}
