// What a speaker's caches hold per object, whole and slim (issue #10; src/api/slim.ts). Objects
// come from a real kube-apiserver (managedFields, defaults and all): Services made as
// `kubectl apply` makes them, each with a status written by the controller's identity; an
// EndpointSlice per Service with three endpoints (targetRef, zone); Nodes whose status carries
// 50 images, nodeInfo and capacity as a kubelet writes them. Each list is read through
// client-node as the informers read it, and the heap it retains is measured after a GC, whole
// and after the slim transform. A bench: it prints figures and asserts nothing.
//
//   node --expose-gc bench/speaker/cache-bytes.ts [--services 1000] [--nodes 100]
import { parseArgs } from 'node:util';
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import { startControlPlane } from '../../src/controlplane/control-plane.ts';
import { PooledKubeConfig } from '../../src/kube/client.ts';
import { makeClients } from '../../src/kube/api-clients.ts';
import { slimEndpointSlice, slimNode, slimService } from '../../src/api/slim.ts';
import { headCommit, loadAverage, machineLines } from '../machine.ts';

const { values: args } = parseArgs({ options: { services: { type: 'string', default: '1000' }, nodes: { type: 'string', default: '100' } } });
const SERVICES = Number(args.services);
const NODES = Number(args.nodes);
const NS = 'bench';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('cache-bytes: run with node --expose-gc (heap figures need a GC before each reading)');
  process.exit(2);
}

