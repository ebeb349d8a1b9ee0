// The IPAM chaos invariants, checked on a settled cluster (every object written, the controller at
// a fixed point) against the previous settled checkpoint and what happened in between. Pure: the
// runner (ipam-runner.ts) gathers a Checkpoint from the API server and the controller; the rules
// come from docs/ipam.md through ipam-oracle.ts. Each violation names its invariant, so the bench
// counts them per invariant and a failing test says which promise broke.
import { effectivePools, eligible, idOf, inRanges, ipId, isForeign, isHeraldPool, keepSignature, keyLevel, parseIp, request, sharing, specLevel, specSignature, unionSize, wanted } from './ipam-oracle.ts';
import type { EffectivePool, Ip, PoolState, SvcState } from './ipam-oracle.ts';

export const INVARIANTS = ['sharing', 'in-pool', 'reshuffle', 'revoke', 'service-status', 'pool-status', 'foreign', 'stuck', 'settle'] as const;
export type Invariant = (typeof INVARIANTS)[number];

/** What each invariant promises, for the bench's table. */
export const INVARIANT_TEXT: Record<Invariant, string> = {
  sharing: 'no address on two Services unless they share (same key, namespaces agreed; incompatible sharers not Satisfied)',
  'in-pool': 'every address inside a pool, not reserved, of a wanted family, requested if a request is set; new ones from an eligible pool',
  reshuffle: 'a Service whose keep-fields and pool did not change keeps its address (restarts included)',
  revoke: 'no address taken away because of a spec-level edit of the Service or of a Service sharing it',
  'service-status': 'status.loadBalancer and the condition say what the controller decided; not-Herald Services carry nothing of Herald',
  'pool-status': 'pool counts and Valid/Conflict conditions match the Services and the pools',
  foreign: 'a foreign-class Service keeps its own ingress and never gets Herald condition or address',
  stuck: 'no simple Service waits for an address while an eligible pool has a free one',
  settle: 'the controller reaches a fixed point after every step (within the deadline)',
};

export interface Violation {
  invariant: Invariant;
  detail: string;
}

export interface PoolStatusObs {
  ipsTotal?: string;
  ipsUsed?: string;
  ipsReserved?: string;
  ipsAvailable?: string;
  observedGeneration?: number;
  conditions?: { type: string; status: string }[];
}

export interface ControllerView {
  ips: ReadonlyMap<string, readonly string[]>;
  outcomes: ReadonlyMap<string, { satisfied: boolean; reason: string }>;
}

export interface Checkpoint {
  services: readonly SvcState[];
  pools: readonly PoolState[];
  poolStatus: ReadonlyMap<string, PoolStatusObs | undefined>;
  controller: ControllerView;
}

export interface Interval {
  previous: Checkpoint | null;
  /** Every version of each Service (by uid) the API held since `previous` (that one included), oldest first. */
  versions: ReadonlyMap<string, readonly SvcState[]>;
  /** Every pool set the API held since `previous`, both ends included. */
  poolSets: readonly (readonly PoolState[])[];
  /** A controller stopped during the interval. */
  restarted: boolean;
}

export interface World {
  /** Node and API-server addresses, never given. */
  reserved: readonly Ip[];
  /** Where the stand-in for another controller writes its ingress: Herald never gives these. */
  foreignPrefix: string;
}

const CONDITION_FREE_REASONS = ['NoPool', 'PoolSelectorMismatch', 'OutOfIPs'];

function ips(s: SvcState): { ip: Ip; text: string }[] {
  return s.ingress.flatMap((i) => {
    const ip = parseIp(i.ip);
    return ip === null ? [] : [{ ip, text: i.ip }];
  });
}

function idsOf(s: SvcState | undefined): Set<string> {
  return new Set((s?.ingress ?? []).flatMap((i) => idOf(i.ip) ?? []));
}

function usableHolder(pools: readonly EffectivePool[], ip: Ip): EffectivePool | undefined {
  return pools.find((p) => inRanges(ip, p.usable));
}

