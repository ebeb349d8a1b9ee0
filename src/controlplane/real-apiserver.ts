// A real control plane on this machine, the way controller-runtime's envtest runs one: etcd and
// kube-apiserver (built by scripts/cluster-binaries.sh) on free ports, with RBAC and Node
// authorization, a static admin token, and ServiceAccount tokens through TokenRequest (issue #8).
// Each instance has its own temporary directory and ports; close() stops both and removes it.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { findBinaries, type ControlPlaneBinaries } from './binaries.ts';
import { httpsCall, type HttpsTarget } from './https.ts';
import { startManaged, type ManagedProcess } from './process.ts';

export interface RealApiServerOptions {
  /** Address both listen on; also in the serving certificate (default 127.0.0.1). */
  host?: string;
  /** The address in the `default/kubernetes` Endpoints (default: host). */
  advertiseAddress?: string;
  /** Keep the directory (logs, certificates) after close (default false). */
  keepDir?: boolean;
}

export interface RealApiServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  readonly binaries: ControlPlaneBinaries;
  readonly admin: HttpsTarget;
  /** A kubeconfig with `token` (default: the admin's). */
  kubeconfigYaml(token?: string): string;
  /** Process ids of the running kube-apiserver and etcd (for benchmarks' CPU and memory figures). */
  pids(): { kubeApiserver: number | undefined; etcd: number | undefined };
  /** Stops kube-apiserver only (etcd keeps its data): an API outage. */
  stopApiServer(): Promise<void>;
  startApiServer(): Promise<void>;
  /** Stops etcd, deletes its data and starts it empty: kube-apiserver keeps running. */
  wipeEtcd(): Promise<void>;
  close(): Promise<void>;
}

export class ControlPlaneError extends Error {
  readonly code: 'CONTROL_PLANE_BINARIES' | 'CONTROL_PLANE_START';
  /** A start failed because a port was taken (bind: address already in use): worth a new try. */
  readonly portTaken: boolean;
  constructor(code: ControlPlaneError['code'], message: string, portTaken = false) {
    super(message);
    this.name = 'ControlPlaneError';
    this.code = code;
    this.portTaken = portTaken;
  }
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

async function waitFor(what: string, logFile: string, proc: ManagedProcess, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!proc.running()) throw new ControlPlaneError('CONTROL_PLANE_START', `${what} exited during start-up; its log is ${logFile}`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new ControlPlaneError('CONTROL_PLANE_START', `${what} not ready after ${timeoutMs / 1000} s; its log is ${logFile}`);
}

const DIR_PREFIX = 'herald-apiserver-';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the folders of control planes whose owner died without close() (SIGKILL, Ctrl-C): their
 * processes died with the owner (PR_SET_PDEATHSIG), only the files stay until the next start.
 */
async function sweepOrphans(): Promise<void> {
  for (const name of await readdir(tmpdir()).catch(() => [])) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const owner = Number(await readFile(join(tmpdir(), name, 'owner.pid'), 'utf8').catch(() => 'NaN'));
    if (Number.isInteger(owner) && !alive(owner)) await rm(join(tmpdir(), name), { recursive: true, force: true });
  }
}

/**
 * Start attempts when a port was taken between `freePort` and the server's bind: the ports are
 * found by binding port 0 and closing, and under a parallel suite an outgoing connection can take
 * the same ephemeral port meanwhile (CI, 2026-12-05: kube-apiserver exited during start-up).
 */
const PORT_RACE_ATTEMPTS = 3;

export async function startRealApiServer(opts: RealApiServerOptions = {}): Promise<RealApiServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (!(err instanceof ControlPlaneError && err.portTaken) || attempt >= PORT_RACE_ATTEMPTS) throw err;
    }
  }
}

/** The last lines of a log, for an error about a process whose directory is about to go. */
async function logTail(file: string, lines = 15): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

