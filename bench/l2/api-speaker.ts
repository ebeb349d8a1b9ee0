// One `herald speaker` for api-load.ts, in a process of its own: startSpeaker() exactly as
// `herald speaker` runs it, but on a FakeHost (no raw sockets, no namespace) with one eth0 and a
// loopback heartbeat address, so ten of them fit on one machine. Each has a private fake
// segment: the API load does not depend on the wire, and frames need not cross processes.
// Prints {"ready": true} once started, then {"held": N, "fenced": 0|1} every second; SIGTERM
// stops it (a short drain) and exits.
// Usage: node api-speaker.ts NODE KUBECONFIG LOOPBACK ETH0_ADDRESS MAC PORT
import { pino } from 'pino';
import { PooledKubeConfig, makeClients } from '../../src/kube/client.ts';
import { FakeHost, FakeSegment } from '../../src/net/fake.ts';
import type { NetInterface } from '../../src/net/interfaces.ts';
import { SPEAKER_HELP, parseSpeakerArgs, startSpeaker } from '../../src/speaker/command.ts';

const [node, kubeconfig, loopback, address, mac, port] = process.argv.slice(2);
if (node === undefined || kubeconfig === undefined || loopback === undefined || address === undefined || mac === undefined || port === undefined) {
  process.stderr.write('usage: api-speaker.ts NODE KUBECONFIG LOOPBACK ETH0_ADDRESS MAC PORT\n');
  process.exit(2);
}

const eth0: NetInterface = { name: 'eth0', ifindex: 2, mac, flags: 0x1043, up: true, broadcast: true, loopback: false, noArp: false, multicast: true, operState: 'up', mtu: 1500, kind: '' };
const lo: NetInterface = { name: 'lo', ifindex: 1, mac: '', flags: 0x9, up: true, broadcast: false, loopback: true, noArp: true, multicast: false, operState: 'unknown', mtu: 65536, kind: '' };

// Ten speakers share one network namespace here: no BGP listener (it would take TCP :179 ten
// times). The flag exists only in speakers that have BGP.
const noBgpListener = SPEAKER_HELP.includes('--bgp-listen-port') ? ['--bgp-listen-port', '0'] : [];
// Diagnostics, opt-in: HERALD_BENCH_METRICS_BASE=PORT serves /metrics on 127.0.0.1:PORT+n (n from
// the node name's number); HERALD_BENCH_LOG_DIR=DIR writes this speaker's log to DIR/NODE.log.
const metricsBase = Number(process.env['HERALD_BENCH_METRICS_BASE'] ?? '');
const metricsFlag = Number.isInteger(metricsBase) && metricsBase > 0 ? ['--metrics-addr', `127.0.0.1:${metricsBase + Number(/\d+$/.exec(node)?.[0] ?? '0')}`] : [];
const parsed = parseSpeakerArgs(['--node-name', node, '--namespace', 'herald-system', '--heartbeat-port', port, '--drain-timeout', '1s', ...noBgpListener, ...metricsFlag], {});
if (parsed.ok !== true) {
  process.stderr.write(`flags: ${parsed.ok === false ? parsed.error : 'help'}\n`);
  process.exit(2);
}
const host = new FakeHost(node);
host.attach(new FakeSegment(), { ifindex: 2, mac, name: 'eth0' });
const kc = new PooledKubeConfig();
kc.loadFromFile(kubeconfig);
const addresses = { eth0: [{ address }], lo: [{ address: loopback }] };
const logDir = process.env['HERALD_BENCH_LOG_DIR'];
const log = pino({ level: process.env['HERALD_BENCH_LOG'] ?? 'silent' }, pino.destination(logDir === undefined ? 2 : `${logDir}/${node}.log`));
const running = await startSpeaker(parsed.flags, log, { clients: makeClients(kc), net: host, interfaces: () => ({ ok: true, value: [eth0, lo] }), interfaceAddresses: () => addresses });
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
const report = setInterval(() => {
  void (async () => {
    let held = 0;
    for (const v of (await running.metrics.vipsHeld.get()).values) held += v.value;
    const fenced = (await running.metrics.fenced.get()).values[0]?.value ?? 0;
    process.stdout.write(`${JSON.stringify({ held, fenced })}\n`);
  })();
}, 1000);
process.once('SIGTERM', () => {
  clearInterval(report);
  void running.stop().finally(() => process.exit(0));
});
