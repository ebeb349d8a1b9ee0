// Issue #10: a dual-stack peer gets each heartbeat on one address (its path), not on all of them;
// the path moves when the peer is not reached and stays where it works (heartbeat-paths.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HeartbeatPaths } from '../../src/election/heartbeat-paths.ts';
import type { PathEndpoint } from '../../src/election/heartbeat-paths.ts';

const H = 100;
const v4 = (n: number): PathEndpoint => ({ address: `192.0.2.${n}`, port: 9425 });
const v6 = (n: number): PathEndpoint => ({ address: `2001:db8::${n}`, port: 9425 });
const addresses = (to: readonly PathEndpoint[]): string[] => to.map((e) => e.address);

test('a peer with one address gets it, heard or not', () => {
  const p = new HeartbeatPaths(H);
  p.setPeer('node-b', [v4(12)]);
  assert.deepEqual(addresses(p.destinations(0)), ['192.0.2.12']);
  p.heard('node-b', 0, 50);
  assert.deepEqual(addresses(p.destinations(100)), ['192.0.2.12']);
  p.heard('node-b', 5_000, 150);
  assert.deepEqual(addresses(p.destinations(200)), ['192.0.2.12']);
  assert.equal(p.mayMove('node-b', 10_000), false, 'nothing to move to');
});

test('a story: blind, heard, told, held, echoed, blind again', () => {
  const p = new HeartbeatPaths(H);
  p.setPeer('node-b', [v4(12), v6(12)]);
  const steps: [string, () => string[], string[]][] = [
    ['not heard yet: every address', () => addresses(p.destinations(0)), ['192.0.2.12', '2001:db8::12']],
    ['heard, and it heard us 40 ms ago: the first address only', () => (p.heard('node-b', 40, 60), addresses(p.destinations(100))), ['192.0.2.12']],
    ['it does not list us once, twice: no judgement (a long list is cut)', () => (p.heard('node-b', null, 160), p.heard('node-b', null, 170), addresses(p.destinations(200))), ['192.0.2.12']],
    ['it lists us again: the count starts over', () => (p.heard('node-b', 30, 180), p.heard('node-b', null, 190), p.heard('node-b', null, 195), addresses(p.destinations(200))), ['192.0.2.12']],
    ['it last heard us 250 ms ago (> 2h): the path moves', () => (p.heard('node-b', 250, 260), addresses(p.destinations(300))), ['2001:db8::12']],
    ['told again 100 ms later: held (3h to show the new path works)', () => (p.heard('node-b', 300, 360), addresses(p.destinations(400))), ['2001:db8::12']],
    ['told again past 3h: it moves on, round to the first', () => (p.heard('node-b', 400, 561), addresses(p.destinations(600))), ['192.0.2.12']],
    ['an echo within 3h of the move: may not move', () => [String(p.mayMove('node-b', 700))], ['false']],
    ['an echo past 3h: moves', () => (assert.ok(p.mayMove('node-b', 900)), p.echoed('node-b', 900), p.heard('node-b', 10, 950), addresses(p.destinations(1_000))), ['2001:db8::12']],
    ['not heard for 2h, 251 ms after the move: blind, every address, the path held', () => addresses(p.destinations(1_151)), ['192.0.2.12', '2001:db8::12']],
    ['heard again: the path it was on', () => (p.heard('node-b', 20, 1_160), addresses(p.destinations(1_200))), ['2001:db8::12']],
    ['blind again, past 3h of the move: every address', () => addresses(p.destinations(1_400)), ['192.0.2.12', '2001:db8::12']],
    ['heard again: the path going blind moved to', () => (p.heard('node-b', 20, 1_450), addresses(p.destinations(1_500))), ['192.0.2.12']],
    ['left out of three heartbeats in a row: the path moves', () => (p.heard('node-b', null, 1_850), p.heard('node-b', null, 1_860), p.heard('node-b', null, 1_870), addresses(p.destinations(1_900))), ['2001:db8::12']],
  ];
  for (const [what, run, want] of steps) assert.deepEqual(run(), want, what);
  assert.deepEqual([...p.paths()], [['node-b', v6(12)]]);
});

