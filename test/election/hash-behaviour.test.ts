// Rendezvous hashing, what the election relies on beyond spread: the weights are a contract
// between versions, ties are broken by name, and demoted nodes come last in both entry points.
// Written against the survivors of mutation testing (issue #15, docs/mutation-testing.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { desiredOwner, rankNodes, weight } from '../../src/election/hash.ts';

test('weights are a contract between versions: speakers of two releases in a rolling upgrade must rank alike', () => {
  // Any change here moves VIPs between nodes while old and new speakers disagree on the owner.
  assert.equal(weight('192.0.2.10', 'node-1'), 3217864934820508);
  assert.equal(weight('192.0.2.10', 'node-2'), 2368639893702325);
  assert.equal(weight('2001:db8::10', 'worker-a'), 4432849789871258);
  assert.equal(weight('198.51.100.7', ''), 6465774050862773);
  assert.equal(weight('', 'x'), 2322316559012940);
});

// Two names whose 53-bit weights for 192.0.2.1 collide, found by a search on FNV-1a's structure
// (a tie is otherwise a 1-in-2^53 event, so no list of real names reaches the tie-break).
const VIP = '192.0.2.1';
const LOW = 'node-\u0129\ua603';
const HIGH = 'node-\ue428\u3eb0';

test('equal weights are ranked by name, whatever the order of the input, in both entry points', () => {
  assert.equal(weight(VIP, LOW), weight(VIP, HIGH));
  assert.ok(LOW < HIGH);
  for (const nodes of [[LOW, HIGH], [HIGH, LOW]]) {
    assert.deepEqual(rankNodes(VIP, nodes), [LOW, HIGH]);
    assert.equal(desiredOwner(VIP, nodes), LOW);
    // The same among demoted nodes.
    assert.deepEqual(rankNodes(VIP, [...nodes, 'other'], new Set(nodes)), ['other', LOW, HIGH]);
    assert.equal(desiredOwner(VIP, nodes, new Set(nodes)), LOW);
  }
});

const NODES = Array.from({ length: 8 }, (_, i) => `node-${i + 1}`);
const VIPS = Array.from({ length: 64 }, (_, i) => `198.18.0.${i}`);

test('property: desiredOwner is the head of rankNodes for any demoted set, and a demoted node owns only when all are', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...NODES), { maxLength: 10 }), fc.subarray(NODES), fc.constantFrom(...VIPS), (nodes, demotedList, vip) => {
      const demoted = new Set(demotedList);
      const owner = desiredOwner(vip, nodes, demoted);
      assert.equal(owner, rankNodes(vip, nodes, demoted)[0] ?? null);
      if (owner !== null && demoted.has(owner)) assert.ok(nodes.every((n) => demoted.has(n)));
    }),
    { numRuns: 300 },
  );
});
