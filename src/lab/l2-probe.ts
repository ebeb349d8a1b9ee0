// Asking the segment who answers for an address, the way a client on it would: one ARP request
// (arping) or one Neighbor Solicitation (ndisc6) from the client namespace, read back as the
// MACs that replied. Both tools send their own frames, so the client's neighbour cache plays no
// part and every question is asked afresh. The parsers are pure, and tested on real output.
import { isIP } from 'node:net';
import { run } from './exec.ts';
import type { ExecResult } from './exec.ts';
import { LabError } from './errors.ts';

const MAC = /\b([0-9a-f]{2}(?::[0-9a-f]{2}){5})\b/gi;

/** Debian ships two arpings with different flags: iputils-arping (`-I`) and Thomas Habets's (`-i`). */
export type ArpingFlavour = 'iputils' | 'habets';

/** The MACs that replied, lowercase, in order of arrival, without repeats. */
export function parseArping(out: string): string[] {
  // iputils: "Unicast reply from 192.0.2.200 [02:68:6C:00:00:0B]  0.612ms"; Habets with -r: the MAC alone.
  const lines = out.split('\n').filter((l) => /reply from|^\s*[0-9a-f]{2}(:[0-9a-f]{2}){5}\s*$/i.test(l));
  return unique(lines.flatMap((l) => [...l.matchAll(MAC)].map((m) => (m[1] ?? '').toLowerCase())));
}

/** ndisc6 prints "Target link-layer address: 02:68:6C:00:00:0B" per reply (or just the MAC with -q). */
export function parseNdisc6(out: string): string[] {
  const lines = out.split('\n').filter((l) => /link-layer address|^\s*[0-9a-f]{2}(:[0-9a-f]{2}){5}\s*$/i.test(l));
  return unique(lines.flatMap((l) => [...l.matchAll(MAC)].map((m) => (m[1] ?? '').toLowerCase())));
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

export function arpingFlavour(helpText: string): ArpingFlavour {
  return /Habets/.test(helpText) ? 'habets' : 'iputils';
}

/**
 * The command line that asks once for `ip` on `iface`. `first` returns at the first reply (after
 * about `waitS` without one); `all` listens for the whole `waitS`, so a second answerer shows.
 */
export function probeArgv(ip: string, iface: string, flavour: ArpingFlavour, mode: 'first' | 'all', waitS = 1): string[] {
  const wait = String(waitS);
  if (isIP(ip) === 6) return ['ndisc6', mode === 'first' ? '-1' : '-m', '-n', '-r', '1', '-w', String(Math.round(waitS * 1000)), ip, iface];
  if (isIP(ip) !== 4) throw new LabError('InvalidOptions', `not an IP address: ${JSON.stringify(ip)}`);
  if (flavour === 'habets') return mode === 'first' ? ['arping', '-C', '1', '-c', '1', '-w', wait, '-r', '-i', iface, ip] : ['arping', '-c', '1', '-W', wait, '-r', '-i', iface, ip];
  const deadline = String(Math.max(1, Math.ceil(waitS))); // iputils takes whole seconds
  return mode === 'first' ? ['arping', '-c', '1', '-w', deadline, '-I', iface, ip] : ['arping', '-w', deadline, '-I', iface, ip];
}

/** Exit 0 with replies, 1 (or 2 for ndisc6) without: both are answers; anything else is a failure. */
export function probeResult(ip: string, argv: readonly string[], r: ExecResult): string[] {
  const macs = isIP(ip) === 6 ? parseNdisc6(r.stdout) : parseArping(r.stdout);
  if (macs.length > 0 || r.code === 1 || r.code === 2) return macs;
  throw new LabError('CommandFailed', `${argv.join(' ')}: exit ${r.code ?? r.signal}: ${r.stderr.trim() || r.stdout.trim()}`);
}

let flavour: Promise<ArpingFlavour> | undefined;

/** Which arping this machine has (asked once). */
export function detectArping(): Promise<ArpingFlavour> {
  flavour ??= run(['arping', '--help']).then((r) => arpingFlavour(r.stdout + r.stderr));
  return flavour;
}
