// The IPAM chaos oracle: docs/ipam.md read again, independently of src/ipam/, as plain functions
// over what the API server shows. The invariant checker (ipam-invariants.ts) asks it which pools
// exist in effect, which are conflicting, what their counts should be, what a Service wants and
// whether two Services may share. It reuses nothing of Herald's allocator, so a bug there cannot
// hide behind the same bug here; ipaddr.js only parses address text.
import ipaddr from 'ipaddr.js';

export type Fam = 'IPv4' | 'IPv6';
export interface Ip {
  fam: Fam;
  v: bigint;
}
/** Inclusive address range of one family. */
export interface Range {
  fam: Fam;
  lo: bigint;
  hi: bigint;
}

export interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
export interface PoolSpec {
  blocks: ({ cidr: string } | { start: string; stop?: string })[];
  allowFirstLastIPs?: 'Yes' | 'No';
  disabled?: boolean;
  serviceSelector?: Selector;
}
/** A pool as the checker sees it: its spec now and the last spec of its history that was valid. */
export interface PoolState {
  name: string;
  uid: string;
  createdAt: number;
  generation: number;
  spec: PoolSpec;
  /** docs rule 1: an invalid edit keeps the last valid spec, disabled; null = never valid. */
  lastValid: PoolSpec | null;
}

export interface SvcState {
  key: string;
  uid: string;
  namespace: string;
  name: string;
  createdAt: number;
  /** Undefined where the stand-in sets none (it gives Services no generation; kube-apiserver does). */
  generation: number | undefined;
  deleting: boolean;
  type: string;
  cls: string | undefined;
  families: Fam[];
  policy: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  loadBalancerIP: string | undefined;
  ports: { protocol: string; port: number }[];
  etp: string;
  selector: Record<string, string>;
  ingress: { ip: string; ipMode: string | undefined }[];
  condition: { status: string; reason: string; message: string; observedGeneration: number | undefined } | undefined;
}

export const HERALD_CLASSES: readonly string[] = ['herald.dev/l2', 'herald.dev/bgp'];

export function parseIp(text: string): Ip | null {
  const t = text.trim();
  if (ipaddr.IPv4.isValidFourPartDecimal(t)) return { fam: 'IPv4', v: bytesToBig(ipaddr.IPv4.parse(t).toByteArray()) };
  if (ipaddr.IPv6.isValid(t) && !t.includes('.')) return { fam: 'IPv6', v: bytesToBig(ipaddr.IPv6.parse(t).toByteArray()) };
  return null;
}

