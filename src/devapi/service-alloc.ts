// Cluster IP and node port allocation for Services. The stand-in is a dual-stack cluster with
// service CIDRs 198.18.0.0/16 and 2001:db8:ffff::/112 (documentation ranges, RFC 2544 and
// RFC 3849) and the default node port range 30000-32767. What is in use comes from the store's
// events (service-usage.ts), so deleting a Service frees its addresses; the lowest free one is
// given (the real server picks at random).
import ipaddr from 'ipaddr.js';
import * as fe from './field-errors.ts';
import { arrAt, isObject, strAt, type JsonObject } from './json.ts';
import type { WriteContext } from './resource-type.ts';
import { canonicalIP, numberOf } from './service-usage.ts';
import type { UsageView } from './service-usage.ts';

export const SERVICE_CIDRS = { IPv4: '198.18.0.0/16', IPv6: '2001:db8:ffff::/112' } as const;
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;
type Family = keyof typeof SERVICE_CIDRS;

export function familyOf(ip: string): Family | undefined {
  if (!ipaddr.isValid(ip)) return undefined;
  const a = ipaddr.parse(ip);
  return a.kind() === 'ipv4' ? 'IPv4' : 'IPv6';
}

function inRange(ip: string, fam: Family): boolean {
  const a = ipaddr.parse(ip);
  const [net, bits] = ipaddr.parseCIDR(SERVICE_CIDRS[fam]);
  return a.kind() === net.kind() && a.match(net, bits);
}

const IP_SLOTS: Record<Family, number> = { IPv4: 65534, IPv6: 65535 };
const V4_PREFIX = '198.18.';
const V6_PREFIX = '2001:db8:ffff::';

function nth(fam: Family, n: number): string {
  if (fam === 'IPv4') return `${V4_PREFIX}${n >> 8}.${n & 255}`;
  return `${V6_PREFIX}${n.toString(16)}`;
}

/** The inverse of `nth` for a canonical address (and a port is its own slot); undefined outside. */
export function slotOf(pool: string, value: string | number): number | undefined {
  if (typeof value === 'number') return pool === 'ports' ? value : undefined;
  if (pool === 'IPv4' && value.startsWith(V4_PREFIX)) {
    const [a, b] = value.slice(V4_PREFIX.length).split('.').map(Number);
    return a === undefined || b === undefined ? undefined : a * 256 + b;
  }
  if (pool === 'IPv6' && value.startsWith(V6_PREFIX) && /^[0-9a-f]{1,4}$/.test(value.slice(V6_PREFIX.length))) return parseInt(value.slice(V6_PREFIX.length), 16);
  return undefined;
}

function nextIP(fam: Family, used: UsageView): string | undefined {
  const n = used.lowest(fam, 1, IP_SLOTS[fam], (k) => used.storeHoldsIP(nth(fam, k)), (k) => !used.hasIP(nth(fam, k)));
  return n === undefined ? undefined : nth(fam, n);
}

function nextPort(used: UsageView): number | undefined {
  return used.lowest('ports', NODE_PORT_RANGE.min, NODE_PORT_RANGE.max, (p) => used.storeHoldsPort(p), (p) => !used.hasPort(p));
}

export function needsNodePorts(spec: JsonObject): boolean {
  return spec['type'] === 'NodePort' || (spec['type'] === 'LoadBalancer' && spec['allocateLoadBalancerNodePorts'] !== false);
}

/** Allocates what `spec` asks for; returns field errors for requests that cannot be met. */
export function allocateService(svc: JsonObject, ctx: WriteContext): fe.FieldError[] {
  const spec = svc['spec'];
  if (!isObject(spec)) return [];
  const errs: fe.FieldError[] = [];
  const key = `${strAt(svc, 'metadata', 'namespace') ?? ''}/${strAt(svc, 'metadata', 'name') ?? ''}`;
  const used = ctx.view.serviceUsage().forWrite(key, strAt(svc, 'metadata', 'uid'));
  if (spec['type'] !== 'ExternalName') {
    const fams = (arrAt(spec, 'ipFamilies') ?? []).filter((f): f is Family => f === 'IPv4' || f === 'IPv6');
    const requested = (arrAt(spec, 'clusterIPs') ?? []).filter((x): x is string => typeof x === 'string');
    if (requested[0] !== 'None') {
      const out: string[] = [];
      fams.forEach((fam, i) => {
        const want = requested[i];
        const path = `spec.clusterIPs[${i}]`;
        if (want !== undefined && want !== '') {
          if (familyOf(want) !== fam) {
            errs.push(fe.invalid(path, want, `expected an ${fam} value as indicated by \`ipFamilies[${i}]\``));
          } else if (!inRange(want, fam)) {
            errs.push(fe.invalid('spec.clusterIPs', requested, `failed to allocate IP ${want}: provided IP (${want}) is not in the valid range. The range of valid IPs is ${SERVICE_CIDRS[fam]}`));
          } else if (used.hasIP(canonicalIP(want))) {
            errs.push(fe.invalid('spec.clusterIPs', requested, `failed to allocate IP ${want}: provided IP is already allocated`));
          } else out.push(canonicalIP(want));
          return;
        }
        const ip = nextIP(fam, used);
        if (ip === undefined) errs.push(fe.invalid('spec.clusterIPs', requested, `failed to allocate IP: range is full (${SERVICE_CIDRS[fam]})`));
        else {
          used.addIP(ip);
          out.push(ip);
        }
      });
      if (errs.length === 0) {
        spec['clusterIPs'] = out;
        if (out[0] !== undefined) spec['clusterIP'] = out[0];
      }
    }
  }
  const svcPorts = arrAt(spec, 'ports') ?? [];
  if (needsNodePorts(spec)) {
    svcPorts.forEach((p, i) => {
      if (!isObject(p)) return;
      const np = numberOf(p['nodePort']);
      if (np === 0) {
        const got = nextPort(used);
        if (got === undefined) errs.push(fe.invalid(`spec.ports[${i}].nodePort`, 0, 'failed to allocate a node port: range is full'));
        else {
          used.addPort(got);
          p['nodePort'] = got;
        }
      } else if (np < NODE_PORT_RANGE.min || np > NODE_PORT_RANGE.max) {
        errs.push(fe.invalid(`spec.ports[${i}].nodePort`, np, `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}`));
      } else if (used.hasPort(np) && !svcPorts.slice(0, i).some((q) => isObject(q) && q['nodePort'] === np)) {
        errs.push(fe.invalid(`spec.ports[${i}].nodePort`, np, 'provided port is already allocated'));
      } else used.addPort(np);
    });
  }
  if (spec['type'] === 'LoadBalancer' && spec['externalTrafficPolicy'] === 'Local') {
    const hc = numberOf(spec['healthCheckNodePort']);
    if (hc === 0) {
      const got = nextPort(used);
      if (got === undefined) errs.push(fe.invalid('spec.healthCheckNodePort', 0, 'failed to allocate a node port: range is full'));
      else spec['healthCheckNodePort'] = got;
    } else if (hc < NODE_PORT_RANGE.min || hc > NODE_PORT_RANGE.max) {
      errs.push(fe.invalid('spec.healthCheckNodePort', hc, `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}`));
    }
  }
  return errs;
}
