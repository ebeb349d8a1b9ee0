// Cluster IP and node port allocation for Services. The stand-in is a dual-stack cluster with
// service CIDRs 198.18.0.0/16 and 2001:db8:ffff::/112 (documentation ranges, RFC 2544 and
// RFC 3849) and the default node port range 30000-32767. What is in use is derived from the
// stored Services on each write, so deleting a Service frees its addresses without bookkeeping.
import ipaddr from 'ipaddr.js';
import * as fe from './field-errors.ts';
import { arrAt, isObject, strAt, type Json, type JsonObject } from './json.ts';
import type { WriteContext } from './resource-type.ts';

export const SERVICE_CIDRS = { IPv4: '198.18.0.0/16', IPv6: '2001:db8:ffff::/112' } as const;
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;
type Family = keyof typeof SERVICE_CIDRS;

export function familyOf(ip: string): Family | undefined {
  if (!ipaddr.isValid(ip)) return undefined;
  const a = ipaddr.parse(ip);
  return a.kind() === 'ipv4' ? 'IPv4' : 'IPv6';
}

export function canonicalIP(ip: string): string {
  return ipaddr.isValid(ip) ? ipaddr.parse(ip).toString() : ip;
}

function inRange(ip: string, fam: Family): boolean {
  const a = ipaddr.parse(ip);
  const [net, bits] = ipaddr.parseCIDR(SERVICE_CIDRS[fam]);
  return a.kind() === net.kind() && a.match(net, bits);
}

function nth(fam: Family, n: number): string {
  if (fam === 'IPv4') return `198.18.${n >> 8}.${n & 255}`;
  return `2001:db8:ffff::${n.toString(16)}`;
}

function numberOf(v: Json | undefined): number {
  return typeof v === 'number' ? v : 0;
}

function usage(ctx: WriteContext, self: JsonObject): { ips: Set<string>; ports: Set<number> } {
  const ips = new Set<string>();
  const ports = new Set<number>();
  const uid = strAt(self, 'metadata', 'uid');
  for (const svc of ctx.view.listStorage('services')) {
    if (uid !== undefined && strAt(svc, 'metadata', 'uid') === uid) continue;
    for (const ip of arrAt(svc, 'spec', 'clusterIPs') ?? []) if (typeof ip === 'string') ips.add(canonicalIP(ip));
    for (const p of arrAt(svc, 'spec', 'ports') ?? []) if (isObject(p) && numberOf(p['nodePort']) > 0) ports.add(numberOf(p['nodePort']));
    const hc = numberOf(svc['spec'] !== undefined && isObject(svc['spec']) ? svc['spec']['healthCheckNodePort'] : undefined);
    if (hc > 0) ports.add(hc);
  }
  return { ips, ports };
}

function nextIP(fam: Family, used: Set<string>): string | undefined {
  const size = fam === 'IPv4' ? 65534 : 65535;
  for (let n = 1; n <= size; n++) {
    const ip = nth(fam, n);
    if (!used.has(ip)) return ip;
  }
  return undefined;
}

function nextPort(used: Set<number>): number | undefined {
  for (let p = NODE_PORT_RANGE.min; p <= NODE_PORT_RANGE.max; p++) if (!used.has(p)) return p;
  return undefined;
}

export function needsNodePorts(spec: JsonObject): boolean {
  return spec['type'] === 'NodePort' || (spec['type'] === 'LoadBalancer' && spec['allocateLoadBalancerNodePorts'] !== false);
}

/** Allocates what `spec` asks for; returns field errors for requests that cannot be met. */
export function allocateService(svc: JsonObject, ctx: WriteContext): fe.FieldError[] {
  const spec = svc['spec'];
  if (!isObject(spec)) return [];
  const errs: fe.FieldError[] = [];
  const { ips, ports } = usage(ctx, svc);
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
          } else if (ips.has(canonicalIP(want))) {
            errs.push(fe.invalid('spec.clusterIPs', requested, `failed to allocate IP ${want}: provided IP is already allocated`));
          } else out.push(canonicalIP(want));
          return;
        }
        const ip = nextIP(fam, ips);
        if (ip === undefined) errs.push(fe.invalid('spec.clusterIPs', requested, `failed to allocate IP: range is full (${SERVICE_CIDRS[fam]})`));
        else {
          ips.add(ip);
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
        const got = nextPort(ports);
        if (got === undefined) errs.push(fe.invalid(`spec.ports[${i}].nodePort`, 0, 'failed to allocate a node port: range is full'));
        else {
          ports.add(got);
          p['nodePort'] = got;
        }
      } else if (np < NODE_PORT_RANGE.min || np > NODE_PORT_RANGE.max) {
        errs.push(fe.invalid(`spec.ports[${i}].nodePort`, np, `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}`));
      } else if (ports.has(np) && !svcPorts.slice(0, i).some((q) => isObject(q) && q['nodePort'] === np)) {
        errs.push(fe.invalid(`spec.ports[${i}].nodePort`, np, 'provided port is already allocated'));
      } else ports.add(np);
    });
  }
  if (spec['type'] === 'LoadBalancer' && spec['externalTrafficPolicy'] === 'Local') {
    const hc = numberOf(spec['healthCheckNodePort']);
    if (hc === 0) {
      const got = nextPort(ports);
      if (got === undefined) errs.push(fe.invalid('spec.healthCheckNodePort', 0, 'failed to allocate a node port: range is full'));
      else spec['healthCheckNodePort'] = got;
    } else if (hc < NODE_PORT_RANGE.min || hc > NODE_PORT_RANGE.max) {
      errs.push(fe.invalid('spec.healthCheckNodePort', hc, `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}`));
    }
  }
  return errs;
}
