// What Herald keeps of each watched object (issue #10: memory per speaker and per controller).
// Informers apply these to every listed and watched object (src/kube/informer.ts `transform`),
// so a cache holds only the fields Herald reads. Dropped everywhere: managedFields (kilobytes
// per object on a real server), kind and apiVersion, and what no Herald rule reads: a Node's
// images (often tens of kilobytes), nodeInfo, capacity and condition messages; an endpoint's
// targetRef, zone, hints and the slice's ports. Kept: the identity client-node's cache keys on
// (name, namespace, uid, resourceVersion) and every field read in src/api, src/speaker and
// src/controller. A test holds each rule's decision equal on the slim and the whole object.
import type { V1EndpointSlice, V1Node, V1NodeCondition, V1ObjectMeta, V1Service } from '@kubernetes/client-node';
import { readsAnnotation } from './service.ts';

function readAnnotations(all: Readonly<Record<string, string>> | undefined): Record<string, string> | undefined {
  if (all === undefined) return undefined;
  let kept: Record<string, string> | undefined;
  for (const name in all) {
    if (!Object.hasOwn(all, name) || !readsAnnotation(name)) continue;
    kept ??= {};
    const value = all[name];
    if (value !== undefined) kept[name] = value;
  }
  return kept;
}

/** name, namespace, uid, resourceVersion, labels and deletionTimestamp: what every cache and rule reads. */
function identity(m: V1ObjectMeta): V1ObjectMeta {
  return { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, labels: m.labels, deletionTimestamp: m.deletionTimestamp };
}

/**
 * The Service: metadata slim (annotations only those `readsAnnotation` names), spec and status
 * whole: spec is small and any field of it may matter to a rule; status because the controller's
 * merge patch writes the other controllers' conditions back as they are.
 */
export function slimService(svc: V1Service): V1Service {
  const m = svc.metadata;
  const metadata: V1ObjectMeta | undefined =
    m === undefined ? undefined : { ...identity(m), generation: m.generation, creationTimestamp: m.creationTimestamp, annotations: readAnnotations(m.annotations) };
  return { metadata, spec: svc.spec, status: svc.status };
}

/** Conditions by type and status only: their heartbeat times, reasons and messages change often and are never read. */
function slimConditions(all: readonly V1NodeCondition[] | undefined): V1NodeCondition[] | undefined {
  return all?.map((c) => ({ type: c.type, status: c.status }));
}

/**
 * The Node: labels (policies' node selectors, the exclude label), deletionTimestamp, the spec's
 * unschedulable and taints (demotion), the status's addresses (reserved addresses, heartbeat
 * and next-hop addresses) and conditions (Ready, NetworkUnavailable).
 */
export function slimNode(node: V1Node): V1Node {
  const m = node.metadata;
  const spec = node.spec === undefined ? undefined : { unschedulable: node.spec.unschedulable, taints: node.spec.taints };
  const status = node.status === undefined ? undefined : { addresses: node.status.addresses, conditions: slimConditions(node.status.conditions) };
  return { metadata: m === undefined ? undefined : identity(m), spec, status };
}

/**
 * The EndpointSlice: its Service (the `kubernetes.io/service-name` label), and per endpoint the
 * addresses (the API server's are never VIPs), the node and the ready condition (for
 * externalTrafficPolicy: Local).
 */
export function slimEndpointSlice(slice: V1EndpointSlice): V1EndpointSlice {
  const m = slice.metadata;
  return {
    metadata: m === undefined ? undefined : identity(m),
    addressType: slice.addressType,
    endpoints: slice.endpoints?.map((e) => ({ addresses: e.addresses, nodeName: e.nodeName, conditions: e.conditions === undefined ? undefined : { ready: e.conditions.ready, serving: e.conditions.serving, terminating: e.conditions.terminating } })),
  };
}

function instant(v: unknown): number | null {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v)) {
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

/**
 * The same data, whatever its form: client-node's list calls give model class instances with
 * Date fields, its Watch gives the server's JSON (plain objects, times as strings), so a strict
 * deep-equal would see every watched update of a listed object as a change. Times compare by
 * instant; an absent key equals an undefined one; prototypes are not compared.
 */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const [ta, tb] = [instant(a), instant(b)];
  if (ta !== null || tb !== null) return ta === tb;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => sameData(x, b[i]));
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ra = a as Readonly<Record<string, unknown>>;
  const rb = b as Readonly<Record<string, unknown>>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const k of keys) if (!sameData(ra[k], rb[k])) return false;
  return true;
}

/** The same object but for metadata.resourceVersion (a watched update that changed nothing kept). */
export function sameButVersion<T extends { metadata?: { resourceVersion?: string } }>(a: T, b: T): boolean {
  return sameData({ ...a, metadata: { ...a.metadata, resourceVersion: undefined } }, { ...b, metadata: { ...b.metadata, resourceVersion: undefined } });
}
