// What a fence does to the announcer's table (docs/l2.md, "Fencing"): the responder asks the
// fence at reply time, so a fence needs no change to the table, and its end needs no burst.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { DEFAULT_L2_TIMINGS } from '../../src/election/timings.ts';
import { DriverWorld, NODES, cutOff, dark, desired, settled } from './driver-world.ts';

const F = DEFAULT_L2_TIMINGS.fenceAfterMs;
const IPS = Array.from({ length: 24 }, (_, i) => `198.19.0.${i + 1}`);

async function world(): Promise<{ w: DriverWorld; held: string[] }> {
  const w = new DriverWorld(NODES);
  await w.start(desired(IPS));
  await settled(w, IPS);
  const held = IPS.filter((ip) => w.leases.get(ip)?.holder === 'node-c');
  assert.ok(held.length > 0, 'node-c holds a share');
  return { w, held };
}

test('regression: issue #10 — a fence removed every VIP from the announcer and its end put them back, a gratuitous burst each: at 5,000 VIPs 30,000 frames that every peer read, starving the next speaker into its own fence', async () => {
  const { w, held } = await world();
  const c = w.nodes.get('node-c');
  assert.ok(c !== undefined);
  const puts = c.puts.length;
  cutOff(w, 'node-c', true);
  await w.clock.advance(F + 120);
  assert.equal(c.driver.view().fenced, true, 'node-c fenced');
  for (const ip of held) {
    assert.ok(c.table.has(ip), `${ip}: still in the announcer's table`);
    assert.deepEqual(w.answering(ip), [], `${ip}: answered by nobody while its holder is fenced`);
  }
  cutOff(w, 'node-c', false);
  await w.clock.advance(1_000);
  assert.equal(c.driver.view().fenced, false, 'the fence is over');
  // The story needs a fence short enough that no peer took node-c's VIPs.
  assert.deepEqual(IPS.filter((ip) => w.leases.get(ip)?.holder === 'node-c'), held, 'node-c still holds its share');
  assert.deepEqual(c.removes, [], 'nothing left the table');
  assert.equal(c.puts.length, puts, 'nothing was put again: no burst');
  for (const ip of held) assert.deepEqual(w.answering(ip), ['node-c'], `${ip}: node-c answers again`);
});

test('a VIP taken from a fenced node leaves its table when the fence ends, and comes back with a new entry (its burst) when it is handed back', async () => {
  const { w, held } = await world();
  const c = w.nodes.get('node-c');
  assert.ok(c !== undefined);
  cutOff(w, 'node-c', true);
  await w.clock.advance(2_000);
  const taken = held.filter((ip) => w.leases.get(ip)?.holder !== 'node-c');
  assert.deepEqual(taken, held, 'its peers took every VIP node-c held');
  for (const ip of held) {
    assert.ok(c.table.has(ip), `${ip}: kept in node-c's table while it is fenced`);
    assert.equal(w.answering(ip).length, 1, `${ip}: answered once, by its new holder`);
    assert.notDeepEqual(w.answering(ip), ['node-c']);
  }
  const puts = c.puts.length;
  cutOff(w, 'node-c', false);
  await w.clock.advance(300);
  assert.equal(c.driver.view().fenced, false, 'the fence is over');
  for (const ip of held) if (w.leases.get(ip)?.holder !== 'node-c') assert.ok(!c.table.has(ip), `${ip}: gone from node-c's table`);
  await w.clock.advance(5_000);
  const back = IPS.filter((ip) => w.leases.get(ip)?.holder === 'node-c');
  assert.ok(back.length > 0, 'node-c was handed a share again');
  for (const ip of back) assert.ok(c.puts.slice(puts).some((p) => p.ip === ip), `${ip}: put anew, announced`);
  assert.deepEqual(dark(w, IPS), [], 'every Lease names a node that answers');
  for (const ip of IPS) assert.equal(w.answering(ip).length, 1, `${ip}: one answer`);
});

test('regression: issue #10 — a peer\'s takeover that this node\'s watch had not shown yet was reported as a duplicate address and defended; the Lease read on a conflict stops the node instead', async () => {
  const { w, held } = await world();
  const c = w.nodes.get('node-c');
  const [ip, mine] = held;
  assert.ok(c !== undefined && ip !== undefined && mine !== undefined, 'node-c holds two VIPs or more');
  // node-a took the VIP; node-c's watch has not shown it (the store changed, no event yet).
  const stored = w.leases.get(ip);
  assert.ok(stored !== undefined);
  w.leases.set(ip, { holder: 'node-a', epoch: stored.epoch + 1, version: stored.version + 10_000 });
  assert.ok(c.driver.mayAnswer(ip), 'node-c still answers: its view is behind');
  const [first, second] = [c.driver.confirmHeld(ip), c.driver.confirmHeld(ip)];
  assert.equal(first, second, 'one read per VIP at a time, however many frames conflict');
  await w.clock.advance(10);
  assert.equal(await first, false, 'the Lease names node-a: no duplicate address');
  assert.equal(c.driver.mayAnswer(ip), false, 'node-c stopped answering');
  assert.ok(!c.table.has(ip));
  // A VIP whose Lease still names node-c: a real duplicate address, to report and defend.
  const check = c.driver.confirmHeld(mine);
  await w.clock.advance(10);
  assert.equal(await check, true);
  assert.ok(c.driver.mayAnswer(mine));
});

