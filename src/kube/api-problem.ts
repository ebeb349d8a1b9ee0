// What went wrong between Herald and the API server, as a value (issue #13, issue #8 point 6):
// every failed request or answer becomes either nothing (a 404 on a Lease not created yet, a 409
// between racing writers: the protocol at work) or an ApiProblem with a stable code, a key (one
// per cause, so a cause is told once) and one line saying what is wrong, on which server, and what
// to do. Pure: the shells (api-health.ts, the commands) log it and put it on /readyz.

/** Herald's CRDs use CEL validation rules (`x-kubernetes-validations`): GA-enabled in 1.25. */
export const MIN_KUBERNETES = { major: 1, minor: 25 } as const;
/** The one command that installs every namespace, CRD and RBAC rule Herald needs (docs/operations.md). */
export const APPLY_DEPLOY = '`kubectl apply -k deploy/`';

export type ApiProblemCode =
  | 'API_UNREACHABLE'
  | 'API_TLS'
  | 'API_UNAUTHENTICATED'
  | 'API_FORBIDDEN'
  | 'API_NAMESPACE_MISSING'
  | 'API_CRD_MISSING'
  | 'API_RESOURCE_MISSING'
  | 'API_VERSION_TOO_OLD'
  | 'API_SERVER_ERROR';

export interface ApiProblem {
  readonly code: ApiProblemCode;
  /** One per cause: the same key is the same problem (told once, cleared once). */
  readonly key: string;
  /** One line: what is wrong (with the values), the server, what to do. */
  readonly message: string;
  /** The request it was met on, when known (for the clearing rule and the log). */
  readonly request?: ApiRequest;
  /** Code-specific facts: the errno of an unreachable server, the namespace, the HTTP status. */
  readonly detail?: string;
}

/** Who is asking: names the server in messages and the RBAC file that grants the permissions. */
export interface ProblemContext {
  server: string;
  /** e.g. "deploy/controller-rbac.yaml"; absent for a human's own credentials (herald status). */
  rbacFile?: string;
}

/** A request as the API server's authorizer sees it (k8s.io/apiserver RequestInfo). */
export interface ApiRequest {
  method: string;
  path: string;
  /** get, list, watch, create, update, patch, delete, deletecollection; or the method for a non-resource path. */
  verb: string;
  /** "" for the core group; undefined for a non-resource path (/version, /apis). */
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** What came back: an HTTP answer, or an error before any answer (no connection, TLS, timeout). */
export type ApiOutcome = { kind: 'answer'; status: number; body: string | undefined } | { kind: 'error'; error: unknown };

/** Parses /api/v1/... and /apis/group/version/... into verb, resource, namespace and name. */
export function describeRequest(method: string, pathWithQuery: string): ApiRequest {
  const [path = '', query = ''] = pathWithQuery.split('?', 2);
  const m = method.toUpperCase();
  const parts = path.split('/').filter((p) => p !== '').map((p) => decodeURIComponent(p));
  let rest: string[];
  let group: string;
  let version: string;
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    version = parts[1] ?? '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1] ?? '';
    version = parts[2] ?? '';
    rest = parts.slice(3);
  } else {
    return { method: m, path: pathWithQuery, verb: m.toLowerCase() };
  }
  let namespace: string | undefined;
  // "namespaces/NS/<resource>..." is namespaced; "namespaces" or "namespaces/NS" is the Namespace itself.
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource] = rest;
  const watch = /(?:^|&)watch=(?:true|1)(?:&|$)/.test(query);
  const verb =
    m === 'GET' ? (watch ? 'watch' : name === undefined ? 'list' : 'get')
    : m === 'POST' ? 'create'
    : m === 'PUT' ? 'update'
    : m === 'PATCH' ? 'patch'
    : m === 'DELETE' ? (name === undefined ? 'deletecollection' : 'delete')
    : m.toLowerCase();
  return {
    method: m,
    path: pathWithQuery,
    verb,
    group,
    version,
    ...(resource === undefined ? {} : { resource }),
    ...(subresource === undefined ? {} : { subresource }),
    ...(namespace === undefined ? {} : { namespace }),
    ...(name === undefined ? {} : { name }),
  };
}

