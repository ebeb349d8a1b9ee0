// What the speaker needs from its host (issue #13): the pure decisions, with the texts Linux and
// Node really give. test/cli/first-contact.test.ts runs the checks in real processes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ABI_VERSION, loadAddon } from '../../src/net/native.ts';
import { addonFailure, addonLoadMessage, bgpPortFailure, CAP_NET_BIND_SERVICE, CAP_NET_RAW, capabilityFailure, effectiveCapabilities, hasCapability, heartbeatPortFailure, portFailure, unservedMessage, unservedPolicies } from '../../src/speaker/host-checks.ts';
import type { LocalInterface } from '../../src/speaker/interfaces.ts';

const ALL = 0x1ffffffffffn;
const without = (...caps: number[]): bigint => caps.reduce((set, c) => set & ~(1n << BigInt(c)), ALL);

describe('capabilities', () => {
  it('reads CapEff from /proc/self/status', () => {
    const status = 'Name:\tnode\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t0000000000002400\nCapBnd:\t000001ffffffffff\n';
    const eff = effectiveCapabilities(status);
    assert.equal(eff, 0x2400n);
    assert.ok(eff !== undefined && hasCapability(eff, CAP_NET_RAW) && hasCapability(eff, CAP_NET_BIND_SERVICE));
    assert.equal(effectiveCapabilities('Name:\tx\n'), undefined);
  });

  for (const [name, effective, port, code] of [
    ['all capabilities', ALL, 179, null],
    ['deploy/speaker.yaml: only NET_RAW and NET_BIND_SERVICE', 0x2400n, 179, null],
    ['no NET_RAW', without(CAP_NET_RAW), 179, 'HERALD_NO_NET_RAW'],
    ['no NET_BIND_SERVICE, BGP on 179', without(CAP_NET_BIND_SERVICE), 179, 'HERALD_NO_NET_BIND_SERVICE'],
    ['no NET_BIND_SERVICE, BGP off', without(CAP_NET_BIND_SERVICE), 0, null],
    ['no NET_BIND_SERVICE, BGP on 1179', without(CAP_NET_BIND_SERVICE), 1179, null],
    ['/proc unreadable: nothing claimed', undefined, 179, null],
  ] as const) {
    it(name, () => {
      const f = capabilityFailure({ effective, bgpListenPort: port, unprivilegedPortStart: 1024 });
      assert.equal(f?.code ?? null, code);
      if (f !== null) assert.equal(f.exit, 1);
    });
  }
});

describe('the native addon', () => {
  it('missing: says to build it', () => {
    const f = addonFailure({ code: 'AddonMissing', message: 'x' }, undefined);
    assert.equal(f.code, 'HERALD_ADDON_MISSING');
    assert.match(f.message, /is not built, and the speaker needs it for raw sockets; run `npm run build:native`/);
  });

  it("built for another Node.js ABI: Node's own message", () => {
    // Node's text for a non-Node-API addon (src/node_binding.cc), as `require` throws it.
    const node = "The module '/app/native/build/Release/herald_net.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 115. This version of Node.js requires\nNODE_MODULE_VERSION 137. Please try re-compiling or re-installing\nthe module (for instance, using `npm rebuild` or `npm install`).";
    const f = addonFailure({ code: 'AddonLoadFailed', message: "cannot load the native addon x: The module '/app/native/build/Release/herald_net.node'" }, node, 'v24.21.0');
    assert.equal(f.code, 'HERALD_ADDON_ABI');
    assert.match(f.message, /was built for another Node\.js \(NODE_MODULE_VERSION 115; this Node\.js v24\.21\.0 needs 137\); rebuild it with `npm run build:native`/);
  });

  it('a Node-API newer than this Node.js has', () => {
    const f = addonFailure({ code: 'AddonLoadFailed', message: 'x' }, '/app/herald_net.node: undefined symbol: napi_create_buffer_from_arraybuffer', 'v20.0.0');
    assert.equal(f.code, 'HERALD_ADDON_ABI');
    assert.match(f.message, /needs a newer Node-API than this Node\.js v20\.0\.0 has \(napi_create_buffer_from_arraybuffer is missing\)/);
  });

  it('built from other Herald sources (the loader\'s own ABI check, for real)', (t) => {
    const path = join(tmpdir(), `herald-old-addon-${process.pid}.cjs`);
    writeFileSync(path, 'module.exports = { abiVersion: 1 };\n');
    t.after(() => rmSync(path, { force: true }));
    const r = loadAddon(path);
    assert.ok(!r.ok);
    const f = addonFailure(r.error, addonLoadMessage(path));
    assert.equal(f.code, 'HERALD_ADDON_STALE');
    assert.match(f.message, new RegExp(`was built from other Herald sources \\(not herald_net ABI ${ABI_VERSION}\\); rebuild it`));
  });

  it('not a shared object at all (for real)', (t) => {
    const path = join(tmpdir(), `herald-garbage-${process.pid}.node`);
    writeFileSync(path, 'garbage\n');
    t.after(() => rmSync(path, { force: true }));
    const r = loadAddon(path);
    assert.ok(!r.ok);
    const f = addonFailure(r.error, addonLoadMessage(path));
    assert.equal(f.code, 'HERALD_ADDON_UNLOADABLE');
    assert.match(f.message, /file too short; rebuild it with `npm run build:native`/);
  });
});

