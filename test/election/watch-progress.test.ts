// How far the VIP Lease watch has brought a node (src/election/watch-progress.ts): the newest
// resourceVersion delivered, never one from a list still being applied.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { WatchProgress } from '../../src/election/watch-progress.ts';

test('the newest version delivered, whatever the order of arrival (a watch is ordered; a read may not be)', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 1, maxLength: 50 }), (versions) => {
      const p = new WatchProgress();
      for (const v of versions) p.delivered(String(v));
      assert.equal(p.newest, String(Math.max(...versions)));
    }),
  );
});

test('a list being applied says nothing until it is applied, then counts as of its own version', () => {
  const p = new WatchProgress();
  assert.equal(p.newest, null, 'nothing delivered yet');
  p.delivered('10');
  p.listStarted();
  assert.equal(p.newest, null, 'a relist is on its way: the cache is being rebuilt');
  p.delivered('99'); // an item of the list, in name order: says nothing of the others
  p.listApplied('50');
  assert.equal(p.newest, '50');
  p.listStarted();
  p.listApplied(null); // the list failed
  assert.equal(p.newest, '50');
  p.delivered(null);
  assert.equal(p.newest, '50', 'an event without a version changes nothing');
});

test('versions that cannot be ordered keep the last one seen (a catch-up then gives way to a list)', () => {
  const p = new WatchProgress();
  p.delivered('abc');
  p.delivered('12');
  assert.equal(p.newest, '12');
});
