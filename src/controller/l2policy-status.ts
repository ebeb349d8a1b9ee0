// The Valid condition of every L2AnnouncementPolicy, written by the controller leader only, so a
// policy has one status writer however many speakers validate it (docs/l2.md). The verdict is
// the speakers' own: parsePolicy and validCondition from src/speaker/policy.ts. The watching and
// writing are shared with the BGP kinds (src/controller/valid-status.ts).
import { parsePolicy, validCondition } from '../api/l2-policy.ts';
import { HERALD_GROUP, L2POLICY_KIND, L2POLICY_PLURAL, HERALD_VERSION } from '../api/names.ts';
import type { L2AnnouncementPolicy } from '../api/generated/l2announcementpolicies.ts';
import type { Condition } from '../api/conditions.ts';
import { ValidStatusController, desiredValidStatus } from './valid-status.ts';
import type { ValidatedKind, ValidStatus, ValidStatusOptions, ValidStatusWrite } from './valid-status.ts';

export type PolicyStatus = ValidStatus;
export type PolicyStatusWrite = ValidStatusWrite;
export type L2PolicyStatusOptions = ValidStatusOptions;

function l2Condition(policy: L2AnnouncementPolicy, now: Date): Condition {
  const parsed = parsePolicy(policy);
  return validCondition(parsed.ok ? null : parsed.error, policy.metadata.generation, now);
}

export const L2POLICY_STATUS_KIND: ValidatedKind<L2AnnouncementPolicy> = {
  group: HERALD_GROUP,
  version: HERALD_VERSION,
  plural: L2POLICY_PLURAL,
  kind: L2POLICY_KIND,
  logKey: 'policy',
  condition: l2Condition,
};

/** The status a policy should have, or null when it already has it (see desiredValidStatus). */
export function desiredPolicyStatus(policy: L2AnnouncementPolicy, now: Date): PolicyStatusWrite | null {
  return desiredValidStatus(policy, l2Condition(policy, now));
}

/** Watches the policies and keeps each one's Valid condition current. One per leader term. */
export class L2PolicyStatusController extends ValidStatusController<L2AnnouncementPolicy> {
  constructor(o: L2PolicyStatusOptions) {
    super(o, L2POLICY_STATUS_KIND, 'InvalidPolicy');
  }
}