describe('ports', () => {
  function holdUdp(): Promise<{ socket: Socket; port: number }> {
    return new Promise((resolve) => {
      const socket = createSocket({ type: 'udp6' });
      socket.bind({ port: 0, address: '::', exclusive: true }, () => resolve({ socket, port: socket.address().port }));
    });
  }

  it('the heartbeat port held by another socket: said before touching the cluster', async () => {
    const held = await holdUdp();
    try {
      const f = await heartbeatPortFailure(held.port);
      assert.equal(f?.code, 'HERALD_PORT_IN_USE');
      assert.match(f?.message ?? '', new RegExp(`^cannot listen on UDP port ${held.port} for heartbeats between speakers: the address is already in use \\(EADDRINUSE\\); stop the process holding it \\(\`ss -lntup \\| grep :${held.port}\`\\) or choose another with --heartbeat-port`));
    } finally {
      held.socket.close();
    }
    assert.equal(await heartbeatPortFailure(held.port), null);
  });

  it('the BGP port 0 is never checked', async () => {
    assert.equal(await bgpPortFailure(0), null);
  });

  it('a bind error thrown by the start: heartbeats (UDP bind) or BGP (TCP listen)', () => {
    const udp = Object.assign(new Error('bind EADDRINUSE 10.0.0.5:9425'), { code: 'EADDRINUSE', syscall: 'bind', address: '10.0.0.5', port: 9425 });
    assert.match(portFailure(udp, 9425, 179)?.message ?? '', /^cannot listen on UDP 10\.0\.0\.5:9425 for heartbeats/);
    const tcp = Object.assign(new Error('listen EACCES: permission denied :::179'), { code: 'EACCES', syscall: 'listen', address: '::', port: 179 });
    const f = portFailure(tcp, 9425, 179);
    assert.equal(f?.code, 'HERALD_PORT_DENIED');
    assert.match(f?.message ?? '', /^cannot listen on TCP port 179 for BGP: permission denied \(EACCES\), ports below 1024 need CAP_NET_BIND_SERVICE/);
    assert.equal(portFailure(new Error('other'), 9425, 179), null);
  });
});

describe('policies that select this node but none of its interfaces', () => {
  const iface = (name: string, over: Partial<LocalInterface> = {}): LocalInterface => ({ name, up: true, broadcast: true, noarp: false, loopback: false, master: null, addresses: [], ...over });
  const local = [iface('lo', { loopback: true, broadcast: false }), iface('eth0')];
  const policy = (name: string, patterns: string[], role?: string) => ({ name, nodeSelector: role === undefined ? null : { matchLabels: { role }, matchExpressions: [] }, interfaces: patterns.map((p) => new RegExp(`^(?:${p})$`, 'u')) });

  it('names the policy, the node, its interfaces and the patterns', () => {
    const u = unservedPolicies([policy('edge', ['bond0']), policy('default', [])], {}, local);
    assert.deepEqual(u, [{ policy: 'edge', patterns: ['bond0'], local: ['eth0', 'lo'] }]);
    assert.equal(unservedMessage(u[0]!, 'node-a'), 'L2AnnouncementPolicy "edge" selects node node-a, but none of its interfaces (eth0, lo) matches spec.interfaces ["bond0"] (whole names; up, ARP-enabled, not loopback), so this node answers for none of its addresses; fix spec.interfaces or the policy\'s nodeSelector');
  });

  it('a policy that does not select this node is none of its business', () => {
    assert.deepEqual(unservedPolicies([policy('edge', ['bond0'], 'edge')], { role: 'worker' }, local), []);
  });

  it('the default rule with no usable interface', () => {
    const u = unservedPolicies([policy('default', [])], {}, [iface('lo', { loopback: true })]);
    assert.match(unservedMessage(u[0]!, 'n'), /qualifies by the default rule/);
  });

  it('before the Node is known, nothing is claimed', () => {
    assert.deepEqual(unservedPolicies([policy('edge', ['bond0'])], undefined, local), []);
  });
});
