// Listed IPPool objects the schema would refuse (the stand-in, an older CRD, a hand-made object)
// are reported with Valid=False naming the field, never skipped without a word (issue #14).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Service } from '@kubernetes/client-node';
import { readPoolListing } from '../../src/controller/pool-listing.ts';
import { IpamReconciler } from '../../src/controller/reconciler.ts';
import type { PassResult } from '../../src/controller/reconciler.ts';

const now = new Date('2026-03-01T00:00:00Z');
const meta = (name: string) => ({ name, generation: 1, creationTimestamp: '2026-01-01T00:00:00Z' });
const svc: V1Service = { metadata: { name: 'x', namespace: 'a', uid: 'uid-x', creationTimestamp: new Date('2026-01-01T00:00:00Z') }, spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }] } };
const all = { all: true, keys: new Set<string>(), topology: false };
const valid = (r: PassResult, name: string) => r.poolWrites.find((w) => w.pool.metadata.name === name)?.status.conditions?.find((c) => c.type === 'Valid');

describe('readPoolListing', () => {
  it('names the field of every shape the schema refuses, and keeps the object by name', () => {
    const cases: [unknown, string][] = [
      [{ metadata: meta('a'), spec: { blocks: [{ cidr: '192.0.2.0/30' }], serviceSelector: null } }, 'spec.serviceSelector: must be an object'],
      [{ metadata: meta('b'), spec: { blocks: [{ cidr: 5 }] } }, 'spec.blocks[0].cidr: must be a string'],
      [{ metadata: meta('c'), spec: { blocks: 'x' } }, 'spec.blocks: must be a list'],
      [{ metadata: meta('d'), spec: { blocks: [null] } }, 'spec.blocks[0]: must be an object'],
      [{ metadata: meta('e') }, 'spec: must be an object'],
      [{ metadata: meta('f'), spec: { blocks: [], serviceSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: 'web' }] } } }, 'spec.serviceSelector.matchExpressions[0].values: must be a list of strings'],
      [{ metadata: meta('g'), spec: { blocks: [], serviceSelector: { matchExpressions: [null] } } }, 'spec.serviceSelector.matchExpressions[0]: must be an object'],
      [{ metadata: meta('h'), spec: { blocks: [], serviceSelector: { matchLabels: { app: 1 } } } }, 'spec.serviceSelector.matchLabels: must map strings to strings'],
    ];
    const got = readPoolListing(cases.map(([o]) => o));
    assert.deepEqual([...got.malformedPools], cases.map(([o, why]) => [(o as { metadata: { name: string } }).metadata.name, why]));
    assert.deepEqual(got.pools.map((p) => [p.metadata.name, p.spec.blocks.length]), cases.map(([o]) => [(o as { metadata: { name: string } }).metadata.name, 0]));
    assert.deepEqual(got.unnamed, []);
  });

  it('a well-formed pool passes as it is; one without a name is reported to the caller', () => {
    const good = { metadata: meta('good'), spec: { blocks: [{ cidr: '192.0.2.0/30' }] } };
    const got = readPoolListing([good, { metadata: {}, spec: { blocks: [] } }, 'junk']);
    assert.deepEqual(got.pools, [good]);
    assert.deepEqual(got.malformedPools.size, 0);
    assert.deepEqual(got.unnamed, ['metadata.name: must be a string', 'metadata: must be an object']);
  });

  it('regression: a pool edited into a shape the schema refuses was skipped silently; it now says Valid=False naming the field, and its Service keeps its address', () => {
    const rec = new IpamReconciler({ defaultServiceIpam: 'pool', acceptAnnotations: new Set() });
    const pass = (pools: unknown[], services: V1Service[]) => {
      const l = readPoolListing(pools);
      return rec.pass({ services, pools: l.pools, malformedPools: l.malformedPools, nodes: [], slices: [] }, all, now);
    };
    const r1 = pass([{ metadata: meta('p'), spec: { blocks: [{ cidr: '192.0.2.0/30' }] } }], [svc]);
    const status = r1.serviceWrites[0]?.status;
    assert.deepEqual(status?.loadBalancer?.ingress?.map((i) => i.ip), ['192.0.2.0']);
    const placed: V1Service = { ...svc, ...(status === undefined ? {} : { status }) };
    const r2 = pass([{ metadata: { ...meta('p'), generation: 2 }, spec: { blocks: [{ cidr: '192.0.2.0/30' }], serviceSelector: null } }], [placed]);
    assert.deepEqual(r2.serviceWrites, [], 'the Service keeps its address');
    const v = valid(r2, 'p');
    assert.equal(v?.observedGeneration, 2);
    assert.equal(v?.status, 'False');
    assert.equal(v?.reason, 'InvalidSelector');
    assert.match(v?.message ?? '', /^spec\.serviceSelector: must be an object; the pool gives no addresses until this is fixed$/);
  });
});