/** "ippools.herald.dev", "leases.coordination.k8s.io", "nodes", "services/status". */
export function resourceName(resource: string, group: string | undefined, subresource?: string): string {
  const r = subresource === undefined ? resource : `${resource}/${subresource}`;
  return group === undefined || group === '' ? r : `${r}.${group}`;
}

interface StatusBody {
  message?: string;
  reason?: string;
  details?: { name?: string; kind?: string; group?: string };
}

/** A metav1.Status answer, or undefined for any other body ("404 page not found"). */
export function parseStatus(body: string | undefined): StatusBody | undefined {
  if (body === undefined || body.trim() === '') return undefined;
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || !('kind' in v) || v.kind !== 'Status') return undefined;
  return v as StatusBody;
}

// "User "system:serviceaccount:ns:sa" cannot list resource "ippools" in API group "herald.dev" at
// the cluster scope" / "... in the namespace "herald-system"" (k8s.io/apiserver forbidden.go).
const FORBIDDEN = /User "([^"]*)" cannot (\S+) resource "([^"]*)" in API group "([^"]*)"(?: in the namespace "([^"]*)"| at the cluster scope)?/;

/** "the API server https://10.0.0.1:6443", or just "the API server" when the address is unknown. */
function theServer(ctx: ProblemContext): string {
  return ctx.server === '' ? 'the API server' : `the API server ${ctx.server}`;
}

function scopeText(namespace: string | undefined): string {
  return namespace === undefined ? 'at the cluster scope' : `in namespace "${namespace}"`;
}

/** The first errno-like code down an error's `cause` chain (fetch wraps it; happy eyeballs aggregates). */
export function rootCause(err: unknown): { code: string | undefined; message: string; name: string; hostname?: string } {
  let e: unknown = err;
  for (let depth = 0; depth < 8; depth++) {
    if (e instanceof AggregateError && e.errors.length > 0) {
      e = e.errors[0];
      continue;
    }
    if (typeof e === 'object' && e !== null) {
      const code = 'code' in e && typeof e.code === 'string' ? e.code : undefined;
      const cause = 'cause' in e ? e.cause : undefined;
      if (code === undefined && cause !== undefined && cause !== null) {
        e = cause;
        continue;
      }
      const message = e instanceof Error ? e.message : String(e);
      const name = e instanceof Error || (typeof DOMException !== 'undefined' && e instanceof DOMException) ? (e as Error).name : 'Error';
      const hostname = 'hostname' in e && typeof e.hostname === 'string' ? e.hostname : undefined;
      return hostname === undefined ? { code, message, name } : { code, message, name, hostname };
    }
    break;
  }
  return { code: undefined, message: String(e), name: 'Error' };
}

const UNREACHABLE: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
  EHOSTDOWN: 'host is down',
  ETIMEDOUT: 'timed out',
  UND_ERR_CONNECT_TIMEOUT: 'timed out connecting',
  UND_ERR_HEADERS_TIMEOUT: 'timed out waiting for an answer',
  UND_ERR_BODY_TIMEOUT: 'timed out reading the answer',
  UND_ERR_SOCKET: 'the connection closed before an answer',
  UND_ERR_CLOSED: 'the connection closed before an answer',
  EPIPE: 'the connection closed before an answer',
};

const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA']);

function tlsCode(code: string | undefined, message: string): boolean {
  if (code === undefined) return /certificate|ssl|tls/i.test(message);
  return /^(CERT_|ERR_TLS_|ERR_SSL_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|EPROTO$|HOSTNAME_MISMATCH$)/.test(code);
}

