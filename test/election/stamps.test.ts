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

test('a witness entry is refused unless it names a node and carries an incarnation and a u32 seq; the parser never throws', () => {
  const base = { 'herald.dev/incarnation': '5', 'herald.dev/seq': '7' };
  const withHeard = (entries: unknown): Record<string, string> => ({ ...base, 'herald.dev/heard': JSON.stringify(entries) });
  const ok = { node: 'n2', incarnation: 1, seq: 3 };
  const refused: [string, unknown][] = [
    ['null entry', null],
    ['a number', 1],
    ['a string', 'n2'],
    ['an array', ['n2', 1, 3]],
    ['node a number', { ...ok, node: 5 }],
    ['node empty', { ...ok, node: '' }],
    ['incarnation as text', { ...ok, incarnation: '1' }],
    ['incarnation fractional', { ...ok, incarnation: 1.5 }],
    ['incarnation negative', { ...ok, incarnation: -1 }],
    ['incarnation beyond safe integers', { ...ok, incarnation: 2 ** 53 }],
    ['seq as text', { ...ok, seq: '3' }],
    ['seq fractional', { ...ok, seq: 0.5 }],
    ['seq negative', { ...ok, seq: -1 }],
    ['seq beyond u32', { ...ok, seq: 2 ** 32 }],
  ];
  for (const [what, entry] of refused) {
    // One bad witness spoils the list, wherever it stands: a stamp must not prove anything half-read.
    assert.equal(parseNodeStamp(withHeard([entry])), null, what);
    assert.equal(parseNodeStamp(withHeard([ok, entry])), null, `${what} after a good entry`);
  }
  const bounds = [
    { node: 'a', incarnation: Number.MAX_SAFE_INTEGER, seq: 0xffffffff },
    { node: 'b', incarnation: 0, seq: 0 },
  ];
  assert.deepEqual(parseNodeStamp(withHeard(bounds))?.heard, bounds, 'the bounds themselves are kept');
  assert.deepEqual(parseNodeStamp(withHeard([]))?.heard, [], 'an empty list is a stamp with no witness entries');
});

test('the annotations as written are the wire format other versions read (docs/l2.md, "Objects")', () => {
  assert.deepEqual(nodeStampAnnotations({ incarnation: 5, seq: 7, heard: [{ node: 'n2', incarnation: 1, seq: 3 }], probing: false }), {
    'herald.dev/incarnation': '5',
    'herald.dev/seq': '7',
    'herald.dev/heard': '[{"node":"n2","incarnation":1,"seq":3}]',
    'herald.dev/probing': 'false',
  });
  assert.equal(nodeStampAnnotations({ incarnation: 5, seq: 7, heard: [], probing: true })['herald.dev/probing'], 'true');
  assert.deepEqual(writerAnnotations({ node: 'n1', incarnation: 5, seq: 7 }), { 'herald.dev/writer': 'n1', 'herald.dev/incarnation': '5', 'herald.dev/seq': '7' });
});

test('a writer stamp is refused without a writer, with an empty one, or with a malformed incarnation or seq', () => {
  const good = { 'herald.dev/writer': 'n1', 'herald.dev/incarnation': '5', 'herald.dev/seq': '7' };
  assert.deepEqual(parseWriterStamp(good), { node: 'n1', incarnation: 5, seq: 7 });
  const table: [string, Record<string, string> | undefined][] = [
    ['no annotations', undefined],
    ['empty writer', { ...good, 'herald.dev/writer': '' }],
    ['incarnation not a number', { ...good, 'herald.dev/incarnation': 'x' }],
    ['incarnation missing', { 'herald.dev/writer': 'n1', 'herald.dev/seq': '7' }],
    ['seq beyond u32', { ...good, 'herald.dev/seq': String(2 ** 32) }],
    ['seq missing', { 'herald.dev/writer': 'n1', 'herald.dev/incarnation': '5' }],
  ];
  for (const [what, a] of table) assert.equal(parseWriterStamp(a), undefined, what);
});
