// The per-VIP state machine beyond the decision table: causes of starting, the J wait counted
// from the take, retries, write results of every kind, version order, and properties over
// random states: a VIP is answered only when its Lease names us, it is wanted and the guard
// allows; nothing is written without mayWrite, one write at most per step; wake-ups lie ahead.
// Written against the survivors of mutation testing (issue #15, docs/mutation-testing.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkNote, compareVersions, initialVip, isNews, observeApi, observeNote, stepVip, writeFinished } from '../../src/election/vip-machine.ts';
import type { LeaseView, PendingWrite, VipContext, VipState } from '../../src/election/vip-machine.ts';

const IP = '192.0.2.10';
const NOW = 10_000;
const J = 1_000;

function ctx(extra: Partial<VipContext> = {}): VipContext {
  return { now: NOW, me: 'a', wanted: true, ranked: ['a', 'b'], takeable: () => false, mayAnswer: true, mayWrite: true, fresh: () => true, takeoverStaggerMs: 200, rebalanceAfterMs: J, rebalance: () => true, ...extra };
}

const present = (holder: string, epoch = 4, version: string | null = '77'): LeaseView => ({ kind: 'present', record: { holder, epoch, version } });
const vip = (lease: LeaseView, extra: Partial<VipState> = {}): VipState => ({ ...observeApi(initialVip(IP), lease, 'a'), ...extra });
const pending = (op: PendingWrite['op'], holder: string, epoch: number, basis: string | null = '77'): PendingWrite => ({ op, holder, epoch, sentAt: NOW, basis });

test('a new version of a Lease that already names us is no handover: answering starts as a resume', () => {
  const s = observeApi(vip(present('a', 4, '77')), present('a', 4, '78'), 'a');
  assert.deepEqual(stepVip(s, ctx()).actions, [{ kind: 'start', ip: IP, cause: 'resume', from: null }]);
});

test('a note naming us (trusted notes) is a handover from the holder before, not a take of ours', () => {
  const s = observeNote(vip(present('b', 4, '77')), { ip: IP, holder: 'a', epoch: 5 }, 'a');
  assert.deepEqual(stepVip(s, ctx()).actions, [{ kind: 'start', ip: IP, cause: 'handover', from: 'b' }]);
});

test('once started, the next start (after a fence) is a resume, from nobody', () => {
  const taken = writeFinished(vip(present('b'), { pending: pending('take', 'a', 5) }), { ok: true, version: '78' }, 'a', NOW, 500);
  const started = stepVip(taken, ctx());
  assert.deepEqual(started.actions, [{ kind: 'start', ip: IP, cause: 'take', from: 'b' }]);
  const fenced = stepVip(started.state, ctx({ mayAnswer: false, mayWrite: false }));
  assert.deepEqual(fenced.actions, [{ kind: 'stop', ip: IP, reason: 'fenced' }]);
  assert.deepEqual(stepVip(fenced.state, ctx()).actions, [{ kind: 'start', ip: IP, cause: 'resume', from: null }]);
});

test('our take seen on the watch before its response: answering starts at once', () => {
  const s = observeApi(vip(present('b'), { pending: pending('take', 'a', 5) }), present('a', 5, '78'), 'a');
  assert.deepEqual(stepVip(s, ctx()).actions.map((a) => a.kind), ['start']);
});

test('rebalancing waits J from when we came to hold the VIP, counted by stepVip itself', () => {
  // We take at NOW; a better node b is ranked first and heard.
  const taken = writeFinished(vip(present('c'), { pending: pending('take', 'a', 5) }), { ok: true, version: '78' }, 'a', NOW, 500);
  const c = (now: number): VipContext => ctx({ now, ranked: ['b', 'a'] });
  let step = stepVip(taken, c(NOW));
  assert.deepEqual(step.actions.map((a) => a.kind), ['start']);
  assert.equal(step.wakeAt, NOW + J);
  step = stepVip(step.state, c(NOW + J - 1));
  assert.deepEqual(step.actions, []);
  assert.equal(step.wakeAt, NOW + J);
  step = stepVip(step.state, c(NOW + J));
  assert.deepEqual(step.actions.map((a) => (a.kind === 'write' ? `write ${a.op} ${a.holder}` : a.kind)), ['stop', 'write handover b']);
});

