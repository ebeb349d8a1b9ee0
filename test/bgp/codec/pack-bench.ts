// Micro-benchmark of the UPDATE packer (not a test: prints figures, asserts nothing).
//   node test/bgp/codec/pack-bench.ts
import { decodeMessage, packAnnouncements, packWithdrawals, type PathAttributes } from '../../../src/bgp/codec/index.ts';
import { hosts } from './helpers.ts';

const V4: PathAttributes = { origin: 'igp', asPath: [{ type: 'sequence', asns: [64500] }], nextHop: '192.0.2.1', communities: [0xfde80064] };
const V6: PathAttributes = { origin: 'igp', asPath: [{ type: 'sequence', asns: [64500] }], mpReach: { family: 'ipv6', nextHop: '2001:db8::1', linkLocalNextHop: 'fe80::1', nlri: [] } };
const N = 100_000;

function bench(name: string, run: () => Uint8Array[]): void {
  for (let i = 0; i < 5; i++) run(); // warm up
  const rounds = 20;
  let messages: Uint8Array[] = [];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) messages = run();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6 / rounds;
  const octets = messages.reduce((n, m) => n + m.length, 0);
  console.log(`${name.padEnd(44)} ${ms.toFixed(2).padStart(7)} ms  ${(N / ms / 1000).toFixed(1).padStart(6)} M prefixes/s  ${String(messages.length).padStart(5)} msgs  ${(octets / 1024).toFixed(0)} KiB`);
}

const v4 = hosts('ipv4', N);
const v6 = hosts('ipv6', N);
for (const maxLength of [4096, 65535]) {
  const ctx = { fourOctetAs: true, maxLength };
  bench(`announce ${N} IPv4 /32, max ${maxLength}`, () => packAnnouncements(V4, v4, ctx));
  bench(`announce ${N} IPv6 /128 (MP_REACH), max ${maxLength}`, () => packAnnouncements(V6, v6, ctx));
  bench(`withdraw ${N} IPv4 /32, max ${maxLength}`, () => packWithdrawals('ipv4', v4, ctx));
}
const packed = packAnnouncements(V4, v4, { fourOctetAs: true });
const t0 = process.hrtime.bigint();
for (const m of packed) decodeMessage(m, { fourOctetAs: true, maxLength: 4096 });
console.log(`decode the ${packed.length} IPv4 UPDATEs back: ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(2)} ms`);