test('addresses that change start over from the first; unchanged ones keep the path; a gone Lease forgets the peer', () => {
  const p = new HeartbeatPaths(H);
  p.setPeer('node-b', [v4(12), v6(12)]);
  p.heard('node-b', 0, 0);
  p.heard('node-b', 500, 50);
  assert.deepEqual(addresses(p.destinations(100)), ['2001:db8::12']);
  p.setPeer('node-b', [v4(12), v6(12)]);
  assert.deepEqual(addresses(p.destinations(110)), ['2001:db8::12'], 'the same addresses again: the path stays');
  p.setPeer('node-b', [v4(12), v6(12), v6(112)]);
  assert.deepEqual(addresses(p.destinations(120)), ['192.0.2.12'], 'new addresses: the first, still heard (no blind spell)');
  assert.deepEqual(addresses(p.endpoints('node-b')), ['192.0.2.12', '2001:db8::12', '2001:db8::112']);
  p.setPeer('node-b', null);
  assert.deepEqual(p.destinations(130), []);
  assert.deepEqual(p.endpoints('node-b'), []);
  assert.equal(p.mayMove('node-b', 10_000), false);
  p.heard('node-b', 500, 140);
  p.echoed('node-b', 150);
  assert.deepEqual(p.destinations(160), [], 'news of a forgotten peer changes nothing');
});

test('the boundaries: told exactly 2h, silent exactly 2h, and a move exactly 3h after the last are all held', () => {
  const p = new HeartbeatPaths(H);
  p.setPeer('node-b', [v4(12), v6(12)]);
  p.heard('node-b', 2 * H, 0);
  assert.deepEqual(addresses(p.destinations(2 * H)), ['192.0.2.12'], 'told 2h exactly: not a lapse; silent 2h exactly: not blind');
  p.heard('node-b', 2 * H + 1, 2 * H);
  assert.deepEqual(addresses(p.destinations(2 * H + 1)), ['2001:db8::12'], 'told 2h + 1: moved');
  assert.equal(p.mayMove('node-b', 5 * H), false, 'exactly 3h after the move: held');
  assert.equal(p.mayMove('node-b', 5 * H + 1), true);
  p.heard('node-b', 500, 5 * H);
  assert.deepEqual(addresses(p.destinations(5 * H)), ['2001:db8::12'], 'told at exactly 3h after the move: held');
  p.heard('node-b', 500, 5 * H + 1);
  assert.deepEqual(addresses(p.destinations(5 * H + 1)), ['192.0.2.12'], 'and 1 ms later it moves');
});

test('addresses of the same count that differ in an address or a port are new addresses: the path starts over', () => {
  for (const changed of [[v4(12), v6(99)], [v4(12), { ...v6(12), port: 9426 }], [v6(12), v4(12)]]) {
    const p = new HeartbeatPaths(H);
    p.setPeer('node-b', [v4(12), v6(12)]);
    p.heard('node-b', 500, 0);
    assert.deepEqual(addresses(p.destinations(10)), ['2001:db8::12']);
    p.setPeer('node-b', changed);
    assert.deepEqual(p.destinations(20), [changed[0]], JSON.stringify(changed));
  }
});

test('a node Lease with no address: nothing to send to, and nothing undefined sent', () => {
  const p = new HeartbeatPaths(H);
  p.setPeer('node-b', []);
  assert.deepEqual(p.destinations(0), []);
  p.heard('node-b', 10, 10);
  p.heard('node-b', 500, 20);
  p.echoed('node-b', 30);
  assert.deepEqual(p.destinations(40), []);
  assert.deepEqual([...p.paths()], [['node-b', null]]);
});

test('property: every peer gets at least one of its addresses and nothing else; a peer heard and not told gets exactly one', () => {
  const peer = fc.record({ n: fc.integer({ min: 1, max: 4 }), heardAt: fc.option(fc.integer({ min: 0, max: 1_000 })), told: fc.option(fc.integer({ min: 0, max: 1_000 })) });
  fc.assert(
    fc.property(fc.array(peer, { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 2_000 }), (peers, at) => {
      const p = new HeartbeatPaths(H);
      const all = new Map<string, string[]>();
      peers.forEach((x, i) => {
        const eps = Array.from({ length: x.n }, (_, k) => ({ address: `198.51.100.${i * 10 + k}`, port: 9425 }));
        all.set(`node-${i}`, addresses(eps));
        p.setPeer(`node-${i}`, eps);
        if (x.heardAt !== null) p.heard(`node-${i}`, x.told, x.heardAt);
      });
      const now = at + 1_000;
      const sent = addresses(p.destinations(now));
      const union = new Set([...all.values()].flat());
      for (const a of sent) assert.ok(union.has(a));
      assert.equal(new Set(sent).size, sent.length, 'no address twice');
      peers.forEach((x, i) => {
        const mine = sent.filter((a) => all.get(`node-${i}`)?.includes(a));
        assert.ok(mine.length >= 1);
        if (x.heardAt !== null && now - x.heardAt <= 2 * H) assert.equal(mine.length, 1);
      });
    }),
  );
});