function bytesToBig(bytes: number[]): bigint {
  return bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

/** Address identity across spellings: family plus value, never the text. */
export function ipId(ip: Ip): string {
  return `${ip.fam}:${ip.v.toString(16)}`;
}

export function idOf(text: string): string | null {
  const ip = parseIp(text);
  return ip === null ? null : ipId(ip);
}

const BITS: Record<Fam, bigint> = { IPv4: 32n, IPv6: 128n };

interface ParsedBlock {
  range: Range;
  /** The part a pool may give: a CIDR block of more than 2 addresses loses its ends with allowFirstLastIPs No. */
  usable: Range;
}

/** One block, or null when docs rule 1 makes it invalid (host bits, start > stop, mixed families). */
export function parseBlock(b: PoolSpec['blocks'][number], allowFirstLast: boolean): ParsedBlock | null {
  if ('cidr' in b) {
    const [addr, lenText] = b.cidr.split('/');
    const ip = parseIp(addr ?? '');
    const len = Number(lenText);
    if (ip === null || !Number.isInteger(len) || len < 0 || BigInt(len) > BITS[ip.fam]) return null;
    const size = 1n << (BITS[ip.fam] - BigInt(len));
    if (ip.v % size !== 0n) return null;
    const range = { fam: ip.fam, lo: ip.v, hi: ip.v + size - 1n };
    const trim = !allowFirstLast && size > 2n;
    return { range, usable: trim ? { ...range, lo: range.lo + 1n, hi: range.hi - 1n } : range };
  }
  const start = parseIp(b.start);
  const stop = b.stop === undefined ? start : parseIp(b.stop);
  if (start === null || stop === null || start.fam !== stop.fam || start.v > stop.v) return null;
  const range = { fam: start.fam, lo: start.v, hi: stop.v };
  return { range, usable: range };
}

function textOf(fam: Fam, v: bigint): string {
  const n = fam === 'IPv4' ? 4 : 16;
  const bytes = Array.from({ length: n }, (_, i) => Number((v >> BigInt(8 * (n - 1 - i))) & 255n));
  return ipaddr.fromByteArray(bytes).toString();
}

/**
 * What a controller that starts while a pool is invalid keeps in force (docs/ipam.md rule 1): the
 * blocks it can read (valid ones as they are, a CIDR with host bits as its network), disabled;
 * null when none can be read (the pool then holds nothing).
 */
export function readableSpec(spec: PoolSpec): PoolSpec | null {
  const blocks: PoolSpec['blocks'] = [];
  for (const b of spec.blocks) {
    if (parseBlock(b, true) !== null) {
      blocks.push(b);
      continue;
    }
    if (!('cidr' in b)) continue;
    const [addr, lenText] = b.cidr.split('/');
    const ip = parseIp(addr ?? '');
    const len = Number(lenText);
    if (ip === null || !Number.isInteger(len) || len < 0 || BigInt(len) > BITS[ip.fam]) continue;
    const size = 1n << (BITS[ip.fam] - BigInt(len));
    blocks.push({ cidr: `${textOf(ip.fam, ip.v - (ip.v % size))}/${len}` });
  }
  return blocks.length === 0 ? null : { ...spec, blocks, disabled: true };
}

export function specValid(spec: PoolSpec): boolean {
  return spec.blocks.length > 0 && spec.blocks.every((b) => parseBlock(b, true) !== null);
}

/** What the allocator should act on for one pool (docs rule 1 and "Conflicts"). */
export interface EffectivePool {
  name: string;
  createdAt: number;
  /** The current spec is valid. */
  valid: boolean;
  /** The blocks in force: the current spec, or the last valid one (disabled), or none. */
  ranges: Range[];
  usable: Range[];
  disabled: boolean;
  selector: Selector | undefined;
  conflicting: boolean;
}

function overlap(a: Range, b: Range): boolean {
  return a.fam === b.fam && a.lo <= b.hi && b.lo <= a.hi;
}

function older(a: { createdAt: number; name: string }, b: { createdAt: number; name: string }): number {
  return a.createdAt !== b.createdAt ? a.createdAt - b.createdAt : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Every pool in effect, by name (the allocation order). Assumption where the docs are brief: an
 * invalid pool that still uses its last valid spec takes part in conflicts with that spec, as a
 * disabled pool would ("keeps using the pool's last valid spec, disabled"); a never-valid pool
 * takes part in none.
 */
export function effectivePools(pools: readonly PoolState[]): EffectivePool[] {
  const out = pools.map((p): EffectivePool => {
    const valid = specValid(p.spec);
    const spec = valid ? p.spec : p.lastValid;
    const allow = spec?.allowFirstLastIPs !== 'No';
    const parsed = (spec?.blocks ?? []).map((b) => parseBlock(b, allow)).filter((b): b is ParsedBlock => b !== null);
    return {
      name: p.name,
      createdAt: p.createdAt,
      valid,
      ranges: parsed.map((b) => b.range),
      usable: parsed.map((b) => b.usable),
      disabled: !valid || spec?.disabled === true,
      selector: spec?.serviceSelector,
      conflicting: false,
    };
  });
  const bySeniority = [...out].sort(older);
  bySeniority.forEach((p, i) => {
    const self = p.ranges.some((r, j) => p.ranges.slice(j + 1).some((o) => overlap(r, o)));
    const withOlder = bySeniority.slice(0, i).some((o) => o.ranges.some((r) => p.ranges.some((x) => overlap(r, x))));
    p.conflicting = self || withOlder;
  });
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function inRanges(ip: Ip, ranges: readonly Range[]): boolean {
  return ranges.some((r) => r.fam === ip.fam && r.lo <= ip.v && ip.v <= r.hi);
}

/** Size of the union of ranges (overlapping blocks counted once). */
export function unionSize(ranges: readonly Range[]): bigint {
  let total = 0n;
  for (const fam of ['IPv4', 'IPv6'] as const) {
    const rs = ranges.filter((r) => r.fam === fam).sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
    let cur: Range | undefined;
    for (const r of rs) {
      if (cur !== undefined && r.lo <= cur.hi + 1n) {
        if (r.hi > cur.hi) cur = { ...cur, hi: r.hi };
        continue;
      }
      if (cur !== undefined) total += cur.hi - cur.lo + 1n;
      cur = r;
    }
    if (cur !== undefined) total += cur.hi - cur.lo + 1n;
  }
  return total;
}

/** Selector labels of docs rule 2: the Service's own, overridden by the two keys Herald sets. */
export function selectorLabels(s: Pick<SvcState, 'labels' | 'namespace' | 'name'>): Record<string, string> {
  return { ...s.labels, 'io.kubernetes.service.namespace': s.namespace, 'io.kubernetes.service.name': s.name };
}

export function selects(sel: Selector | undefined, labels: Record<string, string>): boolean {
  if (sel === undefined) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const v = labels[e.key];
    const values = e.values ?? [];
    if (e.operator === 'In' && !(has && v !== undefined && values.includes(v))) return false;
    if (e.operator === 'NotIn' && has && v !== undefined && values.includes(v)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** Eligible for a new address (docs rule 2): valid, enabled, not conflicting, selecting the Service. */
export function eligible(p: EffectivePool, s: Pick<SvcState, 'labels' | 'namespace' | 'name'>): boolean {
  return p.valid && !p.disabled && !p.conflicting && selects(p.selector, selectorLabels(s));
}

/** "Which Services are Herald's" with --default-service-ipam=pool: pool IPAM for these. */
export function isHeraldPool(s: SvcState): boolean {
  return s.type === 'LoadBalancer' && !s.deleting && (s.cls === undefined || s.cls === '' || HERALD_CLASSES.includes(s.cls));
}

export function isForeign(s: SvcState): boolean {
  return s.cls !== undefined && s.cls !== '' && !HERALD_CLASSES.includes(s.cls) && s.cls !== 'herald.dev/node-ipam';
}

/** docs "Families": what the Service wants, in order. */
export function wanted(s: SvcState): Fam[] {
  const first = s.families[0] ?? 'IPv4';
  return s.policy === 'SingleStack' ? [first] : [first, first === 'IPv4' ? 'IPv6' : 'IPv4'];
}

export type Request = { kind: 'none' } | { kind: 'invalid' } | { kind: 'ok'; ips: Ip[] };

/** docs "Annotations" and rule 4: herald.dev/ips supersedes spec.loadBalancerIP; one address per wanted family at most. */
export function request(s: SvcState): Request {
  const raw = s.annotations['herald.dev/ips'] ?? (s.loadBalancerIP !== undefined && s.loadBalancerIP !== '' ? s.loadBalancerIP : undefined);
  if (raw === undefined) return { kind: 'none' };
  const ips: Ip[] = [];
  for (const part of raw.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
    const ip = parseIp(part);
    if (ip === null) return { kind: 'invalid' };
    if (!ips.some((o) => ipId(o) === ipId(ip))) ips.push(ip);
  }
  if (new Set(ips.map((i) => i.fam)).size !== ips.length) return { kind: 'invalid' };
  // "Each must … be of a family the Service wants … else InvalidRequest, and the Service keeps what it has."
  if (ips.some((i) => !wanted(s).includes(i.fam))) return { kind: 'invalid' };
  if (ips.length === 0) return { kind: 'none' };
  return { kind: 'ok', ips };
}

export function sharing(s: SvcState): { key: string; cross: string[] } | null {
  const key = s.annotations['herald.dev/sharing-key']?.trim() ?? '';
  if (key === '') return null;
  const cross = (s.annotations['herald.dev/sharing-cross-namespace'] ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');
  return { key, cross };
}

/** docs "Sharing" rules 1–2 (the key level); null when they hold. */
export function keyLevel(a: SvcState, b: SvcState): string | null {
  const sa = sharing(a);
  const sb = sharing(b);
  if (sa === null || sb === null) return 'a holder has no sharing key';
  if (sa.key !== sb.key) return `sharing keys differ (${sa.key}, ${sb.key})`;
  const accepts = (x: SvcState, sx: { cross: string[] }, ns: string): boolean => x.namespace === ns || sx.cross.includes('*') || sx.cross.includes(ns);
  if (!accepts(a, sa, b.namespace) || !accepts(b, sb, a.namespace)) return 'namespaces not accepted both ways';
  return null;
}

/** docs "Sharing" rules 3–5 (the spec level); null when they hold. */
export function specLevel(a: SvcState, b: SvcState): string | null {
  const ids = new Set(a.ports.map((p) => `${p.protocol}/${p.port}`));
  if (b.ports.some((p) => ids.has(`${p.protocol}/${p.port}`))) return 'a (protocol, port) in common';
  if (a.etp !== b.etp) return 'externalTrafficPolicy differs';
  if (a.etp === 'Local') {
    const ka = Object.keys(a.selector);
    if (ka.length === 0 || ka.length !== Object.keys(b.selector).length || ka.some((k) => a.selector[k] !== b.selector[k])) return 'Local with different pod selectors';
  }
  return null;
}

/** The fields that decide whether a Service keeps an address (docs rule 3 (c)–(e), and being Herald's). */
export function keepSignature(s: SvcState): string {
  const sh = sharing(s);
  return JSON.stringify([s.type, s.cls ?? '', s.deleting, wanted(s), s.annotations['herald.dev/ips'] ?? null, s.loadBalancerIP ?? null, sh?.key ?? null, [...(sh?.cross ?? [])].sort(), s.namespace]);
}

/** Everything of a Service a user edits (labels, ports, policy, selector included). */
export function specSignature(s: SvcState): string {
  return JSON.stringify([keepSignature(s), s.labels, s.ports, s.etp, s.selector]);
}
