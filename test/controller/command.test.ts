// Flags of `herald controller`, and the CLI's dispatch as a user runs it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseControllerArgs } from '../../src/controller/command.ts';

const run = promisify(execFile);
const NODE = process.execPath;

describe('parseControllerArgs', () => {
  it('defaults: pool IPAM, no foreign annotations, namespace from POD_NAMESPACE', () => {
    const r = parseControllerArgs([], { POD_NAMESPACE: 'lb', POD_NAME: 'herald-abc' });
    assert.ok(r.ok === true);
    assert.equal(r.config.defaultServiceIpam, 'pool');
    assert.equal(r.config.namespace, 'lb');
    assert.equal(r.config.identity, 'herald-abc');
    assert.deepEqual([...r.config.acceptAnnotations], []);
  });

  it('reads every flag', () => {
    const r = parseControllerArgs(['--kubeconfig', '/k', '--namespace', 'x', '--default-service-ipam', 'node-ipam', '--accept-annotations', 'metallb, cilium', '--metrics-addr', ':9420', '--health-addr', '127.0.0.1:9421', '--log-level', 'debug', '--heartbeat-secret', 'my-key'], {});
    assert.ok(r.ok === true);
    assert.deepEqual({ ...r.config, acceptAnnotations: [...r.config.acceptAnnotations] }, {
      kubeconfig: '/k', namespace: 'x', identity: r.config.identity, defaultServiceIpam: 'node-ipam', acceptAnnotations: ['metallb', 'cilium'], metricsAddr: ':9420', healthAddr: '127.0.0.1:9421', logLevel: 'debug', heartbeatSecret: 'my-key',
    });
  });

  it('makes the heartbeat key Secret herald-heartbeat-key by default; none turns it off (issue #14)', () => {
    const dflt = parseControllerArgs([], {});
    assert.ok(dflt.ok === true);
    assert.equal(dflt.config.heartbeatSecret, 'herald-heartbeat-key');
    const none = parseControllerArgs(['--heartbeat-secret', 'none'], {});
    assert.ok(none.ok === true);
    assert.equal(none.config.heartbeatSecret, null);
  });

  for (const [argv, message] of [
    [['--default-service-ipam', 'magic'], /pool, node-ipam or none/],
    [['--accept-annotations', 'kube-vip'], /metallb and\/or cilium/],
    [['--log-level', 'loud'], /--log-level/],
    [['--no-such-flag'], /^unknown flag --no-such-flag$/],
    [['--metrics-addr', 'bogus'], /^--metrics-addr: listen address "bogus" is not host:port/],
    [['--health-addr', '[::1]:99999'], /^--health-addr: listen address "\[::1\]:99999" has a port above 65535/],
    [['--namespace', 'Herald'], /^--namespace "Herald" is not a valid namespace name/],
    [['--identity', ' '], /^--identity is empty/],
    [['--kubeconfig', ''], /^--kubeconfig is empty/],
    [['--heartbeat-secret', 'Not_A_Name'], /^--heartbeat-secret "Not_A_Name" is not a valid Secret name/],
  ] as const) {
    it(`refuses ${argv.join(' ')} with a message`, () => {
      const r = parseControllerArgs(argv, {});
      assert.ok(r.ok === false);
      assert.match(r.error, message);
    });
  }
});

describe('herald CLI', () => {
  it('--help lists exactly the commands that exist', async () => {
    const { stdout } = await run(NODE, ['src/cli.ts', '--help']);
    for (const cmd of ['controller', 'lab', 'dev apiserver']) assert.match(stdout, new RegExp(`^  ${cmd} `, 'm'));
  });

  it('each command has its own --help', async () => {
    for (const argv of [['controller', '--help'], ['lab', '--help'], ['dev', 'apiserver', '--help']]) {
      const { stdout } = await run(NODE, ['src/cli.ts', ...argv]);
      assert.match(stdout, /Usage:\s+herald/);
    }
    const { stdout } = await run(NODE, ['src/cli.ts', 'dev', 'apiserver', '--help']);
    assert.match(stdout, /never .*production|not for production/i);
  });

  it('an unknown command or a bad flag exits 2 with one line (test/cli/first-contact.test.ts has every case)', async () => {
    await assert.rejects(run(NODE, ['src/cli.ts', 'frobnicate']), (e: unknown) => typeof e === 'object' && e !== null && 'code' in e && e.code === 2);
    await assert.rejects(run(NODE, ['src/cli.ts', 'controller', '--default-service-ipam', 'x']), (e: unknown) => typeof e === 'object' && e !== null && 'code' in e && e.code === 2 && 'stderr' in e && e.stderr === `herald controller: --default-service-ipam must be pool, node-ipam or none, not "x"; see 'herald controller --help'\n`);
  });

  it('POD_NAMESPACE is checked like --namespace', () => {
    const r = parseControllerArgs([], { POD_NAMESPACE: 'Bad_NS', POD_NAME: 'p' });
    assert.ok(r.ok === false);
    assert.match(r.error, /^\$POD_NAMESPACE "Bad_NS" is not a valid namespace name/);
  });
});