async function startOnce(opts: RealApiServerOptions): Promise<RealApiServer> {
  const found = findBinaries();
  if (!found.ok) throw new ControlPlaneError('CONTROL_PLANE_BINARIES', found.message);
  const bin = found.value;
  const host = opts.host ?? '127.0.0.1';
  const advertise = opts.advertiseAddress ?? host;
  await sweepOrphans();
  const dir = await mkdtemp(join(tmpdir(), DIR_PREFIX));
  await writeFile(join(dir, 'owner.pid'), String(process.pid));
  const etcdData = join(dir, 'etcd');
  const certDir = join(dir, 'certs');
  const [etcdClient, etcdPeer, port] = [await freePort(host), await freePort(host), await freePort(host)];
  const etcdUrl = `http://${urlHost(host)}:${etcdClient}`;
  const url = `https://${urlHost(host)}:${port}`;

  // ServiceAccount tokens are JWTs signed with this key; the admin is a static token in system:masters.
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const adminToken = randomBytes(24).toString('hex');
  await writeFile(join(dir, 'sa.pub'), publicKey);
  await writeFile(join(dir, 'sa.key'), privateKey, { mode: 0o600 });
  await writeFile(join(dir, 'tokens.csv'), `${adminToken},herald-test-admin,herald-test-admin,"system:masters"\n`, { mode: 0o600 });

  const etcdArgs = [
    '--name', 'default', '--data-dir', etcdData,
    '--listen-client-urls', etcdUrl, '--advertise-client-urls', etcdUrl,
    '--listen-peer-urls', `http://${urlHost(host)}:${etcdPeer}`, '--initial-advertise-peer-urls', `http://${urlHost(host)}:${etcdPeer}`,
    '--initial-cluster', `default=http://${urlHost(host)}:${etcdPeer}`,
    // A test store: durability across a power cut is not wanted, speed is.
    '--unsafe-no-fsync', '--log-level', 'warn',
  ];
  const apiArgs = [
    '--etcd-servers', etcdUrl,
    '--bind-address', host, '--secure-port', String(port), '--advertise-address', advertise,
    '--cert-dir', certDir,
    '--authorization-mode', 'Node,RBAC',
    '--token-auth-file', join(dir, 'tokens.csv'),
    '--service-account-issuer', 'https://kubernetes.default.svc.cluster.local',
    '--service-account-key-file', join(dir, 'sa.pub'),
    '--service-account-signing-key-file', join(dir, 'sa.key'),
    '--api-audiences', 'https://kubernetes.default.svc.cluster.local',
    // The stand-in's ClusterIP ranges (src/devapi/service-alloc.ts), dual-stack like it: the
    // `kubernetes` Service gets 198.18.0.1 on both servers, and IPv6 Services are accepted.
    '--service-cluster-ip-range', '198.18.0.0/16,2001:db8:ffff::/112',
    '--allow-privileged=true',
    '--v', '1',
  ];
  const etcdLog = join(dir, 'etcd.log');
  const apiLog = join(dir, 'kube-apiserver.log');
  let etcd: ManagedProcess | undefined;
  let api: ManagedProcess | undefined;
  let ca = '';
  const admin: HttpsTarget = { url, ca: '', token: adminToken };

  async function startEtcd(): Promise<void> {
    const p = startManaged('etcd', bin.etcd, etcdArgs, etcdLog);
    etcd = p;
    await waitFor('etcd', etcdLog, p, async () => (await fetch(`${etcdUrl}/health`)).ok, 30_000);
  }
  async function startApi(): Promise<void> {
    const p = startManaged('kube-apiserver', bin.kubeApiserver, apiArgs, apiLog);
    api = p;
    await waitFor('kube-apiserver (its serving certificate)', apiLog, p, async () => {
      ca = await readFile(join(certDir, 'apiserver.crt'), 'utf8');
      return ca.length > 0;
    }, 60_000);
    admin.ca = ca;
    await waitFor('kube-apiserver /readyz', apiLog, p, async () => (await httpsCall(admin, 'GET', '/readyz', undefined, 2_000)).status === 200, 120_000);
  }
  async function close(): Promise<void> {
    await api?.stop();
    await etcd?.stop();
    if (opts.keepDir !== true) await rm(dir, { recursive: true, force: true });
  }

  try {
    await startEtcd();
    await startApi();
  } catch (err) {
    // The directory (and the logs the message names) goes with close(): keep their last lines.
    const tails = `etcd:\n${await logTail(etcdLog)}\nkube-apiserver:\n${await logTail(apiLog)}`;
    await close();
    if (!(err instanceof ControlPlaneError)) throw err;
    throw new ControlPlaneError(err.code, `${err.message} (removed); the last lines of the logs:\n${tails}`, /address already in use/.test(tails));
  }

  function kubeconfigYaml(token = adminToken): string {
    return stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'herald-real', cluster: { server: url, 'certificate-authority-data': Buffer.from(ca).toString('base64') } }],
      users: [{ name: 'herald-real', user: { token } }],
      contexts: [{ name: 'herald-real', context: { cluster: 'herald-real', user: 'herald-real', namespace: 'default' } }],
      'current-context': 'herald-real',
      preferences: {},
    });
  }

  return {
    url,
    host,
    port,
    dir,
    binaries: bin,
    admin,
    kubeconfigYaml,
    pids: () => ({ kubeApiserver: api?.running() === true ? api.pid : undefined, etcd: etcd?.running() === true ? etcd.pid : undefined }),
    stopApiServer: async () => {
      await api?.stop();
    },
    startApiServer: startApi,
    wipeEtcd: async () => {
      await etcd?.stop();
      await rm(etcdData, { recursive: true, force: true });
      await startEtcd();
    },
    close,
  };
}
