// api-suite: runs against the stand-in and the real kube-apiserver (HERALD_APISERVER)
// `herald status` as a user runs it (the CLI in a child process, an admin kubeconfig) against an
// API server, reading the Leases that two speakers' Lease adapters wrote (on the real server as
// herald-system/herald-speaker with the RBAC of deploy/).
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { LeaseAdapter } from '../../src/election/lease-adapter.ts';
import { ANN_BGP_SESSIONS } from '../../src/api/names.ts';
import { startApiSuite } from '../support/api-suite.ts';
import type { ApiSuite } from '../support/api-suite.ts';

const run = promisify(execFile);
const NODE = process.execPath;
const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;

let suite: ApiSuite;
let dir: string;
const adapters: LeaseAdapter[] = [];

function adapter(node: string): LeaseAdapter {
  const c = suite.speakerClients();
  const a = new LeaseAdapter({ kc: c.kc, http: c.http, node, log: pino({ level: 'silent' }), onVipLease: () => undefined, onNodeLease: () => undefined, onVipLeaseSync: () => undefined });
  adapters.push(a);
  return a;
}

before(async () => {
  suite = await startApiSuite();
  dir = await mkdtemp(join(tmpdir(), 'herald-status-'));
});

after(async () => {
  try {
    await Promise.all(adapters.map((a) => a.stop()));
    await rm(dir, { recursive: true, force: true });
  } finally {
    await suite.close();
  }
});

test('lists the speakers from their node Leases and each VIP with its holder', async () => {
  const a = adapter('node-a');
  const b = adapter('node-b');
  await Promise.all([a.synced, b.synced]);
  const stamp = { incarnation: 1_700_000_000_000, seq: 1, heard: [], probing: false };
  assert.equal(await b.renewNodeLease(stamp, [{ address: '192.0.2.12', port: 9425 }]), true);
  const sessions = JSON.stringify([{ peer: 'tor', state: 'Established', since: new Date().toISOString(), prefixes: { ipv4: 3, ipv6: 1 } }]);
  assert.equal(await a.renewNodeLease(stamp, [{ address: '192.0.2.11', port: 9425 }], { [ANN_BGP_SESSIONS]: sessions }), true);
  const taken = await b.write({ kind: 'write', ip: '192.0.2.200', op: 'take', holder: 'node-b', epoch: 1, expect: null });
  assert.ok(taken.ok);
  const kubeconfig = join(dir, 'admin.kubeconfig');
  await suite.cp.writeKubeconfig(kubeconfig);
  const { stdout } = await run(NODE, [CLI, 'status', '--kubeconfig', kubeconfig]);
  assert.match(stdout, /^Speakers \(2\):$/m);
  assert.match(stdout, /^\s+node-a\s+\d+s ago\s+192\.0\.2\.11:9425\s+tor\s+Established\s+\d+s ago\s+-\s+3\/1$/m);
  assert.match(stdout, /^\s+node-b\s+\d+s ago\s+192\.0\.2\.12:9425\s+-/m);
  assert.ok(stdout.indexOf('node-a') < stdout.indexOf('node-b'), 'nodes in name order');
  assert.match(stdout, /^L2 VIPs \(1\):$/m);
  assert.match(stdout, /^\s+192\.0\.2\.200\s+node-b\s+1\s+\d+s ago$/m);
});

test('a namespace without speakers is an empty report, not an error', async () => {
  const kubeconfig = join(dir, 'admin.kubeconfig');
  const { stdout } = await run(NODE, [CLI, 'status', '--kubeconfig', kubeconfig, '--namespace', 'default']);
  assert.match(stdout, /^Speakers \(0\):$/m);
  assert.match(stdout, /^L2 VIPs \(0\):$/m);
});