/** A transport failure: no answer at all. */
function classifyError(err: unknown, ctx: ProblemContext): ApiProblem | null {
  const c = rootCause(err);
  // The caller gave up on purpose (a watch closed at shutdown): nothing went wrong.
  if (c.name === 'AbortError') return null;
  const server = theServer(ctx);
  if (c.name === 'TimeoutError') {
    return { code: 'API_UNREACHABLE', key: 'API_UNREACHABLE:timeout', detail: 'timeout', message: `cannot reach ${server}: no answer in time (timed out); check the address in the kubeconfig and any firewall between this host and the API server` };
  }
  if (c.code !== undefined && DNS.has(c.code)) {
    const host = c.hostname ?? hostOf(ctx.server);
    return { code: 'API_UNREACHABLE', key: `API_UNREACHABLE:${c.code}`, detail: c.code, message: `cannot reach ${server}: DNS cannot resolve "${host}" (${c.code}); check the server name in the kubeconfig and this host's DNS` };
  }
  if (tlsCode(c.code, c.message)) {
    const code = c.code ?? 'TLS';
    const fix =
      code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? `the server's certificate is not valid for "${hostOf(ctx.server)}": use an address its certificate names`
      : /^ERR_SSL_(WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG)$/.test(code) ? 'the server does not speak TLS there: check the scheme and port of the server address'
      : c.code === 'CERT_HAS_EXPIRED' ? "the server's certificate has expired: renew the cluster's certificates"
      : "the kubeconfig's certificate-authority(-data) must be the CA that signed the API server's certificate";
    return { code: 'API_TLS', key: `API_TLS:${code}`, detail: code, message: `TLS with ${server} failed: ${c.message} (${code}); ${fix}` };
  }
  if (c.code !== undefined && UNREACHABLE[c.code] !== undefined) {
    const what = UNREACHABLE[c.code] ?? c.code;
    const fix = c.code === 'ECONNREFUSED' ? 'check that kube-apiserver runs and that the kubeconfig names its address and port' : 'check the address in the kubeconfig and the network between this host and the API server';
    return { code: 'API_UNREACHABLE', key: `API_UNREACHABLE:${c.code}`, detail: c.code, message: `cannot reach ${server}: ${what} (${c.code}); ${fix}` };
  }
  // Any other system error on the way is the network's too; a file that cannot be read (a CA
  // file named by the kubeconfig) is a local mistake the caller reports, not the server's.
  if (c.code !== undefined && /^E[A-Z]+$/.test(c.code) && !['ENOENT', 'EACCES', 'EISDIR', 'EPERM'].includes(c.code)) {
    return { code: 'API_UNREACHABLE', key: `API_UNREACHABLE:${c.code}`, detail: c.code, message: `cannot reach ${server}: ${c.message} (${c.code}); check the address in the kubeconfig and the network between this host and the API server` };
  }
  return null;
}

function hostOf(server: string): string {
  try {
    return new URL(server).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return server;
  }
}