// Two nodes, each with the rules, over a network whose links can be cut per direction and family.
// Each heartbeat carries how long ago its sender last counted one from the other; a copy that
// arrives twice in a round is an echo. The rules must settle on a working path and stay there.
type Family = 'v4' | 'v6';
interface Sim {
  gaps: Map<string, number>;
  datagrams: number;
  rounds: number;
}
function simulate(cut: (from: string, family: Family, t: number) => boolean, rounds: number, order: Record<string, Family[]> = { a: ['v4', 'v6'], b: ['v4', 'v6'] }): Sim {
  const ids: Record<string, number> = { a: 11, b: 12 };
  const eps = (node: string): PathEndpoint[] => (order[node] ?? []).map((f) => (f === 'v4' ? v4(ids[node] ?? 0) : v6(ids[node] ?? 0)));
  const familyOf = (address: string): Family => (address.includes(':') ? 'v6' : 'v4');
  const nodes = ['a', 'b'];
  const paths = new Map(nodes.map((n) => [n, new HeartbeatPaths(H)]));
  const lastHeard = new Map<string, number>();
  const gaps = new Map<string, number>();
  let datagrams = 0;
  for (const n of nodes) for (const m of nodes) if (n !== m) paths.get(n)?.setPeer(m, eps(m));
  const settleAt = 30 * H;
  for (let r = 0; r < rounds; r++) {
    for (const [i, from] of nodes.entries()) {
      const t = r * H + i * 50;
      const to = nodes.find((n) => n !== from) ?? '';
      const sent = paths.get(from)?.destinations(t) ?? [];
      const heardUsAt = lastHeard.get(`${to}<-${from}`);
      // `from`'s heartbeat lists `to` when it heard it within D (600 ms), with the age.
      const told = lastHeard.get(`${from}<-${to}`);
      const ack = told === undefined || t - told > 600 ? null : t - told;
      let copies = 0;
      for (const e of sent) {
        if (t >= settleAt) datagrams++;
        if (cut(from, familyOf(e.address), t)) continue;
        copies++;
        const receiver = paths.get(to);
        if (receiver === undefined) continue;
        if (copies === 1) {
          if (heardUsAt !== undefined && t >= settleAt) gaps.set(`${to}<-${from}`, Math.max(gaps.get(`${to}<-${from}`) ?? 0, t - heardUsAt));
          lastHeard.set(`${to}<-${from}`, t);
          receiver.heard(from, ack, t + 1);
        } else if (receiver.mayMove(from, t + 1)) receiver.echoed(from, t + 1);
      }
    }
  }
  return { gaps, datagrams, rounds: rounds - 30 };
}

for (const [name, cut] of [
  ['every path works', () => false],
  ['IPv4 cut both ways', (_f: string, fam: Family) => fam === 'v4'],
  ['IPv4 cut from a to b only', (f: string, fam: Family) => f === 'a' && fam === 'v4'],
  ['IPv6 cut from b to a only, and IPv4 from a to b', (f: string, fam: Family) => (f === 'b' && fam === 'v6') || (f === 'a' && fam === 'v4')],
] as const) {
  test(`two dual-stack nodes settle on a working path and stay: ${name}`, () => {
    const s = simulate(cut, 130);
    // Settled: each hears the other every round (a gap of one interval) with one datagram each.
    assert.deepEqual([...s.gaps.values()], [H, H], `gaps ${JSON.stringify([...s.gaps])}`);
    assert.equal(s.datagrams, 2 * s.rounds, 'one datagram per peer per round once settled');
  });
}

test('a path that breaks under a settled pair: the gap stays under D (600 ms) and they settle again', () => {
  // Settled on IPv4 at 3 s; IPv4 breaks both ways at 5 s.
  const s = simulate((_f, fam, t) => fam === 'v4' && t >= 5_000, 130);
  for (const [dir, gap] of s.gaps) assert.ok(gap < 600, `${dir}: ${gap} ms without a heartbeat`);
  const after = simulate((_f, fam, t) => fam === 'v4' && t >= 5_000, 200);
  assert.ok(after.datagrams <= 2 * after.rounds + 20, `${after.datagrams} datagrams in ${after.rounds} rounds: fan-out ends`);
});

test('the peers list their families in different orders: they still settle', () => {
  const s = simulate((_f, fam) => fam === 'v6', 130, { a: ['v4', 'v6'], b: ['v6', 'v4'] });
  assert.deepEqual([...s.gaps.values()], [H, H]);
  assert.equal(s.datagrams, 2 * s.rounds);
});