test('a failed write is retried exactly when the pause is over', () => {
  const failed = writeFinished(vip({ kind: 'absent' }, { pending: pending('take', 'a', 0, null) }), { ok: false, conflict: false }, 'a', NOW, 500);
  assert.equal(stepVip(failed, ctx({ now: NOW + 499 })).wakeAt, NOW + 500);
  assert.deepEqual(stepVip(failed, ctx({ now: NOW + 500 })).actions.map((a) => a.kind), ['write']);
  // At the retry time, but not allowed to write: nothing to wait for (never a wake-up for now itself).
  assert.equal(stepVip(failed, ctx({ now: NOW + 500, mayWrite: false })).wakeAt, null);
});

test('a write result with nothing pending (an answer to a write from before) changes nothing', () => {
  const s = vip(present('b'));
  assert.equal(writeFinished(s, { ok: true, version: '90' }, 'a', NOW, 500), s);
  assert.equal(writeFinished(s, { ok: false, conflict: true }, 'a', NOW, 500), s);
});

test('a delete that succeeded: the Lease is absent as of the deletion; without a version, as of nothing', () => {
  const s = vip(present('a'), { pending: pending('delete', '', 4) });
  const deleted = writeFinished(s, { ok: true, version: '81' }, 'a', NOW, 500);
  assert.deepEqual(deleted.lease, { kind: 'absent', asOf: '81' });
  assert.equal(deleted.apiVersion, '81');
  assert.equal(deleted.pending, null);
  const unversioned = writeFinished(s, { ok: true, version: '' }, 'a', NOW, 500);
  assert.deepEqual(unversioned.lease, { kind: 'absent' });
  assert.equal(unversioned.apiVersion, null, 'a server without versions: every later observation is news');
});

test('a take that succeeded on a server without versions: ours, and every later observation is news', () => {
  const s = vip({ kind: 'absent' }, { pending: pending('take', 'a', 0, null) });
  const done = writeFinished(s, { ok: true, version: '' }, 'a', NOW, 500);
  assert.equal(done.lease.kind === 'present' && done.lease.record.holder, 'a');
  assert.equal(done.apiVersion, null);
  assert.equal(observeApi(done, present('b', 1, null), 'a').lease.kind === 'present' && (observeApi(done, present('b', 1, null), 'a').lease as { record: { holder: string } }).record.holder, 'b');
});

test('handover and release that succeeded: the Lease names the successor, or nobody', () => {
  const ours = vip(present('a'));
  const handed = writeFinished({ ...ours, pending: pending('handover', 'b', 5) }, { ok: true, version: '78' }, 'a', NOW, 500);
  assert.deepEqual(handed.lease, present('b', 5, '78'));
  assert.equal(handed.gaveBy, 'handedOver');
  const released = writeFinished({ ...ours, pending: pending('release', '', 5) }, { ok: true, version: '78' }, 'a', NOW, 500);
  assert.deepEqual(released.lease, present('', 5, '78'));
  assert.equal(released.gaveBy, 'released');
  const took = writeFinished({ ...vip(present('b')), pending: pending('take', 'a', 5) }, { ok: true, version: '78' }, 'a', NOW, 500);
  assert.equal(took.gaveBy, null);
  // Overtaken by the watch (a later version): the view stays, the write is done, and how we gave it up is kept.
  const overtaken = writeFinished({ ...observeApi(ours, present('c', 6, '79'), 'a'), pending: pending('handover', 'b', 5) }, { ok: true, version: '78' }, 'a', NOW, 500);
  assert.deepEqual(overtaken.lease, present('c', 6, '79'));
  assert.equal(overtaken.gaveBy, 'handedOver');
  const overtakenTake = writeFinished({ ...observeApi(vip(present('b')), present('c', 6, '79'), 'a'), pending: pending('take', 'a', 5) }, { ok: true, version: '78' }, 'a', NOW, 500);
  assert.equal(overtakenTake.gaveBy, null);
});

