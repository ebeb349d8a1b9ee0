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

test('regression: issue #10 BGP at rest — a periodic reconcile with no input changed reuses the desired routes; a watch event computes them again', async () => {
  const log = pino({ level: 'silent' });
  const clients = cluster.suite.speaker;
  let speaker: BgpSpeaker | undefined;
  const inputs = new KubeInputs({ clients, log, onChange: () => speaker?.schedule() });
  speaker = new BgpSpeaker({ node: 'node-a', namespace: 'herald-system', adapter: { defaultServiceIpam: 'pool', acceptAnnotations: new Set() }, listenPort: 0 }, { clients, inputs, log, metrics: createSpeakerMetrics({ defaultMetrics: false }) }, () => speaker?.schedule());
  const s = speaker;
  try {
    await Promise.all([inputs.synced, s.synced]);
    s.reconcile();
    const first = s.computations;
    assert.ok(first >= 1);
    // The speaker's periodic reconcile (every resync, 5 s) with nothing new: no computation.
    for (let i = 0; i < 5; i++) s.reconcile();
    assert.equal(s.computations, first);
    // A real change through the watch: a Service created on the API server.
    await cluster.suite.admin.core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'bgp-at-rest' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } } });
    const until = Date.now() + 10_000;
    while (s.computations === first && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.equal(s.computations, first + 1, 'the watch event computed the routes again, once');
    s.reconcile();
    assert.equal(s.computations, first + 1, 'and the next periodic reconcile reuses them');
  } finally {
    await s.stop('shutdown', 'test over');
    await inputs.stop();
    await cluster.suite.admin.core.deleteNamespacedService({ name: 'bgp-at-rest', namespace: 'default' }).catch(() => undefined);
  }
});
