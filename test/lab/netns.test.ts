// The lab's network built for real (ip netns, veth, a bridge): reachability over both families,
// the host link, link faults, and that nothing is left behind — after close(), after a failed
// build, at process end, and after a SIGKILL (cleanupStaleLabs). Needs root.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import ipaddr from 'ipaddr.js';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { isLabError } from '../../src/lab/errors.ts';
import { mustRun } from '../../src/lab/exec.ts';
import { takenSlots } from '../../src/lab/host-slot.ts';
import { buildLabNetwork } from '../../src/lab/netns.ts';
import type { BuildStep, LabNetwork } from '../../src/lab/netns.ts';
import { cleanupStaleLabs } from '../../src/lab/stale.ts';
import { isAlive, listLinks, listNamespaces } from '../../src/lab/teardown.ts';

const SKIP = process.getuid?.() !== 0 ? 'needs root: ip netns, veth pairs and a bridge (run the suite as root, as CI does)' : false;
const CHILD = fileURLToPath(new URL('./fixtures/lab-child.ts', import.meta.url));

/** Namespaces and root links named `<prefix>-…`. */
async function leftovers(prefix: string): Promise<string[]> {
  const mine = (name: string) => name.startsWith(`${prefix}-`);
  return [...(await listNamespaces()).filter(mine), ...(await listLinks()).filter(mine)];
}

/** The management-network slot `prefix` holds, if any (pid of the holder with it). */
function slotOf(prefix: string): { slot: number; pid: number } | undefined {
  const state = takenSlots().find((s) => s.holder?.prefix === prefix);
  return state?.holder == null ? undefined : { slot: state.slot, pid: state.holder.pid };
}

async function ping(lab: LabNetwork, ns: string, address: string): Promise<boolean> {
  const r = await lab.exec(ns, ['ping', '-c1', '-W1', address]);
  if (r.code !== 0 && r.code !== 1) assert.fail(`ping ${address} from ${ns}: exit ${r.code}: ${r.stderr}`); // 1 = no reply
  return r.code === 0;
}

/**
 * Pings until one is answered or `timeoutMs` passes. A link just brought up may drop the first
 * packets (IPv6 DAD on the far end, neighbour resolution): "brings it back" is a state, not an
 * instant, and a single ping at load 15 failed in CI (regression: linkUp flake).
 */
async function pingsWithin(lab: LabNetwork, ns: string, address: string, timeoutMs = 10_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await ping(lab, ns, address)) return true;
    if (Date.now() > end) return false;
  }
}

/** A TCP connection from inside `ns` to `host:port`; resolves with the node script's exit code. */
async function connectFrom(lab: LabNetwork, ns: string, host: string, port: number): Promise<number | null> {
  const script = `require('node:net').connect(${port}, ${JSON.stringify(host)}).on('connect', () => process.exit(0)).on('error', (e) => { console.error(e.message); process.exit(3); })`;
  const r = await lab.exec(ns, [process.execPath, '-e', script], { timeoutMs: 5000 });
  return r.code;
}

async function listen(host: string): Promise<{ server: Server; port: number; peers: string[] }> {
  const peers: string[] = [];
  const server = createServer((socket) => {
    peers.push(socket.remoteAddress ?? '?');
    socket.destroy();
  });
  server.listen(0, host);
  await once(server, 'listening');
  const address: AddressInfo | string | null = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return { server, port: address.port, peers };
}

