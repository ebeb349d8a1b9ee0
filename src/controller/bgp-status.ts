// The Valid condition of every BGPPeer and BGPAnnouncementPolicy, written by the controller
// leader only (docs/bgp.md). The verdict is the speakers' own: parsePeer / parseBgpPolicy and
// bgpValidCondition from src/bgp/config.ts; the machinery is src/controller/valid-status.ts.
import type { Condition } from '../api/conditions.ts';
import { bgpValidCondition, parseBgpPolicy, parsePeer } from '../bgp/config.ts';
import { HERALD_GROUP, HERALD_VERSION, BGPPEER_KIND, BGPPEER_PLURAL, BGPPOLICY_KIND, BGPPOLICY_PLURAL } from '../api/names.ts';
import type { BGPAnnouncementPolicy } from '../api/generated/bgpannouncementpolicies.ts';
import type { BGPPeer } from '../api/generated/bgppeers.ts';
import { ValidStatusController, desiredValidStatus } from './valid-status.ts';
import type { ValidatedKind, ValidStatusOptions, ValidStatusWrite } from './valid-status.ts';

export const BGPPEER_STATUS_KIND: ValidatedKind<BGPPeer> = {
  group: HERALD_GROUP,
  version: HERALD_VERSION,
  plural: BGPPEER_PLURAL,
  kind: BGPPEER_KIND,
  logKey: 'peer',
  condition: (peer: BGPPeer, now: Date): Condition => {
    const parsed = parsePeer(peer);
    return bgpValidCondition('peer', parsed.ok ? null : parsed.error, peer.metadata.generation, now);
  },
};

export const BGPPOLICY_STATUS_KIND: ValidatedKind<BGPAnnouncementPolicy> = {
  group: HERALD_GROUP,
  version: HERALD_VERSION,
  plural: BGPPOLICY_PLURAL,
  kind: BGPPOLICY_KIND,
  logKey: 'policy',
  condition: (policy: BGPAnnouncementPolicy, now: Date): Condition => {
    const parsed = parseBgpPolicy(policy);
    return bgpValidCondition('policy', parsed.ok ? null : parsed.error, policy.metadata.generation, now);
  },
};

export function desiredPeerStatus(peer: BGPPeer, now: Date): ValidStatusWrite | null {
  return desiredValidStatus(peer, BGPPEER_STATUS_KIND.condition(peer, now));
}

export function desiredBgpPolicyStatus(policy: BGPAnnouncementPolicy, now: Date): ValidStatusWrite | null {
  return desiredValidStatus(policy, BGPPOLICY_STATUS_KIND.condition(policy, now));
}

/** Both BGP kinds' Valid conditions. One per leader term. */
export class BgpStatusController {
  readonly #peers: ValidStatusController<BGPPeer>;
  readonly #policies: ValidStatusController<BGPAnnouncementPolicy>;

  constructor(o: ValidStatusOptions) {
    this.#peers = new ValidStatusController(o, BGPPEER_STATUS_KIND, 'InvalidPeer');
    this.#policies = new ValidStatusController(o, BGPPOLICY_STATUS_KIND, 'InvalidPolicy');
  }

  start(): void {
    this.#peers.start();
    this.#policies.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.#peers.stop(), this.#policies.stop()]);
  }

  async idle(): Promise<void> {
    await Promise.all([this.#peers.idle(), this.#policies.idle()]);
  }
}
