// Service defaulting and validation as kube-apiserver does it (pkg/apis/core/v1/defaults.go,
// pkg/apis/core/validation ValidateService/ValidateServiceUpdate/ValidateServiceStatusUpdate,
// pkg/registry/core/service strategy + storage: patchAllocatedValues, dropTypeDependentFields).
import { isIP } from 'node:net';
import { validateConditions } from './conditions.ts';
import * as fe from './field-errors.ts';
import { arrAt, child, deepEqual, isObject, type Json, type JsonObject } from './json.ts';
import { dns1123Label, dns1123Subdomain, qualifiedName } from '../api/k8s-names.ts';
import type { Strategy } from './resource-type.ts';
import { allocateService, familyOf, needsNodePorts } from './service-alloc.ts';

const TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
const IP_MSG = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

function spec(svc: JsonObject): JsonObject {
  return child(svc, 'spec');
}

function externallyAccessible(s: JsonObject): boolean {
  return s['type'] === 'LoadBalancer' || s['type'] === 'NodePort' || (s['type'] === 'ClusterIP' && (arrAt(s, 'externalIPs')?.length ?? 0) > 0);
}

function ports(s: JsonObject): JsonObject[] {
  return (arrAt(s, 'ports') ?? []).filter(isObject);
}

/** patchAllocatedValues + dropTypeDependentFields: what an update inherits or loses. */
function updateCarryOver(s: JsonObject, o: JsonObject): void {
  const oldType = o['type'] ?? 'ClusterIP';
  const newType = s['type'] ?? 'ClusterIP';
  if (newType !== 'ExternalName' && oldType !== 'ExternalName') {
    if ((s['clusterIP'] === undefined || s['clusterIP'] === '') && o['clusterIP'] !== undefined) s['clusterIP'] = o['clusterIP'];
    if ((arrAt(s, 'clusterIPs')?.length ?? 0) === 0 && o['clusterIPs'] !== undefined) s['clusterIPs'] = o['clusterIPs'];
    if ((arrAt(s, 'ipFamilies')?.length ?? 0) === 0 && o['ipFamilies'] !== undefined) s['ipFamilies'] = o['ipFamilies'];
  }
  if (needsNodePorts(s) && needsNodePorts(o)) {
    for (const p of ports(s)) {
      if (typeof p['nodePort'] === 'number' && p['nodePort'] !== 0) continue;
      const prev = ports(o).find((q) => q['port'] === p['port'] && (q['protocol'] ?? 'TCP') === (p['protocol'] ?? 'TCP'));
      if (prev !== undefined && typeof prev['nodePort'] === 'number') p['nodePort'] = prev['nodePort'];
    }
  }
  if (!needsNodePorts(s) && needsNodePorts(o)) for (const p of ports(s)) delete p['nodePort'];
  if (s['type'] === 'LoadBalancer' && o['type'] === 'LoadBalancer' && s['healthCheckNodePort'] === undefined && s['externalTrafficPolicy'] === 'Local') {
    if (o['healthCheckNodePort'] !== undefined) s['healthCheckNodePort'] = o['healthCheckNodePort'];
  }
  if (newType !== 'LoadBalancer') {
    if (deepEqual(s['loadBalancerClass'], o['loadBalancerClass'])) delete s['loadBalancerClass'];
    delete s['allocateLoadBalancerNodePorts'];
    delete s['healthCheckNodePort'];
  }
  if (!externallyAccessible(s) && deepEqual(s['externalTrafficPolicy'], o['externalTrafficPolicy'])) delete s['externalTrafficPolicy'];
  if (newType === 'ExternalName') for (const k of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy']) delete s[k];
}

function defaults(svc: JsonObject, old: JsonObject | undefined): void {
  const s = spec(svc);
  if (old !== undefined && isObject(old['spec'])) updateCarryOver(s, old['spec']);
  s['type'] ??= 'ClusterIP';
  s['sessionAffinity'] ??= 'None';
  for (const p of ports(s)) {
    p['protocol'] ??= 'TCP';
    if (p['targetPort'] === undefined || p['targetPort'] === 0 || p['targetPort'] === '') p['targetPort'] = p['port'] ?? 0;
  }
  if (externallyAccessible(s)) s['externalTrafficPolicy'] ??= 'Cluster';
  if (s['type'] === 'LoadBalancer') s['allocateLoadBalancerNodePorts'] ??= true;
  if (s['type'] !== 'ExternalName') {
    s['internalTrafficPolicy'] ??= 'Cluster';
    if (typeof s['clusterIP'] === 'string' && s['clusterIP'] !== '' && (arrAt(s, 'clusterIPs')?.length ?? 0) === 0) s['clusterIPs'] = [s['clusterIP']];
    s['ipFamilyPolicy'] ??= 'SingleStack';
    const policy = s['ipFamilyPolicy'];
    let fams = (arrAt(s, 'ipFamilies') ?? []).slice();
    if (fams.length === 0) {
      const ips = (arrAt(s, 'clusterIPs') ?? []).filter((x): x is string => typeof x === 'string' && x !== 'None');
      fams = ips.map((ip) => familyOf(ip) ?? 'IPv4');
      if (fams.length === 0) fams = ['IPv4'];
    }
    if ((policy === 'PreferDualStack' || policy === 'RequireDualStack') && fams.length === 1) fams.push(fams[0] === 'IPv6' ? 'IPv4' : 'IPv6');
    if (policy === 'SingleStack' && fams.length > 1 && old !== undefined) {
      // Downgrade to single-stack: the secondary family and its address go (KEP-563).
      fams = fams.slice(0, 1);
      const ips = arrAt(s, 'clusterIPs');
      if (ips !== undefined && ips.length > 1) s['clusterIPs'] = ips.slice(0, 1);
    }
    s['ipFamilies'] = fams;
  }
  const st = svc['status'];
  if (s['type'] !== 'LoadBalancer' && isObject(st) && isObject(st['loadBalancer'])) st['loadBalancer'] = {};
}

function validatePorts(s: JsonObject): fe.FieldError[] {
  const out: fe.FieldError[] = [];
  const list = arrAt(s, 'ports') ?? [];
  const headless = s['clusterIP'] === 'None';
  if (list.length === 0 && s['type'] !== 'ExternalName' && !headless) out.push(fe.required('spec.ports', ''));
  const names = new Set<string>();
  const keys: Json[] = [];
  list.forEach((p, i) => {
    const path = `spec.ports[${i}]`;
    if (!isObject(p)) return;
    const name = p['name'];
    if (list.length > 1 && (typeof name !== 'string' || name === '')) out.push(fe.required(`${path}.name`, ''));
    else if (typeof name === 'string' && name !== '') {
      for (const m of dns1123Label(name)) out.push(fe.invalid(`${path}.name`, name, m));
      if (names.has(name)) out.push(fe.duplicate(`${path}.name`, name));
      names.add(name);
    }
    const port = p['port'];
    if (typeof port !== 'number' || port < 1 || port > 65535) out.push(fe.invalid(`${path}.port`, port ?? 0, 'must be between 1 and 65535, inclusive'));
    const proto = p['protocol'];
    if (typeof proto !== 'string' || !PROTOCOLS.includes(proto)) out.push(fe.notSupported(`${path}.protocol`, proto, PROTOCOLS));
    const tp = p['targetPort'];
    if (typeof tp === 'number' && (tp < 1 || tp > 65535)) out.push(fe.invalid(`${path}.targetPort`, tp, 'must be between 1 and 65535, inclusive'));
    if (typeof tp === 'string' && !/^(?=.*[a-z])[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/.test(tp.replace(/--/g, '-'))) {
      out.push(fe.invalid(`${path}.targetPort`, tp, 'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)'));
    }
    const k: Json = { port: port ?? 0, protocol: proto ?? '' };
    if (keys.some((x) => deepEqual(x, k))) out.push({ field: path, reason: 'FieldValueDuplicate', body: `Duplicate value: ${JSON.stringify(k)}` });
    keys.push(k);
  });
  return out;
}

function validateFamilies(s: JsonObject): fe.FieldError[] {
  const out: fe.FieldError[] = [];
  if (s['type'] === 'ExternalName') return out;
  const policy = s['ipFamilyPolicy'];
  if (typeof policy !== 'string' || !POLICIES.includes(policy)) out.push(fe.notSupported('spec.ipFamilyPolicy', policy, POLICIES));
  const fams = arrAt(s, 'ipFamilies') ?? [];
  fams.forEach((f, i) => {
    if (f !== 'IPv4' && f !== 'IPv6') out.push(fe.notSupported(`spec.ipFamilies[${i}]`, f, ['IPv4', 'IPv6']));
    else if (fams.indexOf(f) < i) out.push(fe.duplicate(`spec.ipFamilies[${i}]`, f));
  });
  if (fams.length > 2) out.push(fe.invalid('spec.ipFamilies', fams, 'may specify no more than two IP families'));
  if (policy === 'SingleStack' && fams.length > 1) {
    out.push(fe.invalid('spec.ipFamilyPolicy', policy, 'must be RequireDualStack or PreferDualStack when multiple IP families are specified'));
  }
  const ips = arrAt(s, 'clusterIPs') ?? [];
  ips.forEach((ip, i) => {
    if (typeof ip !== 'string' || ip === '') return;
    if (ip === 'None' && i === 0) return;
    if (isIP(ip) === 0) out.push(fe.invalid(`spec.clusterIPs[${i}]`, ip, IP_MSG));
  });
  if (ips.length > 0 && typeof s['clusterIP'] === 'string' && s['clusterIP'] !== '' && ips[0] !== s['clusterIP']) {
    out.push(fe.invalid('spec.clusterIPs', ips, 'first value must match `clusterIP`'));
  }
  return out;
}

function validate(svc: JsonObject, old: JsonObject | undefined): fe.FieldError[] {
  const s = spec(svc);
  const out: fe.FieldError[] = [];
  const type = s['type'];
  if (typeof type !== 'string' || !TYPES.includes(type)) out.push(fe.notSupported('spec.type', type, TYPES));
  out.push(...validatePorts(s), ...validateFamilies(s));
  const aff = s['sessionAffinity'];
  if (aff !== 'None' && aff !== 'ClientIP') out.push(fe.notSupported('spec.sessionAffinity', aff, ['ClientIP', 'None']));
  const itp = s['internalTrafficPolicy'];
  if (itp !== undefined && itp !== 'Cluster' && itp !== 'Local') out.push(fe.notSupported('spec.internalTrafficPolicy', itp, ['Cluster', 'Local']));
  const etp = s['externalTrafficPolicy'];
  if (!externallyAccessible(s)) {
    if (etp !== undefined && etp !== '') out.push(fe.invalid('spec.externalTrafficPolicy', etp, 'may only be set for externally-accessible services'));
  } else if (etp === undefined || etp === '') out.push(fe.required('spec.externalTrafficPolicy', ''));
  else if (etp !== 'Cluster' && etp !== 'Local') out.push(fe.notSupported('spec.externalTrafficPolicy', etp, ['Cluster', 'Local']));
  if (s['healthCheckNodePort'] !== undefined && !(type === 'LoadBalancer' && etp === 'Local')) {
    out.push(fe.invalid('spec.healthCheckNodePort', s['healthCheckNodePort'], 'may only be set when `type` is \'LoadBalancer\' and `externalTrafficPolicy` is \'Local\''));
  }
  const lbc = s['loadBalancerClass'];
  if (lbc !== undefined) {
    if (type !== 'LoadBalancer') out.push(fe.forbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"));
    else if (typeof lbc === 'string') for (const m of qualifiedName(lbc)) out.push(fe.invalid('spec.loadBalancerClass', lbc, m));
  }
  const lbip = s['loadBalancerIP'];
  if (typeof lbip === 'string' && lbip !== '' && isIP(lbip) === 0) out.push(fe.invalid('spec.loadBalancerIP', lbip, IP_MSG));
  (arrAt(s, 'externalIPs') ?? []).forEach((ip, i) => {
    if (typeof ip !== 'string' || isIP(ip) === 0) out.push(fe.invalid(`spec.externalIPs[${i}]`, ip, IP_MSG));
  });
  if (type === 'ExternalName') {
    const en = s['externalName'];
    if (typeof en !== 'string' || en === '') out.push(fe.required('spec.externalName', ''));
    else for (const m of dns1123Subdomain(en.replace(/\.$/, ''))) out.push(fe.invalid('spec.externalName', en, m));
  }
  if (old !== undefined && isObject(old['spec'])) out.push(...validateUpdate(s, old['spec']));
  return out;
}

function validateUpdate(s: JsonObject, o: JsonObject): fe.FieldError[] {
  const out: fe.FieldError[] = [];
  if (o['type'] === 'LoadBalancer' && s['type'] === 'LoadBalancer' && !deepEqual(s['loadBalancerClass'], o['loadBalancerClass'])) {
    out.push(fe.invalid('spec.loadBalancerClass', s['loadBalancerClass'] ?? null, 'may not change once set'));
  }
  const oldIPs = arrAt(o, 'clusterIPs') ?? [];
  const newIPs = arrAt(s, 'clusterIPs') ?? [];
  if (s['type'] !== 'ExternalName' && o['type'] !== 'ExternalName' && oldIPs[0] !== undefined && newIPs[0] !== undefined && oldIPs[0] !== newIPs[0]) {
    out.push(fe.invalid('spec.clusterIPs[0]', newIPs[0], 'may not change once set'));
  }
  const oldFam = arrAt(o, 'ipFamilies')?.[0];
  const newFam = arrAt(s, 'ipFamilies')?.[0];
  if (oldFam !== undefined && newFam !== undefined && oldFam !== newFam) out.push(fe.invalid('spec.ipFamilies[0]', newFam, 'may not change once set'));
  return out;
}

function validateStatus(svc: JsonObject): fe.FieldError[] {
  const out: fe.FieldError[] = [];
  const st = isObject(svc['status']) ? svc['status'] : {};
  const ingress = isObject(st['loadBalancer']) ? (arrAt(st['loadBalancer'], 'ingress') ?? []) : [];
  if (ingress.length > 0 && spec(svc)['type'] !== 'LoadBalancer') {
    out.push(fe.forbidden('status.loadBalancer.ingress', "may only be used when `spec.type` is 'LoadBalancer'"));
  }
  ingress.forEach((ing, i) => {
    if (!isObject(ing)) return;
    const p = `status.loadBalancer.ingress[${i}]`;
    const ip = ing['ip'];
    if (typeof ip === 'string' && ip !== '' && isIP(ip) === 0) out.push(fe.invalid(`${p}.ip`, ip, IP_MSG));
    const mode = ing['ipMode'];
    if (mode !== undefined) {
      if (mode !== 'VIP' && mode !== 'Proxy') out.push(fe.notSupported(`${p}.ipMode`, mode, ['Proxy', 'VIP']));
      else if (typeof ip !== 'string' || ip === '') out.push(fe.forbidden(`${p}.ipMode`, 'may not be specified when `ip` is not set'));
    }
    const host = ing['hostname'];
    if (typeof host === 'string' && host !== '') {
      for (const m of dns1123Subdomain(host)) out.push(fe.invalid(`${p}.hostname`, host, m));
      if (isIP(host) !== 0) out.push(fe.invalid(`${p}.hostname`, host, 'must be a DNS name, not an IP address'));
    }
  });
  out.push(...validateConditions(st['conditions'], 'status.conditions'));
  return out;
}

/** SetDefaults_Service for status (LoadBalancerIPMode, GA in 1.32): ingress with an ip gets ipMode VIP. */
export function defaultServiceStatus(svc: JsonObject): void {
  // Go serialises the empty status struct: every Service reads back with status.loadBalancer.
  child(child(svc, 'status'), 'loadBalancer');
  const st = svc['status'];
  if (spec(svc)['type'] !== 'LoadBalancer' || !isObject(st) || !isObject(st['loadBalancer'])) return;
  for (const ing of arrAt(st['loadBalancer'], 'ingress') ?? []) {
    if (isObject(ing) && typeof ing['ip'] === 'string' && ing['ip'] !== '' && ing['ipMode'] === undefined) ing['ipMode'] = 'VIP';
  }
}

export const serviceStrategy: Strategy = {
  defaults,
  validate,
  allocate: (svc, _old, ctx) => allocateService(svc, ctx),
  statusDefaults: defaultServiceStatus,
  validateStatus,
};
