// The BGPPeer and BGPAnnouncementPolicy custom resources (deploy/crds/herald.dev_bgppeers.yaml,
// herald.dev_bgpannouncementpolicies.yaml) parsed into what the speaker and the FSM use. Pure.
// Every speaker and the controller leader run the same parse: an invalid object is an error
// value for that object alone (its Valid condition), and never disturbs the others (issue #4).
// The parse re-checks what the schema checks, so an object stored under an older schema, or
// written to a server that skips CEL, is still refused rather than half-used.
import type { V1Node } from '@kubernetes/client-node';
import type { LocalConfig } from './fsm-types.ts';
import type { LargeCommunity } from './codec/attributes.ts';
import type { LabelSelector } from '../api/selector.ts';
import type { Family } from '../api/addr.ts';
import type { Condition } from '../api/conditions.ts';
import type { BgpFamily } from '../api/bgp.ts';
import { AS_TRANS, BGP_FAMILIES } from '../api/bgp.ts';
import { parseCommunity, parseLargeCommunity } from './codec/attributes.ts';
import { parseIP } from '../api/addr.ts';
import { canonicalIP } from '../api/addr.ts';
import { CONDITION_VALID } from '../api/names.ts';
import { parseSelector } from '../api/selector.ts';

/** A valid BGPPeer, numbers ready for the FSM. */
export interface PeerView {
  name: string;
  /** The BGPPeer's own labels, which policies' peerSelector matches. */
  labels: Readonly<Record<string, string>>;
  /** Canonical text. */
  peerAddress: string;
  peerFamily: Family;
  peerASN: number;
  localASN: number;
  /** peerASN === localASN. */
  ibgp: boolean;
  peerPort: number;
  holdTimeSeconds: number;
  /** null: a third of the hold time (spec.keepaliveTimeSeconds absent). */
  keepaliveSeconds: number | null;
  connectRetrySeconds: number;
  /** TCP MD5 key (RFC 2385): a Secret in the speaker's namespace. */
  password: { secretName: string; key: string } | null;
  /** null = every node. */
  nodeSelector: LabelSelector | null;
  /** IP TTL / hop limit of outgoing segments. */
  ttl: number;
  /** GTSM (RFC 5082): the lowest TTL accepted from the peer; null without GTSM. */
  minTtl: number | null;
  /** BGP Identifier as uint32; null = derived from the node (routerIdForNode). */
  routerId: number | null;
  families: readonly BgpFamily[];
  gracefulRestart: { enabled: boolean; restartTimeSeconds: number };
  /** Canonical text, same family as peerAddress. */
  sourceAddress: string | null;
  passive: boolean;
  /** BFD beside the session (RFC 5880/5881); null = off (spec.bfd absent). */
  bfd: BfdSettings | null;
}

/** spec.bfd, in the CRD's units. */
export interface BfdSettings {
  minRxMs: number;
  minTxMs: number;
  detectMultiplier: number;
}

/** FRR's defaults (bfdd: 300 ms receive and transmit, multiplier 3), which users of it expect (issue #11). */
export const BFD_DEFAULTS: BfdSettings = { minRxMs: 300, minTxMs: 300, detectMultiplier: 3 };

/** A valid BGPAnnouncementPolicy. */
export interface BgpPolicyView {
  name: string;
  /** null = every Service / node / peer. */
  serviceSelector: LabelSelector | null;
  nodeSelector: LabelSelector | null;
  peerSelector: LabelSelector | null;
  /** RFC 1997 values, sorted ascending, no duplicates. */
  communities: readonly number[];
  /** RFC 8092, sorted by (global, local1, local2), no duplicates. */
  largeCommunities: readonly LargeCommunity[];
  /** Sent to iBGP peers only; null = not set. */
  localPreference: number | null;
  aggregationLengthIPv4: number;
  aggregationLengthIPv6: number;
  loadBalancerIPs: boolean;
  externalIPs: boolean;
}

export type BgpConfigErrorCode = 'InvalidSpec' | 'InvalidSelector' | 'InvalidAddress' | 'InvalidCommunity';

export interface BgpConfigError {
  code: BgpConfigErrorCode;
  message: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; name: string; error: BgpConfigError };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Thrown only inside this module, to leave a parse at its first problem; never escapes. */