describe('lab network: three nodes, a client and a host link', { skip: SKIP, timeout: 30_000 }, () => {
  let lab: LabNetwork;
  before(async () => {
    lab = await buildLabNetwork({ nodes: 3, ipv6: true, hostLink: true });
  });
  after(() => lab?.close());

  it('names everything after a per-run prefix, within the 15-character limit of interface names', async () => {
    assert.match(lab.prefix, new RegExp(`^hl${process.pid}n[0-9a-z]+$`));
    assert.deepEqual(lab.nodes.map((n) => [n.name, n.ns, n.ipv4, n.ipv6, n.mac]), [
      ['node-a', `${lab.prefix}-node-a`, '192.0.2.11', '2001:db8::11', '02:68:6c:00:00:0b'],
      ['node-b', `${lab.prefix}-node-b`, '192.0.2.12', '2001:db8::12', '02:68:6c:00:00:0c'],
      ['node-c', `${lab.prefix}-node-c`, '192.0.2.13', '2001:db8::13', '02:68:6c:00:00:0d'],
    ]);
    assert.deepEqual([lab.client.ipv4, lab.client.ipv6, lab.client.mgmt], ['192.0.2.100', '2001:db8::100', null]);
    const k = slotOf(lab.prefix)?.slot; // 0 unless other labs run on this machine
    assert.ok(k !== undefined, 'the lab holds a management-network slot');
    const mgmt6 = (host: number) => ipaddr.parse(`2001:db8:19:${k.toString(16)}::${host}`).toString();
    assert.deepEqual(lab.host, { iface: `${lab.prefix}-h`, mac: '02:68:6c:00:00:fe', ipv4: `198.19.${k}.254`, ipv6: mgmt6(254) });
    assert.deepEqual(lab.nodes[1]?.mgmt, { ipv4: `198.19.${k}.12`, ipv6: mgmt6(12) });
    assert.ok((lab.host?.iface.length ?? 99) <= 15);
    assert.deepEqual((await leftovers(lab.prefix)).sort(), [...[lab.segment.ns, lab.client.ns, ...lab.nodes.map((n) => n.ns)], `${lab.prefix}-h`].sort());
    // What the kernel reports, not just the plan: node-b's eth0 with the planned MAC and addresses.
    const shown = await mustRun(['ip', '-n', `${lab.prefix}-node-b`, '-o', 'link', 'show', 'dev', 'eth0']);
    assert.match(shown, new RegExp(`^${lab.nodes[1]?.ifindex}: eth0@if101: .* link/ether 02:68:6c:00:00:0c `));
    const addresses = await mustRun(['ip', '-n', `${lab.prefix}-node-b`, '-br', 'addr', 'show', 'dev', 'eth0']);
    assert.deepEqual(addresses.trim().split(/\s+/).slice(2).filter((a) => !a.startsWith('fe80')).sort(), ['192.0.2.12/24', `198.19.${k}.12/24`, `${mgmt6(12)}/64`, '2001:db8::12/64']);
  });

  it('the client reaches every node over IPv4 and IPv6', async () => {
    const targets = lab.nodes.flatMap((n) => [n.ipv4, n.ipv6 ?? '']);
    const replies = await Promise.all(targets.map((t) => ping(lab, lab.client.ns, t)));
    assert.deepEqual(Object.fromEntries(targets.map((t, i) => [t, replies[i]])), Object.fromEntries(targets.map((t) => [t, true])));
  });

  it('a node reaches a server in the root namespace over the host link, from its management address', async () => {
    const node = lab.nodes[0];
    const pairs = [[lab.host?.ipv4, node?.mgmt?.ipv4], [lab.host?.ipv6, node?.mgmt?.ipv6]];
    for (const [bind, from] of pairs) {
      assert.ok(node !== undefined && bind != null && from != null);
      const { server, port, peers } = await listen(bind);
      try {
        assert.equal(await connectFrom(lab, node.ns, bind, port), 0);
        assert.deepEqual(peers, [from]);
      } finally {
        server.close();
      }
    }
  });

  it('linkDown takes a node off the segment (its eth0 loses carrier) and linkUp brings it back', async () => {
    await lab.linkDown('node-b');
    const state = await mustRun(['ip', '-n', `${lab.prefix}-node-b`, '-br', 'link', 'show', 'eth0']);
    assert.match(state, /<NO-CARRIER,.*UP>/, 'down at the other end: administratively up, no carrier');
    const down = await Promise.all([ping(lab, lab.client.ns, '192.0.2.12'), ping(lab, lab.client.ns, '2001:db8::12'), ping(lab, lab.client.ns, '192.0.2.11')]);
    assert.deepEqual(down, [false, false, true], 'node-b silent, node-a still there');
    await lab.linkUp('node-b');
    assert.deepEqual(await Promise.all([pingsWithin(lab, lab.client.ns, '192.0.2.12'), pingsWithin(lab, lab.client.ns, '2001:db8::12')]), [true, true]);
  });

  it('partition cuts a node off while its own link stays up, and heal restores it', async () => {
    await lab.partition('node-c');
    assert.match(await mustRun(['ip', '-n', `${lab.prefix}-node-c`, '-br', 'link', 'show', 'eth0']), /\sUP\s/);
    assert.deepEqual(await Promise.all([ping(lab, lab.client.ns, '192.0.2.13'), ping(lab, lab.client.ns, '2001:db8::13')]), [false, false]);
    await lab.heal('node-c');
    assert.deepEqual(await Promise.all([pingsWithin(lab, lab.client.ns, '192.0.2.13'), pingsWithin(lab, lab.client.ns, '2001:db8::13')]), [true, true]);
  });

  it('refuses names and namespaces that are not its own', async () => {
    await assert.rejects(lab.exec('some-other-ns', ['true']), (e) => isLabError(e, 'UnknownNamespace'));
    assert.throws(() => lab.spawnIn('some-other-ns', ['true']), (e) => isLabError(e, 'UnknownNamespace'));
    await assert.rejects(lab.linkDown('node-z'), (e) => isLabError(e, 'UnknownHost'));
  });
});