export function checkCheckpoint(cp: Checkpoint, iv: Interval, world: World): Violation[] {
  const out: Violation[] = [];
  const add = (invariant: Invariant, detail: string): void => void out.push({ invariant, detail });
  const pools = effectivePools(cp.pools);
  const herald = cp.services.filter(isHeraldPool);
  checkServices(cp, herald, pools, world, add);
  checkSharing(herald, iv, add);
  checkPools(cp, herald, pools, world, add);
  checkOthers(cp, world, add);
  checkStuck(herald, pools, world, add);
  if (iv.previous !== null) checkKeeping(cp, iv, add);
  checkNew(herald, iv, add);
  return out;
}

type Add = (invariant: Invariant, detail: string) => void;

function checkServices(cp: Checkpoint, herald: readonly SvcState[], pools: readonly EffectivePool[], world: World, add: Add): void {
  for (const s of herald) {
    const held = ips(s);
    if (held.length !== s.ingress.length) add('service-status', `${s.key}: ingress ${JSON.stringify(s.ingress)} holds a non-address`);
    const mine = (cp.controller.ips.get(s.key) ?? []).map((t) => idOf(t));
    const shown = held.map((h) => idOf(h.text));
    if (JSON.stringify(mine) !== JSON.stringify(shown)) add('service-status', `${s.key}: status lists ${JSON.stringify(held.map((h) => h.text))}, the controller holds ${JSON.stringify(cp.controller.ips.get(s.key) ?? [])}`);
    const outcome = cp.controller.outcomes.get(s.key);
    const c = s.condition;
    if (c === undefined || outcome === undefined) add('service-status', `${s.key}: no condition (${c === undefined ? 'none on the object' : 'none in the controller'})`);
    else {
      if (c.reason !== outcome.reason || c.status !== (outcome.satisfied ? 'True' : 'False')) add('service-status', `${s.key}: condition ${c.status}/${c.reason}, controller ${String(outcome.satisfied)}/${outcome.reason}`);
      if (c.observedGeneration !== s.generation) add('service-status', `${s.key}: condition observedGeneration ${String(c.observedGeneration)} at generation ${String(s.generation)}`);
      if ((c.reason === 'Satisfied') !== (c.status === 'True')) add('service-status', `${s.key}: condition ${c.status} with reason ${c.reason}`);
    }
    if (s.ingress.some((i) => i.ipMode !== 'VIP')) add('service-status', `${s.key}: ingress ipMode is not VIP`);
    const want = wanted(s);
    const req = request(s);
    const fams = held.map((h) => h.ip.fam);
    if (new Set(fams).size !== fams.length) add('in-pool', `${s.key}: two addresses of one family ${JSON.stringify(held.map((h) => h.text))}`);
    for (const h of held) {
      if (usableHolder(pools, h.ip) === undefined) add('in-pool', `${s.key}: ${h.text} is inside no pool (or is a reserved first/last address)`);
      if (world.reserved.some((r) => r.fam === h.ip.fam && r.v === h.ip.v)) add('in-pool', `${s.key}: ${h.text} is a node or API-server address`);
      if (!want.includes(h.ip.fam)) add('in-pool', `${s.key}: ${h.text} is ${h.ip.fam}, the Service wants ${want.join('/')}`);
      if (req.kind === 'ok' && !req.ips.some((r) => r.fam === h.ip.fam && r.v === h.ip.v)) add('in-pool', `${s.key}: ${h.text} is not among the requested addresses`);
    }
    if (c?.reason === 'Satisfied') {
      const asked = req.kind !== 'ok' || (req.ips.length === held.length && req.ips.every((r) => held.some((h) => h.ip.fam === r.fam && h.ip.v === r.v)));
      const families = s.policy === 'PreferDualStack' ? held.length > 0 : want.every((f) => fams.includes(f));
      const ok = asked && families && req.kind !== 'invalid';
      if (!ok) add('service-status', `${s.key}: Satisfied with ${JSON.stringify(held.map((h) => h.text))} (${s.policy} ${want.join('/')}, request ${req.kind})`);
    }
  }
}

function holdersById(herald: readonly SvcState[]): Map<string, SvcState[]> {
  const byId = new Map<string, SvcState[]>();
  for (const s of herald) for (const id of idsOf(s)) byId.set(id, [...(byId.get(id) ?? []), s]);
  return byId;
}

