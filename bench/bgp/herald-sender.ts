// The Herald side of the origination bench, run as a child inside a node namespace:
//   node bench/bgp/herald-sender.ts --peer 192.0.2.1 --local 192.0.2.11 --routes 100000
// One BgpSession (src/bgp/session.ts) as the speaker runs it, over connectTcp (the native
// addon's socket, as in src/speaker/bgp-speaker.ts). The table of N routes is built before the
// clock; on {"cmd":"announce"} it stamps `at` and calls set(table) — the session diffs, packs
// many NLRI per UPDATE and writes them. {"cmd":"withdraw"} sets an empty table; {"cmd":"memory"}
// reports RSS; {"cmd":"loop"} the longest event-loop delay since the last announce/withdraw. Events go to stdout as JSON lines (children.ts).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { BgpSession } from '../../src/bgp/session.ts';
import type { RouteAttrs } from '../../src/bgp/rib-out.ts';
import { NO_ATTRS } from '../../src/bgp/rib-out.ts';
import { connectTcp } from '../../src/net/tcp-socket.ts';
import { RECEIVER_ASN, SENDER_ASN } from './bird-receiver.ts';
import { benchPrefix, emit, nowMs, onCommands } from './children.ts';

const { values } = parseArgs({ options: { peer: { type: 'string' }, local: { type: 'string' }, routes: { type: 'string' } } });
const peer = values.peer ?? '192.0.2.1';
const local = values.local ?? '192.0.2.11';
const n = Number(values.routes ?? '10000');

const table = new Map<string, RouteAttrs>();
for (let i = 0; i < n; i++) table.set(benchPrefix(i), NO_ATTRS);

const routerId = local.split('.').reduce((acc, o) => ((acc << 8) | Number(o)) >>> 0, 0);
const session = new BgpSession({
  name: 'bench',
  peerAddress: peer,
  peerPort: 179,
  local: { asn: SENDER_ASN, peerAsn: RECEIVER_ASN, routerId, holdTimeSeconds: 90, keepaliveSeconds: 30, connectRetrySeconds: 1, active: true, families: ['ipv4-unicast'], gracefulRestart: { enabled: false, restartTimeSeconds: 120 } },
  connect: async () => {
    const r = await connectTcp({ host: peer, port: 179, timeoutMs: 5000 });
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
    return r.value;
  },
  nextHops: () => ({ v4: local, v6: null, linkLocalV6: null }),
  clock: { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) },
  random: Math.random,
  hooks: {
    onState: (state) => emit('state', { state }),
    onEstablished: () => emit('established'),
    onDown: (reason) => emit('down', { reason: reason.kind }),
    onError: (what, err) => emit('error', { message: `${what}: ${err instanceof Error ? err.message : String(err)}` }),
    onSkipped: (prefix, reason) => emit('error', { message: `skipped ${prefix}: ${reason}` }),
  },
});

// The longest the event loop was held since the last announce/withdraw (issue #10: no block
// over 50 ms): the speaker's heartbeats and keepalives share this loop.
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();

onCommands((cmd) => {
  switch (cmd['cmd']) {
    case 'announce': {
      loop.reset();
      const at = nowMs();
      session.set(table);
      emit('announced', { sendingAt: at, setMs: nowMs() - at });
      break;
    }
    case 'withdraw': {
      loop.reset();
      const at = nowMs();
      session.set(new Map());
      emit('withdrawn', { sendingAt: at, setMs: nowMs() - at });
      break;
    }
    case 'loop': {
      emit('loop', { maxMs: loop.max / 1e6 });
      break;
    }
    case 'memory': {
      const m = process.memoryUsage();
      emit('memory', { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers });
      break;
    }
  }
});

process.on('SIGTERM', () => {
  void session.stop('shutdown', 'bench done').finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 1500).unref();
});

emit('ready', { routes: table.size });
session.start();