test('resourceVersions: numeric order, whatever the lengths; the same deletion twice is not news', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 1n, max: 10n ** 30n }), fc.bigInt({ min: 1n, max: 10n ** 30n }), (a, b) => {
      const want = a < b ? -1 : a > b ? 1 : 0;
      assert.equal(compareVersions(String(a), String(b)), want);
      assert.equal(compareVersions(String(b), String(a)), -want || 0);
    }),
    { numRuns: 200 },
  );
  assert.equal(compareVersions('10', '9'), 1);
  assert.equal(isNews({ kind: 'absent', asOf: '80' }, { kind: 'absent', version: '80' }), false);
  assert.equal(isNews({ kind: 'absent' }, { kind: 'present', version: null }), true, 'no versions on either side: news');
});

test('checkNote touches only a view that came from a note at that epoch', () => {
  const confirmed = vip(present('a', 1, '90'));
  assert.equal(checkNote(confirmed, 1, present('b', 1, '90'), 'a'), confirmed, 'confirmed by the API already');
  const absent = vip({ kind: 'absent', asOf: '90' });
  assert.equal(checkNote(absent, 1, present('b', 1, '90'), 'a'), absent);
  // The API moved on, to us: that is a handover (an Event), not a resume.
  const noted = observeNote(vip(present('a', 1, '90')), { ip: IP, holder: 'b', epoch: 5 }, 'a');
  const moved = checkNote(noted, 5, present('a', 6, '95'), 'a');
  assert.deepEqual(stepVip(moved, ctx()).actions, [{ kind: 'start', ip: IP, cause: 'handover', from: 'b' }]);
  // The note was stale: we answer again as a resume, from nobody.
  const back = checkNote(noted, 5, present('a', 1, '90'), 'a');
  assert.deepEqual(stepVip(back, ctx()).actions, [{ kind: 'start', ip: IP, cause: 'resume', from: null }]);
});

test('orphans: a VIP with no live holder is an orphan from the moment we could take it; ours never is', () => {
  const orphan = stepVip(vip({ kind: 'absent' }), ctx({ ranked: ['b', 'a'] }));
  assert.equal(orphan.state.orphanSince, NOW);
  const later = stepVip(orphan.state, ctx({ now: NOW + 50, ranked: ['b', 'a'] }));
  assert.equal(later.state.orphanSince, NOW, 'counted from the first moment');
  const blocked = stepVip(orphan.state, ctx({ now: NOW + 50, ranked: ['b', 'a'], mayWrite: false }));
  assert.equal(blocked.state.orphanSince, null, 'no counting while we may not write');
  const taken = observeApi(orphan.state, present('b', 0, '80'), 'a');
  assert.equal(stepVip(taken, ctx({ now: NOW + 60, ranked: ['b', 'a'] })).state.orphanSince, null, 'b took it');
  const ours = stepVip(vip(present('a')), ctx({ takeable: () => true }));
  assert.equal(ours.state.orphanSince, null);
});

// Random states reached by observations and write results, and random contexts.
const leaseArb: fc.Arbitrary<LeaseView> = fc.oneof(
  fc.constant<LeaseView>({ kind: 'absent' }),
  fc.record({ holder: fc.constantFrom('', 'a', 'b', 'c'), epoch: fc.integer({ min: 0, max: 9 }), version: fc.option(fc.integer({ min: 70, max: 99 }).map(String), { nil: null }) }).map((record): LeaseView => ({ kind: 'present', record })),
);
type Ev = { k: 'api'; lease: LeaseView } | { k: 'note'; holder: string; epoch: number } | { k: 'step'; c: Partial<VipContext> } | { k: 'result'; ok: boolean; conflict: boolean; version: number };
const ctxArb = fc.record({
  now: fc.integer({ min: 0, max: 3_000 }).map((d) => NOW + d),
  wanted: fc.boolean(),
  ranked: fc.shuffledSubarray(['a', 'b', 'c']),
  mayAnswer: fc.boolean(),
  mayWrite: fc.boolean(),
  dead: fc.subarray(['b', 'c']),
  stale: fc.subarray(['b', 'c']),
});
const evArb: fc.Arbitrary<Ev> = fc.oneof(
  fc.record({ k: fc.constant('api' as const), lease: leaseArb }),
  fc.record({ k: fc.constant('note' as const), holder: fc.constantFrom('a', 'b', 'c'), epoch: fc.integer({ min: 0, max: 9 }) }),
  ctxArb.map(({ dead, stale, ...c }): Ev => ({ k: 'step', c: { ...c, takeable: (h: string) => dead.includes(h), fresh: (n: string) => !stale.includes(n) } })),
  fc.record({ k: fc.constant('result' as const), ok: fc.boolean(), conflict: fc.boolean(), version: fc.integer({ min: 70, max: 99 }) }),
);

