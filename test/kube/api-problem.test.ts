// The classification of API failures (issue #13, issue #8 point 6), table-driven. The bodies are
// what a real kube-apiserver v1.34 and the stand-in answered (captured from both); the errors
// have the shapes undici and Node give (fetch's TypeError with the cause, AggregateError from
// happy eyeballs, DOMException for a timeout). test/cli/api-errors.test.ts meets them for real.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyOutcome, classifyThrown, clearedBy, describeRequest, describeThrown, outcomeOfThrown, versionProblem } from '../../src/kube/api-problem.ts';
import type { ApiOutcome, ApiProblemCode } from '../../src/kube/api-problem.ts';
import { errorMessage } from '../../src/kube/client.ts';

const SERVER = 'https://10.0.0.1:6443';
const CTX = { server: SERVER, rbacFile: 'deploy/controller-rbac.yaml' };

const status = (code: number, message: string, reason: string, details: object = {}): string => JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code });

// Real kube-apiserver answers.
const FORBIDDEN_LIST = status(403, 'ippools.herald.dev is forbidden: User "system:serviceaccount:herald-system:herald-controller" cannot list resource "ippools" in API group "herald.dev" at the cluster scope', 'Forbidden', { group: 'herald.dev', kind: 'ippools' });
const FORBIDDEN_CREATE = status(403, 'leases.coordination.k8s.io is forbidden: User "system:serviceaccount:x:nobody" cannot create resource "leases" in API group "coordination.k8s.io" in the namespace "herald-system"', 'Forbidden', { group: 'coordination.k8s.io', kind: 'leases' });
const FORBIDDEN_STATUS = status(403, 'services "web" is forbidden: User "system:serviceaccount:herald-system:herald-controller" cannot patch resource "services/status" in API group "" in the namespace "default"', 'Forbidden', { name: 'web', kind: 'services' });
const LEASE_NOT_FOUND = status(404, 'leases.coordination.k8s.io "herald-controller" not found', 'NotFound', { name: 'herald-controller', group: 'coordination.k8s.io', kind: 'leases' });
const NAMESPACE_NOT_FOUND = status(404, 'namespaces "herald-system" not found', 'NotFound', { name: 'herald-system', kind: 'namespaces' });
const PAGE_NOT_FOUND = '404 page not found\n';
// The stand-in for a resource it does not serve.
const STANDIN_NOT_SERVED = status(404, 'the server could not find the requested resource', 'NotFound', { causes: [{ reason: 'UnexpectedServerResponse', message: '404 page not found' }] });

const LEASES = '/apis/coordination.k8s.io/v1/namespaces/herald-system/leases';

function sysError(code: string, message: string, extra: object = {}): Error {
  return Object.assign(new Error(message), { code, ...extra });
}
/** What fetch throws: a TypeError whose cause is the system error. */
const fetchFailed = (cause: unknown): TypeError => new TypeError('fetch failed', { cause });

describe('describeRequest: a path as the authorizer reads it', () => {
  for (const [method, path, want] of [
    ['GET', '/api/v1/nodes', { verb: 'list', group: '', resource: 'nodes' }],
    ['GET', '/api/v1/nodes?watch=true&resourceVersion=5', { verb: 'watch', group: '', resource: 'nodes' }],
    ['GET', `${LEASES}/herald-controller`, { verb: 'get', group: 'coordination.k8s.io', resource: 'leases', namespace: 'herald-system', name: 'herald-controller' }],
    ['POST', LEASES, { verb: 'create', group: 'coordination.k8s.io', resource: 'leases', namespace: 'herald-system' }],
    ['PUT', '/apis/herald.dev/v1alpha1/ippools/p/status', { verb: 'update', group: 'herald.dev', resource: 'ippools', name: 'p', subresource: 'status' }],
    ['PATCH', '/api/v1/namespaces/default/services/web/status', { verb: 'patch', group: '', resource: 'services', namespace: 'default', name: 'web', subresource: 'status' }],
    ['DELETE', `${LEASES}/x`, { verb: 'delete', resource: 'leases', name: 'x' }],
    ['DELETE', LEASES, { verb: 'deletecollection', resource: 'leases' }],
    ['POST', '/api/v1/namespaces', { verb: 'create', resource: 'namespaces' }],
    ['GET', '/api/v1/namespaces/herald-system', { verb: 'get', resource: 'namespaces', name: 'herald-system' }],
    ['GET', '/version', { verb: 'get', resource: undefined }],
  ] as const) {
    it(`${method} ${path}`, () => {
      const r = describeRequest(method, path);
      for (const [k, v] of Object.entries(want)) assert.equal((r as unknown as Record<string, unknown>)[k], v, k);
    });
  }
});