function unchanged(iv: Interval, s: SvcState, sig: (x: SvcState) => string): boolean {
  const vs = iv.versions.get(s.uid) ?? [];
  return vs.every((v) => sig(v) === sig(s));
}

function checkSharing(herald: readonly SvcState[], iv: Interval, add: Add): void {
  const before = new Map((iv.previous?.services ?? []).map((s) => [s.uid, idsOf(s)]));
  for (const [id, hs] of holdersById(herald)) {
    for (let i = 0; i < hs.length; i++) {
      for (const b of hs.slice(i + 1)) {
        const a = hs[i];
        if (a === undefined) continue;
        const key = keyLevel(a, b);
        if (key !== null) {
          add('sharing', `${id} is on ${a.key} and ${b.key}: ${key}`);
          continue;
        }
        const spec = specLevel(a, b);
        if (spec === null) continue;
        if (a.condition?.reason === 'Satisfied' || b.condition?.reason === 'Satisfied') add('sharing', `${id} is on ${a.key} and ${b.key} (${spec}) and one of them is Satisfied`);
        // Incompatibility may only come from an edit (docs "Sharing"): with neither edited, one got it while incompatible.
        const isNew = (x: SvcState): boolean => !(before.get(x.uid)?.has(id) ?? false);
        if ((isNew(a) || isNew(b)) && unchanged(iv, a, specSignature) && unchanged(iv, b, specSignature)) add('sharing', `${id} was given to ${isNew(a) ? a.key : b.key} although ${spec} with ${isNew(a) ? b.key : a.key}`);
      }
    }
  }
}

function count(v: bigint): string {
  return v.toString();
}

function checkPools(cp: Checkpoint, herald: readonly SvcState[], pools: readonly EffectivePool[], world: World, add: Add): void {
  const heldIps = [...new Map(herald.flatMap((s) => ips(s)).map((h) => [idOf(h.text) ?? '', h.ip])).entries()];
  const used = new Map<string, bigint>();
  for (const [, ip] of heldIps) {
    const p = usableHolder(pools, ip);
    if (p !== undefined) used.set(p.name, (used.get(p.name) ?? 0n) + 1n);
  }
  const heldIds = new Set(heldIps.map(([id]) => id));
  for (const state of cp.pools) {
    const p = pools.find((x) => x.name === state.name);
    const st = cp.poolStatus.get(state.name);
    if (p === undefined) continue;
    if (st === undefined) {
      add('pool-status', `pool ${p.name}: no status`);
      continue;
    }
    const reserved = world.reserved.filter((ip) => !heldIds.has(ipId(ip)));
    const total = unionSize(p.usable);
    const u = used.get(p.name) ?? 0n;
    const r = BigInt(reserved.filter((ip) => inRanges(ip, p.usable)).length);
    const avail = total - u - r > 0n ? total - u - r : 0n;
    const expect = { ipsTotal: count(total), ipsUsed: count(u), ipsReserved: count(r), ipsAvailable: count(avail) };
    const got = { ipsTotal: st.ipsTotal, ipsUsed: st.ipsUsed, ipsReserved: st.ipsReserved, ipsAvailable: st.ipsAvailable };
    // Assumption: the docs give an invalid pool a total of 0 and also keep its last valid spec in force;
    // for an invalid pool either reading is accepted (see bench/README.md, "Chaos: IPAM").
    const zero = { ipsTotal: '0', ipsUsed: count(u), ipsReserved: count(r), ipsAvailable: '0' };
    const same = (e: Record<string, string | undefined>): boolean => JSON.stringify(e) === JSON.stringify(got);
    if (!same(expect) && !(!p.valid && (same(zero) || same({ ipsTotal: '0', ipsUsed: '0', ipsReserved: '0', ipsAvailable: '0' })))) add('pool-status', `pool ${p.name}: status ${JSON.stringify(got)}, expected ${JSON.stringify(expect)}`);
    if (st.observedGeneration !== state.generation) add('pool-status', `pool ${p.name}: observedGeneration ${String(st.observedGeneration)} at generation ${state.generation}`);
    const cond = (type: string): string | undefined => st.conditions?.find((c) => c.type === type)?.status;
    if (cond('Valid') !== (p.valid ? 'True' : 'False')) add('pool-status', `pool ${p.name}: Valid=${String(cond('Valid'))}, expected ${p.valid ? 'True' : 'False'}`);
    if (p.valid && cond('Conflict') !== (p.conflicting ? 'True' : 'False')) add('pool-status', `pool ${p.name}: Conflict=${String(cond('Conflict'))}, expected ${p.conflicting ? 'True' : 'False'}`);
  }
}