/** An HTTP answer: a problem only for the statuses that say the environment is wrong. */
function classifyAnswer(status: number, body: string | undefined, req: ApiRequest | undefined, ctx: ProblemContext): ApiProblem | null {
  const server = theServer(ctx);
  const st = parseStatus(body);
  if (status === 401) {
    return { code: 'API_UNAUTHENTICATED', key: 'API_UNAUTHENTICATED', detail: '401', ...(req === undefined ? {} : { request: req }), message: `${server} refused Herald's credentials (401 Unauthorized): the token or client certificate in the kubeconfig (or the pod's ServiceAccount token) is wrong, expired or from another cluster; give Herald valid credentials for this cluster` };
  }
  if (status === 403) {
    const m = FORBIDDEN.exec(st?.message ?? '');
    const user = m?.[1];
    const verb = m?.[2] ?? req?.verb ?? req?.method ?? '?';
    const [res = req?.resource ?? '?', sub] = (m?.[3] ?? (req?.subresource === undefined ? req?.resource : `${req.resource}/${req.subresource}`) ?? '?').split('/');
    const group = m === null || m === undefined ? req?.group : m[4];
    const namespace = m === null || m === undefined ? req?.namespace : m[5];
    const what = resourceName(res, group, sub);
    const who = user === undefined ? 'Herald' : user;
    const fix = ctx.rbacFile === undefined ? `ask for that permission (\`kubectl auth can-i ${verb} ${what}${namespace === undefined ? '' : ` -n ${namespace}`}\` checks it)` : `grant it with Herald's RBAC: ${APPLY_DEPLOY} (${ctx.rbacFile})`;
    return {
      code: 'API_FORBIDDEN',
      key: `API_FORBIDDEN:${verb}:${what}:${namespace ?? ''}`,
      detail: `${verb} ${what}`,
      ...(req === undefined ? {} : { request: req }),
      message: `forbidden: ${who} may not ${verb} ${what} ${scopeText(namespace)} on ${server}; ${fix}`,
    };
  }
  if (status === 404) {
    if (req?.resource === undefined) return null;
    const what = resourceName(req.resource, req.group);
    if (st?.details?.kind === 'namespaces' && st.details.name !== undefined && req.resource !== 'namespaces' && st.details.name === req.namespace) {
      const ns = st.details.name;
      return { code: 'API_NAMESPACE_MISSING', key: `API_NAMESPACE_MISSING:${ns}`, detail: ns, request: req, message: `namespace "${ns}" does not exist on ${server}; create it with Herald's manifests, ${APPLY_DEPLOY}, or pass --namespace with the namespace Herald runs in` };
    }
    // A missing object answers a Status naming it; a resource the server does not serve answers
    // "404 page not found" (kube-apiserver) or a Status naming nothing (the stand-in).
    const served = st !== undefined && st.details?.name !== undefined && st.details.name !== '';
    if (served) return null;
    if (req.group === 'herald.dev') {
      // One cause for the whole group: the CRDs are installed together (deploy/crds/).
      return { code: 'API_CRD_MISSING', key: `API_CRD_MISSING:${req.group}`, detail: what, request: req, message: `${server} does not serve ${what} (${req.group}/${req.version ?? ''}): Herald's CRDs are not installed; install them with ${APPLY_DEPLOY}` };
    }
    return { code: 'API_RESOURCE_MISSING', key: `API_RESOURCE_MISSING:${what}`, detail: what, request: req, message: `${server} does not serve ${what} (${req.group === '' ? 'core' : req.group}/${req.version ?? ''}); Herald needs Kubernetes ${MIN_KUBERNETES.major}.${MIN_KUBERNETES.minor} or later` };
  }
  if (status >= 500) {
    const why = st?.message ?? (body ?? '').trim().split('\n')[0] ?? '';
    return { code: 'API_SERVER_ERROR', key: `API_SERVER_ERROR:${status}`, detail: String(status), ...(req === undefined ? {} : { request: req }), message: `${server} answers ${status}${why === '' ? '' : ` (${why.slice(0, 200)})`}; check kube-apiserver and etcd (\`kubectl get --raw '/readyz?verbose'\`)` };
  }
  return null;
}

/** The one classification: an answer or an error, on a request when known. */
export function classifyOutcome(outcome: ApiOutcome, req: ApiRequest | undefined, ctx: ProblemContext): ApiProblem | null {
  return outcome.kind === 'answer' ? classifyAnswer(outcome.status, outcome.body, req, ctx) : classifyError(outcome.error, ctx);
}

/**
 * What client-node threw, as an outcome: ApiException carries `code` (the status) and `body`;
 * a failed watch carries `statusCode`; anything else failed before an answer.
 */
