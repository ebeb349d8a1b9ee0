// The per-VIP state machine as a decision table: one state and context in, actions out
// (docs/l2.md, "Ownership: the per-VIP state machine").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { behind, checkNote, compareVersions, initialVip, isNews, observeApi, observeNote, stepVip, writeFinished } from '../../src/election/vip-machine.ts';
import type { LeaseView, VipAction, VipContext, VipState } from '../../src/election/vip-machine.ts';

const IP = '192.0.2.10';
const NOW = 10_000;

function ctx(extra: Partial<VipContext> = {}): VipContext {
  return { now: NOW, me: 'a', wanted: true, ranked: ['a', 'b'], takeable: () => false, mayAnswer: true, mayWrite: true, fresh: () => true, takeoverStaggerMs: 200, rebalanceAfterMs: 1_000, rebalance: () => true, ...extra };
}

const present = (holder: string, epoch = 4, version: string | null = '77'): LeaseView => ({ kind: 'present', record: { holder, epoch, version } });

function vip(lease: LeaseView, extra: Partial<VipState> = {}): VipState {
  return { ...observeApi(initialVip(IP), lease, 'a'), ...extra };
}

/** Actions in a compact form: "write take a 5 @77", "start take", "stop lost". */
function brief(actions: readonly VipAction[]): string[] {
  return actions.map((a) => {
    switch (a.kind) {
      case 'write':
        return `write ${a.op} ${a.holder || "''"} ${a.epoch} @${a.expect?.version ?? 'create'}`;
      case 'start':
        return `start ${a.cause}`;
      case 'stop':
        return `stop ${a.reason}`;
      case 'notify':
        return `notify ${a.to ?? 'all'}`;
    }
  });
}

// [what, state, context, expected actions, expected wakeAt]
const DECISIONS: [string, VipState, VipContext, string[], number | null][] = [
  ['Lease view unknown (not synced): nothing at all', initialVip(IP), ctx(), [], null],
  ['no Lease, first candidate: create it', vip({ kind: 'absent' }), ctx(), ['write take a 0 @create'], null],
  ['no Lease, second candidate: wait one stagger', vip({ kind: 'absent' }), ctx({ ranked: ['b', 'a'] }), [], NOW + 200],
  ['no Lease, second candidate, stagger over: take', vip({ kind: 'absent' }, { orphanSince: NOW - 200 }), ctx({ ranked: ['b', 'a'] }), ['write take a 0 @create'], null],
  ['holder dead, first candidate: take with the version seen', vip(present('b')), ctx({ takeable: (h) => h === 'b' }), ['write take a 5 @77'], null],
  ['holder alive: never taken', vip(present('b')), ctx({ ranked: ['a'] }), [], null],
  ['released Lease: taken', vip(present('')), ctx(), ['write take a 5 @77'], null],
  ['not a candidate (ineligible): no take', vip({ kind: 'absent' }), ctx({ ranked: ['b'] }), [], null],
  ['fenced or not warm: no write', vip({ kind: 'absent' }), ctx({ mayWrite: false }), [], null],
  ['ours and first: answer (a resume after start-up)', vip(present('a')), ctx(), ['start resume'], null],
  ['ours for J, a better node is stable: hand over, and do not start answering what is being written away', vip(present('a'), { heldSince: NOW - 1_000 }), ctx({ ranked: ['b', 'a'] }), ['write handover b 5 @77'], null],
  ['ours only just (a take): rebalancing waits until we have held it for J', vip(present('a'), { answering: true, heldSince: NOW - 300 }), ctx({ ranked: ['b', 'a'] }), [], NOW + 700],
  ['a better node, but not heard just now (maybe why we took it): keep it', vip(present('a'), { answering: true, heldSince: NOW - 5_000 }), ctx({ ranked: ['b', 'a'], fresh: (n) => n !== 'b' }), [], null],
  ['ours, we may not hold it (ineligible or leaving): stop answering and hand over to the first other', vip(present('a'), { answering: true }), ctx({ ranked: ['c', 'b'] }), ['stop handedOver', 'write handover c 5 @77'], null],
  ['leaving, the first other not heard just now: the next fresh one', vip(present('a'), { answering: true }), ctx({ ranked: ['c', 'b'], fresh: (n) => n !== 'c' }), ['stop handedOver', 'write handover b 5 @77'], null],
  ['ours, nobody else may hold it: stop and release', vip(present('a'), { answering: true }), ctx({ ranked: [] }), ['stop released', 'write release \'\' 5 @77'], null],
  ['ours from a note only (no version): answer, but no write until the API confirms', vip(present('a', 5, null)), ctx({ ranked: ['b'] }), ['start resume'], null],
  ['ours but fenced: stop, and write nothing', vip(present('a'), { answering: true }), ctx({ mayAnswer: false, mayWrite: false }), ['stop fenced'], null],
  ['no longer wanted and ours: stop and delete the Lease', vip(present('a'), { answering: true }), ctx({ wanted: false }), ['stop gone', 'write delete \'\' 4 @77'], null],
  ['no longer wanted, not ours: nothing', vip(present('b')), ctx({ wanted: false }), [], null],
  ['a write in flight: no second one', vip(present('a'), { answering: false, pending: { op: 'handover', holder: 'b', epoch: 5, sentAt: NOW - 5, basis: '77' } }), ctx({ ranked: ['b'] }), [], null],
  ['after a failed write: wait for the retry time', vip({ kind: 'absent' }, { retryAt: NOW + 300 }), ctx(), [], NOW + 300],
  ['after a conflict: wait for news of the Lease', vip({ kind: 'absent' }, { awaitingNews: true }), ctx(), [], null],
  ['another holder took it: stop at once', vip(present('b', 5, '78'), { answering: true }), ctx(), ['stop lost'], null],
];