/**
 * node-c stalls in effect: no heartbeat in or out, and its requests time out (its watch still
 * flows), for F + 150 ms, under D: its peers keep its VIPs. Meanwhile they take a new VIP (so
 * none of them can vouch for node-c: they wrote after it lost touch). Then all heals, and a list
 * of every VIP Lease takes a second to come (5,000 Leases on a loaded machine).
 */
async function stallWhilePeersWrite(w: DriverWorld): Promise<string> {
  const c = w.nodes.get('node-c');
  assert.ok(c !== undefined);
  const extra = '198.19.0.99';
  cutOff(w, 'node-c', true);
  c.apiDown = false;
  c.requestsFail = true;
  for (const n of w.nodes.values()) n.driver.setDesired(desired([...IPS, extra]));
  await w.clock.advance(F + 150);
  assert.equal(c.driver.view().fenced, true, 'node-c fenced');
  assert.ok(['node-a', 'node-b'].includes(w.leases.get(extra)?.holder ?? ''), 'a peer took the new VIP meanwhile');
  w.listReplyMs = 1_000;
  cutOff(w, 'node-c', false);
  c.requestsFail = false;
  return extra;
}

test('regression: issue #10 — after a fence the node waited for a list of every VIP Lease (seconds at 5,000 under load, while it said `fenced` and its peers took its VIPs): the watch reaching the collection\'s revision revalidates it within a round trip', async () => {
  const { w, held } = await world();
  const c = w.nodes.get('node-c');
  assert.ok(c !== undefined);
  await stallWhilePeersWrite(w);
  const lists = w.lists.length;
  await w.clock.advance(200);
  assert.equal(c.driver.view().fenced, false, 'the fence is over');
  assert.equal(c.driver.view().revalidating, false, 'revalidated without a list');
  assert.deepEqual(w.lists.slice(lists), [], 'no list sent: the catch-up came first');
  assert.deepEqual(IPS.filter((ip) => w.leases.get(ip)?.holder === 'node-c'), held, 'nobody took its VIPs');
  for (const ip of held) assert.deepEqual(w.answering(ip), ['node-c'], `${ip}: node-c answers again`);
});

test('a catch-up waits for the watch to deliver the revision: a Lease written just before it, slow to arrive, is seen before the node answers again', async () => {
  const { w, held } = await world();
  const c = w.nodes.get('node-c');
  const [moved] = held;
  assert.ok(c !== undefined && moved !== undefined);
  await stallWhilePeersWrite(w);
  // Written as the fence ends; node-c's watch brings it 150 ms later (in order, not lost): under
  // D − F, so its peers, which hear it say `fenced` meanwhile, take nothing.
  c.watchDelayMs = 150;
  w.overwrite(moved, 'node-a');
  // Every 10 ms: node-c never answers the VIP written away, though its first answers after the
  // fence come before the write reaches it (a catch-up taken at the revision's reply would).
  let revalidatedAt: number | null = null;
  const start = w.clock.now();
  for (let t = 0; t < 400; t += 10) {
    await w.clock.advance(10);
    assert.ok(!w.answering(moved).includes('node-c'), `${t} ms: node-c answers ${moved}, which its Lease gives node-a`);
    if (revalidatedAt === null && !c.driver.view().revalidating && !c.driver.view().fenced) revalidatedAt = w.clock.now() - start;
  }
  assert.ok(revalidatedAt !== null && revalidatedAt >= 150, `caught up once the write arrived (${String(revalidatedAt)} ms), before the list (1 s)`);
  for (const ip of held.filter((x) => x !== moved)) assert.deepEqual(w.answering(ip), ['node-c'], `${ip}: node-c answers again`);
});

test('a quiet collection: the watch never reaches a revision other objects moved, and the list, sent LIST_AFTER_MS after the probe, revalidates', async () => {
  const { w, held } = await world();
  const c = w.nodes.get('node-c');
  assert.ok(c !== undefined);
  w.revisionAhead = 1;
  await stallWhilePeersWrite(w);
  w.listReplyMs = 20;
  const lists = w.lists.length;
  await w.clock.advance(400);
  assert.deepEqual(w.lists.slice(lists), ['node-c'], 'one list, by node-c');
  assert.equal(c.driver.view().revalidating, false, 'revalidated by the list');
  for (const ip of held) assert.deepEqual(w.answering(ip), ['node-c'], `${ip}: node-c answers again`);
});
