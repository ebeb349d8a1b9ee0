// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Lease } from '@kubernetes/client-node';
import { pino } from 'pino';
import { LeaderElector, electionStep } from '../../src/kube/leader-election.ts';
import { HERALD_NS, startApiSuite } from '../support/api-suite.ts';
import type { ApiSuite } from '../support/api-suite.ts';

describe('electionStep (pure leader-election policy)', () => {
  const seen = (holder: string, observedAt: number) => ({ holder, renewMark: `${holder}|t`, observedAt, leaseDurationMs: 15_000 });
  it('takes a missing or released lease', () => {
    assert.equal(electionStep(null, 'me', 0), 'take');
    assert.equal(electionStep(seen('', 0), 'me', 0), 'take');
  });
  it('renews its own lease', () => {
    assert.equal(electionStep(seen('me', 0), 'me', 1), 'renew');
  });
  it("waits while another holder's lease was renewed within its duration, by our own clock", () => {
    assert.equal(electionStep(seen('other', 1_000), 'me', 16_000), 'wait');
    assert.equal(electionStep(seen('other', 1_000), 'me', 16_001), 'take');
  });
});

describe('LeaderElector against an API server (as herald-system/herald-controller on the real server)', () => {
  const FAST = { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 100 };
  let suite: ApiSuite;
  const electors: LeaderElector[] = [];
  before(async () => {
    suite = await startApiSuite();
  });
  after(async () => {
    try {
      await Promise.all(electors.map((e) => e.stop()));
    } finally {
      await suite.close();
    }
  });

  function elector(identity: string, leading: Set<string>): LeaderElector {
    // Each replica with clients of its own, as separate processes are.
    const e = new LeaderElector({
      api: suite.controllerClients().coordination,
      namespace: HERALD_NS,
      name: 'herald-controller',
      identity,
      timings: FAST,
      log: pino({ level: process.env['HERALD_TEST_LOG'] ?? 'silent' }),
      onStartedLeading: () => void leading.add(identity),
      onStoppedLeading: () => void leading.delete(identity),
    });
    electors.push(e);
    e.start();
    return e;
  }

  async function lease(): Promise<V1Lease> {
    return suite.admin.coordination.readNamespacedLease({ name: 'herald-controller', namespace: HERALD_NS });
  }

  async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
    const end = Date.now() + 15_000;
    for (;;) {
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('one of two replicas leads and holds the Lease; stopping it hands the Lease to the other at once', async () => {
    const leading = new Set<string>();
    const a = elector('replica-a', leading);
    const b = elector('replica-b', leading);
    const first = await eventually('a leader', () => (leading.size > 0 ? [...leading] : undefined));
    assert.equal(first.length, 1, 'exactly one leader');
    const l1 = await lease();
    assert.equal(l1.spec?.holderIdentity, first[0]);
    assert.equal(l1.spec?.leaseDurationSeconds, 2);
    const [leader, standby] = first[0] === 'replica-a' ? [a, b] : [b, a];
    const next = first[0] === 'replica-a' ? 'replica-b' : 'replica-a';
    assert.equal(standby.leading, false);
    await leader.stop();
    assert.notEqual((await lease()).spec?.holderIdentity, first[0], 'released on stop');
    // Released on stop: the standby takes it without waiting for the 2 s expiry to be judged.
    const l2 = await eventually('the standby to hold the Lease', async () => {
      const l = await lease();
      return l.spec?.holderIdentity === next ? l : undefined;
    });
    assert.equal(l2.spec?.leaseTransitions, (l1.spec?.leaseTransitions ?? 0) + 1);
    await eventually('the standby to lead', () => (standby.leading ? true : undefined));
    assert.equal(leader.leading, false);
  });
});
