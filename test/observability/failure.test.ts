// The start-up failure line (issue #13): its text, its exit code, the stack only when debugging.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import { describeParseArgsError, environmentFailure, failureText, listenFailure, observabilityListenFailure, unexpectedFailure, usageLine, wantsDebug } from '../../src/observability/failure.ts';
import { checkListenFlags } from '../../src/observability/http.ts';

function parseError(args: string[]): unknown {
  try {
    parseArgs({ args, strict: true, options: { namespace: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    return err;
  }
  assert.fail('parseArgs accepted it');
}

describe('parseArgs errors, said plainly', () => {
  for (const [args, text] of [
    [['--frob'], 'unknown flag --frob'],
    [['--namespace'], '--namespace needs a value'],
    [['--namespace', '--help'], '--namespace needs a value (the next argument is a flag; write --namespace=VALUE if the value starts with "-")'],
    [['--help=yes'], '--help takes no value'],
    [['extra'], 'unexpected argument "extra": this command takes flags only'],
  ] as const) {
    it(args.join(' '), () => assert.equal(describeParseArgsError(parseError([...args])), text));
  }
});

describe('the line', () => {
  it('usage: exit 2, the --help to read', () => {
    const f = usageLine('herald controller', '--namespace needs a value');
    assert.equal(f.exit, 2);
    assert.equal(failureText('herald controller', f, false), "herald controller: --namespace needs a value; see 'herald controller --help'\n");
  });

  it('environment: exit 1; the stack of the cause only under --log-level debug', () => {
    const cause = new Error('listen EADDRINUSE');
    const f = environmentFailure('HERALD_PORT_IN_USE', 'cannot listen', cause);
    assert.equal(f.exit, 1);
    assert.equal(failureText('herald speaker', f, false), 'herald speaker: cannot listen\n');
    const debug = failureText('herald speaker', f, true);
    assert.match(debug, /^herald speaker: cannot listen\n\[HERALD_PORT_IN_USE\] Error: listen EADDRINUSE\n {4}at /);
  });

  it('an unexpected throw is one line that says how to see more', () => {
    const f = unexpectedFailure(new Error('boom\nsecond line'));
    assert.equal(f.code, 'HERALD_UNEXPECTED');
    assert.equal(f.message, 'unexpected error: boom; run again with --log-level debug for the stack, and report it as a bug');
  });

  for (const [argv, debug] of [
    [['--log-level', 'debug'], true],
    [['--log-level=trace'], true],
    [['--log-level', 'info'], false],
    [['--node-name', 'debug'], false],
  ] as const) {
    it(`wantsDebug(${argv.join(' ')}) = ${debug}`, () => assert.equal(wantsDebug(argv), debug));
  }
});

describe('listening', () => {
  it('--metrics-addr and --health-addr: the form is checked before anything starts', () => {
    assert.equal(checkListenFlags(':9420', '127.0.0.1:9421'), null);
    assert.equal(checkListenFlags('bogus', undefined), '--metrics-addr: listen address "bogus" is not host:port; use host:port, [ipv6]:port or :port');
    assert.equal(checkListenFlags(undefined, ':70000'), '--health-addr: listen address ":70000" has a port above 65535; use host:port, [ipv6]:port or :port');
  });

  const inUse = (port: number): Error => Object.assign(new Error(`listen EADDRINUSE: address already in use 127.0.0.1:${port}`), { code: 'EADDRINUSE', syscall: 'listen', port });

  it('names the flag whose port failed', () => {
    const f = observabilityListenFailure(inUse(9421), { metrics: ':9420', health: '127.0.0.1:9421' });
    assert.equal(f?.code, 'HERALD_PORT_IN_USE');
    assert.equal(f?.message, 'cannot listen on 127.0.0.1:9421 for /healthz and /readyz (--health-addr): the address is already in use (EADDRINUSE); stop the process holding it (`ss -lntup | grep :9421`) or choose another address with --health-addr');
    // Another listener's failure (heartbeats, BGP) is not theirs.
    assert.equal(observabilityListenFailure(inUse(9425), { metrics: ':9420', health: ':9421' }), null);
  });

  it('EACCES and EADDRNOTAVAIL', () => {
    const denied = listenFailure('BGP', 'TCP port 179', Object.assign(new Error('x'), { code: 'EACCES', port: 179 }), 'choose another');
    assert.equal(denied.code, 'HERALD_PORT_DENIED');
    const notLocal = listenFailure('/metrics (--metrics-addr)', '192.0.2.1:9420', Object.assign(new Error('x'), { code: 'EADDRNOTAVAIL', port: 9420 }), 'choose another address with --metrics-addr');
    assert.equal(notLocal.code, 'HERALD_ADDRESS_NOT_LOCAL');
    assert.match(notLocal.message, /the address is not on this host \(EADDRNOTAVAIL\)/);
  });
});
