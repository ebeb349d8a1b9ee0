// Rules of the non-core built-in groups: coordination.k8s.io Lease, discovery.k8s.io
// EndpointSlice, events.k8s.io Event (stored as core/v1 Events, converted field by field as
// pkg/apis/events/v1/conversion.go does).
import { isIPv4, isIPv6 } from 'node:net';
import { legacyEventErrors, nonSpecialIP } from './core-strategies.ts';
import * as fe from './field-errors.ts';
import { arrAt, isObject, type JsonObject } from './json.ts';
import { dns1123Label, dns1123Subdomain, qualifiedName } from '../api/k8s-names.ts';
import type { Strategy } from './resource-type.ts';

export const leaseStrategy: Strategy = {
  validate: (lease) => {
    const out: fe.FieldError[] = [];
    const spec = isObject(lease['spec']) ? lease['spec'] : {};
    const d = spec['leaseDurationSeconds'];
    if (typeof d === 'number' && d <= 0) out.push(fe.invalid('spec.leaseDurationSeconds', d, 'must be greater than 0'));
    const t = spec['leaseTransitions'];
    if (typeof t === 'number' && t < 0) out.push(fe.invalid('spec.leaseTransitions', t, 'must be greater than or equal to 0'));
    const strategy = spec['strategy'];
    if (strategy !== undefined && strategy !== 'OldestEmulationVersion') out.push(fe.notSupported('spec.strategy', strategy, ['OldestEmulationVersion']));
    if (spec['preferredHolder'] !== undefined && strategy === undefined) out.push(fe.forbidden('spec.preferredHolder', 'may only be specified if `strategy` is defined'));
    return out;
  },
};

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

export const endpointSliceStrategy: Strategy = {
  defaults: (slice) => {
    for (const p of arrAt(slice, 'ports') ?? []) if (isObject(p)) p['protocol'] ??= 'TCP';
  },
  validate: (slice, old) => {
    const out: fe.FieldError[] = [];
    const at = slice['addressType'];
    if (at === undefined || at === '') out.push(fe.required('addressType', ''));
    else if (typeof at !== 'string' || !ADDRESS_TYPES.includes(at)) out.push(fe.notSupported('addressType', at, ADDRESS_TYPES));
    if (old !== undefined && old['addressType'] !== at) out.push(fe.invalid('addressType', at ?? '', 'field is immutable'));
    const eps = arrAt(slice, 'endpoints') ?? [];
    if (eps.length > 1000) out.push(fe.tooMany('endpoints', eps.length, 1000));
    eps.forEach((ep, i) => {
      if (!isObject(ep)) return;
      const p = `endpoints[${i}]`;
      const addrs = arrAt(ep, 'addresses') ?? [];
      if (addrs.length === 0) out.push(fe.required(`${p}.addresses`, 'must contain at least 1 address'));
      else if (addrs.length > 100) out.push(fe.tooMany(`${p}.addresses`, addrs.length, 100));
      addrs.forEach((a, j) => {
        const ap = `${p}.addresses[${j}]`;
        if (typeof a !== 'string') return;
        if (at === 'IPv4') out.push(...(isIPv4(a) ? nonSpecialIP(ap, a) : [fe.invalid(ap, a, 'must be a valid IPv4 address')]));
        else if (at === 'IPv6') out.push(...(isIPv6(a) ? nonSpecialIP(ap, a) : [fe.invalid(ap, a, 'must be a valid IPv6 address')]));
        else if (at === 'FQDN') for (const m of dns1123Subdomain(a)) out.push(fe.invalid(ap, a, m));
      });
      const host = ep['hostname'];
      if (typeof host === 'string') for (const m of dns1123Label(host)) out.push(fe.invalid(`${p}.hostname`, host, m));
      const node = ep['nodeName'];
      if (typeof node === 'string') for (const m of dns1123Subdomain(node)) out.push(fe.invalid(`${p}.nodeName`, node, m));
    });
    const ports = arrAt(slice, 'ports') ?? [];
    const names = new Set<string>();
    ports.forEach((port, i) => {
      if (!isObject(port)) return;
      const p = `ports[${i}]`;
      const name = port['name'];
      if (typeof name === 'string' && name !== '') {
        for (const m of dns1123Label(name)) out.push(fe.invalid(`${p}.name`, name, m));
        if (names.has(name)) out.push(fe.duplicate(`${p}.name`, name));
        names.add(name);
      } else if (names.has('')) out.push(fe.duplicate(`${p}.name`, ''));
      else names.add('');
      const proto = port['protocol'];
      if (typeof proto !== 'string' || !PROTOCOLS.includes(proto)) out.push(fe.notSupported(`${p}.protocol`, proto, PROTOCOLS));
      const num = port['port'];
      if (typeof num === 'number' && (num < 1 || num > 65535)) out.push(fe.invalid(`${p}.port`, num, 'must be between 1 and 65535, inclusive'));
      const app = port['appProtocol'];
      if (typeof app === 'string') for (const m of qualifiedName(app)) out.push(fe.invalid(`${p}.appProtocol`, app, m));
    });
    return out;
  },
};

/** events.k8s.io/v1 field ↔ core/v1 field (pkg/apis/events/v1/conversion.go). */
const EVENT_RENAMES: readonly (readonly [string, string])[] = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
  ['reportingController', 'reportingComponent'],
];

function rename(obj: JsonObject, pairs: readonly (readonly [string, string])[], apiVersion: string): JsonObject {
  const out: JsonObject = {};
  const map = new Map(pairs);
  for (const [k, v] of Object.entries(obj)) out[map.get(k) ?? k] = v;
  out['apiVersion'] = apiVersion;
  return out;
}

export function eventToCore(ev: JsonObject): JsonObject {
  return rename(ev, EVENT_RENAMES, 'v1');
}

export function eventFromCore(ev: JsonObject): JsonObject {
  return rename(
    ev,
    EVENT_RENAMES.map(([a, b]) => [b, a] as const),
    'events.k8s.io/v1',
  );
}

export const eventsV1Strategy: Strategy = {
  validate: (ev) => {
    const out = legacyEventErrors(eventToCore(ev), 'reportingController');
    if (typeof ev['eventTime'] !== 'string' || ev['eventTime'] === '') out.push(fe.required('eventTime', ''));
    if (ev['type'] !== 'Normal' && ev['type'] !== 'Warning') out.push(fe.invalid('type', '', `has invalid value: ${typeof ev['type'] === 'string' ? ev['type'] : ''}`));
    for (const f of ['deprecatedFirstTimestamp', 'deprecatedLastTimestamp', 'deprecatedSource']) {
      if (ev[f] !== undefined && ev[f] !== null && !(isObject(ev[f]) && Object.keys(ev[f]).length === 0)) out.push(fe.invalid(f, '', 'needs to be unset'));
    }
    if (typeof ev['deprecatedCount'] === 'number' && ev['deprecatedCount'] !== 0) out.push(fe.invalid('deprecatedCount', '', 'needs to be unset'));
    const series = ev['series'];
    if (isObject(series)) {
      if (typeof series['count'] !== 'number' || series['count'] < 2) out.push(fe.invalid('series.count', '', 'should be at least 2'));
      if (typeof series['lastObservedTime'] !== 'string') out.push(fe.required('series.lastObservedTime', ''));
    }
    return out;
  },
};