class Invalid extends Error {
  readonly code: BgpConfigErrorCode;
  constructor(code: BgpConfigErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

function int(o: Record<string, unknown>, key: string, path: string, min: number, max: number, dflt: number): number;
function int(o: Record<string, unknown>, key: string, path: string, min: number, max: number, dflt: null): number | null;
function int(o: Record<string, unknown>, key: string, path: string, min: number, max: number, dflt: number | null): number | null {
  const v = o[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new Invalid('InvalidSpec', `${path}.${key}: must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return v;
}

function bool(o: Record<string, unknown>, key: string, path: string, dflt: boolean): boolean {
  const v = o[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new Invalid('InvalidSpec', `${path}.${key}: must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function address(v: unknown, field: string): { ip: string; family: Family } {
  const ip = typeof v === 'string' ? canonicalIP(v) : null;
  if (ip === null) throw new Invalid('InvalidAddress', `spec.${field}: ${JSON.stringify(v)} is not an IPv4 (dotted decimal) or IPv6 address`);
  return { ip, family: ip.includes(':') ? 'IPv6' : 'IPv4' };
}

function selector(v: unknown, field: string): LabelSelector | null {
  const s = parseSelector(v, field);
  if (!s.ok) throw new Invalid('InvalidSelector', s.error.message);
  return s.value;
}

/** Dotted quad → uint32; null when it is not IPv4. */
export function ipv4ToUint32(text: string): number | null {
  const p = parseIP(text);
  return p.ok && p.value.family === 'IPv4' ? Number(p.value.value) : null;
}

function nameOf(obj: unknown): string {
  const meta = isRecord(obj) && isRecord(obj['metadata']) ? obj['metadata'] : {};
  return typeof meta['name'] === 'string' ? meta['name'] : '';
}

function run<T>(obj: unknown, parse: (spec: Record<string, unknown>, name: string) => T): Parsed<T> {
  const name = nameOf(obj);
  if (!isRecord(obj) || name === '' || !isRecord(obj['spec'])) return { ok: false, name, error: { code: 'InvalidSpec', message: 'the object has no metadata.name or no spec' } };
  try {
    return { ok: true, value: parse(obj['spec'], name) };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, name, error: { code: e.code, message: e.message } };
    throw e;
  }
}

function labelsOf(obj: unknown): Record<string, string> {
  const meta = isRecord(obj) && isRecord(obj['metadata']) ? obj['metadata'] : {};
  const labels = meta['labels'];
  if (!isRecord(labels)) return {};
  return Object.fromEntries(Object.entries(labels).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** Parses one BGPPeer as read from the API. */
export function parsePeer(obj: unknown): Parsed<PeerView> {
  return run(obj, (spec, name) => {
    const peer = address(spec['peerAddress'], 'peerAddress');
    const peerASN = int(spec, 'peerASN', 'spec', 1, 0xffffffff, null);
    const localASN = int(spec, 'localASN', 'spec', 1, 0xffffffff, null);
    if (peerASN === null || localASN === null) throw new Invalid('InvalidSpec', 'spec.peerASN and spec.localASN are required');
    // The field named, as for every other value (issue #14).
    if (peerASN === AS_TRANS || localASN === AS_TRANS) throw new Invalid('InvalidSpec', `spec.${peerASN === AS_TRANS ? 'peerASN' : 'localASN'}: AS ${AS_TRANS} is AS_TRANS (RFC 6793 §9), never a real autonomous system`);
    const ibgp = peerASN === localASN;
    const holdTimeSeconds = int(spec, 'holdTimeSeconds', 'spec', 0, 65535, 90);
    if (holdTimeSeconds === 1 || holdTimeSeconds === 2) throw new Invalid('InvalidSpec', `spec.holdTimeSeconds: must be 0 or at least 3 (RFC 4271 §4.2), got ${holdTimeSeconds}`);
    const keepaliveSeconds = int(spec, 'keepaliveTimeSeconds', 'spec', 0, 21845, null);
    if (keepaliveSeconds !== null && (keepaliveSeconds === 0 ? holdTimeSeconds !== 0 : keepaliveSeconds >= holdTimeSeconds)) {
      throw new Invalid('InvalidSpec', `spec.keepaliveTimeSeconds: ${keepaliveSeconds} must be less than holdTimeSeconds (${holdTimeSeconds}), and 0 only when that is 0`);
    }
    const ref = spec['passwordSecretRef'];
    let password: PeerView['password'] = null;
    if (ref !== undefined) {
      if (!isRecord(ref) || typeof ref['name'] !== 'string' || ref['name'] === '' || typeof ref['key'] !== 'string' || ref['key'] === '') {
        throw new Invalid('InvalidSpec', 'spec.passwordSecretRef: needs the name of a Secret in the speaker namespace and a key in it');
      }
      password = { secretName: ref['name'], key: ref['key'] };
    }
    const hops = int(spec, 'ebgpMultihop', 'spec', 1, 255, null);
    if (hops !== null && ibgp) throw new Invalid('InvalidSpec', 'spec.ebgpMultihop: applies to eBGP sessions only (peerASN different from localASN)');
    const gtsm = bool(spec, 'gtsm', 'spec', false);
    // RFC 5082 §3: send 255 and accept 256 - hops; without GTSM eBGP sends `hops` (RFC 4271 directly connected: 1).
    const ttl = gtsm || ibgp ? 255 : (hops ?? 1);
    const minTtl = gtsm ? 256 - (hops ?? 1) : null;
    let routerId: number | null = null;
    if (spec['routerID'] !== undefined) {
      routerId = typeof spec['routerID'] === 'string' ? ipv4ToUint32(spec['routerID']) : null;
      if (routerId === null || routerId === 0) throw new Invalid('InvalidAddress', `spec.routerID: ${JSON.stringify(spec['routerID'])} is not a non-zero IPv4 address in dotted-quad form (RFC 6286 §2.1)`);
    }
    const fams = spec['families'] ?? BGP_FAMILIES;
    if (!Array.isArray(fams) || fams.length === 0 || !fams.every((f): f is BgpFamily => BGP_FAMILIES.some((x) => x === f))) {
      throw new Invalid('InvalidSpec', `spec.families: must list one or both of ${BGP_FAMILIES.join(', ')}`);
    }
    const grIn = spec['gracefulRestart'] ?? {};
    if (!isRecord(grIn)) throw new Invalid('InvalidSpec', 'spec.gracefulRestart: must be an object');
    const gracefulRestart = { enabled: bool(grIn, 'enabled', 'spec.gracefulRestart', true), restartTimeSeconds: int(grIn, 'restartTimeSeconds', 'spec.gracefulRestart', 1, 4095, 120) };
    let sourceAddress: string | null = null;
    if (spec['sourceAddress'] !== undefined) {
      const src = address(spec['sourceAddress'], 'sourceAddress');
      if (src.family !== peer.family) throw new Invalid('InvalidAddress', `spec.sourceAddress: ${src.ip} is ${src.family} but peerAddress ${peer.ip} is ${peer.family}`);
      sourceAddress = src.ip;
    }
    const bfdIn = spec['bfd'];
    if (bfdIn !== undefined && !isRecord(bfdIn)) throw new Invalid('InvalidSpec', 'spec.bfd: must be an object (an empty one takes the defaults)');
    const bfd: BfdSettings | null = bfdIn === undefined ? null : {
      minRxMs: int(bfdIn, 'minRxMs', 'spec.bfd', 10, 60000, BFD_DEFAULTS.minRxMs),
      minTxMs: int(bfdIn, 'minTxMs', 'spec.bfd', 10, 60000, BFD_DEFAULTS.minTxMs),
      detectMultiplier: int(bfdIn, 'detectMultiplier', 'spec.bfd', 1, 255, BFD_DEFAULTS.detectMultiplier),
    };
    return {
      name,
      labels: labelsOf(obj),
      peerAddress: peer.ip,
      peerFamily: peer.family,
      peerASN,
      localASN,
      ibgp,
      peerPort: int(spec, 'peerPort', 'spec', 1, 65535, 179),
      holdTimeSeconds,
      keepaliveSeconds,
      connectRetrySeconds: int(spec, 'connectRetrySeconds', 'spec', 1, 65535, 5),
      password,
      nodeSelector: selector(spec['nodeSelector'], 'nodeSelector'),
      ttl,
      minTtl,
      routerId,
      families: BGP_FAMILIES.filter((f) => fams.includes(f)),
      gracefulRestart,
      sourceAddress,
      passive: bool(spec, 'passive', 'spec', false),
      bfd,
    };
  });
}

function compareLarge(a: LargeCommunity, b: LargeCommunity): number {
  return a.global - b.global || a.local1 - b.local1 || a.local2 - b.local2;
}

/** Standard, well-known and large communities from their text forms (see the CRD). */
function parseCommunities(texts: unknown): { communities: number[]; largeCommunities: LargeCommunity[] } {
  if (texts === undefined) return { communities: [], largeCommunities: [] };
  if (!Array.isArray(texts)) throw new Invalid('InvalidCommunity', 'spec.communities: must be a list of strings');
  const std = new Set<number>();
  const large = new Map<string, LargeCommunity>();
  for (const [i, t] of texts.entries()) {
    // The codec also reads NO_EXPORT; the CRD's spelling is the lower-case one.
    const c = typeof t === 'string' && !/[A-Z_]/.test(t) ? (t.split(':').length === 3 ? parseLargeCommunity(t) : parseCommunity(t)) : null;
    if (c === null) {
      throw new Invalid('InvalidCommunity', `spec.communities[${i}]: ${JSON.stringify(t)} is not a community; write ASN:value (0-65535 each), a:b:c (0-4294967295 each) or one of no-export, no-advertise, no-export-subconfed, no-peer, blackhole`);
    }
    if (typeof c === 'number') std.add(c);
    else large.set(`${c.global}:${c.local1}:${c.local2}`, c);
  }
  return { communities: [...std].sort((a, b) => a - b), largeCommunities: [...large.values()].sort(compareLarge) };
}

/** Parses one BGPAnnouncementPolicy as read from the API. */
export function parseBgpPolicy(obj: unknown): Parsed<BgpPolicyView> {
  return run(obj, (spec, name) => {
    const serviceSelector = selector(spec['serviceSelector'], 'serviceSelector');
    const nodeSelector = selector(spec['nodeSelector'], 'nodeSelector');
    const peerSelector = selector(spec['peerSelector'], 'peerSelector');
    const { communities, largeCommunities } = parseCommunities(spec['communities']);
    return {
      name,
      serviceSelector,
      nodeSelector,
      peerSelector,
      communities,
      largeCommunities,
      localPreference: int(spec, 'localPreference', 'spec', 0, 0xffffffff, null),
      aggregationLengthIPv4: int(spec, 'aggregationLengthIPv4', 'spec', 0, 32, 32),
      aggregationLengthIPv6: int(spec, 'aggregationLengthIPv6', 'spec', 0, 128, 128),
      loadBalancerIPs: bool(spec, 'loadBalancerIPs', 'spec', true),
      externalIPs: bool(spec, 'externalIPs', 'spec', false),
    };
  });
}

export interface ParsedAll<T> {
  /** Valid objects, by name. */
  valid: T[];
  /** Name → why it is ignored (for its Valid condition). */
  errors: Map<string, BgpConfigError>;
}

function parseAll<T extends { name: string }>(objs: readonly unknown[], parse: (o: unknown) => Parsed<T>): ParsedAll<T> {
  const valid: T[] = [];
  const errors = new Map<string, BgpConfigError>();
  for (const o of objs) {
    const r = parse(o);
    if (r.ok) valid.push(r.value);
    else errors.set(r.name, r.error);
  }
  valid.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { valid, errors };
}

export const parsePeers = (objs: readonly unknown[]): ParsedAll<PeerView> => parseAll(objs, parsePeer);
export const parseBgpPolicies = (objs: readonly unknown[]): ParsedAll<BgpPolicyView> => parseAll(objs, parseBgpPolicy);

/** FNV-1a over the UTF-8 bytes: stable across versions and platforms, so a restart keeps the ID. */
function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(text)) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}

/** The default BGP Identifier of a node: first IPv4 InternalIP, else ExternalIP, else a hash of its name; never 0. */
export function routerIdForNode(node: V1Node): number {
  for (const type of ['InternalIP', 'ExternalIP']) {
    for (const a of node.status?.addresses ?? []) {
      const id = a.type === type ? ipv4ToUint32(a.address) : null;
      if (id !== null && id !== 0) return id;
    }
  }
  return fnv1a32(node.metadata?.name ?? '') || 1;
}

/** The FSM's configuration for a session to `peer` from `node`. */
export function localConfigFor(peer: PeerView, node: V1Node): LocalConfig {
  return {
    asn: peer.localASN,
    peerAsn: peer.peerASN,
    routerId: peer.routerId ?? routerIdForNode(node),
    holdTimeSeconds: peer.holdTimeSeconds,
    // RFC 4271 §10 suggests a third of the hold time; the FSM negotiates min(this, hold/3).
    keepaliveSeconds: peer.keepaliveSeconds ?? Math.floor(peer.holdTimeSeconds / 3),
    connectRetrySeconds: peer.connectRetrySeconds,
    active: !peer.passive,
    families: peer.families,
    gracefulRestart: { ...peer.gracefulRestart },
  };
}

/** The `Valid` condition of a BGPPeer or BGPAnnouncementPolicy (the controller leader writes it). */
export function bgpValidCondition(what: 'peer' | 'policy', error: BgpConfigError | null, generation: number | undefined, now: Date): Condition {
  const base = { type: CONDITION_VALID, lastTransitionTime: now.toISOString(), ...(generation === undefined ? {} : { observedGeneration: generation }) };
  if (error === null) return { ...base, status: 'True', reason: 'Valid', message: `the ${what} is in use` };
  return { ...base, status: 'False', reason: error.code, message: `${error.message}; the ${what} is ignored until this is fixed` };
}
