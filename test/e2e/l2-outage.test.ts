// api-suite: L2 through a 60 s kube-apiserver outage and an etcd wipe (issue #8, point 5)
// The L2 lab on a real kube-apiserver with etcd, the controller as a `herald controller` process
// and the speakers as herald-speaker, each with its ServiceAccount token and deploy/'s RBAC. The
// client namespace probes every VIP without pause (test/e2e/answer-watch.ts) while the control
// plane fails under Herald: docs/l2.md, "Failure analysis" and "When the API server or etcd goes
// away", say what must happen. Real server only: the stand-in cannot stop and come back with its
// data, nor lose its store under a running apiserver.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiServerKind } from '../../src/controlplane/control-plane.ts';
import type { RealApiServer } from '../../src/controlplane/real-apiserver.ts';
import { desiredOwner } from '../../src/election/hash.ts';
import { startL2Lab } from '../../src/lab/l2-lab.ts';
import type { L2Lab } from '../../src/lab/l2-lab.ts';
import { pollUntil } from '../../src/lab/poll.ts';
import { describeTallies, snapshot, watchAnswers } from './answer-watch.ts';
import type { AnswerWatch, VipTally } from './answer-watch.ts';
import { NODES, answeredBy, closeL2Lab, heldAndAnswered, l2SkipReason } from './l2-support.ts';

const SKIP = l2SkipReason() || (apiServerKind() === 'real' ? false : 'needs the real kube-apiserver (HERALD_APISERVER=real, as `npm run test:real` sets): the stand-in cannot stop and come back with its data, nor lose its store');
const OUTAGE_MS = 60_000;
/** After the API returns, watches restart with capped backoff (src/kube/informer.ts: 30 s at most). */
const RECOVERY_MS = 90_000;
/** How long the lab stays on a kube-apiserver whose store was wiped under it: several E (docs/l2.md). */
const STALE_MS = 15_000;