describe('lab network: close', { skip: SKIP, timeout: 30_000 }, () => {
  it('kills spawned processes (SIGKILL for those that ignore SIGTERM), removes every namespace and link, and is idempotent', async () => {
    const lab = await buildLabNetwork({ nodes: 2, ipv6: false, hostLink: true, killGraceMs: 200 });
    const polite = lab.spawnIn(lab.nodes[0]?.ns ?? '', ['sleep', '60'], { stdio: 'ignore' });
    // Ignores SIGTERM, and so does the sleep it starts (ignored signals survive exec).
    const stubborn = lab.spawnIn(lab.client.ns, ['sh', '-c', 'trap "" TERM; sleep 60 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const grandchild = Number((await once(createInterface({ input: stubborn.stdout ?? process.stdin }), 'line'))[0]);
    const exits = (c: ChildProcess) => once(c, 'exit').then(([code, signal]) => signal ?? code);
    const ended = Promise.all([exits(polite), exits(stubborn)]);
    assert.ok(isAlive(grandchild));
    await lab.close();
    assert.deepEqual(await ended, ['SIGTERM', 'SIGKILL']);
    assert.equal(isAlive(grandchild), false);
    assert.deepEqual(await leftovers(lab.prefix), []);
    assert.equal(slotOf(lab.prefix), undefined, 'management-network slot released');
    await lab.close();
    await assert.rejects(lab.exec(lab.client.ns, ['true']), (e) => isLabError(e, 'Closed'));
  });
});

describe('lab network: side by side', { skip: SKIP, timeout: 30_000 }, () => {
  it('two labs with host links at once get management networks of their own, each reaching the root namespace', async () => {
    const labs = await Promise.all([1, 2].map(() => buildLabNetwork({ nodes: 1, ipv6: false, hostLink: true })));
    try {
      const hostIPs = labs.map((l) => l.host?.ipv4);
      assert.equal(new Set(hostIPs).size, 2, `distinct host addresses: ${hostIPs.join(', ')}`);
      assert.equal(new Set(labs.map((l) => slotOf(l.prefix)?.slot)).size, 2);
      for (const lab of labs) {
        const [node, host] = [lab.nodes[0], lab.host];
        assert.ok(node !== undefined && host !== null);
        const { server, port, peers } = await listen(host.ipv4);
        try {
          assert.equal(await connectFrom(lab, node.ns, host.ipv4, port), 0);
          assert.deepEqual(peers, [node.mgmt?.ipv4]);
        } finally {
          server.close();
        }
      }
    } finally {
      await Promise.all(labs.map((l) => l.close()));
    }
  });
});

describe('lab network: a failed build leaves nothing behind', { skip: SKIP, timeout: 30_000 }, () => {
  it('refuses impossible options before making anything', async () => {
    for (const [opts, code] of [
      [{ prefix: 'thirteen-char', nodes: 1 }, 'InvalidOptions'],
      [{ prefix: 'Upper', nodes: 1 }, 'InvalidOptions'],
      [{ nodes: 0 }, 'InvalidOptions'],
      [{ nodes: 27 }, 'InvalidOptions'],
      [{ nodes: 1, killGraceMs: -1 }, 'InvalidOptions'],
    ] as const) {
      await assert.rejects(buildLabNetwork({ ipv6: true, hostLink: false, ...opts }), (e) => isLabError(e, code), JSON.stringify(opts));
    }
  });

  it('a namespace that already exists stops the build; what the lab made is removed, the other namespace is not', async () => {
    const prefix = `hl${process.pid}nx1`;
    await mustRun(['ip', 'netns', 'add', `${prefix}-client`]); // made last: everything else exists by then
    try {
      await assert.rejects(buildLabNetwork({ prefix, nodes: 2, ipv6: true, hostLink: true }), (e) => isLabError(e, 'CommandFailed') && e.message.includes(`${prefix}-client`));
      assert.deepEqual(await leftovers(prefix), [`${prefix}-client`]);
    } finally {
      await mustRun(['ip', 'netns', 'del', `${prefix}-client`]);
    }
  });

  it('a fault after the host link is up removes everything and releases the host link', async () => {
    const prefix = `hl${process.pid}nx2`;
    const steps: BuildStep[] = [];
    const fault = (step: BuildStep) => {
      steps.push(step);
      if (step === 'carrier') throw new Error('injected fault');
    };
    await assert.rejects(buildLabNetwork({ prefix, nodes: 3, ipv6: true, hostLink: true, onStep: fault }), /injected fault/);
    assert.deepEqual(steps, ['host-slot', 'namespaces', 'segment', 'attach node-a', 'attach node-b', 'attach node-c', 'attach client', 'host-link', 'carrier']);
    assert.deepEqual(await leftovers(prefix), []);
    assert.equal(slotOf(prefix), undefined, 'management-network slot released');
  });
});

const children: ChildProcess[] = [];

/** Starts the fixture, waits for its report (the lab is built and a process runs in it). */
async function child(mode: 'wait' | 'uncaught', link: 'host-link' | 'no-host-link', prefix?: string): Promise<{ proc: ChildProcess; prefix: string; host: string | null; sleeper: number; exit: Promise<[number | null, NodeJS.Signals | null]> }> {
  const proc = spawn(process.execPath, [CHILD, mode, link, ...(prefix === undefined ? [] : [prefix])], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => proc.once('exit', (code, signal) => resolve([code, signal])));
  const reported = new Promise<string>((resolve) => createInterface({ input: proc.stdout ?? process.stdin }).once('line', resolve));
  const line = await Promise.race([reported, exit.then(() => null)]);
  if (line === null) assert.fail(`lab-child exited before reporting: ${stderr}`);
  const report: unknown = JSON.parse(line);
  assert.ok(typeof report === 'object' && report !== null && 'prefix' in report && 'host' in report && 'sleeper' in report);
  const { prefix: made, host, sleeper } = report;
  assert.ok(typeof made === 'string' && (typeof host === 'string' || host === null) && typeof sleeper === 'number', line);
  return { proc, prefix: made, host, sleeper, exit };
}

describe('lab network: process end', { skip: SKIP, timeout: 30_000 }, () => {
  // A failed assertion must not leave a child running (it would keep this test process alive).
  after(() => {
    for (const proc of children) proc.kill('SIGKILL');
  });

  it('SIGTERM: the exit hook removes the lab and the process still dies of the signal', async () => {
    const c = await child('wait', 'host-link');
    assert.deepEqual((await leftovers(c.prefix)).sort(), [`${c.prefix}-client`, `${c.prefix}-h`, `${c.prefix}-node-a`, `${c.prefix}-seg`]);
    c.proc.kill('SIGTERM');
    assert.deepEqual(await c.exit, [null, 'SIGTERM']);
    assert.deepEqual(await leftovers(c.prefix), []);
    assert.equal(isAlive(c.sleeper), false);
    assert.equal(slotOf(c.prefix), undefined);
  });

  it('an uncaught exception: the exit hook removes the lab', async () => {
    const c = await child('uncaught', 'host-link');
    assert.deepEqual(await c.exit, [1, null]);
    assert.deepEqual(await leftovers(c.prefix), []);
    assert.equal(isAlive(c.sleeper), false);
    assert.equal(slotOf(c.prefix), undefined);
  });

  it('SIGKILL leaves labs behind; cleanupStaleLabs removes them and their processes, and spares the labs of live processes', async () => {
    const live = await buildLabNetwork({ nodes: 1, ipv6: false, hostLink: false });
    try {
      // One with a prefix no other run's cleanup matches (so the report below is ours to check),
      // one with the default prefix and a host link (whose management-network slot is machine-wide:
      // a concurrent lab may clean it up first, so only the end state is checked).
      const [plain, linked] = await Promise.all([child('wait', 'no-host-link', `hlt${process.pid}`), child('wait', 'host-link')]);
      for (const c of [plain, linked]) c.proc.kill('SIGKILL');
      await Promise.all([plain.exit, linked.exit]);
      assert.deepEqual((await leftovers(plain.prefix)).sort(), [`${plain.prefix}-client`, `${plain.prefix}-node-a`, `${plain.prefix}-seg`]);
      assert.ok(isAlive(plain.sleeper), 'its process still runs in node-a');

      const removed = await cleanupStaleLabs(new RegExp(`^(?:${plain.prefix}|hl(?<pid>${linked.proc.pid})n[0-9a-z]+)-`));
      for (const ns of [`${plain.prefix}-client`, `${plain.prefix}-node-a`, `${plain.prefix}-seg`]) assert.ok(removed.namespaces.includes(ns), `${ns} in ${JSON.stringify(removed)}`);
      for (const c of [plain, linked]) {
        assert.deepEqual(await leftovers(c.prefix), []);
        assert.equal(isAlive(c.sleeper), false);
        assert.equal(slotOf(c.prefix), undefined);
      }
      // A live process's lab: matched through the pid group, left alone, still working.
      assert.equal((await leftovers(live.prefix)).length, 3);
      const spared = await cleanupStaleLabs(new RegExp(`^hl(?<pid>${process.pid})n[0-9a-z]+-`));
      assert.deepEqual([spared.namespaces, spared.links], [[], []]);
      assert.ok(spared.live.includes(live.segment.ns));
      assert.equal(await ping(live, live.client.ns, '192.0.2.11'), true);
    } finally {
      await live.close();
    }
  });
});
