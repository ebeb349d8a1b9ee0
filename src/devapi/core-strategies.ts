// Registry rules of the core/v1 types besides Service: Namespace, Node, Endpoints, Secret, Event
// (pkg/apis/core/validation and pkg/registry/core/*/strategy.go).
import { isIP } from 'node:net';
import * as fe from './field-errors.ts';
import { arrAt, child, isObject, type JsonObject } from './json.ts';
import { dns1123Label, dns1123Subdomain, labelValue, qualifiedName, type NameCheck } from '../api/k8s-names.ts';
import type { Strategy } from './resource-type.ts';
import { isCidr } from './schema-format.ts';

/** ValidateNonSpecialIP: endpoints may not point at unspecified, loopback or link-local addresses. */
export function nonSpecialIP(path: string, ip: string): fe.FieldError[] {
  const fam = isIP(ip);
  if (fam === 0) return [fe.invalid(path, ip, 'must be a valid IP address')];
  const v = ip.toLowerCase();
  if (v === '0.0.0.0' || v === '::') return [fe.invalid(path, ip, 'may not be unspecified (0.0.0.0, ::)')];
  if ((fam === 4 && v.startsWith('127.')) || v === '::1') return [fe.invalid(path, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)')];
  if ((fam === 4 && v.startsWith('169.254.')) || /^fe[89ab]/.test(v)) return [fe.invalid(path, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)')];
  if ((fam === 4 && v.startsWith('224.0.0.')) || v.startsWith('ff02:')) {
    return [fe.invalid(path, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)')];
  }
  return [];
}

/** Names only need to be valid path segments (Events are not validated further by the real server). */
export const pathSegmentName: NameCheck = (v) => {
  if (v === '.' || v === '..') return [`may not be '${v}'`];
  for (const c of ['/', '%']) if (v.includes(c)) return [`may not contain '${c}'`];
  return [];
};

export const namespaceStrategy: Strategy = {
  defaults: (ns) => {
    // NamespaceDefaultLabelName (GA 1.22): the immutable name label.
    const meta = child(ns, 'metadata');
    const labels = child(meta, 'labels');
    if (typeof meta['name'] === 'string') labels['kubernetes.io/metadata.name'] = meta['name'];
  },
  prepareCreate: (ns) => {
    child(ns, 'spec')['finalizers'] = ['kubernetes'];
    ns['status'] = { phase: 'Active' };
  },
};

const TAINT_EFFECTS = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];

export const nodeStrategy: Strategy = {
  validate: (node) => {
    const out: fe.FieldError[] = [];
    const spec = isObject(node['spec']) ? node['spec'] : {};
    const podCIDR = spec['podCIDR'];
    if (typeof podCIDR === 'string' && podCIDR !== '' && !isCidr(podCIDR)) out.push(fe.invalid('spec.podCIDR', podCIDR, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
    (arrAt(spec, 'podCIDRs') ?? []).forEach((c, i) => {
      if (typeof c !== 'string' || !isCidr(c)) out.push(fe.invalid(`spec.podCIDRs[${i}]`, c, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
    });
    (arrAt(spec, 'taints') ?? []).forEach((t, i) => {
      if (!isObject(t)) return;
      const p = `spec.taints[${i}]`;
      const k = t['key'];
      if (typeof k !== 'string' || k === '') out.push(fe.required(`${p}.key`, ''));
      else for (const m of qualifiedName(k)) out.push(fe.invalid(`${p}.key`, k, m));
      const v = t['value'];
      if (typeof v === 'string') for (const m of labelValue(v)) out.push(fe.invalid(`${p}.value`, v, m));
      const e = t['effect'];
      if (typeof e !== 'string' || !TAINT_EFFECTS.includes(e)) out.push(fe.notSupported(`${p}.effect`, e, TAINT_EFFECTS));
    });
    return out;
  },
};

function validatePortList(list: unknown[], path: string, protocols: readonly string[]): fe.FieldError[] {
  const out: fe.FieldError[] = [];
  list.forEach((p, i) => {
    if (!isObject(p)) return;
    const pp = `${path}[${i}]`;
    const name = p['name'];
    if (list.length > 1 && (typeof name !== 'string' || name === '')) out.push(fe.required(`${pp}.name`, ''));
    else if (typeof name === 'string' && name !== '') for (const m of dns1123Label(name)) out.push(fe.invalid(`${pp}.name`, name, m));
    const port = p['port'];
    if (typeof port !== 'number' || port < 1 || port > 65535) out.push(fe.invalid(`${pp}.port`, port ?? 0, 'must be between 1 and 65535, inclusive'));
    const proto = p['protocol'];
    if (typeof proto !== 'string' || !protocols.includes(proto)) out.push(fe.notSupported(`${pp}.protocol`, proto, protocols));
  });
  return out;
}

export const endpointsStrategy: Strategy = {
  defaults: (ep) => {
    for (const ss of arrAt(ep, 'subsets') ?? []) {
      if (!isObject(ss)) continue;
      for (const p of arrAt(ss, 'ports') ?? []) if (isObject(p)) p['protocol'] ??= 'TCP';
    }
  },
  validate: (ep) => {
    const out: fe.FieldError[] = [];
    (arrAt(ep, 'subsets') ?? []).forEach((ss, i) => {
      if (!isObject(ss)) return;
      const sp = `subsets[${i}]`;
      const addrs = arrAt(ss, 'addresses') ?? [];
      const notReady = arrAt(ss, 'notReadyAddresses') ?? [];
      if (addrs.length === 0 && notReady.length === 0) out.push(fe.required(sp, 'must specify `addresses` or `notReadyAddresses`'));
      for (const [field, list] of [['addresses', addrs], ['notReadyAddresses', notReady]] as const) {
        list.forEach((a, j) => {
          if (!isObject(a)) return;
          const ip = a['ip'];
          const path = `${sp}.${field}[${j}].ip`;
          if (typeof ip !== 'string' || ip === '') out.push(fe.required(path, ''));
          else out.push(...nonSpecialIP(path, ip));
          const node = a['nodeName'];
          if (typeof node === 'string' && node !== '') for (const m of dns1123Subdomain(node)) out.push(fe.invalid(`${sp}.${field}[${j}].nodeName`, node, m));
        });
      }
      const ports = arrAt(ss, 'ports') ?? [];
      out.push(...validatePortList(ports, `${sp}.ports`, ['SCTP', 'TCP', 'UDP']));
    });
    return out;
  },
};

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const MAX_SECRET = 1024 * 1024;

export const secretStrategy: Strategy = {
  defaults: (sec) => {
    sec['type'] ??= 'Opaque';
    const sd = sec['stringData'];
    if (isObject(sd)) {
      // stringData is write-only: merged into data, never stored (core/v1 types.go).
      const data = child(sec, 'data');
      for (const [k, v] of Object.entries(sd)) if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
      delete sec['stringData'];
    }
  },
  validate: (sec, old) => {
    const out: fe.FieldError[] = [];
    const data = isObject(sec['data']) ? sec['data'] : {};
    let size = 0;
    for (const [k, v] of Object.entries(data)) {
      if (!CONFIG_KEY.test(k)) {
        out.push(fe.invalid(`data[${k}]`, k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"));
      }
      if (typeof v === 'string') size += Buffer.from(v, 'base64').length;
    }
    if (size > MAX_SECRET) out.push(fe.tooLong('data', MAX_SECRET));
    if (old !== undefined && old['type'] !== sec['type']) out.push(fe.invalid('type', sec['type'] ?? '', 'field is immutable'));
    if (old !== undefined && old['immutable'] === true) {
      if (JSON.stringify(old['data'] ?? {}) !== JSON.stringify(sec['data'] ?? {})) out.push(fe.forbidden('data', 'field is immutable when `immutable` is set'));
      if (sec['immutable'] !== true) out.push(fe.forbidden('immutable', 'field is immutable when `immutable` is set'));
    }
    return out;
  },
};

/** legacyValidateEvent: what every Event write must satisfy, whichever API group it came from. */
export function legacyEventErrors(ev: JsonObject, controllerField: string): fe.FieldError[] {
  const out: fe.FieldError[] = [];
  const ns = typeof child(ev, 'metadata')['namespace'] === 'string' ? String(child(ev, 'metadata')['namespace']) : '';
  const inv = isObject(ev['involvedObject']) ? ev['involvedObject'] : {};
  const invNs = typeof inv['namespace'] === 'string' ? inv['namespace'] : '';
  const str = (k: string): string => (typeof ev[k] === 'string' ? String(ev[k]) : '');
  if (str('eventTime') === '') {
    if (invNs === '' ? ns !== '' && ns !== 'default' : ns !== invNs) out.push(fe.invalid('involvedObject.namespace', invNs, 'does not match event.namespace'));
  } else {
    if (invNs === '' && ns !== 'default' && ns !== 'kube-system') out.push(fe.invalid('involvedObject.namespace', invNs, 'does not match event.namespace'));
    const rc = str('reportingComponent');
    if (rc === '') out.push(fe.required(controllerField, ''));
    else for (const m of qualifiedName(rc)) out.push(fe.invalid(controllerField, rc, m));
    if (str('reportingInstance') === '') out.push(fe.required('reportingInstance', ''));
    else if (str('reportingInstance').length > 128) out.push(fe.invalid('reportingInstance', '', 'can have at most 128 characters'));
    if (str('action') === '') out.push(fe.required('action', ''));
    else if (str('action').length > 128) out.push(fe.invalid('action', '', 'can have at most 128 characters'));
    if (str('reason') === '') out.push(fe.required('reason', ''));
    else if (str('reason').length > 128) out.push(fe.invalid('reason', '', 'can have at most 128 characters'));
    if (str('message').length > 1024) out.push(fe.invalid(controllerField === 'reportingComponent' ? 'message' : 'note', '', 'can have at most 1024 characters'));
  }
  return out;
}

export const coreEventStrategy: Strategy = {
  validate: (ev) => legacyEventErrors(ev, 'reportingComponent'),
};
