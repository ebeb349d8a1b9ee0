// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// The BGP side of `herald speaker`, in-process against an API server (on the real server as
// herald-system/herald-speaker with the RBAC of deploy/).
import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { BgpSpeaker, RECONCILE_BATCH_MS } from '../../src/speaker/bgp-speaker.ts';
import { KubeInputs } from '../../src/speaker/kube-inputs.ts';
import { createSpeakerMetrics } from '../../src/speaker/metrics.ts';
import { startCluster } from '../controller/harness.ts';
import type { Cluster } from '../controller/harness.ts';

let cluster: Cluster;
before(async () => {
  cluster = await startCluster();
});
after(async () => {
  await cluster.close();
});

class CountingSpeaker extends BgpSpeaker {
  passes = 0;
  override reconcile(): void {
    this.passes++;
    super.reconcile();
  }
}

test('regression: bench/bgp Finding 1 — a burst of watch events costs one reconcile pass, not one per event', async () => {
  const log = pino({ level: 'silent' });
  const clients = cluster.suite.speaker;
  const inputs = new KubeInputs({ clients, log, onChange: () => undefined });
  const speaker = new CountingSpeaker({ node: 'node-a', namespace: 'herald-system', adapter: { defaultServiceIpam: 'pool', acceptAnnotations: new Set() }, listenPort: 0 }, { clients, inputs, log, metrics: createSpeakerMetrics({ defaultMetrics: false }) }, () => undefined);
  try {
    await Promise.all([inputs.synced, speaker.synced]);
    // 1,000 Services created in a row arrive as 1,000 watch events.
    for (let i = 0; i < 1_000; i++) speaker.schedule();
    await new Promise((r) => setTimeout(r, RECONCILE_BATCH_MS * 5));
    assert.equal(speaker.passes, 1);
    speaker.schedule();
    await new Promise((r) => setTimeout(r, RECONCILE_BATCH_MS * 5));
    assert.equal(speaker.passes, 2, 'a later change gets its own pass');
  } finally {
    await speaker.stop('shutdown', 'test over');
    await inputs.stop();
  }
});
