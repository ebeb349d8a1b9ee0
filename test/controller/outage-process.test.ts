// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// Regression (issue #8 point 5, found by test/e2e/l2-outage.test.ts): `herald controller` exited
// when an API outage outlasted its renew deadline (10 s by default), so a 60 s outage restarted
// every controller pod. Now the same process stays a standby, campaigns again and leads.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startControlPlane, type ControlPlane } from '../../src/controlplane/control-plane.ts';
import { freeTcpPort, httpGet, Running } from '../cli/run.ts';
import { adminRequest } from '../support/api-suite.ts';

const OUTAGE_MS = 12_000; // longer than the default renew deadline of 10 s

async function leading(port: number): Promise<boolean> {
  const m = await httpGet(port, '/metrics').catch(() => ({ status: 0, body: '' }));
  return /^herald_controller_is_leader 1$/m.test(m.body);
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('herald controller through an API outage longer than its renew deadline', () => {
  let cp: ControlPlane;
  let dir: string;
  before(async () => {
    cp = await startControlPlane();
    dir = mkdtempSync(join(tmpdir(), 'herald-outage-'));
  });
  after(async () => {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('regression: the same process loses the Lease, leads again when the API returns, and never exits', async () => {
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, cp.kubeconfigYaml(), { mode: 0o600 });
    assert.equal((await adminRequest(cp, 'POST', '/api/v1/namespaces', { metadata: { name: 'herald-system' } })).status, 201);
    const metrics = await freeTcpPort();
    const c = new Running(['controller', '--kubeconfig', kubeconfig, '--metrics-addr', `127.0.0.1:${metrics}`, '--heartbeat-secret', 'none', '--log-level', 'info']);
    try {
      let exited: number | null | undefined;
      void c.exited.then((code) => {
        exited = code;
      });
      await until('the controller to lead', () => leading(metrics), 30_000);
      if (cp.real !== undefined) {
        await cp.real.stopApiServer();
        await new Promise((r) => setTimeout(r, OUTAGE_MS));
        await cp.real.startApiServer();
      } else {
        cp.dev?.faults.unreachable(OUTAGE_MS / 1000);
        await new Promise((r) => setTimeout(r, OUTAGE_MS));
      }
      assert.equal(exited, undefined, `the controller exited during the outage (code ${String(exited)})`);
      assert.ok(c.lines.some((l) => /lost leadership/.test(l.msg)), 'the outage cost the Lease, as it should');
      await until('the same process to lead again', () => leading(metrics), 60_000);
      assert.equal(exited, undefined);
    } finally {
      await c.stop();
    }
  });
});
