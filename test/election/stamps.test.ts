// Stamps as annotations: round trips, and anything malformed is no stamp (never evidence).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nodeStampAnnotations, parseNodeStamp, parseWriterStamp, writerAnnotations } from '../../src/election/stamps.ts';

const peer = fc.record({ node: fc.stringMatching(/^[a-z0-9][-a-z0-9.]{0,30}$/), incarnation: fc.nat({ max: Number.MAX_SAFE_INTEGER }), seq: fc.nat(0xffffffff) }, { noNullPrototype: true });

test('property: node stamps and writer stamps survive the trip through annotations', () => {
  fc.assert(
    fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.nat(0xffffffff), fc.array(peer, { maxLength: 8 }), fc.boolean(), (incarnation, seq, heard, probing) => {
      assert.deepEqual(parseNodeStamp(nodeStampAnnotations({ incarnation, seq, heard, probing })), { incarnation, seq, heard, probing });
    }),
  );
  fc.assert(fc.property(peer, (w) => assert.deepEqual(parseWriterStamp(writerAnnotations(w)), w)));
});

test('missing or malformed stamps read as none', () => {
  const good = nodeStampAnnotations({ incarnation: 5, seq: 7, heard: [{ node: 'n2', incarnation: 1, seq: 3 }], probing: false });
  const table: [string, Record<string, string> | undefined][] = [
    ['no annotations', undefined],
    ['no seq', { ...good, 'herald.dev/seq': '' }],
    ['seq with a sign', { ...good, 'herald.dev/seq': '+7' }],
    ['seq beyond u32', { ...good, 'herald.dev/seq': String(2 ** 32) }],
    ['incarnation with leading zero', { ...good, 'herald.dev/incarnation': '05' }],
    ['heard not JSON', { ...good, 'herald.dev/heard': '[{' }],
    ['heard not a list', { ...good, 'herald.dev/heard': '{}' }],
    ['heard entry without node', { ...good, 'herald.dev/heard': '[{"incarnation":1,"seq":1}]' }],
    ['heard entry with negative seq', { ...good, 'herald.dev/heard': '[{"node":"a","incarnation":1,"seq":-1}]' }],
  ];
  for (const [what, a] of table) assert.equal(parseNodeStamp(a), null, what);
  assert.deepEqual(parseNodeStamp(good)?.heard, [{ node: 'n2', incarnation: 1, seq: 3 }]);
  // No heard list at all (an older speaker): a stamp without witness entries.
  assert.deepEqual(parseNodeStamp({ 'herald.dev/incarnation': '5', 'herald.dev/seq': '7' }), { incarnation: 5, seq: 7, heard: [], probing: false });
  assert.equal(parseWriterStamp({ 'herald.dev/incarnation': '5', 'herald.dev/seq': '7' }), undefined, 'no writer');
});