describe('classifyOutcome: one cause, one code, one line', () => {
  const cases: { name: string; method: string; path: string; outcome: ApiOutcome; code: ApiProblemCode | null; line?: RegExp }[] = [
    { name: 'connection refused (fetch failed ← ECONNREFUSED)', method: 'GET', path: '/api/v1/nodes', outcome: { kind: 'error', error: fetchFailed(sysError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:6443')) }, code: 'API_UNREACHABLE', line: /^cannot reach the API server https:\/\/10\.0\.0\.1:6443: connection refused \(ECONNREFUSED\); check that kube-apiserver runs/ },
    { name: 'happy eyeballs: AggregateError of refusals', method: 'GET', path: '/api/v1/nodes', outcome: { kind: 'error', error: fetchFailed(new AggregateError([sysError('ECONNREFUSED', 'connect ECONNREFUSED ::1:6443'), sysError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:6443')])) }, code: 'API_UNREACHABLE', line: /connection refused/ },
    { name: 'DNS: no such host', method: 'GET', path: '/api/v1/nodes', outcome: { kind: 'error', error: fetchFailed(sysError('ENOTFOUND', 'getaddrinfo ENOTFOUND kube.example', { hostname: 'kube.example', syscall: 'getaddrinfo' })) }, code: 'API_UNREACHABLE', line: /DNS cannot resolve "kube\.example" \(ENOTFOUND\); check the server name in the kubeconfig and this host's DNS/ },
    { name: 'DNS: temporary failure', method: 'GET', path: '/api/v1/nodes', outcome: { kind: 'error', error: fetchFailed(sysError('EAI_AGAIN', 'getaddrinfo EAI_AGAIN kube.example', { hostname: 'kube.example' })) }, code: 'API_UNREACHABLE', line: /EAI_AGAIN/ },
    { name: 'connect timeout (undici)', method: 'GET', path: '/api/v1/nodes', outcome: { kind: 'error', error: fetchFailed(sysError('UND_ERR_CONNECT_TIMEOUT', 'Connect Timeout Error')) }, code: 'API_UNREACHABLE', line: /timed out connecting \(UND_ERR_CONNECT_TIMEOUT\)/ },
    { name: 'TCP timeout', method: 'GET', path: '/api/v1/nodes', outcome: { kind: 'error', error: fetchFailed(sysError('ETIMEDOUT', 'connect ETIMEDOUT 10.0.0.1:6443')) }, code: 'API_UNREACHABLE', line: /timed out \(ETIMEDOUT\)/ },
    { name: "a watch's connect timeout (DOMException TimeoutError)", method: 'GET', path: '/api/v1/nodes?watch=true', outcome: { kind: 'error', error: new DOMException('The operation was aborted due to timeout', 'TimeoutError') }, code: 'API_UNREACHABLE', line: /no answer in time/ },
    { name: 'a watch closed on purpose (AbortError) is nothing', method: 'GET', path: '/api/v1/nodes?watch=true', outcome: { kind: 'error', error: new DOMException('This operation was aborted', 'AbortError') }, code: null },
    { name: 'TLS: wrong CA', method: 'GET', path: '/api/v1/nodes', outcome: { kind: 'error', error: fetchFailed(sysError('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain')) }, code: 'API_TLS', line: /^TLS with the API server https:\/\/10\.0\.0\.1:6443 failed: self-signed certificate in certificate chain \(SELF_SIGNED_CERT_IN_CHAIN\); the kubeconfig's certificate-authority/ },
    { name: 'TLS: name not in the certificate', method: 'GET', path: '/api/v1/nodes', outcome: { kind: 'error', error: fetchFailed(sysError('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames")) }, code: 'API_TLS', line: /not valid for "10\.0\.0\.1"/ },
    { name: 'TLS: talking TLS to a plain-HTTP port', method: 'GET', path: '/api/v1/nodes', outcome: { kind: 'error', error: fetchFailed(sysError('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number')) }, code: 'API_TLS', line: /does not speak TLS/ },
    { name: 'TLS: expired certificate', method: 'GET', path: '/api/v1/nodes', outcome: { kind: 'error', error: fetchFailed(sysError('CERT_HAS_EXPIRED', 'certificate has expired')) }, code: 'API_TLS', line: /has expired/ },
    { name: 'a missing CA file is a local error, not the server', method: 'GET', path: '/api/v1/nodes', outcome: { kind: 'error', error: sysError('ENOENT', "ENOENT: no such file or directory, open '/ca.crt'") }, code: null },
    { name: '401', method: 'GET', path: '/api/v1/nodes', outcome: { kind: 'answer', status: 401, body: status(401, 'Unauthorized', 'Unauthorized') }, code: 'API_UNAUTHENTICATED', line: /refused Herald's credentials \(401 Unauthorized\)/ },
    { name: '403 list at the cluster scope', method: 'GET', path: '/apis/herald.dev/v1alpha1/ippools', outcome: { kind: 'answer', status: 403, body: FORBIDDEN_LIST }, code: 'API_FORBIDDEN', line: /^forbidden: system:serviceaccount:herald-system:herald-controller may not list ippools\.herald\.dev at the cluster scope on the API server https:\/\/10\.0\.0\.1:6443; grant it with Herald's RBAC: `kubectl apply -k deploy\/` \(deploy\/controller-rbac\.yaml\)$/ },
    { name: '403 create in a namespace', method: 'POST', path: LEASES, outcome: { kind: 'answer', status: 403, body: FORBIDDEN_CREATE }, code: 'API_FORBIDDEN', line: /may not create leases\.coordination\.k8s\.io in namespace "herald-system"/ },
    { name: '403 on a subresource', method: 'PATCH', path: '/api/v1/namespaces/default/services/web/status', outcome: { kind: 'answer', status: 403, body: FORBIDDEN_STATUS }, code: 'API_FORBIDDEN', line: /may not patch services\/status in namespace "default"/ },
    { name: '403 on a watch (no body: client-node keeps only the status)', method: 'GET', path: '/api/v1/nodes?watch=true', outcome: { kind: 'answer', status: 403, body: undefined }, code: 'API_FORBIDDEN', line: /^forbidden: Herald may not watch nodes at the cluster scope/ },
    { name: '404 on a Lease not created yet is nothing', method: 'GET', path: `${LEASES}/herald-controller`, outcome: { kind: 'answer', status: 404, body: LEASE_NOT_FOUND }, code: null },
    { name: '404 creating in a namespace that does not exist', method: 'POST', path: LEASES, outcome: { kind: 'answer', status: 404, body: NAMESPACE_NOT_FOUND }, code: 'API_NAMESPACE_MISSING', line: /^namespace "herald-system" does not exist on the API server https:\/\/10\.0\.0\.1:6443; create it with Herald's manifests, `kubectl apply -k deploy\/`/ },
    { name: '404 page not found on a herald.dev resource (real server)', method: 'GET', path: '/apis/herald.dev/v1alpha1/ippools', outcome: { kind: 'answer', status: 404, body: PAGE_NOT_FOUND }, code: 'API_CRD_MISSING', line: /does not serve ippools\.herald\.dev \(herald\.dev\/v1alpha1\): Herald's CRDs are not installed; install them with `kubectl apply -k deploy\/`/ },
    { name: '404 Status naming nothing on a herald.dev resource (stand-in)', method: 'GET', path: '/apis/herald.dev/v1alpha1/bgppeers', outcome: { kind: 'answer', status: 404, body: STANDIN_NOT_SERVED }, code: 'API_CRD_MISSING' },
    { name: '404 on a built-in resource the server does not serve', method: 'GET', path: '/apis/discovery.k8s.io/v1/endpointslices', outcome: { kind: 'answer', status: 404, body: PAGE_NOT_FOUND }, code: 'API_RESOURCE_MISSING', line: /does not serve endpointslices\.discovery\.k8s\.io \(discovery\.k8s\.io\/v1\); Herald needs Kubernetes 1\.25 or later/ },
    { name: '409 between racing writers is nothing', method: 'PUT', path: `${LEASES}/herald-controller`, outcome: { kind: 'answer', status: 409, body: status(409, 'Operation cannot be fulfilled', 'Conflict') }, code: null },
    { name: '422 is the caller\'s to report', method: 'PUT', path: '/apis/herald.dev/v1alpha1/ippools/p/status', outcome: { kind: 'answer', status: 422, body: status(422, 'invalid', 'Invalid') }, code: null },
    { name: '503 from an API server without etcd', method: 'GET', path: '/api/v1/nodes', outcome: { kind: 'answer', status: 503, body: status(503, 'etcdserver: request timed out', 'ServiceUnavailable') }, code: 'API_SERVER_ERROR', line: /answers 503 \(etcdserver: request timed out\); check kube-apiserver and etcd/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p = classifyOutcome(c.outcome, describeRequest(c.method, c.path), CTX);
      assert.equal(p?.code ?? null, c.code);
      if (c.line !== undefined) assert.match(p?.message ?? '', c.line);
      // One line, always.
      if (p !== null) assert.ok(!p.message.includes('\n'));
    });
  }

  it('a person\'s own credentials (herald status): the fix is to ask, not to apply Herald\'s RBAC', () => {
    const p = classifyOutcome({ kind: 'answer', status: 403, body: FORBIDDEN_CREATE }, describeRequest('POST', LEASES), { server: SERVER });
    assert.match(p?.message ?? '', /ask for that permission \(`kubectl auth can-i create leases\.coordination\.k8s\.io -n herald-system` checks it\)/);
  });

  it('without a known server address the line still reads', () => {
    const p = classifyOutcome({ kind: 'error', error: fetchFailed(sysError('ECONNREFUSED', 'refused')) }, undefined, { server: '' });
    assert.match(p?.message ?? '', /^cannot reach the API server: connection refused/);
  });

  it('one key per cause: the same 403 twice is one problem, another verb is another', () => {
    const a = classifyOutcome({ kind: 'answer', status: 403, body: FORBIDDEN_LIST }, describeRequest('GET', '/apis/herald.dev/v1alpha1/ippools'), CTX);
    const b = classifyOutcome({ kind: 'answer', status: 403, body: FORBIDDEN_LIST }, describeRequest('GET', '/apis/herald.dev/v1alpha1/ippools'), CTX);
    const c = classifyOutcome({ kind: 'answer', status: 403, body: FORBIDDEN_CREATE }, describeRequest('POST', LEASES), CTX);
    assert.equal(a?.key, b?.key);
    assert.notEqual(a?.key, c?.key);
  });

  it('every missing herald.dev CRD is one cause (they are installed together)', () => {
    const a = classifyOutcome({ kind: 'answer', status: 404, body: PAGE_NOT_FOUND }, describeRequest('GET', '/apis/herald.dev/v1alpha1/ippools'), CTX);
    const b = classifyOutcome({ kind: 'answer', status: 404, body: PAGE_NOT_FOUND }, describeRequest('GET', '/apis/herald.dev/v1alpha1/bgppeers'), CTX);
    assert.equal(a?.key, b?.key);
  });
});

describe('what client-node throws', () => {
  // client-node 2.x: ApiException with `code` and the body as text; a watch: Error with statusCode.
  const apiException = Object.assign(new Error('HTTP-Code: 404\nMessage: Unknown API Status Code!\nBody: ...'), { code: 404, body: NAMESPACE_NOT_FOUND, headers: {} });
  it('ApiException → an answer with its status and body', () => {
    assert.deepEqual(outcomeOfThrown(apiException), { kind: 'answer', status: 404, body: NAMESPACE_NOT_FOUND });
    assert.equal(classifyThrown(apiException, describeRequest('POST', LEASES), CTX)?.code, 'API_NAMESPACE_MISSING');
  });
  it('a failed watch (Error with statusCode) → an answer', () => {
    assert.deepEqual(outcomeOfThrown(Object.assign(new Error('Forbidden'), { statusCode: 403 })), { kind: 'answer', status: 403, body: undefined });
  });
  it('errorMessage says the Status message, not "HTTP-Code: 404"', () => {
    assert.equal(errorMessage(apiException), 'HTTP 404: namespaces "herald-system" not found');
    assert.equal(errorMessage(Object.assign(new Error('HTTP-Code: 404'), { code: 404, body: PAGE_NOT_FOUND })), 'HTTP 404: 404 page not found');
    assert.equal(errorMessage(fetchFailed(sysError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:6443'))), 'connect ECONNREFUSED 10.0.0.1:6443');
  });
  it('describeThrown falls back to the status and its message for what is not an environment problem', () => {
    const conflict = Object.assign(new Error('HTTP-Code: 409'), { code: 409, body: status(409, 'the object has been modified', 'Conflict') });
    assert.equal(describeThrown(conflict, undefined, CTX), 'the API server https://10.0.0.1:6443 answered 409: the object has been modified');
  });
});

describe('clearedBy: when a problem is over', () => {
  const req = (m: string, p: string): ReturnType<typeof describeRequest> => describeRequest(m, p);
  const problem = (outcome: ApiOutcome, m: string, p: string): NonNullable<ReturnType<typeof classifyOutcome>> => {
    const r = classifyOutcome(outcome, req(m, p), CTX);
    assert.ok(r !== null);
    return r;
  };
  it('unreachable and TLS: by any answer', () => {
    const p = problem({ kind: 'error', error: fetchFailed(sysError('ECONNREFUSED', 'x')) }, 'GET', '/api/v1/nodes');
    assert.equal(clearedBy(p, req('GET', '/apis/herald.dev/v1alpha1/ippools'), 403), true);
  });
  it('401: by any other status', () => {
    const p = problem({ kind: 'answer', status: 401, body: undefined }, 'GET', '/api/v1/nodes');
    assert.equal(clearedBy(p, req('GET', '/api/v1/nodes'), 401), false);
    assert.equal(clearedBy(p, req('GET', '/api/v1/nodes'), 403), true);
  });
  it('403: only by the same verb on the same resource and namespace', () => {
    const p = problem({ kind: 'answer', status: 403, body: FORBIDDEN_CREATE }, 'POST', LEASES);
    assert.equal(clearedBy(p, req('GET', `${LEASES}/x`), 200), false);
    assert.equal(clearedBy(p, req('POST', '/apis/coordination.k8s.io/v1/namespaces/other/leases'), 201), false);
    assert.equal(clearedBy(p, req('POST', LEASES), 201), true);
  });
  it('a missing namespace: by a success in it (a 404 on an object there proves nothing)', () => {
    const p = problem({ kind: 'answer', status: 404, body: NAMESPACE_NOT_FOUND }, 'POST', LEASES);
    assert.equal(clearedBy(p, req('GET', `${LEASES}/herald-controller`), 404), false);
    assert.equal(clearedBy(p, req('POST', LEASES), 201), true);
  });
  it('a missing CRD: by a success on that resource', () => {
    const p = problem({ kind: 'answer', status: 404, body: PAGE_NOT_FOUND }, 'GET', '/apis/herald.dev/v1alpha1/ippools');
    assert.equal(clearedBy(p, req('GET', '/apis/herald.dev/v1alpha1/bgppeers'), 200), false);
    assert.equal(clearedBy(p, req('GET', '/apis/herald.dev/v1alpha1/ippools?watch=true'), 200), true);
  });
  it('a server error: by any answer below 500', () => {
    const p = problem({ kind: 'answer', status: 503, body: undefined }, 'GET', '/api/v1/nodes');
    assert.equal(clearedBy(p, req('GET', '/api/v1/nodes'), 504), false);
    assert.equal(clearedBy(p, req('GET', '/api/v1/nodes'), 200), true);
  });
});

describe('versionProblem: Kubernetes 1.25 or later', () => {
  for (const [info, old] of [
    [{ major: '1', minor: '24', gitVersion: 'v1.24.17' }, true],
    [{ major: '1', minor: '22+', gitVersion: 'v1.22.3-eks-1' }, true],
    [{ major: '1', minor: '25', gitVersion: 'v1.25.0' }, false],
    [{ major: '1', minor: '34', gitVersion: 'v1.34.4' }, false],
    [{ major: '1', minor: '33', gitVersion: 'v1.33.0-herald-dev' }, false],
    [{ major: '2', minor: '0' }, false],
    [{ major: '', minor: '' }, false],
  ] as const) {
    it(`${info.gitVersion ?? `${info.major}.${info.minor}`} → ${old ? 'too old' : 'fine'}`, () => {
      const p = versionProblem(info, CTX);
      assert.equal(p !== null, old);
      if (p !== null) assert.match(p.message, /runs Kubernetes v1\.2\d[^ ]*; Herald needs 1\.25 or later .*: upgrade the cluster$/);
    });
  }
});
