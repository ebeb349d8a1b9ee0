// What a bench needs from the machine, checked before it starts (issue #10, "Also"): on a fresh
// clone `npm run bench:bgp` died with a stack trace ("ENOENT … gobgp.proto") because no script
// installs golang-github-osrg-gobgp-dev. A bench now says in one line what is missing and the
// command that installs it, and exits 1 before it builds anything.
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ADDON_PATH, loadAddon } from '../src/net/native.ts';

/** Debian's golang-github-osrg-gobgp-dev puts gobgpd 3.10's API here. */
export const GOBGP_PROTO_DIR = '/usr/share/gocode/src/github.com/osrg/gobgp/api';

export interface Prerequisite {
  /** What is missing, as the one line names it. */
  what: string;
  present(): boolean;
  /** How to get it: a Debian package (apt-get install -y …) or a command. */
  fix: { apt: string } | { run: string };
}

function onPath(program: string): boolean {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      // Not in this directory; try the next one.
    }
  }
  return false;
}

/** A program that must be on PATH, and the Debian package that brings it. */
export const program = (name: string, apt: string): Prerequisite => ({ what: name, present: () => onPath(name), fix: { apt } });

export const NEEDS = {
  /** Network namespaces, veth and raw sockets. */
  root: { what: 'root (network namespaces, raw sockets)', present: () => process.getuid?.() === 0, fix: { run: 'run the bench as root' } },
  ip: program('ip', 'iproute2'),
  bird: program('bird', 'bird2'),
  gobgpd: program('gobgpd', 'gobgpd'),
  keepalived: program('keepalived', 'keepalived'),
  frr: { what: 'FRR (/usr/lib/frr/bgpd)', present: () => existsSync('/usr/lib/frr/bgpd'), fix: { apt: 'frr' } },
  nft: program('nft', 'nftables'),
  gobgpProto: { what: `gobgpd's API (${GOBGP_PROTO_DIR}/gobgp.proto)`, present: () => existsSync(join(GOBGP_PROTO_DIR, 'gobgp.proto')), fix: { apt: 'golang-github-osrg-gobgp-dev' } },
  addon: { what: `the native addon (${ADDON_PATH})`, present: () => loadAddon().ok, fix: { run: 'npm run build:native' } },
} satisfies Record<string, Prerequisite>;

/** The one line for what is missing, or null when everything is there. */
export function missingLine(bench: string, needs: readonly Prerequisite[]): string | null {
  const missing = needs.filter((n) => !n.present());
  if (missing.length === 0) return null;
  const apt = [...new Set(missing.flatMap((m) => ('apt' in m.fix ? [m.fix.apt] : [])))];
  const runs = [...new Set(missing.flatMap((m) => ('run' in m.fix ? [m.fix.run] : [])))];
  const fixes = [...(apt.length > 0 ? [`apt-get install -y ${apt.join(' ')}`] : []), ...runs];
  return `${bench}: missing ${missing.map((m) => m.what).join(', ')}; ${fixes.join('; then ')}`;
}

/** Exits 1 with the one line when something is missing. */
export function requirePrerequisites(bench: string, needs: readonly Prerequisite[]): void {
  const line = missingLine(bench, needs);
  if (line === null) return;
  process.stderr.write(`${line}\n`);
  process.exit(1);
}
