// Issue #13: every way to start Herald wrong gets one clear line on stderr, never a stack, and
// exit 2 for a usage error or 1 for an environment error. Each row runs `herald` as a real
// process. The API server's answers are in api-errors.test.ts; here nothing needs one (a
// kubeconfig that points at a closed loopback port is enough to get past the start-up checks).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADDON_PATH } from '../../src/net/native.ts';
import { createServer as createHttpServer } from 'node:http';
import { freeTcpPort, freeUdpPort, kubeconfigFor, readyzUntil, ROOT, Running, runHerald, userEnv } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'herald-first-contact-'));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

// Files a user might hand Herald.
const BAD_YAML = file('bad-yaml', 'apiVersion: v1\nclusters: [\n  - bad');
const NO_CONTEXT = file('no-context', 'apiVersion: v1\nkind: Config\n');
const BAD_SERVER = file('bad-server', kubeconfigFor('not a url'));
const MISSING_CA = file('missing-ca', kubeconfigFor('https://127.0.0.1:6443').replace('insecure-skip-tls-verify: true', 'certificate-authority: /nonexistent/ca.crt'));
const SHORT_KEY = file('short-key', 'tiny');
let CLOSED = ''; // a kubeconfig whose server port nothing listens on
let closedPort = 0;

// Ports held for the "in use" rows, and the tree without a working addon.
let heldUdp: Socket;
let heldUdpPort = 0;
let heldTcp: Server;
let heldTcpPort = 0;
const tree = join(dir, 'tree');
const wrongArchTree = join(dir, 'tree-wrong-arch');

