// The gobgpd side of the origination bench, run as a child in the same node namespace as
// gobgpd (its gRPC API listens on that namespace's loopback):
//   node bench/bgp/gobgp-feeder.ts --api 127.0.0.1:50051 --peer 192.0.2.1 --local 192.0.2.11 --routes 100000
// It waits until ListPeer shows the session ESTABLISHED, then, on {"cmd":"announce"}, sends the
// N paths through ONE AddPathStream, 1,000 paths per message (BENCH-NOTES.md: one unary AddPath
// per route costs ≈ 250 µs each, the CLI ≈ 11 ms). The messages are serialized before the clock,
// so the window holds gobgpd's work and not protobufjs's. {"cmd":"withdraw"} is one DeletePath
// for the family with no path: gobgpd withdraws every path the API added.
import { loadSync } from '@grpc/proto-loader';
import type { MethodDefinition, PackageDefinition, ServiceDefinition } from '@grpc/proto-loader';
import { Client, credentials } from '@grpc/grpc-js';
import { parseArgs } from 'node:util';
import { benchPrefix, emit, nowMs, onCommands, sleep } from './children.ts';
import { GOBGP_PROTO_DIR } from '../prerequisites.ts';

export const BATCH = 1000;

const { values } = parseArgs({ options: { api: { type: 'string' }, peer: { type: 'string' }, local: { type: 'string' }, routes: { type: 'string' }, batch: { type: 'string' } } });
const api = values.api ?? '127.0.0.1:50051';
const peer = values.peer ?? '192.0.2.1';
const local = values.local ?? '192.0.2.11';
const n = Number(values.routes ?? '10000');
const batch = Number(values.batch ?? String(BATCH));

// ---- protobuf by hand for the three small messages packed into google.protobuf.Any -----------
// (gobgp.proto's Path carries its NLRI and attributes as Any: type URL + serialized bytes.)
function varint(v: number): number[] {
  const out: number[] = [];
  let x = v >>> 0;
  while (x >= 0x80) {
    out.push((x & 0x7f) | 0x80);
    x >>>= 7;
  }
  out.push(x);
  return out;
}
function stringField(field: number, s: string): number[] {
  const b = Buffer.from(s, 'utf8');
  return [(field << 3) | 2, ...varint(b.length), ...b];
}
const anyOf = (type: string, bytes: number[]) => ({ type_url: `type.googleapis.com/apipb.${type}`, value: Buffer.from(bytes) });
/** attribute.proto: IPAddressPrefix { uint32 prefix_len = 1; string prefix = 2; } */
const ipPrefix = (addr: string, len: number) => anyOf('IPAddressPrefix', [0x08, ...varint(len), ...stringField(2, addr)]);
/** OriginAttribute { uint32 origin = 1; }: 0 = IGP, the proto3 default, so no field at all. */
const ORIGIN_IGP = anyOf('OriginAttribute', []);
/** NextHopAttribute { string next_hop = 1; } */
const NEXT_HOP = anyOf('NextHopAttribute', stringField(1, local));
const FAMILY = { afi: 'AFI_IP', safi: 'SAFI_UNICAST' };

function service(def: PackageDefinition): ServiceDefinition {
  const s = def['apipb.GobgpApi'];
  if (s === undefined || 'format' in s) throw new Error('apipb.GobgpApi not found in gobgp.proto');
  return s as ServiceDefinition;
}
function method(s: ServiceDefinition, name: string): MethodDefinition<object, object> {
  const m = s[name];
  if (m === undefined) throw new Error(`GobgpApi has no ${name}`);
  return m;
}

const def = loadSync('gobgp.proto', { includeDirs: [GOBGP_PROTO_DIR], keepCase: true, enums: String, longs: Number, defaults: false });
const gobgp = service(def);
const addPathStream = method(gobgp, 'AddPathStream');
const deletePath = method(gobgp, 'DeletePath');
const listPeer = method(gobgp, 'ListPeer');
const client = new Client(api, credentials.createInsecure());

/** ListPeer's session_state for the peer, e.g. "ESTABLISHED"; null when gobgpd does not list it (yet). */
async function peerState(): Promise<string | null> {
  return new Promise((resolve) => {
    let state: string | null = null;
    const call = client.makeServerStreamRequest(listPeer.path, listPeer.requestSerialize, listPeer.responseDeserialize, { address: peer }, { deadline: Date.now() + 2000 });
    call.on('data', (r: unknown) => {
      const s = (r as { peer?: { state?: { session_state?: unknown } } }).peer?.state?.session_state;
      if (typeof s === 'string') state = s;
    });
    call.on('error', () => resolve(null));
    call.on('end', () => resolve(state));
  });
}

// Serialized before the clock: AddPathStreamRequest { table_type = GLOBAL; repeated Path paths }.
const messages: Buffer[] = [];
for (let start = 0; start < n; start += batch) {
  const paths = [];
  for (let i = start; i < Math.min(n, start + batch); i++) {
    const [addr = '', len = '32'] = benchPrefix(i).split('/');
    paths.push({ nlri: ipPrefix(addr, Number(len)), pattrs: [ORIGIN_IGP, NEXT_HOP], family: FAMILY });
  }
  messages.push(addPathStream.requestSerialize({ table_type: 'GLOBAL', paths }));
}

async function announce(): Promise<void> {
  const at = nowMs();
  const done = new Promise<number>((resolve, reject) => {
    const call = client.makeClientStreamRequest(addPathStream.path, (b: Buffer) => b, addPathStream.responseDeserialize, (err) => (err === null ? resolve(nowMs()) : reject(err)));
    const writeAll = async (): Promise<void> => {
      for (const m of messages) {
        if (!call.write(m)) await new Promise<void>((r) => call.once('drain', () => r()));
      }
      call.end();
    };
    void writeAll();
  });
  emit('announced', { sendingAt: at, messages: messages.length });
  const closedAt = await done;
  emit('streamClosed', { sendingAt: at, ms: closedAt - at });
}

function withdraw(): void {
  const at = nowMs();
  client.makeUnaryRequest(deletePath.path, deletePath.requestSerialize, deletePath.responseDeserialize, { table_type: 'GLOBAL', family: FAMILY }, (err) => {
    if (err !== null) emit('error', { message: `DeletePath: ${err.message}` });
    else emit('deleteReturned', { ms: nowMs() - at });
  });
  emit('withdrawn', { sendingAt: at });
}

onCommands((cmd) => {
  if (cmd['cmd'] === 'announce') void announce().catch((err: unknown) => emit('error', { message: `AddPathStream: ${err instanceof Error ? err.message : String(err)}` }));
  if (cmd['cmd'] === 'withdraw') withdraw();
});

emit('ready', { routes: n, messages: messages.length });
const deadline = nowMs() + 30_000;
let state: string | null = null;
while (state !== 'ESTABLISHED') {
  if (nowMs() > deadline) {
    emit('error', { message: `gobgpd's peer ${peer} not ESTABLISHED after 30 s (state ${state ?? 'not listed'})` });
    break;
  }
  state = await peerState();
  if (state !== 'ESTABLISHED') await sleep(20);
}
if (state === 'ESTABLISHED') emit('established');
