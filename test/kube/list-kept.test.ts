// listKept (src/kube/informer.ts, issue #10): an informer's transform reaches every listed object
// exactly once, whether the list applies it page by page (KubeHttp.list) or ignores it (a
// generated client's list), so no object is cached whole and none is transformed twice.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { listKept } from '../../src/kube/informer.ts';

type Obj = KubernetesObject & { heavy?: string };
const whole = (n: number): Obj[] => Array.from({ length: n }, (_, i) => ({ metadata: { name: `s${i}` }, heavy: 'managedFields' }));

function counting(): { transform: (o: Obj) => Obj; calls: () => number } {
  let calls = 0;
  return {
    transform: (o) => {
      calls++;
      return { metadata: o.metadata };
    },
    calls: () => calls,
  };
}

describe('listKept', () => {
  it('a list that keeps each item as it reads is trusted: the transform ran once per item', async () => {
    const t = counting();
    const list = async (keep?: (o: Obj) => Obj): Promise<KubernetesListObject<Obj>> => ({ metadata: { resourceVersion: '7' }, items: whole(3).map((o) => (keep === undefined ? o : keep(o))) });
    const got = await listKept(list, t.transform);
    assert.equal(t.calls(), 3);
    assert.deepEqual(got.items, [{ metadata: { name: 's0' } }, { metadata: { name: 's1' } }, { metadata: { name: 's2' } }]);
    assert.deepEqual(got.metadata, { resourceVersion: '7' });
  });

  it('a list that ignores keep has its items transformed after it returns', async () => {
    const t = counting();
    const got = await listKept(async () => ({ metadata: {}, items: whole(2) }), t.transform);
    assert.equal(t.calls(), 2);
    assert.deepEqual(got.items, [{ metadata: { name: 's0' } }, { metadata: { name: 's1' } }]);
  });

  it('a list that keeps some items but not all has every item transformed after it (none left whole)', async () => {
    const t = counting();
    const list = async (keep?: (o: Obj) => Obj): Promise<KubernetesListObject<Obj>> => {
      const [first, ...rest] = whole(3);
      return { metadata: {}, items: [keep === undefined || first === undefined ? first : keep(first), ...rest].filter((o): o is Obj => o !== undefined) };
    };
    const got = await listKept(list, t.transform);
    assert.ok(got.items.every((o) => o.heavy === undefined));
    assert.equal(got.items.length, 3);
  });
});
