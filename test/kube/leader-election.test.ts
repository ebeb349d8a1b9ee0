import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { electionStep } from '../../src/kube/leader-election.ts';

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