function heapAfterGc(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

/** Bytes of heap `make()`'s result retains, measured as the difference across it after GCs. */
async function retained<T>(make: () => Promise<T>): Promise<{ value: T; bytes: number }> {
  const before = heapAfterGc();
  const value = await make();
  const bytes = heapAfterGc() - before;
  return { value, bytes };
}

const cp = await startControlPlane({ kind: 'real' });
try {
  const kc = new PooledKubeConfig();
  kc.loadFromString(cp.kubeconfigYaml());
  const c = makeClients(kc);
  await c.core.createNamespace({ body: { metadata: { name: NS } } });
  const started = performance.now();
  for (let i = 0; i < SERVICES; i++) {
    const name = `svc-${i}`;
    const body: V1Service = {
      metadata: { name, namespace: NS, labels: { app: name, 'app.kubernetes.io/part-of': 'shop' } },
      spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }, { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' }] },
    };
    // What kubectl apply leaves behind: the last applied configuration as an annotation.
    body.metadata = { ...body.metadata, annotations: { [LAST_APPLIED]: JSON.stringify(body) } };
    const made = await c.core.createNamespacedService({ namespace: NS, body }, undefined);
    const ip = `198.18.${(i >> 8) & 255}.${i & 255}`;
    await c.core.replaceNamespacedServiceStatus({ name, namespace: NS, body: { ...made, status: { loadBalancer: { ingress: [{ ip, ipMode: 'VIP' }] }, conditions: [{ type: 'herald.dev/Allocated', status: 'True', reason: 'Satisfied', message: `allocated ${ip} from pool default`, lastTransitionTime: new Date(), observedGeneration: 1 }] } } });
    const slice: V1EndpointSlice = {
      metadata: { name: `${name}-abcde`, namespace: NS, labels: { 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'https', port: 8443, protocol: 'TCP' }],
      endpoints: [0, 1, 2].map((k) => ({ addresses: [`198.19.${k}.${i & 255}`], conditions: { ready: true, serving: true, terminating: false }, nodeName: `node-${(i + k) % NODES}`, zone: `zone-${k}`, targetRef: { kind: 'Pod', namespace: NS, name: `${name}-7d9f8c-${k}`, uid: `00000000-0000-0000-0000-${String(i * 3 + k).padStart(12, '0')}` } })),
    };
    await c.discovery.createNamespacedEndpointSlice({ namespace: NS, body: slice });
  }
  for (let i = 0; i < NODES; i++) {
    const name = `node-${i}`;
    const made = await c.core.createNode({ body: { metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'topology.kubernetes.io/zone': `zone-${i % 3}` }, annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' } }, spec: { podCIDR: `198.18.${i}.0/24`, podCIDRs: [`198.18.${i}.0/24`] } } });
    const now = new Date();
    const status: V1Node['status'] = {
      addresses: [{ type: 'InternalIP', address: `198.51.100.${(i % 250) + 1}` }, { type: 'Hostname', address: name }],
      conditions: [['MemoryPressure', 'False', 'KubeletHasSufficientMemory'], ['DiskPressure', 'False', 'KubeletHasNoDiskPressure'], ['PIDPressure', 'False', 'KubeletHasSufficientPID'], ['Ready', 'True', 'KubeletReady']].map(([type = '', s = '', reason = '']) => ({ type, status: s, reason, message: `kubelet says ${reason}`, lastHeartbeatTime: now, lastTransitionTime: now })),
      capacity: { cpu: '32', memory: '263981796Ki', pods: '110', 'ephemeral-storage': '960300048Ki', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0' },
      allocatable: { cpu: '32', memory: '263879396Ki', pods: '110', 'ephemeral-storage': '885008421497', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0' },
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: { architecture: 'amd64', bootID: `boot-${i}`, containerRuntimeVersion: 'containerd://2.1.4', kernelVersion: '6.1.0-40-amd64', kubeProxyVersion: '', kubeletVersion: 'v1.34.4', machineID: `machine-${i}`, operatingSystem: 'linux', osImage: 'Debian GNU/Linux 12 (bookworm)', systemUUID: `uuid-${i}` },
      images: Array.from({ length: 50 }, (_, k) => ({ names: [`registry.example/team/image-${k}@sha256:${k.toString(16).padStart(64, '0')}`, `registry.example/team/image-${k}:v1.${k}`], sizeBytes: 50_000_000 + k })),
    };
    await c.core.replaceNodeStatus({ name, body: { ...made, status } });
  }
  const createdS = (performance.now() - started) / 1000;

  // As the informers read them: client-node's list calls, the model classes it deserializes to.
  const rows: [string, number, number, number][] = [];
  for (const [kind, count, list, slim] of [
    ['Service', SERVICES, async () => (await c.core.listServiceForAllNamespaces()).items.filter((s) => s.metadata?.namespace === NS), (o: V1Service) => slimService(o)],
    ['EndpointSlice', SERVICES, async () => (await c.discovery.listEndpointSliceForAllNamespaces()).items.filter((s) => s.metadata?.namespace === NS), (o: V1EndpointSlice) => slimEndpointSlice(o)],
    ['Node', NODES, async () => (await c.core.listNode()).items, (o: V1Node) => slimNode(o)],
  ] as const) {
    const whole = await retained(list as () => Promise<object[]>);
    const slimmed = await retained(async () => (await (list as () => Promise<object[]>)()).map(slim as (o: object) => object));
    if (whole.value.length !== count || slimmed.value.length !== count) throw new Error(`${kind}: listed ${whole.value.length}, expected ${count}`);
    rows.push([kind, count, whole.bytes / count, slimmed.bytes / count]);
    whole.value.length = 0;
    slimmed.value.length = 0;
  }

  for (const line of machineLines()) console.log(line);
  console.log(`commit ${headCommit()}, load average ${loadAverage()}`);
  console.log(`objects from ${cp.real?.binaries.kubeVersion ?? 'a real kube-apiserver'} (created in ${createdS.toFixed(1)} s), read as client-node's list calls read them\n`);
  console.log('| object | count | heap per object, whole | slim | slim ÷ whole |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const [kind, count, whole, slim] of rows) console.log(`| ${kind} | ${count} | ${(whole / 1024).toFixed(2)} KiB | ${(slim / 1024).toFixed(2)} KiB | ${(slim / whole).toFixed(2)} |`);
  const total = (pick: 2 | 3): number => rows.reduce((a, r) => a + r[1] * r[pick], 0) / 2 ** 20;
  console.log(`\nall ${SERVICES} Services, their slices and ${NODES} Nodes: ${total(2).toFixed(1)} MiB whole, ${total(3).toFixed(1)} MiB slim`);
} finally {
  await cp.close();
}
