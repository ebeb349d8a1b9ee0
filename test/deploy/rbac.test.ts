// api-suite: least privilege of deploy/'s RBAC, proven on a real kube-apiserver (issue #8, point 3)
// docs/operations.md ("Permissions (RBAC)") lists what each ServiceAccount may do. deploy/'s
// Roles must grant exactly that: read statically in every pass, and in the real pass as the API
// server answers `kubectl auth can-i --list` after a fresh `kubectl apply --server-side -k deploy/`.
// A grant missing from the table or from deploy/ fails, and so does an extra one.
import { after, before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEPLOY } from './crds.ts';
import { eventually, mapLimit, REAL_ONLY, startKubectlCluster, type KubectlCluster } from './kubectl.ts';
import { canIGrants, difference, docGrants, docRows, HERALD_NAMESPACE, manifestGrants, SERVICE_ACCOUNTS } from './rbac-grants.ts';
import { loadYamlDocs } from './schema-check.ts';

const rows = docRows();
const manifests = loadYamlDocs(DEPLOY).filter((d) => !d.file.startsWith('examples/'));
/** herald-system, and a namespace where only the cluster-wide grants apply. */
const NAMESPACES = [HERALD_NAMESPACE, 'default'] as const;

function assertSame(expected: ReadonlySet<string>, actual: ReadonlySet<string>, what: string): void {
  const [missing, extra] = difference(expected, actual);
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `${what}: missing is granted by docs/operations.md but not here, extra the reverse`);
}

test('the RBAC table of docs/operations.md: one row per grant, for Herald\'s ServiceAccounts, in known scopes', () => {
  assert.ok(rows.length >= 20, `${rows.length} rows`);
  for (const sa of SERVICE_ACCOUNTS) assert.ok(rows.some((r) => r.serviceAccount === sa), sa);
  const seen = new Set<string>();
  for (const r of rows) {
    assert.ok((SERVICE_ACCOUNTS as readonly string[]).includes(r.serviceAccount), r.serviceAccount);
    assert.ok(r.scope === 'cluster' || r.scope === HERALD_NAMESPACE, `${r.resource}: scope ${r.scope}`);
    assert.match(r.resource, /^[a-z0-9]+(\.[a-z0-9.-]+)?(\/[a-z]+)?$/, r.resource);
    for (const v of r.verbs) assert.match(v, /^(get|list|watch|create|update|patch|delete)$/, `${r.resource}: verb ${v}`);
    const key = `${r.serviceAccount} ${r.resource} ${r.name} ${r.scope}`;
    assert.ok(!seen.has(key), `two rows for ${key}`);
    seen.add(key);
  }
});

test('deploy/\'s Roles and bindings grant exactly the table\'s rows (read from the manifests)', () => {
  for (const sa of SERVICE_ACCOUNTS) for (const ns of NAMESPACES) assertSame(docGrants(rows, sa, ns), manifestGrants(manifests, sa, ns), `${sa} in ${ns}`);
});

test('the comparison sees a grant missing from either side', () => {
  const [first, ...rest] = rows;
  assert.ok(first !== undefined);
  const all = docGrants(rows, first.serviceAccount, HERALD_NAMESPACE);
  const fewer = docGrants(rest, first.serviceAccount, HERALD_NAMESPACE);
  const [missing, extra] = difference(fewer, all);
  assert.deepEqual(missing, []);
  assert.deepEqual(extra, first.verbs.map((v) => `${v} ${first.resource} ${first.name === '' ? '*' : first.name}`).sort());
});

