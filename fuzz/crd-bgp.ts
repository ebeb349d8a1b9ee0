// Fuzz target: a JSON object → parsePeer and parseBgpPolicy (src/bgp/config.ts), as a watch hands
// them over. Oracle: nothing throws (an invalid object is an error value for itself alone); a
// valid BGPPeer satisfies what the FSM relies on (ASNs 1..2^32-1 and not AS_TRANS, hold time 0 or
// 3..65535 with the keepalive below it, families, TTL/GTSM, router ID, source address of the peer's
// family, canonical addresses) and gives a LocalConfig; a valid policy has sorted, unique
// communities, aggregation lengths in range and selectors that pass validateSelector.
import type { V1Node } from '@kubernetes/client-node';
import { bgpValidCondition, localConfigFor, parseBgpPolicy, parsePeer } from '../src/bgp/config.ts';
import { validateSelector } from '../src/api/selector.ts';
import { canonicalIP } from '../src/api/addr.ts';
import { check, type FuzzTarget } from './engine/target.ts';
import { exampleObjects, jsonInput, mutateJson } from './oracles/json.ts';

const NODE: V1Node = { metadata: { name: 'node-a' }, status: { addresses: [{ type: 'InternalIP', address: '192.0.2.21' }] } };
const NOW = new Date(0);
const sorted = (xs: readonly number[]): boolean => xs.every((x, i) => i === 0 || (xs[i - 1] ?? 0) < x);

export const target: FuzzTarget = {
  name: 'crd-bgp',
  description: 'JSON object → parsePeer, parseBgpPolicy; invariants of the valid views, LocalConfig',
  covers: ['/src/bgp/config.ts', '/src/api/selector.ts'],
  maxLen: 4096,
  customOneIn: 1,
  seeds: () => [...exampleObjects('BGPPeer'), ...exampleObjects('BGPAnnouncementPolicy')],
  mutate: mutateJson,
  run(data) {
    const obj = jsonInput(data);
    if (obj === undefined) return;
    const peer = parsePeer(obj);
    bgpValidCondition('peer', peer.ok ? null : peer.error, 1, NOW);
    if (peer.ok) {
      const p = peer.value;
      check(p.peerASN >= 1 && p.peerASN <= 0xffffffff && p.localASN >= 1 && p.localASN <= 0xffffffff && p.peerASN !== 23456 && p.localASN !== 23456, 'peer ASNs out of range');
      check(p.holdTimeSeconds === 0 || (p.holdTimeSeconds >= 3 && p.holdTimeSeconds <= 65535), `hold time ${p.holdTimeSeconds}`);
      check(p.keepaliveSeconds === null || (p.keepaliveSeconds === 0 ? p.holdTimeSeconds === 0 : p.keepaliveSeconds < p.holdTimeSeconds), 'keepalive not below the hold time');
      check(p.families.length > 0 && p.ttl >= 1 && p.ttl <= 255 && (p.minTtl === null || (p.minTtl >= 1 && p.minTtl <= 255)), 'families or TTL');
      check(p.routerId === null || (p.routerId > 0 && p.routerId <= 0xffffffff), 'router ID');
      check(canonicalIP(p.peerAddress) === p.peerAddress && (p.sourceAddress === null || (canonicalIP(p.sourceAddress) === p.sourceAddress && p.sourceAddress.includes(':') === p.peerAddress.includes(':'))), 'addresses not canonical or of two families');
      check(validateSelector(p.nodeSelector) === null, 'node selector fails validateSelector');
      const local = localConfigFor(p, NODE);
      check(local.routerId > 0 && local.keepaliveSeconds >= 0 && (local.holdTimeSeconds === 0 || local.keepaliveSeconds < local.holdTimeSeconds), 'LocalConfig breaks the FSM timers');
    }
    const policy = parseBgpPolicy(obj);
    bgpValidCondition('policy', policy.ok ? null : policy.error, undefined, NOW);
    if (policy.ok) {
      const v = policy.value;
      check(sorted(v.communities) && v.communities.every((c) => Number.isInteger(c) && c >= 0 && c <= 0xffffffff), 'communities not sorted, unique, 32-bit');
      check(v.aggregationLengthIPv4 >= 0 && v.aggregationLengthIPv4 <= 32 && v.aggregationLengthIPv6 >= 0 && v.aggregationLengthIPv6 <= 128, 'aggregation lengths');
      check(v.localPreference === null || (v.localPreference >= 0 && v.localPreference <= 0xffffffff), 'local preference');
      for (const s of [v.serviceSelector, v.nodeSelector, v.peerSelector]) check(validateSelector(s) === null, 'selector fails validateSelector');
    }
  },
};
