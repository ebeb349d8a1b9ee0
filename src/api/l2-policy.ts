// Parsing an L2AnnouncementPolicy (deploy/crds/herald.dev_l2announcementpolicies.yaml; its type
// is generated, src/api/generated/) into what the desired-state computation uses. An invalid
// selector or regex is an error value for that policy alone (a condition on it); other policies
// are unaffected.
import type { LabelSelector } from './selector.ts';
import type { Condition } from './conditions.ts';
import { matchesSelector, parseSelector } from './selector.ts';
import { CONDITION_VALID } from './names.ts';

/** A valid policy, as the desired-state computation sees it. */
export interface PolicyView {
  name: string;
  /** null = every Service / every node. */
  serviceSelector: LabelSelector | null;
  nodeSelector: LabelSelector | null;
  /** Whole-name patterns; empty = the default interface rule (src/speaker/interfaces.ts). */
  interfaces: readonly RegExp[];
  loadBalancerIPs: boolean;
  externalIPs: boolean;
}

export type PolicyErrorCode = 'InvalidSpec' | 'InvalidSelector' | 'InvalidInterfaceRegex';

export interface PolicyError {
  code: PolicyErrorCode;
  message: string;
}

export type ParsedPolicy = { ok: true; value: PolicyView } | { ok: false; name: string; error: PolicyError };

/** Longer patterns are refused: an interface name has at most 15 bytes (IFNAMSIZ). */
export const MAX_INTERFACE_PATTERN = 256;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return isRecord(v) && Object.values(v).every((x) => typeof x === 'string');
}

/**
 * Interface patterns must match the whole name (`eth[0-9]+` selects eth0, not veth0a): they are
 * anchored here, so a pattern written with ^ and $ means the same.
 */
export function compileInterfacePattern(pattern: string): { ok: true; value: RegExp } | { ok: false; error: PolicyError } {
  if (pattern.length > MAX_INTERFACE_PATTERN) return { ok: false, error: { code: 'InvalidInterfaceRegex', message: `interface pattern is ${pattern.length} characters; at most ${MAX_INTERFACE_PATTERN}` } };
  try {
    return { ok: true, value: new RegExp(`^(?:${pattern})$`, 'u') };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return { ok: false, error: { code: 'InvalidInterfaceRegex', message: `interface pattern "${pattern}" is not a valid regular expression: ${why}` } };
  }
}

/** Parses one object as read from the API (watch events carry plain JSON). */
export function parsePolicy(obj: unknown): ParsedPolicy {
  const meta = isRecord(obj) && isRecord(obj['metadata']) ? obj['metadata'] : {};
  const name = typeof meta['name'] === 'string' ? meta['name'] : '';
  const invalid = (code: PolicyErrorCode, message: string): ParsedPolicy => ({ ok: false, name, error: { code, message } });
  if (!isRecord(obj) || name === '' || !isRecord(obj['spec'])) return invalid('InvalidSpec', 'the object has no metadata.name or no spec');
  const spec = obj['spec'];
  const services = parseSelector(spec['serviceSelector'], 'serviceSelector');
  if (!services.ok) return { ok: false, name, error: services.error };
  const nodes = parseSelector(spec['nodeSelector'], 'nodeSelector');
  if (!nodes.ok) return { ok: false, name, error: nodes.error };
  const patterns = spec['interfaces'] ?? [];
  if (!Array.isArray(patterns) || !patterns.every((p) => typeof p === 'string')) return invalid('InvalidInterfaceRegex', 'spec.interfaces must be a list of regular expressions');
  const interfaces: RegExp[] = [];
  for (const [i, p] of patterns.entries()) {
    const re = compileInterfacePattern(p);
    if (!re.ok) return invalid(re.error.code, `spec.interfaces[${i}]: ${re.error.message}`);
    interfaces.push(re.value);
  }
  const flag = (key: string, dflt: boolean): boolean | null => {
    const v = spec[key];
    return v === undefined ? dflt : typeof v === 'boolean' ? v : null;
  };
  const loadBalancerIPs = flag('loadBalancerIPs', true);
  const externalIPs = flag('externalIPs', false);
  if (loadBalancerIPs === null || externalIPs === null) return invalid('InvalidSpec', 'spec.loadBalancerIPs and spec.externalIPs must be true or false');
  return { ok: true, value: { name, serviceSelector: services.value, nodeSelector: nodes.value, interfaces, loadBalancerIPs, externalIPs } };
}

export interface ParsedPolicies {
  /** Valid policies, by name. */
  policies: PolicyView[];
  /** Policy name → why it is ignored (for its Valid condition). */
  errors: Map<string, PolicyError>;
}

export function parsePolicies(objs: readonly unknown[]): ParsedPolicies {
  const policies: PolicyView[] = [];
  const errors = new Map<string, PolicyError>();
  for (const o of objs) {
    const r = parsePolicy(o);
    if (r.ok) policies.push(r.value);
    else errors.set(r.name, r.error);
  }
  policies.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { policies, errors };
}

/**
 * Whether a node takes part in L2 (src/speaker/l2-gate.ts): some policy's nodeSelector matches its
 * labels. A policy that cannot be read counts as selecting it (whoever wrote it means L2, and its
 * fix must not wait for a restart), and so do unknown labels (the Node not seen yet).
 */
export function selectsNode(policies: ParsedPolicies, nodeLabels: Readonly<Record<string, string>> | undefined): boolean {
  if (policies.errors.size > 0) return true;
  if (policies.policies.length === 0) return false;
  if (nodeLabels === undefined) return true;
  return policies.policies.some((p) => matchesSelector(p.nodeSelector, nodeLabels));
}

/** The `Valid` condition for a policy (the controller leader writes it; see docs/l2.md). */
export function validCondition(error: PolicyError | null, generation: number | undefined, now: Date): Condition {
  const base = { type: CONDITION_VALID, lastTransitionTime: now.toISOString(), ...(generation === undefined ? {} : { observedGeneration: generation }) };
  if (error === null) return { ...base, status: 'True', reason: 'Valid', message: 'the policy is in use' };
  return { ...base, status: 'False', reason: error.code, message: `${error.message}; the policy is ignored until this is fixed` };
}
