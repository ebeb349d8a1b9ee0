// What the real kubectl does against the stand-in (`herald dev apiserver`), pinned so that a change
// either way is seen (docs/devapi.md, "kubectl and the stand-in"; issue #8). The stand-in serves
// no OpenAPI, no server-side apply, no Table and only the built-in kinds Herald itself uses, so
// `kubectl apply -k deploy/` fails there; deploy/ is proven on the real server instead
// (kubectl-apply.test.ts). Runs in the stand-in pass; needs only the kubectl binary.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { findBinaries } from '../../src/controlplane/binaries.ts';
import { startDevApiServer, type DevApiServer } from '../../src/devapi/server.ts';
import { DEPLOY } from './crds.ts';
import { kubectlSession, type KubectlSession } from './kubectl.ts';

const binaries = findBinaries();
const CHANGED = 'the stand-in changed what kubectl can do: update docs/devapi.md, "kubectl and the stand-in", and this test';

describe('kubectl against the stand-in', { skip: binaries.ok ? false : `needs the kubectl binary: ${binaries.ok ? '' : binaries.message}` }, () => {
  let dev: DevApiServer;
  let k: KubectlSession;
  before(async () => {
    if (!binaries.ok) return;
    dev = await startDevApiServer({ host: '127.0.0.1', port: 0, crdDirs: [], includeDeployCrds: false });
    k = await kubectlSession(binaries.value.kubectl, dev.kubeconfigYaml());
  });
  after(async () => {
    await k?.close();
    await dev?.close();
  });

  it('kubectl apply -k deploy/ fails: kubectl validates against OpenAPI, which the stand-in does not serve', async () => {
    for (const args of [['apply', '-k', DEPLOY], ['apply', '--server-side', '-k', DEPLOY], ['apply', '-f', join(DEPLOY, 'examples')]]) {
      const r = await k.run(args);
      assert.equal(r.code, 1, `kubectl ${args.join(' ')}: ${CHANGED}`);
      assert.match(r.stderr, /error validating data: failed to download openapi: the server could not find the requested resource/, CHANGED);
      assert.equal(r.stdout, '', 'nothing is applied');
    }
  });

  it('--server-side fails even without validation: no server-side apply', async () => {
    const r = await k.run(['apply', '--server-side', '--validate=false', '-f', join(DEPLOY, 'crds')]);
    assert.equal(r.code, 1, CHANGED);
    assert.match(r.stderr, /Server-side apply not available on the server/, CHANGED);
  });

  it('with --validate=false: the Namespace and CRDs apply, the built-in kinds Herald does not use have no mapping', async () => {
    const r = await k.run(['apply', '--validate=false', '-k', DEPLOY]);
    assert.equal(r.code, 1, CHANGED);
    const done = r.stdout.trim().split('\n').sort();
    assert.deepEqual(done, [
      'customresourcedefinition.apiextensions.k8s.io/bgpannouncementpolicies.herald.dev created',
      'customresourcedefinition.apiextensions.k8s.io/bgppeers.herald.dev created',
      'customresourcedefinition.apiextensions.k8s.io/ippools.herald.dev created',
      'customresourcedefinition.apiextensions.k8s.io/l2announcementpolicies.herald.dev created',
      'namespace/herald-system created',
    ], CHANGED);
    const unmapped = [...r.stderr.matchAll(/no matches for kind "(\w+)" in version "([\w./]+)"/g)].map((m) => `${m[2]}/${m[1]}`);
    assert.deepEqual([...new Set(unmapped)].sort(), [
      'apps/v1/DaemonSet',
      'apps/v1/Deployment',
      'rbac.authorization.k8s.io/v1/ClusterRole',
      'rbac.authorization.k8s.io/v1/ClusterRoleBinding',
      'rbac.authorization.k8s.io/v1/Role',
      'rbac.authorization.k8s.io/v1/RoleBinding',
      'v1/ServiceAccount',
    ], CHANGED);
  });

  it('with --validate=false the examples apply, and kubectl get shows no printer columns (no Table)', async () => {
    const r = await k.run(['apply', '--validate=false', '-f', join(DEPLOY, 'examples')]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes('ippool.herald.dev/ipv4-default created'), r.stdout);
    const header = (await k.ok(['get', 'ippools'])).split('\n')[0]?.trim().split(/\s{2,}/);
    assert.deepEqual(header, ['NAME', 'AGE'], CHANGED);
  });
});