test('property: start only when the Lease names us, the VIP is wanted and the guard allows; writes only with mayWrite, one at a time; wake-ups ahead', () => {
  fc.assert(
    fc.property(fc.array(evArb, { maxLength: 30 }), (events) => {
      let s = initialVip(IP);
      let now = NOW;
      for (const e of events) {
        if (e.k === 'api') s = observeApi(s, e.lease, 'a');
        else if (e.k === 'note') s = observeNote(s, { ip: IP, holder: e.holder, epoch: e.epoch }, 'a');
        else if (e.k === 'result') s = writeFinished(s, e.ok ? { ok: true, version: String(e.version) } : { ok: false, conflict: e.conflict }, 'a', now, 500);
        else {
          const c = ctx(e.c);
          now = Math.max(now, c.now);
          const before = s;
          const step = stepVip(s, { ...c, now });
          s = step.state;
          const writes = step.actions.filter((a) => a.kind === 'write');
          assert.ok(writes.length <= 1);
          if (writes.length > 0) {
            assert.ok(c.mayWrite, 'a write without mayWrite');
            assert.equal(before.pending, null, 'a second write in flight');
          }
          const holder = s.lease.kind === 'present' ? s.lease.record.holder : null;
          if (step.actions.some((a) => a.kind === 'start')) {
            assert.equal(holder, 'a');
            assert.ok(c.wanted && c.mayAnswer);
          }
          if (s.answering) assert.ok(holder === 'a' && c.wanted && c.mayAnswer && (s.pending === null || s.pending.op === 'take'), 'answering without the right to');
          assert.ok(step.wakeAt === null || step.wakeAt > now, `wakeAt ${step.wakeAt} at ${now}`);
        }
      }
    }),
    { numRuns: 300 },
  );
});

test('regression: issue #15 Finding 1 — a VIP handed straight back, the watch ahead of our write: losing it later is "lost", not "handedOver"', () => {
  // We hold the VIP at version 77 and hand it to b (rebalancing: b ranked first, J passed).
  const held = stepVip(vip(present('a', 4, '77')), ctx({ now: NOW - J })).state;
  const handing = stepVip(held, ctx({ ranked: ['b', 'a'] }));
  assert.deepEqual(handing.actions.map((a) => (a.kind === 'write' ? `write ${a.op} ${a.holder}` : a.kind === 'stop' ? `stop ${a.reason}` : a.kind)), ['stop handedOver', 'write handover b']);
  // b hands it straight back (it became ineligible) and the watch shows that version (79)
  // before the response to our own write (78) arrives: the Lease names us again.
  const back = observeApi(handing.state, present('a', 6, '79'), 'a');
  const answered = writeFinished(back, { ok: true, version: '78' }, 'a', NOW, 500);
  assert.equal(holderOf(answered.lease), 'a');
  const resumed = stepVip(answered, ctx({ now: NOW + 1 }));
  assert.deepEqual(resumed.actions.map((a) => a.kind), ['start']);
  // c takes the VIP later: we did not give it away this time, we lost it.
  const lost = stepVip(observeApi(resumed.state, present('c', 7, '80'), 'a'), ctx({ now: NOW + 2, ranked: ['c', 'a'] }));
  assert.deepEqual(lost.actions, [{ kind: 'stop', ip: IP, reason: 'lost' }]);
});

function holderOf(v: LeaseView): string | null {
  return v.kind === 'present' ? v.record.holder : null;
}