export function outcomeOfThrown(err: unknown): ApiOutcome {
  if (typeof err === 'object' && err !== null) {
    const status = 'code' in err && typeof err.code === 'number' ? err.code : 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : undefined;
    if (status !== undefined) {
      const body = 'body' in err ? err.body : undefined;
      return { kind: 'answer', status, body: typeof body === 'string' ? body : body === undefined || body === null ? undefined : JSON.stringify(body) };
    }
  }
  return { kind: 'error', error: err };
}

/** Shorthand for a thrown error on a known request. */
export function classifyThrown(err: unknown, req: ApiRequest | undefined, ctx: ProblemContext): ApiProblem | null {
  return classifyOutcome(outcomeOfThrown(err), req, ctx);
}

/**
 * Does this answer show `p` is over? A transport problem ends with any answer; a 401 with any
 * other status; a 403 when the same verb on the same resource is answered otherwise; a missing
 * namespace or resource when a request in it succeeds. A server too old stays until a restart.
 */
export function clearedBy(p: ApiProblem, req: ApiRequest, status: number): boolean {
  switch (p.code) {
    case 'API_UNREACHABLE':
    case 'API_TLS':
      return true;
    case 'API_SERVER_ERROR':
      return status < 500;
    case 'API_UNAUTHENTICATED':
      return status !== 401;
    case 'API_FORBIDDEN':
      return status !== 403 && p.request !== undefined && req.verb === p.request.verb && req.resource === p.request.resource && req.group === p.request.group && req.namespace === p.request.namespace;
    case 'API_NAMESPACE_MISSING':
      return status < 300 && req.namespace === p.detail;
    case 'API_CRD_MISSING':
    case 'API_RESOURCE_MISSING':
      return status < 300 && p.request !== undefined && req.resource === p.request.resource && req.group === p.request.group;
    case 'API_VERSION_TOO_OLD':
      return false;
  }
}

/** /version's major and minor ("1", "25+" on some providers) against MIN_KUBERNETES. */
/** The fields of a /version answer that versionProblem reads; anything else is dropped. */
export function versionInfo(v: unknown): { major?: string; minor?: string; gitVersion?: string } {
  const out: { major?: string; minor?: string; gitVersion?: string } = {};
  if (typeof v !== 'object' || v === null) return out;
  for (const k of ['major', 'minor', 'gitVersion'] as const) {
    const x: unknown = (v as Record<string, unknown>)[k];
    if (typeof x === 'string') out[k] = x;
  }
  return out;
}

export function versionProblem(info: { major?: string; minor?: string; gitVersion?: string }, ctx: ProblemContext): ApiProblem | null {
  const major = Number.parseInt(info.major ?? '', 10);
  const minor = Number.parseInt((info.minor ?? '').replace(/[^0-9].*$/, ''), 10);
  if (!Number.isInteger(major) || !Number.isInteger(minor)) return null;
  if (major > MIN_KUBERNETES.major || (major === MIN_KUBERNETES.major && minor >= MIN_KUBERNETES.minor)) return null;
  const v = info.gitVersion ?? `v${major}.${minor}`;
  return { code: 'API_VERSION_TOO_OLD', key: 'API_VERSION_TOO_OLD', detail: v, message: `${theServer(ctx)} runs Kubernetes ${v}; Herald needs ${MIN_KUBERNETES.major}.${MIN_KUBERNETES.minor} or later (its CRDs use CEL validation rules): upgrade the cluster` };
}

/** One line for a log or stderr: the classified message, else the error's first line. */
export function describeThrown(err: unknown, req: ApiRequest | undefined, ctx: ProblemContext): string {
  const p = classifyThrown(err, req, ctx);
  if (p !== null) return p.message;
  const o = outcomeOfThrown(err);
  if (o.kind === 'answer') {
    const st = parseStatus(o.body);
    return `${theServer(ctx)} answered ${o.status}${st?.message === undefined ? '' : `: ${st.message}`}`;
  }
  const c = rootCause(err);
  return c.code === undefined ? c.message : `${c.message} (${c.code})`;
}