describe('kubectl auth can-i --list on a real kube-apiserver', { skip: REAL_ONLY }, () => {
  let k: KubectlCluster;
  before(async () => {
    k = await startKubectlCluster();
  });
  after(async () => k?.close());

  const canI = async (sa: string, ns: string): Promise<Set<string>> => canIGrants(await k.ok(['auth', 'can-i', '--list', `--as=system:serviceaccount:${HERALD_NAMESPACE}:${sa}`, '-n', ns]));

  it('a fresh server-side apply of deploy/ succeeds, and a second one changes nothing', async () => {
    const first = await k.ok(['apply', '--server-side', '-k', DEPLOY]);
    assert.ok(first.includes('clusterrole.rbac.authorization.k8s.io/herald-controller serverside-applied'), first);
    const rv = async (): Promise<string> => k.ok(['get', '-k', DEPLOY, '-o', 'jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion}{"\\n"}{end}']);
    await k.ok(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '-l', 'app.kubernetes.io/part-of=herald']);
    const before = await rv();
    await k.ok(['apply', '--server-side', '-k', DEPLOY]);
    assert.equal(await rv(), before);
  });

  // What any ServiceAccount of herald-system may do by the cluster's default roles (discovery,
  // self reviews): the same groups, no binding of its own.
  const baseline = (ns: string): Promise<Set<string>> => canI('herald-rbac-baseline', ns);

  // Herald's grants: what can-i lists for `sa` beyond the baseline.
  const granted = async (sa: string, ns: string): Promise<Set<string>> => {
    const base = await baseline(ns);
    assert.ok(base.has('create selfsubjectaccessreviews.authorization.k8s.io *'), `the baseline in ${ns} looks wrong: ${[...base].join(', ')}`);
    return new Set([...(await canI(sa, ns))].filter((g) => !base.has(g)));
  };

  it('each ServiceAccount may do exactly what docs/operations.md lists, in herald-system and elsewhere', async () => {
    for (const ns of NAMESPACES) {
      for (const sa of SERVICE_ACCOUNTS) {
        // The authorizer sees new RBAC through an informer: retry a moment before failing.
        await eventually(async () => assertSame(docGrants(rows, sa, ns), await granted(sa, ns), `kubectl auth can-i --list --as=…:${sa} -n ${ns}`));
      }
    }
  });

  it('cluster rows hold in every namespace at once (-A), herald-system rows only there', async () => {
    const checks = rows.flatMap((r) => r.verbs.map((verb) => ({ r, verb })));
    await mapLimit(checks, 4, async ({ r, verb }) => {
      const [resource = '', sub] = r.resource.split('/');
      const target = r.name === '' ? resource : `${resource}/${r.name}`;
      const args = ['auth', 'can-i', verb, target, ...(sub === undefined ? [] : [`--subresource=${sub}`]), `--as=system:serviceaccount:${HERALD_NAMESPACE}:${r.serviceAccount}`];
      const everywhere = await k.run([...args, '-A']);
      assert.equal(everywhere.stdout.trim(), r.scope === 'cluster' ? 'yes' : 'no', `${r.serviceAccount} ${verb} ${r.resource} -A (${r.scope}): ${everywhere.stderr}`);
      if (r.scope !== 'cluster') assert.equal((await k.run([...args, '-n', r.scope])).stdout.trim(), 'yes', `${r.serviceAccount} ${verb} ${r.resource} -n ${r.scope}`);
    });
  });

  it('an extra grant is caught: a Role bound to herald-speaker shows up as extra', async () => {
    await k.ok(['-n', HERALD_NAMESPACE, 'create', 'role', 'herald-test-extra', '--verb=get', '--resource=configmaps']);
    await k.ok(['-n', HERALD_NAMESPACE, 'create', 'rolebinding', 'herald-test-extra', '--role=herald-test-extra', `--serviceaccount=${HERALD_NAMESPACE}:herald-speaker`]);
    try {
      await eventually(async () => assert.deepEqual(difference(docGrants(rows, 'herald-speaker', HERALD_NAMESPACE), await granted('herald-speaker', HERALD_NAMESPACE)), [[], ['get configmaps *']]));
    } finally {
      await k.ok(['-n', HERALD_NAMESPACE, 'delete', 'rolebinding,role', 'herald-test-extra']);
    }
  });
});
