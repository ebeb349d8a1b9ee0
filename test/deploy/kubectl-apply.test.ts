// api-suite: deploy/ through the real kubectl on a real kube-apiserver (issue #8, point 2)
// A user's first step is `kubectl apply -k deploy/`. Here the real kubectl applies it client-side,
// again (nothing changes), then server-side over it (the upgrade path to server-side apply) and
// again (nothing changes); the namespace's Pod Security admits both workloads' Pods; the examples
// are accepted; `kubectl get` shows every printer column with a value; `kubectl explain`
// describes every field. RBAC is in rbac.test.ts, the schema's refusals in crd-validation.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { DEPLOY, loadCrds, schemaNodes, type Crd } from './crds.ts';
import { eventually, mapLimit, REAL_ONLY, startKubectlCluster, type KubectlCluster } from './kubectl.ts';
import { arr, isObj, obj, str, type Obj } from './schema-check.ts';

const DOCS = new URL('../../docs/operations.md', import.meta.url);
const crds = loadCrds();

/** kind/name of every object a kustomization renders, via the real kubectl's kustomize. */
async function rendered(k: KubectlCluster, dir: string): Promise<string[]> {
  const docs = parseAllDocuments(await k.ok(['kustomize', dir]));
  assert.ok(Array.isArray(docs));
  return docs.map((d) => {
    const o = obj(d.toJS(), 'rendered object');
    return `${str(o['kind'], 'kind')}/${str(obj(o['metadata'], 'metadata')['name'], 'name')}`;
  });
}

/** `kind.group/name action` lines of `kubectl apply` output, as [object, action]. */
function applied(stdout: string): [string, string][] {
  return stdout
    .trim()
    .split('\n')
    .map((l) => {
      const m = /^(\S+) (\S+)$/.exec(l.trim());
      assert.ok(m?.[1] !== undefined && m[2] !== undefined, `unexpected apply output line: ${l}`);
      return [m[1], m[2]];
    });
}

/** resourceVersion of every object of deploy/, keyed by kind/namespace/name. */
async function resourceVersions(k: KubectlCluster): Promise<Map<string, string>> {
  const list = obj(JSON.parse(await k.ok(['get', '-k', DEPLOY, '-o', 'json'])), 'list');
  return new Map(
    arr(list['items'], 'items').map((i) => {
      const m = obj(obj(i, 'item')['metadata'], 'metadata');
      return [`${String(obj(i, 'item')['kind'])}/${String(m['namespace'] ?? '')}/${String(m['name'])}`, str(m['resourceVersion'], 'resourceVersion')];
    }),
  );
}

/** A `kubectl get` table as rows of header → cell, cut at the header's column starts (cells may be empty). */
function parseTable(text: string): Record<string, string>[] {
  const [header, ...rows] = text.replace(/\n+$/, '').split('\n');
  assert.ok(header !== undefined && header.startsWith('NAME'), `not a table: ${text}`);
  const names = header.trim().split(/\s{2,}/);
  const starts = names.map((n) => header.indexOf(n));
  return rows.map((row) => Object.fromEntries(names.map((n, i) => [n, row.slice(starts[i], starts[i + 1] ?? row.length).trim()])));
}

/** The FIELDS of a `kubectl explain` page: field name → its description text. */
function explainFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  const at = text.indexOf('\nFIELDS:\n');
  if (at < 0) return fields;
  let current: string | undefined;
  for (const line of text.slice(at + '\nFIELDS:\n'.length).split('\n')) {
    const field = /^ {2}(\S+)\t<[^>]*>/.exec(line);
    if (field?.[1] !== undefined) {
      current = field[1];
      fields.set(current, '');
    } else if (current !== undefined && /^ {4}\S/.test(line)) fields.set(current, `${fields.get(current) ?? ''} ${line.trim()}`.trim());
  }
  return fields;
}

function explainDescription(text: string): string {
  const m = /\nDESCRIPTION:\n([\s\S]*?)(\nFIELDS:\n|$)/.exec(text);
  return (m?.[1] ?? '').trim();
}