/** A copy of the sources whose native/ is as given: the addon path is fixed relative to src/. */
function copyTree(to: string, addon: 'none' | 'wrong-arch'): void {
  mkdirSync(to, { recursive: true });
  cpSync(join(ROOT, 'src'), join(to, 'src'), { recursive: true });
  copyFileSync(join(ROOT, 'package.json'), join(to, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(to, 'node_modules'));
  if (addon === 'wrong-arch') {
    const target = join(to, 'native/build/Release/herald_net.node');
    mkdirSync(join(to, 'native/build/Release'), { recursive: true });
    copyFileSync(ADDON_PATH, target);
    // ELF e_machine (offset 18) := EM_AARCH64 (183): the loader's real answer for a foreign build.
    const fd = openSync(target, 'r+');
    writeSync(fd, Buffer.from([183, 0]), 0, 2, 18);
    closeSync(fd);
  }
}

before(async () => {
  closedPort = await freeTcpPort();
  CLOSED = file('closed', kubeconfigFor(`https://127.0.0.1:${closedPort}`));
  heldUdpPort = await freeUdpPort();
  heldUdp = createSocket('udp6');
  await new Promise<void>((r) => heldUdp.bind({ port: heldUdpPort, address: '::', exclusive: true }, () => r()));
  heldTcp = createServer();
  await new Promise<void>((r) => heldTcp.listen(0, '127.0.0.1', () => r()));
  const a = heldTcp.address();
  heldTcpPort = typeof a === 'object' && a !== null ? a.port : 0;
  copyTree(tree, 'none');
  if (existsSync(ADDON_PATH)) copyTree(wrongArchTree, 'wrong-arch');
});

after(() => {
  heldUdp.close();
  heldTcp.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Row {
  name: string;
  args: () => string[];
  env?: NodeJS.ProcessEnv;
  /** Another copy of the sources (the addon rows). */
  cli?: () => string;
  /** e.g. setpriv, to run without a capability. */
  prefix?: readonly string[];
  exit: 1 | 2;
  /** The whole line, without "herald <command>: ". */
  line: () => RegExp;
  skip?: string | false;
}

const root = typeof process.getuid === 'function' && process.getuid() === 0;
const SETPRIV = '/usr/bin/setpriv';
const noCapSkip = !root || !existsSync(SETPRIV) ? 'needs root and setpriv to drop a capability' : false;
// Unauthenticated unless a row is about the key: the rows test what comes after that check (issue #14).
const SPEAKER = (...more: string[]): string[] => ['speaker', '--node-name', 'node-a', '--kubeconfig', CLOSED, '--bgp-listen-port', '0', ...(more.some((a) => a.startsWith('--heartbeat-') && a.endsWith('key-file')) ? [] : ['--insecure-heartbeats']), ...more];

const ROWS: Row[] = [
  // The command line itself.
  { name: 'an unknown command', args: () => ['frobnicate'], exit: 2, line: () => /^herald: unknown command "frobnicate"; the commands are controller, speaker, status, lab and dev apiserver \(see 'herald --help'\)$/ },
  { name: 'an unknown dev subcommand', args: () => ['dev', 'nope'], exit: 2, line: () => /^herald dev: unknown subcommand "nope"; try 'herald dev apiserver --help'$/ },

  // herald controller: every flag's bad values (usage, exit 2).
  { name: 'controller: an unknown flag', args: () => ['controller', '--frob'], exit: 2, line: () => /^herald controller: unknown flag --frob; see 'herald controller --help'$/ },
  { name: 'controller: a flag without its value', args: () => ['controller', '--namespace'], exit: 2, line: () => /^herald controller: --namespace needs a value; see 'herald controller --help'$/ },
  { name: 'controller: a positional argument', args: () => ['controller', 'now'], exit: 2, line: () => /^herald controller: unexpected argument "now": this command takes flags only; see/ },
  { name: 'controller: --metrics-addr bogus', args: () => ['controller', '--metrics-addr', 'bogus'], exit: 2, line: () => /^herald controller: --metrics-addr: listen address "bogus" is not host:port; use host:port, \[ipv6\]:port or :port; see 'herald controller --help'$/ },
  { name: 'controller: --health-addr with a port above 65535', args: () => ['controller', '--health-addr', ':70000'], exit: 2, line: () => /^herald controller: --health-addr: listen address ":70000" has a port above 65535;/ },
  { name: 'controller: --namespace not a DNS label', args: () => ['controller', '--namespace', 'Herald_System'], exit: 2, line: () => /^herald controller: --namespace "Herald_System" is not a valid namespace name \(lower-case letters, digits and "-", starting and ending with a letter or digit\); see/ },
  { name: 'controller: $POD_NAMESPACE not a DNS label', args: () => ['controller'], env: userEnv({ POD_NAMESPACE: 'Nope!' }), exit: 2, line: () => /^herald controller: \$POD_NAMESPACE "Nope!" is not a valid namespace name/ },
  { name: 'controller: an empty --identity', args: () => ['controller', '--identity', ''], exit: 2, line: () => /^herald controller: --identity is empty: give each replica a name of its own; see/ },
  { name: 'controller: --default-service-ipam magic', args: () => ['controller', '--default-service-ipam', 'magic'], exit: 2, line: () => /^herald controller: --default-service-ipam must be pool, node-ipam or none, not "magic"; see/ },
  { name: 'controller: --accept-annotations kube-vip', args: () => ['controller', '--accept-annotations', 'kube-vip'], exit: 2, line: () => /^herald controller: --accept-annotations takes metallb and\/or cilium, not "kube-vip"; see/ },
  { name: 'controller: --log-level loud', args: () => ['controller', '--log-level', 'loud'], exit: 2, line: () => /^herald controller: --log-level must be one of trace, debug, info, warn, error, fatal, silent, not "loud"; see/ },
  { name: 'controller: --heartbeat-secret not a Secret name', args: () => ['controller', '--heartbeat-secret', 'Bad_Name'], exit: 2, line: () => /^herald controller: --heartbeat-secret "Bad_Name" is not a valid Secret name \(lower-case letters, digits, "-" and "\."\), or none; see 'herald controller --help'$/ },
  { name: 'controller: an empty --kubeconfig', args: () => ['controller', '--kubeconfig', ''], exit: 2, line: () => /^herald controller: --kubeconfig is empty: give the path of a kubeconfig file, or leave the flag out inside a pod; see/ },

  // herald controller: what the flags point at (environment, exit 1).
  { name: 'controller: a kubeconfig that does not exist', args: () => ['controller', '--kubeconfig', '/nonexistent/kubeconfig'], exit: 1, line: () => /^herald controller: kubeconfig "\/nonexistent\/kubeconfig" does not exist; pass the path of a kubeconfig file \(e\.g\. ~\/\.kube\/config\), or leave --kubeconfig out inside a pod$/ },
  { name: 'controller: a kubeconfig that is a directory', args: () => ['controller', '--kubeconfig', dir], exit: 1, line: () => /^herald controller: cannot read kubeconfig ".*": it is a directory \(EISDIR\); pass a readable kubeconfig file$/ },
  { name: 'controller: a kubeconfig that is not valid YAML', args: () => ['controller', '--kubeconfig', BAD_YAML], exit: 1, line: () => /^herald controller: kubeconfig ".*bad-yaml" is not valid YAML \(line 3, column 3: missed comma between flow collection entries\); fix it or write it again with `kubectl config view --raw --minify --flatten > FILE` \(run against a kubeconfig that works\)$/ },
  { name: 'controller: a kubeconfig without a current-context', args: () => ['controller', '--kubeconfig', NO_CONTEXT], exit: 1, line: () => /^herald controller: kubeconfig ".*no-context" has no current-context; choose one with `kubectl config use-context NAME --kubeconfig .*no-context`$/ },
  { name: 'controller: a kubeconfig whose server is not a URL', args: () => ['controller', '--kubeconfig', BAD_SERVER], exit: 1, line: () => /^herald controller: kubeconfig ".*bad-server": cluster "c" has server "not a url", which is not an https:\/\/ URL; set it with/ },
  { name: 'controller: a kubeconfig naming a CA file that does not exist', args: () => ['controller', '--kubeconfig', MISSING_CA], exit: 1, line: () => /^herald controller: kubeconfig ".*missing-ca" names certificate-authority "\/nonexistent\/ca\.crt", which does not exist;/ },
  { name: 'controller: no --kubeconfig outside a pod', args: () => ['controller'], exit: 1, line: () => /^herald controller: no --kubeconfig given and not running in a pod \(\$KUBERNETES_SERVICE_HOST is not set\); pass --kubeconfig FILE \(e\.g\. ~\/\.kube\/config\)$/ },
  { name: 'controller: --metrics-addr on a port in use', args: () => ['controller', '--kubeconfig', CLOSED, '--metrics-addr', `127.0.0.1:${heldTcpPort}`], exit: 1, line: () => new RegExp(`^herald controller: cannot listen on 127\\.0\\.0\\.1:${heldTcpPort} for /metrics \\(--metrics-addr\\): the address is already in use \\(EADDRINUSE\\); stop the process holding it \\(\`ss -lntup \\| grep :${heldTcpPort}\`\\) or choose another address with --metrics-addr$`) },
  { name: 'controller: --health-addr on an address not on this host', args: () => ['controller', '--kubeconfig', CLOSED, '--health-addr', '192.0.2.1:9421'], exit: 1, line: () => /^herald controller: cannot listen on 192\.0\.2\.1:9421 for \/healthz and \/readyz \(--health-addr\): the address is not on this host \(EADDRNOTAVAIL\); choose another address with --health-addr$/ },

  // herald speaker: flags.
  { name: 'speaker: no node name', args: () => ['speaker'], exit: 2, line: () => /^herald speaker: --node-name \(or \$NODE_NAME\) is required; see 'herald speaker --help'$/ },
  { name: 'speaker: a node name that is not a DNS subdomain', args: () => ['speaker', '--node-name', 'Node_A'], exit: 2, line: () => /^herald speaker: --node-name "Node_A" is not a valid Node name/ },
  { name: 'speaker: --heartbeat-port 0', args: () => SPEAKER('--heartbeat-port', '0'), exit: 2, line: () => /^herald speaker: --heartbeat-port must be 1\.\.65535, not "0"; see/ },
  { name: 'speaker: --heartbeat-port x', args: () => SPEAKER('--heartbeat-port', 'x'), exit: 2, line: () => /^herald speaker: --heartbeat-port must be 1\.\.65535, not "x"; see/ },
  { name: 'speaker: --heartbeat-interval fast', args: () => SPEAKER('--heartbeat-interval', 'fast'), exit: 2, line: () => /^herald speaker: --heartbeat-interval takes a duration such as 100ms or 2s, not "fast"; see/ },
  { name: 'speaker: --drain-timeout forever', args: () => SPEAKER('--drain-timeout', 'forever'), exit: 2, line: () => /^herald speaker: --drain-timeout takes a duration such as 200ms or 8s, not "forever"; see/ },
  { name: 'speaker: --gratuitous-count 99', args: () => SPEAKER('--gratuitous-count', '99'), exit: 2, line: () => /^herald speaker: --gratuitous-count must be 0\.\.10, not "99"; see/ },
  { name: 'speaker: --bgp-listen-port 70000', args: () => SPEAKER('--bgp-listen-port', '70000'), exit: 2, line: () => /^herald speaker: --bgp-listen-port must be 0\.\.65535, not "70000"; see/ },
  { name: 'speaker: --metrics-addr bogus', args: () => SPEAKER('--metrics-addr', 'bogus'), exit: 2, line: () => /^herald speaker: --metrics-addr: listen address "bogus" is not host:port;/ },
  { name: 'speaker: --namespace not a DNS label', args: () => SPEAKER('--namespace', 'UPPER'), exit: 2, line: () => /^herald speaker: --namespace "UPPER" is not a valid namespace name/ },
  { name: 'speaker: an empty --heartbeat-key-file', args: () => SPEAKER('--heartbeat-key-file', ''), exit: 2, line: () => /^herald speaker: --heartbeat-key-file is empty: give the path of the key file \(the same on every node\); see/ },
  { name: 'speaker: --insecure-heartbeats with a key', args: () => SPEAKER('--heartbeat-key-file', SHORT_KEY, '--insecure-heartbeats'), exit: 2, line: () => /^herald speaker: --insecure-heartbeats contradicts --heartbeat-key-file and --heartbeat-accept-key-file: keep the key, or drop it; see 'herald speaker --help'$/ },
  { name: 'speaker: a second key without the first', args: () => SPEAKER('--heartbeat-accept-key-file', SHORT_KEY), exit: 2, line: () => /^herald speaker: --heartbeat-accept-key-file needs --heartbeat-key-file: the second key is only accepted, never used to sign; see/ },
  // What the flags point at.
  { name: 'speaker: no heartbeat key (issue #14)', args: () => ['speaker', '--node-name', 'node-a', '--kubeconfig', CLOSED, '--bgp-listen-port', '0'], exit: 1, line: () => /^herald speaker: no heartbeat key: pass --heartbeat-key-file with the Secret herald-system\/herald-heartbeat-key mounted \(herald controller creates it; deploy\/speaker\.yaml mounts it\), or --insecure-heartbeats to run unauthenticated \(docs\/l2\.md\)$/ },
  { name: 'speaker: a heartbeat key file that does not exist', args: () => SPEAKER('--heartbeat-key-file', '/nonexistent/key'), exit: 1, line: () => /^herald speaker: --heartbeat-key-file "\/nonexistent\/key" does not exist; mount the Secret with the heartbeat key there \(deploy\/speaker\.yaml, docs\/l2\.md\)$/ },
  { name: 'speaker: a heartbeat key shorter than 16 bytes', args: () => SPEAKER('--heartbeat-key-file', SHORT_KEY), exit: 1, line: () => /^herald speaker: --heartbeat-key-file ".*short-key" holds 4 bytes; a heartbeat key must hold at least 16 bytes \(e\.g\. `head -c 32 \/dev\/urandom`\)$/ },
  { name: 'speaker: a kubeconfig that does not exist', args: () => ['speaker', '--node-name', 'node-a', '--insecure-heartbeats', '--kubeconfig', '/nonexistent/kubeconfig'], exit: 1, line: () => /^herald speaker: kubeconfig "\/nonexistent\/kubeconfig" does not exist;/ },
  // What the host must give it.
  { name: 'speaker: no CAP_NET_RAW', prefix: [SETPRIV, '--bounding-set=-net_raw', '--inh-caps=-net_raw'], args: () => SPEAKER(), exit: 1, line: () => /^herald speaker: this process lacks CAP_NET_RAW, which L2 answers \(ARP and NDP on packet sockets\) need; add NET_RAW to the container's securityContext\.capabilities\.add \(deploy\/speaker\.yaml does\)$/, skip: noCapSkip },
  { name: 'speaker: no CAP_NET_BIND_SERVICE with BGP on port 179', prefix: [SETPRIV, '--bounding-set=-net_bind_service', '--inh-caps=-net_bind_service'], args: () => ['speaker', '--node-name', 'node-a', '--kubeconfig', CLOSED, '--insecure-heartbeats'], exit: 1, line: () => /^herald speaker: this process lacks CAP_NET_BIND_SERVICE, which listening for BGP on port 179 needs; add NET_BIND_SERVICE .*, or pass --bgp-listen-port 0 \(active sessions only\) or a port from 1024$/, skip: noCapSkip },
  { name: 'speaker: the native addon is not built', cli: () => join(tree, 'src/cli.ts'), args: () => SPEAKER(), exit: 1, line: () => /^herald speaker: the native addon .*\/tree\/native\/build\/Release\/herald_net\.node is not built, and the speaker needs it for raw sockets; run `npm run build:native` \(docs\/native\.md\)$/ },
  { name: 'speaker: the native addon was built for another machine', cli: () => join(wrongArchTree, 'src/cli.ts'), args: () => SPEAKER(), exit: 1, line: () => /^herald speaker: the native addon .*herald_net\.node was built for another machine \(.*\); rebuild it with `npm run build:native` on this host, with this Node\.js \(docs\/native\.md\)$/, skip: existsSync(ADDON_PATH) ? false : 'needs the built addon to make a foreign copy of' },
  { name: 'speaker: the heartbeat port in use', args: () => SPEAKER('--heartbeat-port', String(heldUdpPort)), exit: 1, line: () => new RegExp(`^herald speaker: cannot listen on UDP port ${heldUdpPort} for heartbeats between speakers: the address is already in use \\(EADDRINUSE\\); stop the process holding it \\(\`ss -lntup \\| grep :${heldUdpPort}\`\\) or choose another with --heartbeat-port \\(the same on every node\\)$`) },
  { name: 'speaker: the BGP port in use', args: () => ['speaker', '--node-name', 'node-a', '--kubeconfig', CLOSED, '--insecure-heartbeats', '--bgp-listen-port', String(heldTcpPort)], exit: 1, line: () => new RegExp(`^herald speaker: cannot listen on TCP port ${heldTcpPort} for BGP: the address is already in use \\(EADDRINUSE\\);.* or choose another with --bgp-listen-port \\(0: active sessions only\\)$`) },
  { name: 'speaker: --health-addr on a port in use', args: () => SPEAKER('--health-addr', `127.0.0.1:${heldTcpPort}`), exit: 1, line: () => /^herald speaker: cannot listen on 127\.0\.0\.1:\d+ for \/healthz and \/readyz \(--health-addr\): the address is already in use/ },

  // herald status.
  { name: 'status: an unknown flag', args: () => ['status', '--frob'], exit: 2, line: () => /^herald status: unknown flag --frob; see 'herald status --help'$/ },
  { name: 'status: --namespace not a DNS label', args: () => ['status', '--namespace', 'a_b'], exit: 2, line: () => /^herald status: --namespace "a_b" is not a valid namespace name/ },
  { name: 'status: a kubeconfig that does not exist', args: () => ['status', '--kubeconfig', '/nonexistent/kubeconfig'], exit: 1, line: () => /^herald status: kubeconfig "\/nonexistent\/kubeconfig" does not exist;/ },
  { name: 'status: an API server that does not answer', args: () => ['status', '--kubeconfig', CLOSED], exit: 1, line: () => new RegExp(`^herald status: cannot reach the API server https://127\\.0\\.0\\.1:${closedPort}: connection refused \\(ECONNREFUSED\\); check that kube-apiserver runs and that the kubeconfig names its address and port$`) },
];

describe('herald started wrong: one line, the right exit code (issue #13)', { concurrency: 2 }, () => {
  for (const row of ROWS) {
    it(row.name, { skip: row.skip ?? false }, async () => {
      const r = await runHerald(row.args(), { ...(row.env === undefined ? {} : { env: row.env }), ...(row.cli === undefined ? {} : { cli: row.cli() }), ...(row.prefix === undefined ? {} : { prefix: row.prefix }) });
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 1, `exactly one line on stderr, got:\n${r.stderr}`);
      assert.match(lines[0] ?? '', row.line());
      assert.equal(r.code, row.exit, `exit code; stderr: ${r.stderr}`);
      // Never a stack, on either stream.
      assert.doesNotMatch(r.stderr + r.stdout, /\n\s+at |node:internal|YAMLException/);
    });
  }
});

describe('the stack, only when asked for', () => {
  it('--log-level debug adds the stack of what failed under the line', async () => {
    const r = await runHerald(['controller', '--kubeconfig', CLOSED, '--metrics-addr', `127.0.0.1:${heldTcpPort}`, '--log-level', 'debug']);
    assert.equal(r.code, 1);
    const [line, ...rest] = r.stderr.split('\n');
    assert.match(line ?? '', /^herald controller: cannot listen on 127\.0\.0\.1:\d+ for \/metrics/);
    assert.match(rest.join('\n'), /^\[HERALD_PORT_IN_USE\] Error: listen EADDRINUSE/);
    assert.match(rest.join('\n'), /\n\s+at /);
  });

  it('help still goes to stdout with exit 0', async () => {
    for (const cmd of ['controller', 'speaker', 'status']) {
      const r = await runHerald([cmd, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^herald \w+ — /);
      assert.equal(r.stderr, '');
    }
  });
});

describe('an API server older than Herald supports', () => {
  // Neither the real kube-apiserver (v1.34) nor the stand-in (v1.33) can be made old: a fake that
  // answers /version as a 1.24 server and 404 "not found" to everything else (objects that do
  // not exist yet, which is no problem).
  it('is said once, with the version, and kept on /readyz', async () => {
    const server = createHttpServer((req, res) => {
      if (req.url === '/version') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ major: '1', minor: '24', gitVersion: 'v1.24.17' }));
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'leases.coordination.k8s.io "herald-controller" not found', reason: 'NotFound', details: { name: 'herald-controller', kind: 'leases' }, code: 404 }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const a = server.address();
    const url = `http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`;
    const health = await freeTcpPort();
    const c = new Running(['controller', '--kubeconfig', file('old', kubeconfigFor(url)), '--health-addr', `127.0.0.1:${health}`]);
    try {
      const line = `the API server ${url} runs Kubernetes v1.24.17; Herald needs 1.25 or later (its CRDs use CEL validation rules): upgrade the cluster`;
      const logged = await c.waitFor((l) => l.code === 'API_VERSION_TOO_OLD', 15_000, 'the version problem');
      assert.equal(logged.msg, line);
      assert.equal((await readyzUntil(health, (r) => r.status === 503)).body, `not ok: ${line}\n`);
    } finally {
      await c.stop();
      server.close();
    }
  });
});