test('decision table', () => {
  for (const [what, state, c, want, wakeAt] of DECISIONS) {
    const step = stepVip(state, c);
    assert.deepEqual(brief(step.actions), want, what);
    assert.equal(step.wakeAt, wakeAt, `${what}: wakeAt`);
  }
});

test('a take: pending, then the result makes us the holder and we answer with the take as the cause', () => {
  let s = vip(present('b'));
  const c = ctx({ takeable: () => true });
  const step = stepVip(s, c);
  s = step.state;
  assert.deepEqual(s.pending, { op: 'take', holder: 'a', epoch: 5, sentAt: NOW, basis: '77' });
  s = writeFinished(s, { ok: true, version: '78' }, 'a', NOW + 5, 500);
  assert.deepEqual(s.lease, present('a', 5, '78'));
  const next = stepVip(s, ctx({ now: NOW + 5 }));
  assert.deepEqual(next.actions, [{ kind: 'start', ip: IP, cause: 'take', from: 'b' }]);
  // The watch event for our own write changes nothing.
  assert.deepEqual(stepVip(observeApi(next.state, present('a', 5, '78'), 'a'), ctx()).actions, []);
});

test('a handover: we stop answering as the write goes out (no overlap with a successor that hears first, bench/l2 Finding 3); a failed write resumes', () => {
  let s = vip(present('a'), { answering: true, heldSince: 0 });
  const step = stepVip(s, ctx({ ranked: ['b', 'a'] }));
  assert.deepEqual(brief(step.actions), ['stop handedOver', 'write handover b 5 @77']);
  s = step.state;
  assert.equal(s.pending?.op, 'handover');
  assert.equal(s.answering, false);
  assert.deepEqual(brief(stepVip(s, ctx({ ranked: ['b', 'a'] })).actions), [], 'nothing more while the write is in flight');
  const done = writeFinished(s, { ok: true, version: '78' }, 'a', NOW, 500);
  assert.deepEqual(brief(stepVip(done, ctx({ ranked: ['b', 'a'] })).actions), []);
  // The write failed (API down): the Lease still names us, so we answer again.
  const failed = writeFinished(s, { ok: false, conflict: false }, 'a', NOW, 500);
  assert.deepEqual(brief(stepVip(failed, ctx({ ranked: ['b', 'a'], now: NOW + 1 })).actions), ['start resume']);
});

test('the successor starts on the observation naming it, with the cause handover', () => {
  let s = vip(present('b'));
  s = observeApi(s, present('a', 5, '78'), 'a');
  assert.deepEqual(stepVip(s, ctx()).actions, [{ kind: 'start', ip: IP, cause: 'handover', from: 'b' }]);
});