function checkOthers(cp: Checkpoint, world: World, add: Add): void {
  for (const s of cp.services.filter((x) => !isHeraldPool(x))) {
    const mine = cp.controller.ips.get(s.key) ?? [];
    if (isForeign(s)) {
      if (s.condition !== undefined) add('foreign', `${s.key} (class ${s.cls ?? ''}) carries Herald's condition ${s.condition.reason}`);
      const alien = s.ingress.filter((i) => !i.ip.startsWith(world.foreignPrefix));
      if (alien.length > 0) add('foreign', `${s.key} (class ${s.cls ?? ''}) has ingress ${JSON.stringify(alien)} that its controller did not write`);
      if (mine.length > 0) add('foreign', `${s.key} (class ${s.cls ?? ''}) holds ${mine.join(', ')} in Herald's allocator`);
      continue;
    }
    if (s.condition !== undefined) add('service-status', `${s.key} (type ${s.type}) is not Herald's but carries its condition ${s.condition.reason}`);
    if (s.ingress.length > 0) add('service-status', `${s.key} (type ${s.type}) is not Herald's but lists ${JSON.stringify(s.ingress)}`);
    if (mine.length > 0) add('service-status', `${s.key} (type ${s.type}) still holds ${mine.join(', ')} in Herald's allocator`);
  }
}

function checkStuck(herald: readonly SvcState[], pools: readonly EffectivePool[], world: World, add: Add): void {
  const taken = new Map([...world.reserved, ...herald.flatMap((s) => ips(s).map((h) => h.ip))].map((ip) => [ipId(ip), ip]));
  const takenIps = [...taken.values()];
  for (const s of herald) {
    const reason = s.condition?.reason ?? '';
    if (!CONDITION_FREE_REASONS.includes(reason) || s.ingress.length > 0 || request(s).kind !== 'none' || sharing(s) !== null || s.policy !== 'SingleStack') continue;
    const fam = wanted(s)[0];
    const union = pools.filter((p) => eligible(p, s)).flatMap((p) => p.usable.filter((r) => r.fam === fam));
    const inside = BigInt(takenIps.filter((ip) => inRanges(ip, union)).length);
    if (unionSize(union) > inside) add('stuck', `${s.key} waits (${reason}) while eligible pools have ${unionSize(union) - inside} free ${fam ?? ''} address(es)`);
  }
}

