// The UDP heartbeat transport on loopback: encoded heartbeats both ways over IPv4, IPv6 and a
// dual-stack socket; failed sends are reports, never exceptions; close is idempotent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { decodeHeartbeat, encodeHeartbeat } from '../../src/election/heartbeat.ts';
import type { Heartbeat } from '../../src/election/heartbeat.ts';
import { openHeartbeatTransport, unmapAddress } from '../../src/election/heartbeat-udp.ts';
import type { HeartbeatTransport, TransportError, UdpEndpoint } from '../../src/election/heartbeat-udp.ts';

function beat(node: string, seq: number): Heartbeat {
  return { node, incarnation: 1_700_000_000_000, seq, fenced: false, leaving: false, warming: false, apiAgeMs: 12, policies: ['default'], heard: [], notes: [{ ip: '192.0.2.10', holder: node, epoch: 3 }] };
}

function encoded(m: Heartbeat): Uint8Array {
  const r = encodeHeartbeat(m);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

interface Endpoint {
  t: HeartbeatTransport;
  got: { m: Heartbeat; from: UdpEndpoint }[];
  errors: TransportError[];
}

async function open(addresses: string[] | undefined): Promise<Endpoint> {
  const got: Endpoint['got'] = [];
  const errors: TransportError[] = [];
  const t = await openHeartbeatTransport({
    port: 0,
    addresses,
    onDatagram: (bytes, from) => {
      const r = decodeHeartbeat(bytes);
      if (r.ok) got.push({ m: r.value, from });
    },
    onError: (e) => errors.push(e),
  });
  return { t, got, errors };
}

async function until(what: string, cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

for (const address of ['127.0.0.1', '::1']) {
  test(`two transports exchange heartbeats over ${address}`, async () => {
    const a = await open([address]);
    const b = await open([address]);
    try {
      a.t.send(encoded(beat('n1', 1)), [{ address, port: b.t.port }]);
      b.t.send(encoded(beat('n2', 7)), [{ address, port: a.t.port }]);
      await until('both heartbeats', () => a.got.length === 1 && b.got.length === 1);
      assert.deepEqual(b.got[0]?.m, beat('n1', 1));
      assert.deepEqual(b.got[0]?.from, { address, port: a.t.port });
      assert.deepEqual(a.got[0]?.m, beat('n2', 7));
      assert.deepEqual(a.errors, []);
      assert.deepEqual(b.errors, []);
    } finally {
      await Promise.all([a.t.close(), b.t.close()]);
    }
  });
}

test('one transport bound to 127.0.0.1 and ::1 on one port answers both families', async () => {
  const a = await open(['127.0.0.1', '::1']);
  const b = await open(['127.0.0.1', '::1']);
  try {
    assert.deepEqual(a.t.local(), [
      { address: '127.0.0.1', port: a.t.port },
      { address: '::1', port: a.t.port },
    ]);
    a.t.send(encoded(beat('n1', 1)), [
      { address: '127.0.0.1', port: b.t.port },
      { address: '::1', port: b.t.port },
    ]);
    await until('two datagrams', () => b.got.length === 2);
    assert.deepEqual(b.got.map((g) => g.from.address).sort(), ['127.0.0.1', '::1']);
  } finally {
    await Promise.all([a.t.close(), b.t.close()]);
  }
});

test('the default dual-stack socket reports IPv4 senders unmapped', async (t) => {
  let dual: Endpoint;
  try {
    dual = await open(undefined);
  } catch (err) {
    t.skip(`no dual-stack socket here: ${String(err)}`);
    return;
  }
  const v4 = await open(['127.0.0.1']);
  try {
    v4.t.send(encoded(beat('n1', 5)), [{ address: '127.0.0.1', port: dual.t.port }]);
    await until('the heartbeat', () => dual.got.length === 1);
    assert.deepEqual(dual.got[0]?.from, { address: '127.0.0.1', port: v4.t.port });
    // And back: an IPv4 destination through the `::` socket.
    dual.t.send(encoded(beat('n2', 6)), [{ address: '127.0.0.1', port: v4.t.port }]);
    await until('the answer', () => v4.got.length === 1);
    assert.equal(v4.got[0]?.m.node, 'n2');
  } finally {
    await Promise.all([dual.t.close(), v4.t.close()]);
  }
});

test('sends to a closed port, a bad address or a bad port never throw', async () => {
  // A port that was just free: nothing listens there now.
  const probe = createSocket('udp4');
  await new Promise<void>((r) => probe.bind(0, '127.0.0.1', () => r()));
  const dead = probe.address().port;
  await new Promise<void>((r) => probe.close(() => r()));
  const a = await open(['127.0.0.1']);
  try {
    for (let i = 0; i < 20; i++) a.t.send(encoded(beat('n1', i)), [{ address: '127.0.0.1', port: dead }]);
    a.t.send(new Uint8Array([1]), [
      { address: 'node-2.example', port: 9425 },
      { address: '::1', port: 9425 }, // no IPv6 socket bound
      { address: '127.0.0.1', port: 70_000 },
    ]);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      a.errors.filter((e) => e.code === 'EINVAL').map((e) => e.address),
      ['node-2.example', '::1', '127.0.0.1'],
    );
  } finally {
    await a.t.close();
  }
});

test('close is idempotent and a send after close is a no-op', async () => {
  const a = await open(['127.0.0.1']);
  const first = a.t.close();
  const second = a.t.close();
  assert.equal(first, second);
  await first;
  await a.t.close();
  a.t.send(encoded(beat('n1', 1)), [{ address: '127.0.0.1', port: 9 }]);
  assert.deepEqual(a.errors, []);
});

test('a port in use rejects the open and leaves nothing bound', async () => {
  const a = await open(['127.0.0.1']);
  try {
    await assert.rejects(openHeartbeatTransport({ port: a.t.port, addresses: ['127.0.0.1'], onDatagram: () => {}, onError: () => {} }), /EADDRINUSE/);
  } finally {
    await a.t.close();
  }
});

test('unmapAddress', () => {
  assert.equal(unmapAddress('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(unmapAddress('::FFFF:10.0.0.1'), '10.0.0.1');
  assert.equal(unmapAddress('2001:db8::1'), '2001:db8::1');
  assert.equal(unmapAddress('::ffff:c000:201'), '::ffff:c000:201');
});
