// The L2 gate (src/speaker/l2-gate.ts): L2 on standby until the cluster has an
// L2AnnouncementPolicy, then started once, as a process start would, and kept running.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { L2Gate } from '../../src/speaker/l2-gate.ts';
import type { L2Part, StandbyPart } from '../../src/speaker/l2-gate.ts';

class FakeSpeaker implements L2Part {
  readonly log: string[];
  readonly id: number;
  failStart = false;
  startGate: Promise<void> = Promise.resolve();
  constructor(log: string[], id: number) {
    this.log = log;
    this.id = id;
  }
  async start(): Promise<void> {
    this.log.push(`speaker${this.id}.start`);
    await this.startGate;
    if (this.failStart) throw new Error('EADDRINUSE: heartbeat port taken');
  }
  async stop(opts: { drainMs: number }): Promise<void> {
    this.log.push(`speaker${this.id}.stop(${opts.drainMs})`);
  }
  inputsChanged(): void {
    this.log.push(`speaker${this.id}.inputsChanged`);
  }
  readiness(): { ok: boolean; reason: string } {
    return { ok: true, reason: `speaker${this.id}` };
  }
}

function world(opts: { policies?: number; failFirstStart?: boolean; holdStart?: boolean } = {}) {
  const log: string[] = [];
  const errors: string[] = [];
  let policies = opts.policies ?? 0;
  let resolveSynced = (): void => undefined;
  const synced = new Promise<void>((r) => (resolveSynced = r));
  let leases = 0;
  const made: FakeSpeaker[] = [];
  const starts: boolean[] = [];
  let release = (): void => undefined;
  const gate = new L2Gate<FakeSpeaker>({
    make: (atStart) => {
      const s = new FakeSpeaker(log, made.length + 1);
      starts.push(atStart);
      if (made.length === 0 && opts.failFirstStart === true) s.failStart = true;
      if (opts.holdStart === true) s.startGate = new Promise<void>((r) => (release = r));
      made.push(s);
      log.push(`make${s.id}`);
      return s;
    },
    wanted: () => policies > 0,
    synced,
    standby: (): StandbyPart => {
      const n = ++leases;
      return {
        start: () => log.push(`lease${n}.start`),
        stop: async (o) => {
          log.push(`lease${n}.stop(${o.remove ? 'remove' : 'keep'})`);
        },
      };
    },
    log: { info: () => undefined, error: (o) => errors.push(String((o as { code?: string }).code)) },
    onStandby: (on) => log.push(`standby=${on}`),
  });
  return { gate, log, errors, made, starts, synced: resolveSynced, setPolicies: (n: number) => (policies = n), release: () => release() };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('without an L2AnnouncementPolicy the gate stays on standby: a standby Lease, no L2 speaker, ready', async () => {
  const w = world();
  const started = w.gate.start();
  await tick();
  assert.deepEqual(w.log, [], 'nothing decided before the caches synced');
  assert.deepEqual(w.gate.readiness().ok, false);
  w.synced();
  await started;
  assert.deepEqual(w.log, ['lease1.start', 'standby=true']);
  assert.equal(w.gate.isStandby, true);
  assert.equal(w.gate.speaker, null);
  assert.deepEqual(w.gate.readiness(), { ok: true, reason: 'L2 on standby: no L2AnnouncementPolicy selects this node' });
  w.gate.inputsChanged();
  await tick();
  assert.equal(w.made.length, 0, 'a change with no policy starts nothing');
});

test('the first policy stops the standby Lease writer (keeping the Lease) before the L2 speaker starts, once', async () => {
  const w = world();
  w.synced();
  await w.gate.start();
  w.setPolicies(1);
  w.gate.inputsChanged();
  w.gate.inputsChanged();
  await tick();
  await tick();
  assert.deepEqual(w.log, ['lease1.start', 'standby=true', 'lease1.stop(keep)', 'standby=false', 'make1', 'speaker1.start']);
  assert.equal(w.gate.speaker, w.made[0]);
  assert.deepEqual(w.starts, [false], 'woken later: the warm-up runs from the wake');
  assert.deepEqual(w.gate.readiness(), { ok: true, reason: 'speaker1' });
  // Once running it runs: the policies going changes nothing until the process restarts.
  w.setPolicies(0);
  w.gate.inputsChanged();
  assert.equal(w.log.at(-1), 'speaker1.inputsChanged');
  assert.equal(w.gate.isStandby, false);
  await w.gate.stop({ drainMs: 3000 });
  assert.equal(w.log.at(-1), 'speaker1.stop(3000)');
});

test('a policy already there at the start starts L2 at once, with no standby Lease', async () => {
  const w = world({ policies: 1 });
  w.synced();
  await w.gate.start();
  assert.deepEqual(w.log, ['standby=false', 'make1', 'speaker1.start']);
  assert.deepEqual(w.starts, [true], 'at the process start: the warm-up runs from the process start');
  assert.notEqual(w.gate.speaker, null);
});

test('a failed start at the process start is the start\'s error, and stop() after it does not throw', async () => {
  const w = world({ policies: 1, failFirstStart: true });
  w.synced();
  await assert.rejects(w.gate.start(), /EADDRINUSE/);
  assert.deepEqual(w.log, ['standby=false', 'make1', 'speaker1.start', 'speaker1.stop(0)']);
  await w.gate.stop({ drainMs: 3000 });
  assert.equal(w.log.length, 4, 'nothing left to stop');
});

test('a later wake that fails goes back on standby with a new Lease writer, and the next change tries again', async () => {
  const w = world({ failFirstStart: true });
  w.synced();
  await w.gate.start();
  w.setPolicies(1);
  w.gate.inputsChanged();
  await tick();
  await tick();
  assert.deepEqual(w.errors, ['HERALD_L2_START_FAILED']);
  assert.deepEqual(w.log.slice(2), ['lease1.stop(keep)', 'standby=false', 'make1', 'speaker1.start', 'speaker1.stop(0)', 'lease2.start', 'standby=true']);
  assert.equal(w.gate.isStandby, true);
  w.gate.inputsChanged();
  await tick();
  await tick();
  assert.equal(w.gate.speaker, w.made[1]);
  assert.deepEqual(w.log.slice(-4), ['lease2.stop(keep)', 'standby=false', 'make2', 'speaker2.start']);
});

test('stop() during a wake waits for it and stops the speaker it started; stop() on standby deletes the Lease', async () => {
  const w = world({ holdStart: true });
  w.synced();
  await w.gate.start();
  w.setPolicies(1);
  w.gate.inputsChanged();
  await tick();
  assert.equal(w.log.at(-1), 'speaker1.start');
  assert.equal(w.gate.readiness().ok, false, 'not ready while L2 starts');
  const stopped = w.gate.stop({ drainMs: 3000 });
  await tick();
  assert.equal(w.log.at(-1), 'speaker1.start', 'stop waits for the start');
  w.release();
  await stopped;
  assert.equal(w.log.at(-1), 'speaker1.stop(0)');
  assert.equal(w.gate.speaker, null);

  const s = world();
  s.synced();
  await s.gate.start();
  await s.gate.stop({ drainMs: 3000 });
  assert.deepEqual(s.log, ['lease1.start', 'standby=true', 'lease1.stop(remove)']);
});