/** Who keeps a contested address among equals (docs rule 3): older creation time, then key. */
function seniority(a: SvcState, b: SvcState): number {
  return a.createdAt !== b.createdAt ? a.createdAt - b.createdAt : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Reshuffle and revoke: an address held at the last checkpoint that is gone now, without a documented cause. */
function checkKeeping(cp: Checkpoint, iv: Interval, add: Add): void {
  const prev = iv.previous;
  if (prev === null) return;
  const now = new Map(cp.services.map((s) => [s.uid, s]));
  const herald = cp.services.filter(isHeraldPool);
  const prevHolders = new Map<string, SvcState[]>();
  for (const s of prev.services.filter(isHeraldPool)) for (const id of idsOf(s)) prevHolders.set(id, [...(prevHolders.get(id) ?? []), s]);
  const admissibleEverywhere = (ip: Ip): boolean => iv.poolSets.every((set) => usableHolder(effectivePools(set), ip) !== undefined);
  for (const a of prev.services.filter(isHeraldPool)) {
    const b = now.get(a.uid);
    if (b === undefined || !unchanged(iv, a, keepSignature) || keepSignature(b) !== keepSignature(a)) continue;
    const kept = idsOf(b);
    for (const h of ips(a)) {
      const id = idOf(h.text) ?? '';
      if (kept.has(id) || !admissibleEverywhere(h.ip)) continue;
      const peers = (prevHolders.get(id) ?? []).filter((x) => x.uid !== a.uid);
      // docs rule 3: after a restart nothing is known to be edited, so among holders that stopped
      // agreeing on the key level the oldest (creation time, then key) keeps the address, even
      // against an unedited Service. The rival may have joined after the last checkpoint (seed 3445).
      const rivals = [...peers.flatMap((p) => now.get(p.uid) ?? []), ...herald.filter((t) => t.uid !== a.uid && idsOf(t).has(id))];
      if (iv.restarted && rivals.some((t) => seniority(t, a) < 0 && !unchanged(iv, t, keepSignature))) continue;
      const ownSpecEdit = !unchanged(iv, a, specSignature);
      const peerEdit = peers.some((p) => !unchanged(iv, p, specSignature));
      const what = `${a.key} lost ${h.text} (now ${JSON.stringify(b.ingress.map((i) => i.ip))}, ${b.condition?.reason ?? 'no condition'})`;
      if (ownSpecEdit || peerEdit) add('revoke', `${what} after a spec-level edit of ${ownSpecEdit ? 'itself' : peers.map((p) => p.key).join(', ')}${iv.restarted ? ' and a restart' : ''}`);
      else add('reshuffle', `${what} with its keep-fields and pools unchanged${iv.restarted ? ' across a restart' : ''}`);
    }
  }
}

/** A newly held address must have come from a pool eligible for the Service at some point of the interval. */
function checkNew(herald: readonly SvcState[], iv: Interval, add: Add): void {
  const before = new Map((iv.previous?.services ?? []).map((s) => [s.uid, idsOf(s)]));
  const sets = iv.poolSets.map((set) => effectivePools(set));
  for (const s of herald) {
    const versions = [...(iv.versions.get(s.uid) ?? []), s];
    for (const h of ips(s)) {
      if (before.get(s.uid)?.has(idOf(h.text) ?? '') === true) continue;
      const ok = sets.some((pools) => pools.some((p) => inRanges(h.ip, p.usable) && versions.some((v) => eligible(p, v))));
      if (!ok) add('in-pool', `${s.key}: ${h.text} was newly given but no pool holding it was eligible for the Service during the interval`);
    }
  }
}

export const COVERAGE = ['services holding an address', 'addresses shared', 'addresses checked for keeping', 'of them across a restart', 'of them shared', 'unsatisfied Services', 'foreign-class Services', 'invalid pools', 'conflicting pools', 'disabled pools'] as const;
export type CoverageKey = (typeof COVERAGE)[number];

/** What a checkpoint exercised: a run of zero violations means little if nothing was shared or kept. */
export function coverage(cp: Checkpoint, iv: Interval): Record<CoverageKey, number> {
  const herald = cp.services.filter(isHeraldPool);
  const pools = effectivePools(cp.pools);
  const now = new Map(herald.map((s) => [s.uid, s]));
  const before = (iv.previous?.services ?? []).filter(isHeraldPool);
  const kept = before.filter((a) => {
    const b = now.get(a.uid);
    return b !== undefined && keepSignature(b) === keepSignature(a);
  });
  const checked = kept.reduce((n, a) => n + a.ingress.length, 0);
  const sharedBefore = new Set([...holdersById(before)].filter(([, hs]) => hs.length > 1).map(([id]) => id));
  return {
    'services holding an address': herald.filter((s) => s.ingress.length > 0).length,
    'addresses shared': [...holdersById(herald).values()].filter((hs) => hs.length > 1).length,
    'addresses checked for keeping': checked,
    'of them across a restart': iv.restarted ? checked : 0,
    'of them shared': kept.reduce((n, a) => n + [...idsOf(a)].filter((id) => sharedBefore.has(id)).length, 0),
    'unsatisfied Services': herald.filter((s) => s.condition?.status === 'False').length,
    'foreign-class Services': cp.services.filter(isForeign).length,
    'invalid pools': pools.filter((p) => !p.valid).length,
    'conflicting pools': pools.filter((p) => p.conflicting).length,
    'disabled pools': pools.filter((p) => p.valid && p.disabled).length,
  };
}
