// What a burst of ARP requests costs the responder's CPU (issue #10): every speaker on a segment
// receives every broadcast ARP request, held VIP or not, so a router refreshing its neighbour
// table or a client sweeping the pool asks every node's event loop for all of it at once. In the
// 10-speaker dark-vips runs the judge's own burst of 1,000 requests stalled all ten speakers
// together (bench/README.md, dark-vips, twenty-fourth session). Hot and cold loops of the real
// pure codec and responder (src/l2/responder.ts); no sockets, no metrics.
//
// Each figure comes from a fresh Node process (the first burst is what a speaker meets cold), once
// with V8's defaults and once with deploy/speaker.yaml's `--max-opt=2`.
//
// Usage: node bench/l2/frame-cost.ts [--vips 1000] [--held 100] [--bursts 200]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { encodeArpFrame } from '../../src/l2/arp.ts';
import { BROADCAST_MAC, ETHERTYPE_ARP, ZERO_MAC } from '../../src/l2/ethernet.ts';
import type { Mac } from '../../src/l2/ethernet.ts';
import type { Ipv4 } from '../../src/l2/ip.ts';
import { respondToFrame } from '../../src/l2/responder.ts';
import type { FrameMeta, ResponderView } from '../../src/l2/responder.ts';
import { machineLines } from '../machine.ts';

const { values } = parseArgs({ options: { vips: { type: 'string', default: '1000' }, held: { type: 'string', default: '100' }, bursts: { type: 'string', default: '200' }, child: { type: 'boolean', default: false } }, strict: true });
const VIPS = Number(values.vips);
const HELD = Number(values.held);
const BURSTS = Number(values.bursts);
if (!(Number.isInteger(VIPS) && VIPS > 0 && VIPS <= 65_536 && Number.isInteger(HELD) && HELD >= 0 && HELD <= VIPS && Number.isInteger(BURSTS) && BURSTS >= 2)) {
  process.stderr.write('usage: frame-cost.ts [--vips 1..65536] [--held 0..VIPS] [--bursts N ≥ 2]\n');
  process.exit(2);
}

const CLIENT_MAC = '02:00:00:00:fe:01' as Mac;
const OUR_MAC = '02:00:00:00:00:02' as Mac;
const vip = (i: number): Ipv4 => `198.19.${224 + (i >> 8)}.${i & 255}` as Ipv4;

interface Figures {
  /** The first burst in a fresh process, ms. */
  firstMs: number;
  /** The median of the later bursts, µs per request. */
  warmUs: number;
  /** Reply frames encoded, µs each (warm). */
  encodeUs: number;
  replies: number;
}

function measure(): Figures {
  const requests: Uint8Array[] = [];
  for (let i = 0; i < VIPS; i++) {
    requests.push(encodeArpFrame({ eth: { dst: BROADCAST_MAC, src: CLIENT_MAC, ethertype: ETHERTYPE_ARP }, arp: { op: 'request', senderMac: CLIENT_MAC, senderIp: '192.0.2.254' as Ipv4, targetMac: ZERO_MAC, targetIp: vip(i) } }));
  }
  // Every (VIPS / HELD)-th VIP held, as one speaker of VIPS / HELD holds its share.
  const held = new Set<string>();
  for (let k = 0; k < HELD; k++) held.add(vip(Math.floor((k * VIPS) / HELD)));
  const view: ResponderView = { iface: { name: 'eth0', ifindex: 2, mac: OUR_MAC }, held, own: new Set() };
  const meta: FrameMeta = { ifindex: 2, packetType: 'broadcast', vlan: null };
  let replies = 0;
  const burst = (): number => {
    const t = performance.now();
    replies = 0;
    for (const f of requests) if (respondToFrame(view, f, meta).kind === 'reply') replies++;
    return performance.now() - t;
  };
  const firstMs = burst();
  const warm: number[] = [];
  for (let b = 1; b < BURSTS; b++) warm.push(burst());
  warm.sort((x, y) => x - y);
  const median = warm[Math.floor(warm.length / 2)] ?? Number.NaN;
  // The replies alone: what a speaker encodes for the VIPs it holds.
  const reply = { eth: { dst: CLIENT_MAC, src: OUR_MAC, ethertype: ETHERTYPE_ARP }, arp: { op: 'reply' as const, senderMac: OUR_MAC, senderIp: vip(0), targetMac: CLIENT_MAC, targetIp: '192.0.2.254' as Ipv4 } };
  const n = 20_000;
  for (let i = 0; i < 1000; i++) encodeArpFrame(reply);
  const te = performance.now();
  for (let i = 0; i < n; i++) encodeArpFrame(reply);
  const encodeUs = ((performance.now() - te) * 1000) / n;
  return { firstMs, warmUs: (median * 1000) / VIPS, encodeUs, replies };
}

if (values.child) {
  process.stdout.write(`${JSON.stringify(measure())}\n`);
  process.exit(0);
}

for (const l of machineLines()) console.log(l);
console.log(`a burst of ${VIPS} ARP requests (one per VIP) through respondToFrame, ${HELD} of the VIPs held; ${BURSTS} bursts per process, each variant in a fresh process`);
const self = fileURLToPath(import.meta.url);
for (const [label, flags] of [['V8 defaults', []], ['--max-opt=2 (deploy/speaker.yaml)', ['--max-opt=2']]] as const) {
  const r = spawnSync(process.execPath, [...flags, self, '--child', '--vips', String(VIPS), '--held', String(HELD), '--bursts', String(BURSTS)], { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(`frame-cost: the ${label} child failed (${r.status ?? r.signal}):\n${r.stderr}`);
    process.exit(1);
  }
  const f = JSON.parse(r.stdout) as Figures;
  console.log(`${label}: first burst ${f.firstMs.toFixed(2)} ms (${((f.firstMs * 1000) / VIPS).toFixed(2)} µs a request), warm ${f.warmUs.toFixed(2)} µs a request (median of ${BURSTS - 1} bursts), ${f.replies} replies a burst; a reply frame encoded in ${f.encodeUs.toFixed(2)} µs`);
}
