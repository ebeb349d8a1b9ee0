// The logger: JSON lines with the stable keys, level labels, and secrets redacted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LOG_KEYS, LoggerConfigError, REDACTED, createLogger, isLogLevel } from '../../src/observability/logger.ts';

type Obj = Record<string, unknown>;

function capture(level?: string): { log: ReturnType<typeof createLogger>; lines: () => Obj[] } {
  const raw: string[] = [];
  const log = createLogger({ name: 'herald-test', level }, { write: (s: string) => void raw.push(s) });
  return {
    log,
    lines: () =>
      raw.map((s) => {
        const v: unknown = JSON.parse(s);
        assert.ok(typeof v === 'object' && v !== null && !Array.isArray(v), s);
        return Object.fromEntries(Object.entries(v));
      }),
  };
}

test('each line is JSON with name, level label, ISO time, message and the context keys', () => {
  const { log, lines } = capture();
  log.child({ pool: 'ipv4-default' }).info({ service: 'default/web', ip: '192.0.2.10', node: 'n1' }, 'allocated');
  const [line, ...rest] = lines();
  assert.equal(rest.length, 0);
  assert.ok(line !== undefined);
  assert.equal(line['name'], 'herald-test');
  assert.equal(line['level'], 'info');
  assert.equal(line['msg'], 'allocated');
  assert.equal(line['pool'], 'ipv4-default');
  assert.equal(line['service'], 'default/web');
  assert.equal(line['ip'], '192.0.2.10');
  assert.ok(typeof line['time'] === 'string' && !Number.isNaN(Date.parse(line['time'])), String(line['time']));
  assert.deepEqual([...LOG_KEYS], ['service', 'ip', 'node', 'peer', 'iface', 'pool']);
});

test('the level filters: info by default, debug when asked, silent says nothing', () => {
  const info = capture();
  info.log.debug('hidden');
  info.log.warn('shown');
  assert.deepEqual(info.lines().map((l) => l['msg']), ['shown']);
  const debug = capture('debug');
  debug.log.debug('shown');
  assert.deepEqual(debug.lines().map((l) => l['level']), ['debug']);
  const silent = capture('silent');
  silent.log.error('nothing');
  assert.equal(silent.lines().length, 0);
});

test('secrets are redacted at the top level, one object down, and in headers', () => {
  const { log, lines } = capture();
  log.info(
    {
      password: 'hunter2-top',
      peer: '198.51.100.1',
      session: { password: 'hunter2-bgp', token: 'tok-1' },
      user: { 'client-key-data': 'PEM-KEY' },
      req: { headers: { authorization: 'Bearer abc.def' } },
      bearerToken: 'tok-2',
    },
    'connecting',
  );
  const text = JSON.stringify(lines());
  for (const secret of ['hunter2-top', 'hunter2-bgp', 'tok-1', 'tok-2', 'PEM-KEY', 'abc.def']) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
  const [line] = lines();
  assert.ok(line !== undefined);
  assert.equal(line['password'], REDACTED);
  assert.equal(line['peer'], '198.51.100.1', 'non-secret keys are untouched');
});

test('an unknown level is an error with a stable code, not a silent default', () => {
  assert.throws(() => createLogger({ name: 'x', level: 'verbose' }), (err: unknown) => err instanceof LoggerConfigError && err.code === 'HERALD_LOG_LEVEL_INVALID' && err.message.includes('verbose'));
  assert.ok(isLogLevel('trace'));
  assert.ok(!isLogLevel('verbose'));
});

test('errors are serialised with their message and stack', () => {
  const { log, lines } = capture();
  log.error({ err: new Error('boom') }, 'failed');
  const err = lines()[0]?.['err'];
  assert.ok(typeof err === 'object' && err !== null && 'message' in err && 'stack' in err);
  assert.equal(err.message, 'boom');
});