test('write failures: a conflict waits for a newer version; an error retries after the pause', () => {
  const pending = vip(present('b'), { pending: { op: 'take', holder: 'a', epoch: 5, sentAt: NOW, basis: '77' } });
  const conflicted = writeFinished(pending, { ok: false, conflict: true }, 'a', NOW, 500);
  assert.equal(conflicted.awaitingNews, true);
  assert.equal(observeApi(conflicted, present('b', 4, '77'), 'a').awaitingNews, true, 'the same version: still waiting');
  assert.equal(observeApi(conflicted, present('c', 5, '79'), 'a').awaitingNews, false);
  const failed = writeFinished(pending, { ok: false, conflict: false }, 'a', NOW, 500);
  assert.equal(failed.retryAt, NOW + 500);
  assert.equal(failed.pending, null);
});

test('notes: only a newer epoch counts, and it carries no version', () => {
  const s = vip(present('a', 4, '77'), { answering: true });
  assert.equal(observeNote(s, { ip: IP, holder: 'b', epoch: 4 }, 'a'), s, 'same epoch: ignored');
  assert.equal(observeNote(s, { ip: IP, holder: 'b', epoch: 3 }, 'a'), s, 'older: ignored');
  const moved = observeNote(s, { ip: IP, holder: 'b', epoch: 5 }, 'a');
  assert.deepEqual(moved.lease, present('b', 5, null));
  assert.deepEqual(brief(stepVip(moved, ctx()).actions), ['stop lost']);
  // Before the API has shown the Lease, a note cannot create it.
  assert.equal(observeNote(initialVip(IP), { ip: IP, holder: 'b', epoch: 5 }, 'a').lease.kind, 'unknown');
  // The API's next version replaces whatever a note said (a lying note cannot stick).
  assert.deepEqual(observeApi(moved, present('a', 4, '80'), 'a').lease, present('a', 4, '80'));
});

test('issue #10 — resourceVersions compare as numbers (KEP-5504); anything else has no order', () => {
  assert.equal(compareVersions('9', '10'), -1);
  assert.equal(compareVersions('10', '10'), 0);
  assert.equal(compareVersions('123457', '123456'), 1);
  assert.equal(compareVersions('123456', '123457'), -1);
  assert.equal(compareVersions('10', '9'), 1);
  for (const odd of ['010', '0', '', 'abc', '1e3', '-1']) assert.equal(compareVersions(odd, '10'), null, odd);
});

test('issue #10 — observations are ordered: a list entry or a read older than what the watch showed changes nothing', () => {
  const b77 = vip(present('b', 4, '77'));
  const a80 = observeApi(b77, present('a', 5, '80'), 'a');
  assert.deepEqual(a80.lease, present('a', 5, '80'));
  // The re-list whose snapshot was taken before the handover to us comes back last.
  assert.equal(observeApi(a80, present('b', 4, '77'), 'a'), a80, 'an older entry');
  assert.equal(observeApi(a80, { kind: 'absent', asOf: '79' }, 'a'), a80, 'absent as of an older version');
  assert.deepEqual(observeApi(a80, { kind: 'absent', asOf: '81' }, 'a').lease, { kind: 'absent', asOf: '81' }, 'deleted after');
  // The informer's re-list reports a deletion with the Lease's last version: still news.
  assert.equal(observeApi(a80, { kind: 'absent', asOf: '80' }, 'a').lease.kind, 'absent');
  const gone = observeApi(a80, { kind: 'absent', asOf: '81' }, 'a');
  assert.equal(observeApi(gone, present('a', 5, '80'), 'a'), gone, 'present before it was deleted');
  assert.deepEqual(observeApi(gone, present('c', 0, '85'), 'a').lease, present('c', 0, '85'), 'created again');
  // Without versions, or with versions that are not numbers, everything is news (as before).
  assert.equal(isNews({ kind: 'absent' }, { kind: 'present', version: '80' }), true);
  assert.equal(isNews(present('b', 4, 'x1'), { kind: 'present', version: 'x2' }), true);
  assert.equal(isNews(present('b', 4, 'x1'), { kind: 'present', version: 'x1' }), false);
});

