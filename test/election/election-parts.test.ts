// The parts split out of election.ts (vip-table.ts, passes.ts, contact.ts, damping.ts) are pure like it: they
// import only the election's own modules, no I/O. test/architecture/imports.test.ts checks the
// modules listed in its PURE table; this holds the new parts to the same rule until they are
// listed there.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const PARTS = ['election.ts', 'vip-table.ts', 'passes.ts', 'contact.ts', 'damping.ts', 'writes-out.ts', 'landing-lag.ts'];

test('the election and its parts import only sibling modules of src/election (no I/O, no shell)', () => {
  const bad: string[] = [];
  let seen = 0;
  for (const part of PARTS) {
    const text = readFileSync(new URL(`../../src/election/${part}`, import.meta.url), 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)';/gms)) {
      seen++;
      const spec = m[1] ?? '';
      if (!/^\.\/[a-z-]+\.ts$/.test(spec)) bad.push(`${part} imports ${spec}`);
    }
  }
  assert.ok(seen >= 20, 'the check read next to no imports');
  assert.deepEqual(bad, []);
});

test('each part stays near the size of one job (STYLE.md lesson 12: about 400 lines at most)', () => {
  for (const part of PARTS) {
    const lines = readFileSync(new URL(`../../src/election/${part}`, import.meta.url), 'utf8').split('\n').length;
    assert.ok(lines <= 430, `${part} has ${lines} lines`);
  }
});