describe('kubectl apply -k deploy/ on a real kube-apiserver', { skip: REAL_ONLY }, () => {
  let k: KubectlCluster;
  before(async () => {
    k = await startKubectlCluster();
  });
  after(async () => k?.close());

  it('client-side: creates every object kustomize renders; the only warning is Pod Security on the speaker', async () => {
    const want = await rendered(k, DEPLOY);
    assert.ok(want.length >= 15, `kustomize rendered only ${want.length} objects`);
    const r = await k.run(['apply', '-k', DEPLOY]);
    assert.equal(r.code, 0, r.stderr);
    const lines = applied(r.stdout);
    assert.equal(lines.length, want.length, r.stdout);
    for (const [o, action] of lines) assert.equal(action, 'created', o);
    // namespace.yaml warns at `restricted`: the host-network speaker is the one workload that
    // cannot meet it, and says so on every apply that changes it (docs/operations.md, Install).
    const warnings = r.stderr.trim().split('\n').filter((l) => l !== '');
    assert.equal(warnings.length, 1, r.stderr);
    assert.match(warnings[0] ?? '', /^Warning: would violate PodSecurity "restricted:latest": host namespaces \(hostNetwork=true\), hostPort \(container "speaker"/);
  });

  it('the namespace admits the pods both workloads will create (Pod Security is enforced on Pods, not on their owners)', async () => {
    // No controller-manager here: create each workload's Pod from its template, as the
    // DaemonSet and ReplicaSet controllers would, in a server-side dry run.
    for (const [kind, name] of [['daemonset', 'herald-speaker'], ['deployment', 'herald-controller']] as const) {
      const owner = obj(JSON.parse(await k.ok(['-n', 'herald-system', 'get', kind, name, '-o', 'json'])), kind);
      const template = obj(obj(owner['spec'], 'spec')['template'], 'template');
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { ...obj(template['metadata'], 'metadata'), name: `${name}-pod`, namespace: 'herald-system' }, spec: template['spec'] };
      const r = await k.run(['create', '--dry-run=server', '-o', 'name', '-f', '-'], JSON.stringify(pod));
      assert.equal(r.code, 0, `${kind} ${name}: its Pod is refused:\n${r.stderr}`);
      // The controller meets `restricted` as the real admission judges it; the speaker cannot.
      if (kind === 'deployment') assert.equal(r.stderr, '', 'the controller Pod draws a Pod Security warning');
      else assert.match(r.stderr, /^Warning: would violate PodSecurity "restricted:latest"/);
    }
  });

  it('client-side again: every object unchanged, and kubectl diff sees no drift', async () => {
    const lines = applied(await k.ok(['apply', '-k', DEPLOY]));
    for (const [o, action] of lines) assert.equal(action, 'unchanged', o);
    const d = await k.run(['diff', '-k', DEPLOY]);
    assert.equal(d.code, 0, `kubectl diff -k deploy/:\n${d.stdout}${d.stderr}`);
  });

  it('every CRD becomes Established and served', async () => {
    await k.ok(['wait', '--for=condition=Established', '--timeout=60s', ...crds.map((c) => `crd/${c.name}`)]);
    for (const c of crds) await eventually(() => k.ok(['get', c.plural]));
  });

  it('server-side over client-side (the way to move to server-side apply) has no conflicts, and again changes nothing', async () => {
    // Regression: without `apiVersion: v1` in the env fieldRefs, the API server's default made
    // the atomic fieldRef differ from the manifest, and this apply failed with 3 conflicts with
    // "kubectl-client-side-apply".
    const r = await k.run(['apply', '--server-side', '-k', DEPLOY]);
    assert.equal(r.code, 0, r.stderr);
    for (const [o, action] of applied(r.stdout)) assert.equal(action, 'serverside-applied', o);
    const before = await resourceVersions(k);
    assert.equal(before.size, (await rendered(k, DEPLOY)).length);
    await k.ok(['apply', '--server-side', '-k', DEPLOY]);
    assert.deepEqual(await resourceVersions(k), before, 'a second server-side apply wrote something');
    const d = await k.run(['diff', '--server-side', '-k', DEPLOY]);
    assert.equal(d.code, 0, `kubectl diff --server-side -k deploy/:\n${d.stdout}`);
    // And back: a client-side apply after the server-side one is accepted too.
    await k.ok(['apply', '-k', DEPLOY]);
  });

  it('the registry overlay of docs/operations.md (Install, step 1) applies and rewrites the image', async () => {
    const doc = readFileSync(DOCS, 'utf8');
    // The block sits in a list item: strip its indentation.
    const m = /^( *)```yaml\n\1# overlays\/prod\/kustomization\.yaml\n([\s\S]*?)\n\1```/m.exec(doc);
    const indent = m?.[1] ?? '';
    const yaml = m?.[2]?.split('\n').map((l) => l.slice(indent.length)).join('\n');
    assert.ok(yaml !== undefined, 'docs/operations.md has no overlays/prod/kustomization.yaml block');
    const root = join(k.dir, 'overlay-root');
    await mkdir(join(root, 'overlays', 'prod'), { recursive: true });
    await symlink(DEPLOY, join(root, 'deploy'));
    await writeFile(join(root, 'overlays', 'prod', 'kustomization.yaml'), `${yaml}\n`);
    const overlay = join(root, 'overlays', 'prod');
    const images = [...(await k.ok(['kustomize', overlay])).matchAll(/image: (\S+)/g)].map((x) => x[1]);
    assert.deepEqual(images, ['registry.example/herald:0.1.0', 'registry.example/herald:0.1.0']);
    await k.ok(['apply', '--dry-run=server', '-k', overlay]);
  });

  const exampleFiles = readdirSync(join(DEPLOY, 'examples')).filter((f) => /\.ya?ml$/.test(f)).sort();

  it('every file in deploy/examples/ is accepted, each object created as written', async () => {
    assert.ok(exampleFiles.length >= 9, `the glob found ${exampleFiles.length} example files`);
    for (const f of exampleFiles) {
      const path = join(DEPLOY, 'examples', f);
      const docs = parseAllDocuments(readFileSync(path, 'utf8'));
      assert.ok(Array.isArray(docs));
      const r = await k.run(['apply', '-f', path]);
      assert.equal(r.code, 0, `${f}: ${r.stderr}`);
      assert.equal(r.stderr, '', `${f}: warnings`);
      const lines = applied(r.stdout);
      assert.equal(lines.length, docs.filter((d) => d.toJS() !== null).length, `${f}: ${r.stdout}`);
      for (const [o, action] of lines) assert.equal(action, 'created', `${f}: ${o}`);
    }
  });

  // A status as the controller writes it, for every example object, so that every column has a value.
  const STATUS: Record<string, Obj> = {
    IPPool: {
      ipsTotal: '18446744073709551616',
      ipsUsed: '3',
      ipsReserved: '2',
      ipsAvailable: '18446744073709551611',
      observedGeneration: 1,
      conditions: [
        { type: 'Conflict', status: 'False', reason: 'Resolved', message: 'no overlap with another pool or within this pool', lastTransitionTime: '2025-01-01T00:00:00Z', observedGeneration: 1 },
        { type: 'Valid', status: 'True', reason: 'Valid', message: 'every block is valid', lastTransitionTime: '2025-01-01T00:00:00Z', observedGeneration: 1 },
      ],
    },
    valid: { observedGeneration: 1, conditions: [{ type: 'Valid', status: 'True', reason: 'Valid', message: 'in use', lastTransitionTime: '2025-01-01T00:00:00Z', observedGeneration: 1 }] },
  };

  // What `kubectl get` shows for one example of each kind (AGE aside), as a user reads it.
  const ROWS: Record<string, [string, Record<string, string>]> = {
    IPPool: ['ipv4-default', { NAME: 'ipv4-default', DISABLED: 'false', VALID: 'True', CONFLICTING: 'False', 'IPS AVAILABLE': '18446744073709551611' }],
    L2AnnouncementPolicy: ['edge', { NAME: 'edge', VALID: 'True', 'LB IPS': 'true', 'EXTERNAL IPS': 'true' }],
    BGPPeer: ['tor-b', { NAME: 'tor-b', 'PEER ADDRESS': '2001:db8::1', 'PEER ASN': '65000', 'LOCAL ASN': '64512', VALID: 'True' }],
    BGPAnnouncementPolicy: ['public', { NAME: 'public', VALID: 'True', 'LB IPS': 'true', 'EXTERNAL IPS': 'false' }],
  };

  it('kubectl get shows every printer column of every CRD, each with a sensible value', async () => {
    assert.deepEqual(Object.keys(ROWS).sort(), crds.map((c) => c.kind).sort(), 'a CRD without an expected row');
    for (const crd of crds) {
      const names = (await k.ok(['get', crd.plural, '-o', 'name'])).trim().split('\n').filter((n) => n !== '');
      assert.ok(names.length >= 2, `${crd.kind}: the examples hold ${names.length} objects`);
      const status = STATUS[crd.kind] ?? STATUS['valid'];
      await mapLimit(names, 4, (n) => k.ok(['patch', n, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]));
      const table = parseTable(await k.ok(['get', crd.plural]));
      const header = ['NAME', ...crd.columns.filter((c) => c.priority === 0).map((c) => c.name.toUpperCase())];
      assert.deepEqual(Object.keys(table[0] ?? {}), header, crd.kind);
      for (const row of table) {
        for (const [col, cell] of Object.entries(row)) assert.notEqual(cell, '', `${crd.kind} ${row['NAME']}: column ${col} is empty`);
        assert.match(row['AGE'] ?? '', /^[0-9]+[smh]/, `${crd.kind} ${row['NAME']}: AGE`);
      }
      const [name, want] = ROWS[crd.kind] ?? ['', {}];
      const row = table.find((r) => r['NAME'] === name);
      assert.ok(row !== undefined, `${crd.kind} ${name} not listed`);
      const { AGE: _age, ...shown } = row;
      assert.deepEqual(shown, want, crd.kind);
    }
  });

  it('every short name lists its kind', async () => {
    for (const crd of crds) {
      assert.ok(crd.shortNames.length >= 1, crd.kind);
      for (const s of crd.shortNames) assert.deepEqual(await k.ok(['get', s, '-o', 'name']), await k.ok(['get', crd.plural, '-o', 'name']), s);
    }
  });

  /** `kubectl explain` paths of every object node of a CRD's schema (arrays of objects through their items). */
  function explainable(crd: Crd): { path: string; properties: string[] }[] {
    return schemaNodes(crd.schema)
      .filter(({ path, node }) => path[0] !== 'metadata' && isObj(node['properties']))
      .map(({ path, node }) => ({ path: [crd.plural, ...path.filter((s) => s !== '[]')].join('.'), properties: Object.keys(obj(node['properties'], 'properties')).sort() }));
  }

  it('kubectl explain describes each kind and every field of every CRD', async () => {
    let fields = 0;
    for (const crd of crds) {
      const pages = explainable(crd);
      assert.ok(pages.length >= 3, `${crd.kind}: ${pages.length} object nodes`);
      await mapLimit(pages, 4, async ({ path, properties }) => {
        const text = await k.ok(['explain', path]);
        assert.ok(explainDescription(text).length >= 20, `kubectl explain ${path}: no description\n${text}`);
        const listed = explainFields(text);
        assert.deepEqual([...listed.keys()].sort(), properties, `kubectl explain ${path}: fields`);
        for (const [f, d] of listed) assert.ok(d.length >= 10, `kubectl explain ${path}: ${f} has no description`);
        fields += listed.size;
      });
    }
    assert.ok(fields >= 100, `explain showed only ${fields} fields`);
  });
});
