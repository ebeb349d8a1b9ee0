// A bench says in one line what is missing and how to get it (issue #10, "Also": a fresh clone's
// `npm run bench:bgp` died with a stack trace instead).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { missingLine } from '../../bench/prerequisites.ts';
import type { Prerequisite } from '../../bench/prerequisites.ts';

const need = (what: string, present: boolean, fix: Prerequisite['fix']): Prerequisite => ({ what, present: () => present, fix });

test('nothing missing: no line', () => {
  assert.equal(missingLine('b.ts', [need('ip', true, { apt: 'iproute2' })]), null);
});

test('regression: bench:bgp on a fresh clone — missing packages are named with one apt-get line, commands after it', () => {
  const line = missingLine('origination.ts', [
    need('ip', true, { apt: 'iproute2' }),
    need('gobgpd', false, { apt: 'gobgpd' }),
    need("gobgpd's API (gobgp.proto)", false, { apt: 'golang-github-osrg-gobgp-dev' }),
    need('the native addon', false, { run: 'npm run build:native' }),
    need('gobgpd again', false, { apt: 'gobgpd' }),
  ]);
  assert.equal(line, "origination.ts: missing gobgpd, gobgpd's API (gobgp.proto), the native addon, gobgpd again; apt-get install -y gobgpd golang-github-osrg-gobgp-dev; then npm run build:native");
  assert.equal(line?.includes('\n'), false, 'one line');
});
