// What the caches keep (src/api/slim.ts, issue #10): the bulk of a real server's objects goes
// (managedFields, a Node's images and nodeInfo, endpoint details), and every rule that reads a
// Node, an EndpointSlice or a Service decides exactly as on the whole object.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { V1EndpointSlice, V1Node } from '@kubernetes/client-node';
import { slimEndpointSlice, slimNode, slimService } from '../../src/api/slim.ts';
import { nodeDemoted, nodeProblem, nodesWithReadyEndpoints, reservedAddresses } from '../../src/api/nodes.ts';
import { desiredAnnouncements } from '../../src/speaker/desired.ts';
import type { DesiredInput } from '../../src/speaker/desired.ts';
import { IFACES, node, policy, slice, svc } from '../speaker/fixtures.ts';

const MANAGED = [{ manager: 'kubelet', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': { 'f:images': {} } } }];

/** A Node as a kube-apiserver returns it: images, nodeInfo, capacity, annotations, managedFields. */
function wholeNode(name: string, extra: Partial<V1Node> = {}): V1Node {
  const n = node(name, { labels: { 'kubernetes.io/hostname': name, zone: 'a' }, taints: ['example.com/gpu'], addresses: ['198.51.100.7'] });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    ...n,
    metadata: { ...n.metadata, uid: `uid-${name}`, resourceVersion: '42', annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' }, managedFields: MANAGED },
    spec: { ...n.spec, podCIDR: '198.18.1.0/24', podCIDRs: ['198.18.1.0/24'], providerID: 'metal://x' },
    status: {
      ...n.status,
      addresses: [...(n.status?.addresses ?? []), { type: 'Hostname', address: name }],
      conditions: (n.status?.conditions ?? []).map((c) => ({ ...c, reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: new Date(1), lastTransitionTime: new Date(0) })),
      images: Array.from({ length: 50 }, (_, i) => ({ names: [`registry.example/image-${i}@sha256:${'0'.repeat(64)}`, `registry.example/image-${i}:v1`], sizeBytes: 1e8 })),
      nodeInfo: { architecture: 'amd64', bootID: 'b', containerRuntimeVersion: 'containerd://2', kernelVersion: '6.1', kubeProxyVersion: '', kubeletVersion: 'v1.35.0', machineID: 'm', operatingSystem: 'linux', osImage: 'Debian 12', systemUUID: 's' },
      capacity: { cpu: '2', memory: '24Gi', pods: '110' },
      allocatable: { cpu: '2', memory: '23Gi', pods: '110' },
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    },
    ...extra,
  };
}

test('slimNode drops images, nodeInfo, capacity, annotations, managedFields and condition details, and keeps what Herald reads', () => {
  const whole = wholeNode('n1');
  const slim = slimNode(whole);
  assert.deepEqual(slim, {
    metadata: { name: 'n1', namespace: undefined, uid: 'uid-n1', resourceVersion: '42', labels: { 'kubernetes.io/hostname': 'n1', zone: 'a' }, deletionTimestamp: undefined },
    spec: { unschedulable: false, taints: [{ key: 'example.com/gpu', effect: 'NoSchedule' }] },
    status: { addresses: whole.status?.addresses, conditions: [{ type: 'Ready', status: 'True' }] },
  });
  assert.ok(JSON.stringify(slim).length * 10 < JSON.stringify(whole).length, 'a tenth of the bytes or less');
});

test('slimEndpointSlice keeps each endpoint\'s addresses, node and conditions; drops targetRef, zone, hints, ports and managedFields', () => {
  const s = slice('web/a', ['n1'], ['n2']);
  const whole: V1EndpointSlice = {
    ...s,
    metadata: { ...s.metadata, uid: 'u', resourceVersion: '9', managedFields: MANAGED, ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'a', uid: 'x' }] },
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: (s.endpoints ?? []).map((e) => ({ ...e, targetRef: { kind: 'Pod', name: 'p', namespace: 'web' }, zone: 'a', hints: { forZones: [{ name: 'a' }] } })),
  };
  const slim = slimEndpointSlice(whole);
  assert.equal(slim.metadata?.managedFields, undefined);
  assert.equal(slim.ports, undefined);
  assert.deepEqual(slim.endpoints, [
    { addresses: ['198.18.0.1'], nodeName: 'n1', conditions: { ready: true, serving: undefined, terminating: undefined } },
    { addresses: ['198.18.0.2'], nodeName: 'n2', conditions: { ready: false, serving: undefined, terminating: undefined } },
  ]);
  assert.deepEqual(slim.metadata?.labels, { 'kubernetes.io/service-name': 'a' });
});

const nodeArb = fc.record({
  name: fc.constantFrom('n1', 'n2', 'n3'),
  ready: fc.constantFrom('True', 'False', 'Unknown', null),
  networkUnavailable: fc.option(fc.boolean(), { nil: undefined }),
  unschedulable: fc.boolean(),
  taints: fc.subarray(['ToBeDeletedByClusterAutoscaler', 'example.com/gpu', 'node.kubernetes.io/unschedulable']),
  labels: fc.dictionary(fc.constantFrom('node.kubernetes.io/exclude-from-external-load-balancers', 'zone', 'herald.dev/speaker'), fc.constantFrom('', 'a', 'true')),
  addresses: fc.subarray(['198.51.100.7', '2001:db8::7', '203.0.113.9']),
  deleting: fc.boolean(),
});

test('property: every rule reads a slim Node and EndpointSlice as the whole one (eligibility, demotion, reserved addresses, Local endpoints, the L2 desired state)', () => {
  fc.assert(
    fc.property(fc.array(nodeArb, { minLength: 1, maxLength: 4 }), fc.subarray(['n1', 'n2', 'n3']), fc.subarray(['n1', 'n2', 'n3']), (opts, ready, notReady) => {
      const whole = opts.map((o) => {
        const n = wholeNode(o.name);
        const base = node(o.name, o);
        return { ...n, metadata: { ...n.metadata, ...base.metadata }, spec: { ...n.spec, ...base.spec }, status: { ...n.status, conditions: base.status?.conditions, addresses: base.status?.addresses } };
      });
      const slim = whole.map(slimNode);
      for (let i = 0; i < whole.length; i++) {
        const [w, s] = [whole[i], slim[i]];
        assert.ok(w !== undefined && s !== undefined);
        assert.equal(nodeProblem(s), nodeProblem(w));
        assert.equal(nodeDemoted(s), nodeDemoted(w));
      }
      const slices = [slice('web/local', ready, notReady.filter((n) => !ready.includes(n)))];
      const slimSlices = slices.map(slimEndpointSlice);
      assert.deepEqual(reservedAddresses(slim, slimSlices), reservedAddresses(whole, slices));
      assert.deepEqual(nodesWithReadyEndpoints(slimSlices), nodesWithReadyEndpoints(slices));
      const services = [svc('web/local', { ingress: ['192.0.2.10'], local: true }), svc('web/cluster', { ingress: ['192.0.2.11'] })];
      const input: Omit<DesiredInput, 'services' | 'slices' | 'nodes'> = { me: 'n1', policies: [policy('all'), policy('zone-a', { nodeSelector: { matchLabels: { zone: 'a' }, matchExpressions: [] } })], interfaces: IFACES, adapter: { defaultServiceIpam: 'pool', acceptAnnotations: new Set() } };
      assert.deepEqual(
        desiredAnnouncements({ ...input, services: services.map(slimService), slices: slimSlices, nodes: slim }),
        desiredAnnouncements({ ...input, services, slices, nodes: whole }),
      );
    }),
    { numRuns: 300 },
  );
});
