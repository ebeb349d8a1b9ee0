// Loading credentials, every way it goes wrong as a value with a stable code (issue #13).
// test/cli/first-contact.test.ts runs the same files through `herald controller`.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeconfig } from '../../src/kube/kubeconfig.ts';
import type { KubeconfigProblemCode } from '../../src/kube/kubeconfig.ts';
import { namespaceProblem, nodeNameProblem } from '../../src/api/k8s-names.ts';

const dir = mkdtempSync(join(tmpdir(), 'herald-kubeconfig-'));
after(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
const kubeconfig = (o: { server?: string; current?: string; cluster?: string; user?: string; ca?: string } = {}): string =>
  [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: c',
    `  cluster: {server: "${o.server ?? 'https://10.0.0.1:6443'}"${o.ca === undefined ? '' : `, certificate-authority: "${o.ca}"`}}`,
    'users:',
    '- name: u',
    '  user: {token: t}',
    'contexts:',
    '- name: ctx',
    `  context: {cluster: ${o.cluster ?? 'c'}, user: ${o.user ?? 'u'}}`,
    `current-context: "${o.current ?? 'ctx'}"`,
    '',
  ].join('\n');

describe('loadKubeconfig', () => {
  it('a good file loads, with its server', () => {
    const r = loadKubeconfig(file('good', kubeconfig()), {});
    assert.ok(r.ok);
    assert.equal(r.server, 'https://10.0.0.1:6443');
  });

  const cases: [string, string | undefined, NodeJS.ProcessEnv, KubeconfigProblemCode, RegExp][] = [
    ['a path that does not exist', '/nonexistent/kubeconfig', {}, 'KUBECONFIG_NOT_FOUND', /^kubeconfig "\/nonexistent\/kubeconfig" does not exist; pass the path of a kubeconfig file/],
    ['an empty path', '', {}, 'KUBECONFIG_NOT_FOUND', /--kubeconfig is empty/],
    ['a directory', dir, {}, 'KUBECONFIG_UNREADABLE', /it is a directory \(EISDIR\)/],
    ['YAML that does not parse', file('bad-yaml', 'apiVersion: v1\nclusters: [\n  - bad'), {}, 'KUBECONFIG_INVALID', /is not valid YAML \(line 3, column 3: missed comma between flow collection entries\)/],
    ['a scalar, not a kubeconfig', file('scalar', 'hello\n'), {}, 'KUBECONFIG_NO_CONTEXT', /has no current-context; choose one with `kubectl config use-context NAME/],
    ['no current-context', file('no-ctx', kubeconfig({ current: '' })), {}, 'KUBECONFIG_NO_CONTEXT', /has no current-context/],
    ['a current-context it does not define', file('bad-ctx', kubeconfig({ current: 'nope' })), {}, 'KUBECONFIG_NO_CONTEXT', /has current-context "nope", which it does not define/],
    ['a context naming a cluster it does not define', file('bad-cluster', kubeconfig({ cluster: 'gone' })), {}, 'KUBECONFIG_INCOMPLETE', /context "ctx" names cluster "gone", which the file does not define/],
    ['a context naming a user it does not define', file('bad-user', kubeconfig({ user: 'gone' })), {}, 'KUBECONFIG_INCOMPLETE', /names user "gone"/],
    ['a server that is not a URL', file('bad-server', kubeconfig({ server: 'not a url' })), {}, 'KUBECONFIG_BAD_SERVER', /has server "not a url", which is not an https:\/\/ URL; set it with `kubectl config set-cluster c --server=https:\/\/HOST:6443/],
    ['a CA file that does not exist', file('bad-ca', kubeconfig({ ca: '/nonexistent/ca.crt' })), {}, 'KUBECONFIG_FILE_MISSING', /names certificate-authority "\/nonexistent\/ca\.crt", which does not exist/],
    ['no --kubeconfig outside a pod', undefined, {}, 'NOT_IN_CLUSTER', /^no --kubeconfig given and not running in a pod \(\$KUBERNETES_SERVICE_HOST is not set\); pass --kubeconfig FILE/],
    ['no --kubeconfig outside a pod, with $KUBECONFIG set', undefined, { KUBECONFIG: '/home/me/.kube/config:/other' }, 'NOT_IN_CLUSTER', /pass --kubeconfig \/home\/me\/\.kube\/config \(\$KUBECONFIG is not read\)/],
    ['in a pod without its ServiceAccount token', undefined, { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, 'IN_CLUSTER_NO_TOKEN', /ServiceAccount token \/nonexistent\/token is not mounted/],
  ];
  for (const [name, path, env, code, message] of cases) {
    it(name, () => {
      const r = loadKubeconfig(path, env, '/nonexistent/token');
      assert.ok(!r.ok);
      assert.equal(r.problem.code, code);
      assert.match(r.problem.message, message);
      assert.ok(!r.problem.message.includes('\n'));
    });
  }

  it('relative file paths are taken from the kubeconfig\'s directory, like kubectl', () => {
    writeFileSync(join(dir, 'ca.crt'), 'not checked here');
    const r = loadKubeconfig(file('relative-ca', kubeconfig({ ca: 'ca.crt' })), {});
    assert.ok(r.ok);
  });
});

describe('names on the command line', () => {
  for (const [ns, ok] of [['herald-system', true], ['a', true], ['Herald', false], ['-x', false], ['x_y', false], ['a'.repeat(64), false]] as const) {
    it(`namespace "${ns.length > 20 ? `${ns.slice(0, 5)}…` : ns}" ${ok ? 'is' : 'is not'} valid`, () => assert.equal(namespaceProblem(ns) === null, ok));
  }
  for (const [node, ok] of [['node-a', true], ['worker-1.example.com', true], ['Node_A', false], ['a..b', false]] as const) {
    it(`node name "${node}" ${ok ? 'is' : 'is not'} valid`, () => assert.equal(nodeNameProblem(node) === null, ok));
  }
});