describe('L2 through an API outage and an etcd wipe (real kube-apiserver)', { skip: SKIP, timeout: 600_000 }, () => {
  let lab: L2Lab | undefined;
  const theLab = (): L2Lab => {
    assert.ok(lab !== undefined);
    return lab;
  };
  const theServer = (): RealApiServer => {
    const real = theLab().controlPlane.real;
    assert.ok(real !== undefined, 'the lab runs on the real kube-apiserver');
    return real;
  };
  /** Every VIP made here → its Service. */
  const vips = new Map<string, string>();

  before(async () => {
    lab = await startL2Lab({ apiserver: 'real', controllerProcess: true, speakerLogLevel: 'debug' });
  }, { timeout: 120_000 });

  // A kube-apiserver that has just started, or whose RBAC objects were just re-created, answers
  // ServiceAccounts 403 until its RBAC caches have synced (docs/devapi.md, difference 7): a 403
  // logged within 15 s of a start or a restore this file made is that, not a permission deploy/
  // lacks. Any other 403 still fails the file.
  const apiStarts: number[] = [];
  const RBAC_SYNC_MS = 15_000;
  const duringRbacSync = (line: string): boolean => {
    const m = /"time":"([^"]+)"/.exec(line);
    const at = m?.[1] === undefined ? Number.NaN : Date.parse(m[1]);
    // "resolved after N s: forbidden …" (src/kube/api-health.ts) is logged when the refusal ends,
    // which a watch retrying with back-off sees up to 30 s later (a CI run at load): the refusal
    // began N s (± rounding) before that line.
    const resolved = /resolved after (\d+) s:/.exec(line);
    const began = resolved?.[1] === undefined ? at : at - (Number(resolved[1]) + 1) * 1000;
    return apiStarts.some((t) => began >= t - 1000 && began <= t + RBAC_SYNC_MS);
  };
  after(() => closeL2Lab(lab, duringRbacSync));

  /**
   * Waits until the VIP's Lease names a holder and the watch's latest round heard that node alone:
   * no probe of its own, which would mix its replies into the watch's (answer-watch.ts).
   */
  async function heldAndHeard(l: L2Lab, w: AnswerWatch, ip: string): Promise<string> {
    const r = await pollUntil(`${ip} held and heard by the watch`, async () => {
      const [holder, heard] = [await l.holderOf(ip), w.last(ip) ?? []];
      return holder !== null && heard.length === 1 && heard[0] === holder ? { done: true, value: holder } : { done: false, seen: `holder ${holder}, last heard ${heard.join(', ') || 'nobody'}` };
    }, { timeoutMs: RECOVERY_MS, intervalMs: 250, context: () => l.logTails() });
    return r.value;
  }

  /** The speakers' self-fences in their logs, for a failure message. */
  function fences(l: L2Lab): string {
    const lines = NODES.flatMap((n) => l.speakerLog(n, 2000).split('\n').filter((x) => x.includes('"reason":"fenced"')).map((x) => `${n}: ${x.slice(0, 200)}`));
    return lines.length === 0 ? 'no speaker fenced itself' : `self-fences:\n${lines.join('\n')}`;
  }

  function assertClean(tallies: ReadonlyMap<string, VipTally>, what: string): void {
    for (const [ip, t] of tallies) {
      assert.ok(t.rounds > 0, `${ip} was never probed`);
      assert.equal(t.doubled, 0, `${what}: ${ip} answered by two nodes\n${describeTallies(tallies)}\n${theLab().logTails()}`);
    }
  }

  /** Services until every node ranks first for a VIP (each holds one), and a dual-stack one for NDP; each VIP settled on its first-ranked node. */
  async function ensureVips(l: L2Lab): Promise<void> {
    if (vips.size > 0) return;
    for (let i = 1; i <= 12 && !NODES.every((n) => [...vips.keys()].some((ip) => desiredOwner(ip, NODES) === n)); i++) {
      await l.createService(`t-out-${i}`);
      for (const ip of await l.waitForIngress(`t-out-${i}`)) vips.set(ip, `t-out-${i}`);
    }
    await l.createService('t-out-dual', { ipFamilyPolicy: 'RequireDualStack' });
    for (const ip of await l.waitForIngress('t-out-dual')) vips.set(ip, 't-out-dual');
    for (const n of NODES) assert.ok([...vips.keys()].some((ip) => desiredOwner(ip, NODES) === n), `${n} ranks first for none of ${[...vips.keys()].join(', ')}`);
    // Settled: each VIP with its first-ranked node (docs/l2.md, Ranking), so nothing is due to move.
    for (const ip of vips.keys()) await answeredBy(l, ip, desiredOwner(ip, NODES) ?? '');
  }

  /** How the `herald controller` process came through the outage (checked in its own test below). */
  let controllerAfterOutage: { before: number | null; after: number | null; log: string } | null = null;

  it('kube-apiserver down for 60 s: each VIP answered by its holder throughout, never twice; the same speakers serve a new Service after', async (t) => {
    const l = theLab();
    await ensureVips(l);
    const holders = new Map([...vips.keys()].map((ip) => [ip, desiredOwner(ip, NODES) ?? '']));
    const speakerPids = NODES.map((n) => l.speakerPid(n));
    const controllerPid = l.controller.pid();
    assert.ok(controllerPid !== null && speakerPids.every((p) => p !== undefined));

    const watch = watchAnswers(l, [...vips.keys()]);
    const real = theServer();
    await real.stopApiServer();
    await sleep(OUTAGE_MS); // the outage itself: nothing is asserted on time
    const during = snapshot(watch.tallies);
    apiStarts.push(Date.now());
    await real.startApiServer();
    const upAt = performance.now();
    controllerAfterOutage = { before: controllerPid, after: l.controller.pid(), log: l.controller.logTail(30) };
    // Without a controller no Service gets an address: start one if the outage ended it, so the
    // speakers' part is judged on its own (the controller's is the next test).
    if (!l.controller.running()) await l.controller.start();

    // The same speakers carry on: a new Service gets an address and an answer.
    await l.createService('t-after-outage');
    const [fresh] = await l.waitForIngress('t-after-outage', { timeoutMs: RECOVERY_MS });
    assert.ok(fresh !== undefined);
    vips.set(fresh, 't-after-outage');
    const freshHolder = await heldAndAnswered(l, fresh, RECOVERY_MS);
    const servedAfterMs = Math.round(performance.now() - upAt);
    const tallies = await watch.stop();
    t.diagnostic(`API down ${OUTAGE_MS / 1000} s; during it:\n${describeTallies(during)}`);
    t.diagnostic(`outage and recovery, in all:\n${describeTallies(tallies)}`);
    t.diagnostic(`a Service created after the API returned was answered by ${freshHolder} ${servedAfterMs} ms after`);
    t.diagnostic(fences(l));

    for (const [ip, v] of tallies) {
      assert.equal(v.doubled, 0, `${ip} answered by two nodes\n${describeTallies(tallies)}`);
      // One probe may go unanswered when a starved speaker's event loop stalls past F and it
      // fences itself until it hears its peers again (docs/l2.md, Self-fencing: the designed
      // answer to a stall, outage or not); two in a row are a gap the outage made.
      assert.ok(v.longestGap <= 1, `${ip} went unanswered ${v.longestGap} probes in a row\n${describeTallies(tallies)}\n${fences(l)}\n${l.logTails()}`);
      assert.deepEqual([...v.answeredBy.keys()], [holders.get(ip)], `${ip} moved during the outage\n${describeTallies(tallies)}`);
    }
    for (const [ip, holder] of holders) assert.equal(await l.holderOf(ip), holder, `the Lease of ${ip}`);
    assert.deepEqual(NODES.map((n) => (l.speakerRunning(n) ? l.speakerPid(n) : 'exited')), speakerPids, 'a speaker was restarted or exited');
  });

  it('herald controller outlives an API outage longer than its renew deadline: the same process leads again after (issue #8)', () => {
    const c = controllerAfterOutage;
    assert.ok(c !== null, 'the outage test ran');
    assert.equal(c.after, c.before, `the controller process (pid ${c.before}) exited during the outage instead of waiting to lead again:\n${c.log}`);
  });

  it('etcd wiped: never two answerers, under the stale apiserver, after its restart on the empty store, and through the restore and the restart of Herald', async (t) => {
    const l = theLab();
    const real = theServer();
    await ensureVips(l);
    const before = new Map(await Promise.all([...vips.keys()].map(async (ip) => [ip, await l.holderOf(ip)] as const)));
    const watch = watchAnswers(l, [...vips.keys()]);

    // 1. etcd empty under a running kube-apiserver, which goes on serving reads from its watch
    // cache while writes fail (docs/l2.md, "When the API server or etcd goes away").
    await real.wipeEtcd();
    await sleep(STALE_MS); // the state itself: nothing is asserted on time
    t.diagnostic(`etcd wiped, kube-apiserver still on its old cache:\n${describeTallies(snapshot(watch.tallies))}`);

    // 2. kube-apiserver restarted, as every etcd restore procedure says: now the store is empty
    // for everyone, and Herald's ServiceAccounts are gone with it (401).
    await real.stopApiServer();
    apiStarts.push(Date.now());
    await real.startApiServer();
    await pollUntil('every speaker refused by the emptied API server (401)', async () => {
      const refused = NODES.filter((n) => /HTTP-Code: 401|"code":\s*401|Unauthorized/i.test(l.speakerLog(n)));
      return refused.length === NODES.length ? { done: true, value: refused } : { done: false, seen: `refused: ${refused.join(', ') || 'none'}` };
    }, { timeoutMs: RECOVERY_MS, intervalMs: 500 });
    const locked = snapshot(watch.tallies);
    t.diagnostic(`store empty, Herald locked out (401):\n${describeTallies(locked)}`);

    // 3. Restored from the manifests (CRDs, namespaces, RBAC, Nodes, pool, policy) and the
    // Services re-created; Herald's pods replaced with fresh tokens, as a Deployment and a
    // DaemonSet would replace them, one node at a time.
    apiStarts.push(Date.now());
    await l.reseed();
    apiStarts.push(Date.now());
    await l.controller.stop();
    await l.controller.start();
    const services = [...new Set(vips.values())];
    for (const name of services) await l.createService(name, name === 't-out-dual' ? { ipFamilyPolicy: 'RequireDualStack' } : {});
    const restored = new Set<string>();
    for (const name of services) for (const ip of await l.waitForIngress(name, { timeoutMs: 30_000 })) restored.add(ip);
    const extra = watchAnswers(l, [...restored].filter((ip) => !vips.has(ip)));
    for (const n of NODES) await l.restartSpeaker(n);
    const holders = new Map<string, string>();
    for (const ip of restored) holders.set(ip, await heldAndHeard(l, vips.has(ip) ? watch : extra, ip));
    const tallies = new Map([...(await watch.stop()), ...(await extra.stop())]);
    t.diagnostic(`Lease holders before the wipe: ${JSON.stringify(Object.fromEntries(before))}; after the restore: ${JSON.stringify(Object.fromEntries(holders))}`);
    t.diagnostic(`wipe, restore and restart, in all:\n${describeTallies(tallies)}`);
    for (const [ip, v] of locked) assert.equal(v.doubled, 0, `${ip} answered twice before the restore\n${describeTallies(locked)}`);
    assertClean(tallies, 'after the etcd wipe');
  });
});