test('issue #10 — a write\'s response older than the watch keeps the watch\'s view; a conflict already overtaken does not block writes', () => {
  const s = vip(present('b'), { pending: { op: 'take', holder: 'a', epoch: 5, sentAt: NOW, basis: '77' } });
  // Our take landed at 78, then c took it from us at 79; the watch showed 79 before our response.
  const watched = observeApi(s, present('c', 6, '79'), 'a');
  const done = writeFinished(watched, { ok: true, version: '78' }, 'a', NOW + 5, 500);
  assert.deepEqual(done.lease, present('c', 6, '79'));
  assert.equal(done.pending, null);
  assert.deepEqual(brief(stepVip(done, ctx({ now: NOW + 5 })).actions), []);
  // A conflict whose newer version the watch showed first: the view is current, writes may go on.
  const raced = writeFinished(watched, { ok: false, conflict: true }, 'a', NOW + 5, 500);
  assert.equal(raced.awaitingNews, false);
  const plain = writeFinished(s, { ok: false, conflict: true }, 'a', NOW + 5, 500);
  assert.equal(plain.awaitingNews, true, 'not yet overtaken: wait for a new version');
});

test('regression: issue #15 mutation Finding 2 — a conflict\'s wait ends when the Lease is deleted, reported as of the version the write was based on', () => {
  // Our take of b's Lease (version 77) conflicts; then the Lease is deleted, and the informer's
  // re-list reports the deletion as of its last version: 77 again. Before the fix the node kept
  // waiting for a version other than 77, which a deleted Lease never shows: it never took.
  const pending = vip(present('b', 4, '77'), { pending: { op: 'take', holder: 'a', epoch: 5, sentAt: NOW, basis: '77' } });
  const conflicted = writeFinished(pending, { ok: false, conflict: true }, 'a', NOW, 500);
  assert.deepEqual(brief(stepVip(conflicted, ctx({ now: NOW + 1 })).actions), [], 'waiting after the conflict');
  const deleted = observeApi(conflicted, { kind: 'absent', asOf: '77' }, 'a');
  assert.equal(deleted.lease.kind, 'absent');
  assert.equal(deleted.awaitingNews, false);
  assert.deepEqual(stepVip(deleted, ctx({ now: NOW + 2 })).actions, [{ kind: 'write', ip: IP, op: 'take', holder: 'a', epoch: 0, expect: null }], 'the first candidate creates it again, with no precondition');
});

test('issue #10 — the self-check\'s test: a view is behind the watch cache when unknown or older, never when ahead', () => {
  const s = vip(present('b', 4, '77'));
  assert.equal(behind(initialVip(IP), undefined), true);
  assert.equal(behind(s, { holder: 'a', epoch: 5, version: '78' }), true);
  assert.equal(behind(s, { holder: 'b', epoch: 4, version: '77' }), false);
  assert.equal(behind(observeApi(s, present('a', 5, '79'), 'a'), { holder: 'a', epoch: 5, version: '78' }), false, 'ahead of the cache (a read)');
  assert.equal(behind(s, undefined), false, 'not in the cache: nothing to compare');
  assert.equal(behind(vip({ kind: 'absent' }), { holder: 'a', epoch: 0, version: '78' }), false, 'no version to compare');
});

test('issue #10 — a note the API does not confirm: a read showing no newer version replaces it; a newer one is applied; a newer note wins', () => {
  // The Lease was deleted and created again: we hold it at epoch 1 (version 90), and a note of its
  // earlier life (epoch 5) takes it from us.
  const ours = vip(present('a', 1, '90'), { answering: true });
  const noted = observeNote(ours, { ip: IP, holder: 'b', epoch: 5 }, 'a');
  assert.deepEqual(noted.lease, present('b', 5, null));
  assert.deepEqual(brief(stepVip(noted, ctx()).actions), ['stop lost']);
  const back = checkNote(noted, 5, present('a', 1, '90'), 'a');
  assert.deepEqual(back.lease, present('a', 1, '90'));
  assert.deepEqual(brief(stepVip({ ...back, answering: false }, ctx()).actions), ['start resume']);
  // The API did move on: that is applied as any news.
  assert.deepEqual(checkNote(noted, 5, present('b', 5, '95'), 'a').lease, present('b', 5, '95'));
  // A newer note came while the read was out: the read says nothing about it.
  const newer = observeNote(noted, { ip: IP, holder: 'c', epoch: 6 }, 'a');
  assert.equal(checkNote(newer, 5, present('a', 1, '90'), 'a'), newer);
});
