// What another device answering for a held VIP leads to (src/speaker/l2-conflicts.ts): a
// handover's successor is no conflict; a Lease naming another node is a takeover not seen yet; a
// Lease still naming this node is a duplicate address, reported per Service and defended at most
// once per DEFEND_INTERVAL (RFC 5227 §2.4 (b)).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Conflicts, DEFEND_INTERVAL_MS } from '../../src/speaker/l2-conflicts.ts';
import type { ConflictsOptions } from '../../src/speaker/l2-conflicts.ts';
import { createSpeakerMetrics } from '../../src/speaker/metrics.ts';

function harness(over: Partial<ConflictsOptions> = {}) {
  const metrics = createSpeakerMetrics({ defaultMetrics: false });
  const seen = { announced: [] as string[], events: [] as string[] };
  let now = 1_000;
  const conflicts = new Conflicts({
    node: 'node-a',
    log: pino({ level: 'silent' }),
    metrics,
    now: () => now,
    successorAnnounced: () => false,
    confirmHeld: () => Promise.resolve(true),
    holderOf: () => 'node-a',
    servicesOf: () => ['default/web', 'default/api'],
    emit: (key, type, reason) => seen.events.push(`${key} ${type} ${reason}`),
    announce: (ip) => seen.announced.push(ip),
    ...over,
  });
  const count = async (name: string): Promise<number> => {
    const m = metrics.registry.getSingleMetric(name);
    let n = 0;
    for (const v of (await m?.get())?.values ?? []) n += v.value;
    return n;
  };
  return { conflicts, seen, count, advance: (ms: number) => (now += ms) };
}

const settle = () => new Promise((r) => setImmediate(r));

test('a duplicate address: a Warning Event per Service, the conflict counted, one defence per DEFEND_INTERVAL', async () => {
  const h = harness();
  h.conflicts.seen('192.0.2.10', '02:00:00:00:00:99', 'eth0');
  await settle();
  assert.deepEqual(h.seen.events, ['default/web Warning DuplicateAddress', 'default/api Warning DuplicateAddress']);
  assert.deepEqual(h.seen.announced, ['192.0.2.10']);
  h.advance(DEFEND_INTERVAL_MS - 1);
  h.conflicts.seen('192.0.2.10', '02:00:00:00:00:99', 'eth0');
  await settle();
  assert.deepEqual(h.seen.announced, ['192.0.2.10'], 'no second defence within the interval');
  h.advance(1);
  h.conflicts.seen('192.0.2.10', '02:00:00:00:00:99', 'eth0');
  await settle();
  assert.deepEqual(h.seen.announced, ['192.0.2.10', '192.0.2.10'], 'defended again once the interval is over');
  assert.equal(await h.count('herald_l2_conflicts_total'), 3);
  assert.equal(await h.count('herald_l2_stale_conflicts_total'), 0);
});

test('a Lease naming another node: a takeover not seen yet, counted apart, no Event and no defence', async () => {
  const h = harness({ confirmHeld: () => Promise.resolve(false), holderOf: () => 'node-b' });
  h.conflicts.seen('2001:db8::10', null, 'eth0');
  await settle();
  assert.deepEqual(h.seen, { announced: [], events: [] });
  assert.equal(await h.count('herald_l2_stale_conflicts_total'), 1);
  assert.equal(await h.count('herald_l2_conflicts_total'), 0);
});

test('the successor of a handover announcing is no conflict; a Lease that cannot be read is taken as a duplicate', async () => {
  const successor = harness({ successorAnnounced: () => true, confirmHeld: () => assert.fail('no Lease read for a successor') });
  successor.conflicts.seen('192.0.2.11', '02:00:00:00:00:0b', 'eth0');
  await settle();
  assert.deepEqual(successor.seen, { announced: [], events: [] });
  const unreadable = harness({ confirmHeld: () => Promise.reject(new Error('503')) });
  unreadable.conflicts.seen('192.0.2.12', '02:00:00:00:00:99', 'eth0');
  await settle();
  assert.deepEqual(unreadable.seen.announced, ['192.0.2.12']);
  assert.equal(await unreadable.count('herald_l2_conflicts_total'), 1);
});
