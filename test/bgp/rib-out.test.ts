// The declarative Adj-RIB-Out: a story of desired tables, and a property that the peer's view
// (applying every delta in order) always equals the last desired table.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AdjRibOut, NO_ATTRS, attrsKey } from '../../src/bgp/rib-out.ts';
import type { RibDelta, RouteAttrs } from '../../src/bgp/rib-out.ts';

const COMM: RouteAttrs = { communities: [65000 * 65536 + 100], largeCommunities: [], localPreference: null };

function table(entries: [string, RouteAttrs][]): Map<string, RouteAttrs> {
  return new Map(entries);
}

/** The peer's Adj-RIB-In after a delta. */
function apply(peer: Map<string, string>, d: RibDelta): void {
  for (const w of d.withdraw) for (const p of w.prefixes) peer.delete(p);
  for (const g of d.announce) for (const p of g.prefixes) peer.set(p, attrsKey(g.attrs));
}

describe('AdjRibOut', () => {
  it('announces new prefixes grouped by family and attributes, withdraws removed ones, re-announces changed attributes', () => {
    const rib = new AdjRibOut();
    const d1 = rib.set(table([['192.0.2.10/32', NO_ATTRS], ['192.0.2.11/32', NO_ATTRS], ['2001:db8::10/128', NO_ATTRS], ['198.51.100.1/32', COMM]]));
    assert.deepEqual(d1.withdraw, []);
    // Groups in code-unit order of their attribute key ("4259840100||" before "||"), IPv4 first.
    assert.deepEqual(d1.announce.map((g) => [g.family, g.prefixes]), [['ipv4', ['198.51.100.1/32']], ['ipv4', ['192.0.2.10/32', '192.0.2.11/32']], ['ipv6', ['2001:db8::10/128']]]);
    // Nothing changed: nothing to send.
    assert.deepEqual(rib.set(table([['192.0.2.10/32', NO_ATTRS], ['192.0.2.11/32', NO_ATTRS], ['2001:db8::10/128', NO_ATTRS], ['198.51.100.1/32', COMM]])), { withdraw: [], announce: [] });
    const d2 = rib.set(table([['192.0.2.10/32', COMM], ['2001:db8::10/128', NO_ATTRS]]));
    assert.deepEqual(d2.withdraw, [{ family: 'ipv4', prefixes: ['192.0.2.11/32', '198.51.100.1/32'] }]);
    assert.deepEqual(d2.announce.map((g) => g.prefixes), [['192.0.2.10/32']]);
    assert.equal(rib.size, 2);
  });

  it('after a reconnect replays the whole desired table; a reset forgets what was sent', () => {
    const rib = new AdjRibOut();
    rib.set(table([['192.0.2.10/32', NO_ATTRS], ['2001:db8::10/128', COMM]]));
    rib.reset();
    assert.equal(rib.size, 0);
    const d = rib.replay();
    assert.deepEqual(d.withdraw, []);
    assert.deepEqual(d.announce.flatMap((g) => g.prefixes).sort(), ['192.0.2.10/32', '2001:db8::10/128']);
  });

  it('property: after any sequence of desired tables, the peer holds exactly the last one', () => {
    const prefix = fc.oneof(fc.integer({ min: 0, max: 40 }).map((i) => `192.0.2.${i}/32`), fc.integer({ min: 0, max: 40 }).map((i) => `2001:db8::${i.toString(16)}/128`));
    const attrs = fc.constantFrom(NO_ATTRS, COMM, { communities: [], largeCommunities: [{ global: 64512, local1: 1, local2: 2 }], localPreference: 200 });
    const tables = fc.array(fc.array(fc.tuple(prefix, attrs), { maxLength: 30 }), { minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(tables, fc.array(fc.boolean(), { maxLength: 12 }), (ts, reconnects) => {
        const rib = new AdjRibOut();
        let peer = new Map<string, string>();
        ts.forEach((t, i) => {
          if (reconnects[i] === true) {
            rib.reset();
            peer = new Map();
            apply(peer, rib.replay());
          }
          const d = rib.set(new Map(t));
          // A delta never withdraws and announces the same prefix.
          const w = new Set(d.withdraw.flatMap((x) => x.prefixes));
          assert.ok(d.announce.every((g) => g.prefixes.every((p) => !w.has(p))));
          apply(peer, d);
          const want = new Map([...new Map(t)].map(([p, a]) => [p, attrsKey(a)]));
          assert.deepEqual([...peer].sort(), [...want].sort());
        });
      }),
    );
  });

  it('property: the same tables given in chunks of any size, loads arriving between chunks, leave the peer with the last table', () => {
    const prefix = fc.oneof(fc.integer({ min: 0, max: 40 }).map((i) => `192.0.2.${i}/32`), fc.integer({ min: 0, max: 40 }).map((i) => `2001:db8::${i.toString(16)}/128`));
    const attrs = fc.constantFrom(NO_ATTRS, COMM);
    const step = fc.oneof(fc.record({ load: fc.array(fc.tuple(prefix, attrs), { maxLength: 30 }) }), fc.record({ next: fc.integer({ min: 1, max: 12 }) }), fc.record({ reconnect: fc.constant(true) }));
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 30 }), (steps) => {
        const rib = new AdjRibOut();
        let peer = new Map<string, string>();
        let last = new Map<string, RouteAttrs>();
        for (const st of steps) {
          if ('load' in st) {
            last = new Map(st.load);
            rib.load(last);
          } else if ('next' in st) apply(peer, rib.next(st.next));
          else {
            rib.reset();
            peer = new Map();
            rib.restart();
          }
        }
        while (rib.pending()) apply(peer, rib.next(3));
        assert.deepEqual([...peer].sort(), [...new Map([...last].map(([p, a]) => [p, attrsKey(a)]))].sort());
        assert.deepEqual(rib.desiredCounts(), { ipv4: [...last.keys()].filter((p) => !p.includes(':')).length, ipv6: [...last.keys()].filter((p) => p.includes(':')).length });
      }),
    );
  });
});
