// What a Service asks for: which families (ipFamilyPolicy + ipFamilies, per
// https://kubernetes.io/docs/concepts/services-networking/dual-stack/#services) and which
// addresses, if it names them.
import { formatIP, otherFamily, parseIP, type Addr } from '../api/addr.ts';
import type { ServiceView } from '../api/service.ts';
import type { Family } from '../api/addr.ts';

export interface HeldAddr {
  readonly addr: Addr;
  readonly text: string;
}

/** SingleStack: ipFamilies[0]. Prefer/RequireDualStack: ipFamilies[0], then the other family. */
export function wantedFamilies(view: Pick<ServiceView, 'ipFamilies' | 'ipFamilyPolicy'>): Family[] {
  const first = view.ipFamilies[0] ?? 'IPv4';
  return view.ipFamilyPolicy === 'SingleStack' ? [first] : [first, otherFamily(first)];
}

export type ParsedRequest =
  | { ok: true; byFamily: ReadonlyMap<Family, HeldAddr> }
  | { ok: false; message: string };

/** The requested addresses by family, or why the request is invalid; null when none are requested. */
export function parseRequest(view: Pick<ServiceView, 'requestedIPs' | 'ipFamilies' | 'ipFamilyPolicy' | 'requestError'>): ParsedRequest | null {
  if (view.requestError !== undefined) return { ok: false, message: view.requestError };
  if (view.requestedIPs.length === 0) return null;
  const wanted = wantedFamilies(view);
  const byFamily = new Map<Family, HeldAddr>();
  for (const ip of view.requestedIPs) {
    const parsed = parseIP(ip);
    if (!parsed.ok) return { ok: false, message: `requested address ${parsed.error.message}` };
    const { family } = parsed.value;
    if (!wanted.includes(family)) {
      return {
        ok: false,
        message: `requested ${ip} is ${family}, but the Service is ${view.ipFamilyPolicy} ${wanted.join('/')}; request an ${wanted.join(' or ')} address or change ipFamilies`,
      };
    }
    const text = formatIP(parsed.value);
    const same = byFamily.get(family);
    if (same !== undefined && same.text !== text) {
      return { ok: false, message: `requested ${same.text} and ${text} are both ${family}; request at most one address per family` };
    }
    byFamily.set(family, { addr: parsed.value, text });
  }
  return { ok: true, byFamily };
}
