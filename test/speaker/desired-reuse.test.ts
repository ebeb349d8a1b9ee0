// Issue #10: the speaker's periodic full pass keeps the desired-state objects it agrees with, so
// that an unchanged pass's copy dies young instead of replacing objects in V8's old generation
// (src/speaker/desired-reuse.ts). What it keeps must never change what the state says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import type { V1Node, V1Service } from '@kubernetes/client-node';
import { desiredAnnouncements } from '../../src/speaker/desired.ts';
import type { DesiredState } from '../../src/speaker/desired.ts';
import { keepUnchanged } from '../../src/speaker/desired-reuse.ts';
import { IFACES, iface, node, policy, svc } from './fixtures.ts';

function pass(services: V1Service[], nodes: V1Node[] = [node('n1'), node('n2'), node('n3')], interfaces = IFACES): DesiredState {
  return desiredAnnouncements({ me: 'n1', services, slices: [], nodes, policies: [policy('all')], interfaces, adapter: { defaultServiceIpam: 'pool', acceptAnnotations: new Set() } });
}

/** What a state says, as plain data: what keepUnchanged must never change. */
function content(d: DesiredState): unknown {
  return {
    vips: [...d.vips].map(([ip, a]) => [ip, a.family, a.services, [...a.nodes].sort(), [...a.demoted].sort(), a.interfaces]),
    skipped: d.skipped,
    problems: [...d.nodeProblems].sort(),
    servable: d.servablePolicies,
  };
}

const SERVICES = [svc('web/a', { ingress: ['192.0.2.10'] }), svc('web/b', { ingress: ['192.0.2.11'] }), svc('web/c', { ingress: ['2001:db8::10'] })];

test('a pass that finds what the last one did gives back the last state itself', () => {
  const first = pass(SERVICES);
  const again = pass(SERVICES);
  assert.notEqual(again, first, 'each pass builds new objects');
  assert.equal(keepUnchanged(first, again), first);
  assert.equal(keepUnchanged(null, again), again, 'the first pass is kept as it is');
});

test('one VIP changed: the others keep their objects, the changed one is new, and the state says what the new pass says', () => {
  const first = pass(SERVICES);
  const next = pass([...SERVICES, svc('web/d', { ingress: ['192.0.2.10'] })]);
  const kept = keepUnchanged(first, next);
  assert.notEqual(kept, first);
  assert.deepEqual(content(kept), content(next));
  assert.equal(kept.vips.get('192.0.2.11'), first.vips.get('192.0.2.11'));
  assert.equal(kept.vips.get('2001:db8::10'), first.vips.get('2001:db8::10'));
  assert.equal(kept.vips.get('192.0.2.10'), next.vips.get('192.0.2.10'));
  assert.deepEqual(kept.vips.get('192.0.2.10')?.services, ['web/a', 'web/d']);
});

test('a VIP gone, a node problem or another interface: a new state, never the old one', () => {
  const first = pass(SERVICES);
  const fewer = keepUnchanged(first, pass(SERVICES.slice(1)));
  assert.deepEqual([...fewer.vips.keys()], ['192.0.2.11', '2001:db8::10']);
  const problem = pass(SERVICES, [node('n1'), node('n2'), node('n3', { ready: 'False' })]);
  assert.deepEqual(content(keepUnchanged(first, problem)), content(problem));
  assert.notEqual(keepUnchanged(first, problem), first);
  const noIfaces = pass(SERVICES, undefined, [iface('lo', { loopback: true })]);
  assert.deepEqual(content(keepUnchanged(first, noIfaces)), content(noIfaces));
  assert.notEqual(keepUnchanged(first, noIfaces), first);
});

test('property: whatever two passes saw, keeping objects never changes what the second one says, and keeps all when they agree', () => {
  const ips = ['192.0.2.10', '192.0.2.11', '192.0.2.12', '2001:db8::10'];
  const world = fc.record({
    services: fc.uniqueArray(fc.record({ name: fc.constantFrom('a', 'b', 'c', 'd'), ip: fc.constantFrom(...ips), local: fc.boolean() }), { selector: (s) => s.name }),
    notReady: fc.subarray(['n2', 'n3']),
  });
  fc.assert(
    fc.property(world, world, (w1, w2) => {
      const build = (w: typeof w1): DesiredState => pass(
        w.services.map((s) => svc(`web/${s.name}`, { ingress: [s.ip], ...(s.local ? { local: true } : {}) })),
        ['n1', 'n2', 'n3'].map((n) => node(n, w.notReady.includes(n) ? { ready: 'False' } : {})),
      );
      const first = build(w1);
      const second = build(w2);
      const kept = keepUnchanged(first, second);
      assert.deepEqual(content(kept), content(second));
      // And the last state itself comes back exactly when the two say the same.
      assert.equal(kept === first, isDeepStrictEqual(content(first), content(second)));
    }),
    { numRuns: 300 },
  );
});
