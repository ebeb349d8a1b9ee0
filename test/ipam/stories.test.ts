// Story tables: pools, conflicts, reserved addresses, restarts, statuses (docs/ipam.md rules 1–3, 8–11).
import { test } from 'node:test';
import { all, apply, pools, remove, reserved, restart, runStory, status } from './story.ts';
import { pool, shared, svc } from './fixtures.ts';

const team = (name: string) => ({ matchLabels: { team: name }, matchExpressions: [] });

test('automatic allocation: lowest free address, first/last reserved, release frees', () => {
  runStory([
    pools([pool('blue', ['192.0.2.0/29'], { allowFirstLastIPs: false })]),
    apply([svc('ns/a'), svc('ns/b')], {
      'ns/a': { ips: ['192.0.2.1'], reason: 'Satisfied', message: /^allocated 192\.0\.2\.1 from pool "blue"$/, allocated: ['192.0.2.1'] },
      'ns/b': { ips: ['192.0.2.2'], allocated: ['192.0.2.2'] },
    }),
    status({ blue: { total: 6n, used: 2n, reserved: 0n, available: 4n, conflict: false } }),
    // Reconciling an unchanged Service is a no-op (the runner's default: nothing allocated or released).
    apply([svc('ns/a')], { 'ns/a': { ips: ['192.0.2.1'], message: /^allocated 192\.0\.2\.1 from pool "blue"$/ } }),
    remove('ns/a', ['192.0.2.1']),
    apply([svc('ns/c')], { 'ns/c': { ips: ['192.0.2.1'], allocated: ['192.0.2.1'] } }),
    apply([svc('ns/d'), svc('ns/e'), svc('ns/f'), svc('ns/g')], {
      'ns/d': { ips: ['192.0.2.3'], allocated: ['192.0.2.3'] },
      'ns/e': { ips: ['192.0.2.4'], allocated: ['192.0.2.4'] },
      'ns/f': { ips: ['192.0.2.5'], allocated: ['192.0.2.5'] },
      // .6 is free but .7 is the reserved last address: the pool is full.
      'ns/g': { ips: ['192.0.2.6'], allocated: ['192.0.2.6'] },
    }),
    apply([svc('ns/h')], { 'ns/h': { ips: [], reason: 'OutOfIPs', message: /no free IPv4 address in pool "blue"/ } }),
    status({ blue: { total: 6n, used: 6n, available: 0n } }),
  ]);
});

test('pool order is by name, and the next pool is used when the first is full', () => {
  runStory([
    pools([pool('zeta', ['198.51.100.0/30']), pool('alpha', ['192.0.2.0/31'])]),
    apply([svc('ns/a', { createdAt: 1 }), svc('ns/b', { createdAt: 2 }), svc('ns/c', { createdAt: 3 })], {
      'ns/a': { ips: ['192.0.2.0'], allocated: ['192.0.2.0'] },
      'ns/b': { ips: ['192.0.2.1'], allocated: ['192.0.2.1'] },
      'ns/c': { ips: ['198.51.100.0'], allocated: ['198.51.100.0'], message: /from pool "zeta"/ },
    }),
  ]);
});

test('NoPool, PoolSelectorMismatch, OutOfIPs, and the special selector keys', () => {
  runStory([
    apply([svc('ns/a')], { 'ns/a': { ips: [], reason: 'NoPool', message: /no usable IPPool has IPv4 addresses/ } }),
    pools([pool('red', ['192.0.2.0/31'], { serviceSelector: team('red') })], {
      'ns/a': { ips: [], reason: 'PoolSelectorMismatch', message: /1 IPPool with IPv4 addresses \("red"\) does not select this Service.*io\.kubernetes\.service\.namespace/ },
    }),
    apply([svc('ns/a', { labels: { team: 'red' } })], { 'ns/a': { ips: ['192.0.2.0'], allocated: ['192.0.2.0'] } }),
    // A pool that selects by namespace cannot be fooled by a label.
    pools([
      pool('red', ['192.0.2.0/31'], { serviceSelector: team('red') }),
      pool('ops', ['198.51.100.0/30'], { serviceSelector: { matchLabels: { 'io.kubernetes.service.namespace': 'ops' }, matchExpressions: [] } }),
    ]),
    apply([svc('ns/b', { labels: { 'io.kubernetes.service.namespace': 'ops' } })], { 'ns/b': { ips: [], reason: 'PoolSelectorMismatch', message: /2 IPPools/ } }),
    apply([svc('ops/c'), svc('ops/d', { labels: { team: 'red' } }), svc('ns/e', { labels: { team: 'red' } })], {
      'ops/c': { ips: ['198.51.100.0'], allocated: ['198.51.100.0'] },
      // Both pools select ops/d: the first by name gives.
      'ops/d': { ips: ['198.51.100.1'], allocated: ['198.51.100.1'], message: /from pool "ops"/ },
      'ns/e': { ips: ['192.0.2.1'], allocated: ['192.0.2.1'] },
    }),
    apply([svc('ns/f', { labels: { team: 'red' } })], { 'ns/f': { ips: [], reason: 'OutOfIPs', message: /no free IPv4 address in pool "red"$/ } }),
    // A selector by name.
    pools([pool('one', ['203.0.113.7'], { serviceSelector: { matchLabels: {}, matchExpressions: [{ key: 'io.kubernetes.service.name', operator: 'In', values: ['b'] }] } })], {
      'ns/a': { ips: [], reason: 'PoolSelectorMismatch', released: [['192.0.2.0', 'PoolRemoved', /no longer in any IPPool/]] },
      'ns/b': { ips: ['203.0.113.7'], allocated: ['203.0.113.7'] },
      'ops/c': { ips: [], reason: 'PoolSelectorMismatch', released: [['198.51.100.0', 'PoolRemoved']] },
      'ops/d': { ips: [], reason: 'PoolSelectorMismatch', released: [['198.51.100.1', 'PoolRemoved']] },
      'ns/e': { ips: [], reason: 'PoolSelectorMismatch', released: [['192.0.2.1', 'PoolRemoved']] },
      'ns/f': { ips: [], reason: 'PoolSelectorMismatch' },
    }),
  ]);
});

test('a disabled pool keeps its allocations but gives none', () => {
  runStory([
    pools([pool('blue', ['192.0.2.0/30'])]),
    apply([svc('ns/a')], { 'ns/a': { ips: ['192.0.2.0'], allocated: ['192.0.2.0'] } }),
    pools([pool('blue', ['192.0.2.0/30'], { disabled: true })], { 'ns/a': { ips: ['192.0.2.0'], reason: 'Satisfied' } }),
    apply([svc('ns/b')], { 'ns/b': { ips: [], reason: 'NoPool', message: /"blue" is disabled/ } }),
    apply([svc('ns/c', { requestedIPs: ['192.0.2.2'] })], {
      'ns/c': { ips: [], reason: 'RequestedIPUnavailable', message: /requested 192\.0\.2\.2 is unavailable: pool "blue" is disabled/ },
    }),
    status({ blue: { total: 4n, used: 1n, available: 3n } }),
    restart(),
    pools([pool('blue', ['192.0.2.0/30'])], {
      'ns/b': { ips: ['192.0.2.1'], allocated: ['192.0.2.1'] },
      'ns/c': { ips: ['192.0.2.2'], allocated: ['192.0.2.2'] },
    }),
  ]);
});

test('conflicts: the newer pool loses, keeps what it gave, and recovers when the overlap goes', () => {
  const blue = pool('blue', ['192.0.2.0/28'], { createdAt: 1, serviceSelector: team('blue') });
  const amber = (block: string) => pool('amber', [block], { createdAt: 2, serviceSelector: team('amber') });
  const a = (name: string) => svc(`ns/${name}`, { labels: { team: 'amber' } });
  runStory([
    pools([blue, amber('192.0.2.16/28')]),
    apply([a('x')], { 'ns/x': { ips: ['192.0.2.16'], allocated: ['192.0.2.16'] } }),
    pools([blue, amber('192.0.2.8-192.0.2.20')], { 'ns/x': { ips: ['192.0.2.16'] } }),
    status({
      amber: { conflict: /^block 192\.0\.2\.8-192\.0\.2\.20 overlaps block 192\.0\.2\.0\/28 of older pool "blue"$/, used: 1n },
      blue: { conflict: false },
    }),
    apply([a('y')], { 'ns/y': { ips: [], reason: 'NoPool', message: /that select this Service cannot give new ones \("amber" conflicts\)/ } }),
    apply([svc('ns/z', { labels: { team: 'amber' }, requestedIPs: ['192.0.2.17'] })], {
      'ns/z': { ips: [], reason: 'RequestedIPUnavailable', message: /pool "amber" conflicts: block 192\.0\.2\.8-192\.0\.2\.20 overlaps/ },
    }),
    // The older pool allocates in the overlap, skipping what the conflicting pool gave.
    apply([svc('ns/b', { labels: { team: 'blue' } })], { 'ns/b': { ips: ['192.0.2.0'], allocated: ['192.0.2.0'] } }),
    restart(),
    pools([blue, amber('192.0.2.16/28')], {
      'ns/y': { ips: ['192.0.2.17'], allocated: ['192.0.2.17'] },
      'ns/z': { ips: [], reason: 'IncompatibleSharing', message: /requested 192\.0\.2\.17 is held by ns\/y/ },
    }),
    status({ amber: { conflict: false, used: 2n, total: 16n, available: 14n } }),
  ]);
});

test('overlapping blocks inside one pool make it conflicting', () => {
  runStory([
    pools([pool('blue', ['192.0.2.0/30', '192.0.2.2-192.0.2.5'])]),
    apply([svc('ns/a')], { 'ns/a': { ips: [], reason: 'NoPool', message: /"blue" conflicts/ } }),
    status({ blue: { conflict: /overlaps block 192\.0\.2\.2-192\.0\.2\.5 of the same pool|overlaps block 192\.0\.2\.0\/30 of the same pool/, total: 6n } }),
  ]);
});

test('shrinking a pool moves only the Services whose addresses left it', () => {
  runStory([
    pools([pool('blue', ['192.0.2.0/28'])]),
    apply([svc('ns/a', { createdAt: 1 }), svc('ns/b', { createdAt: 2 }), svc('ns/c', { createdAt: 3 })], {
      'ns/a': { ips: ['192.0.2.0'], allocated: ['192.0.2.0'] },
      'ns/b': { ips: ['192.0.2.1'], allocated: ['192.0.2.1'] },
      'ns/c': { ips: ['192.0.2.2'], allocated: ['192.0.2.2'] },
    }),
    pools([pool('blue', ['192.0.2.0-192.0.2.1', '192.0.2.9-192.0.2.12'])], {
      'ns/c': { ips: ['192.0.2.9'], allocated: ['192.0.2.9'], released: [['192.0.2.2', 'PoolRemoved', /192\.0\.2\.2 is no longer in any IPPool/]] },
    }),
    status({ blue: { total: 6n, used: 3n, available: 3n } }),
  ]);
});

test('widening a pool, changing its selector or adding a pool moves nothing', () => {
  runStory([
    pools([pool('blue', ['192.0.2.8/29'])]),
    apply([svc('ns/a'), svc('ns/b', { labels: { team: 'x' } })], {
      'ns/a': { ips: ['192.0.2.8'], allocated: ['192.0.2.8'] },
      'ns/b': { ips: ['192.0.2.9'], allocated: ['192.0.2.9'] },
    }),
    pools([pool('blue', ['192.0.2.0/28'])]),
    pools([pool('blue', ['192.0.2.0/28'], { serviceSelector: team('x') })]),
    pools([pool('aaa', ['198.51.100.0/24']), pool('blue', ['192.0.2.0/28'], { serviceSelector: team('nobody') })]),
    status({ blue: { used: 2n }, aaa: { used: 0n } }),
    restart(),
    apply([svc('ns/c')], { 'ns/c': { ips: ['198.51.100.0'], allocated: ['198.51.100.0'] } }),
  ]);
});

test('an invalid pool allocates nothing, keeps nothing, and says why', () => {
  runStory([
    pools([pool('blue', ['192.0.2.0/29'])]),
    apply([svc('ns/a')], { 'ns/a': { ips: ['192.0.2.0'], allocated: ['192.0.2.0'] } }),
    pools(
      [pool('blue', ['192.0.2.0/29', '192.0.2.1/24'])],
      { 'ns/a': { ips: [], reason: 'NoPool', released: [['192.0.2.0', 'PoolRemoved', /in pool "blue", which is invalid: blocks\[1\]: "192\.0\.2\.1\/24" has host bits set/]] } },
      { blue: /^blocks\[1\]: "192\.0\.2\.1\/24" has host bits set; the network is 192\.0\.2\.0\/24$/ },
    ),
    status({ blue: { total: 0n, used: 0n, available: 0n } }),
    pools([pool('blue', [], {})], {}, { blue: /no blocks/ }),
    pools(
      [pool('blue', ['192.0.2.0/29'], { serviceSelector: { matchLabels: {}, matchExpressions: [{ key: 'a', operator: 'In', values: [] }] } })],
      {},
      { blue: /operator In needs at least one value/ },
    ),
    pools([pool('blue', ['192.0.2.0/29'])], { 'ns/a': { ips: ['192.0.2.0'], allocated: ['192.0.2.0'] } }),
  ]);
});

test('first/last reservation switched on releases a Service holding the network address', () => {
  runStory([
    pools([pool('blue', ['192.0.2.0/30'])]),
    apply([svc('ns/a', { createdAt: 1 }), svc('ns/b', { createdAt: 2 })], {
      'ns/a': { ips: ['192.0.2.0'], allocated: ['192.0.2.0'] },
      'ns/b': { ips: ['192.0.2.1'], allocated: ['192.0.2.1'] },
    }),
    pools([pool('blue', ['192.0.2.0/30'], { allowFirstLastIPs: false })], {
      'ns/a': {
        ips: ['192.0.2.2'],
        allocated: ['192.0.2.2'],
        released: [['192.0.2.0', 'Reserved', /first address of block 192\.0\.2\.0\/30 of pool "blue", which reserves it/]],
      },
    }),
    status({ blue: { total: 2n, used: 2n, available: 0n } }),
    apply([svc('ns/c', { requestedIPs: ['192.0.2.3'] })], {
      'ns/c': { ips: [], reason: 'RequestedIPUnavailable', message: /192\.0\.2\.3 is the last address of block/ },
    }),
  ]);
});

test('a node address added later to an address a Service holds: released (Reserved) and replaced', () => {
  runStory([
    pools([pool('blue', ['192.0.2.0/29'])]),
    apply([svc('ns/a', { createdAt: 1 }), svc('ns/b', { createdAt: 2 })], {
      'ns/a': { ips: ['192.0.2.0'], allocated: ['192.0.2.0'] },
      'ns/b': { ips: ['192.0.2.1'], allocated: ['192.0.2.1'] },
    }),
    status({ blue: { used: 2n, reserved: 0n, available: 6n } }),
    reserved({ '192.0.2.1': 'InternalIP of node n1', '192.0.2.2': 'the API server' }, {
      'ns/b': { ips: ['192.0.2.3'], allocated: ['192.0.2.3'], released: [['192.0.2.1', 'Reserved', /^192\.0\.2\.1 is reserved \(InternalIP of node n1\)$/]] },
    }),
    status({ blue: { total: 8n, used: 2n, reserved: 2n, available: 4n } }),
    apply([svc('ns/c', { requestedIPs: ['192.0.2.2'] })], {
      'ns/c': { ips: [], reason: 'RequestedIPUnavailable', message: /192\.0\.2\.2 is unavailable: it is reserved \(the API server\)/ },
    }),
    restart(),
    reserved({}, { 'ns/c': { ips: ['192.0.2.2'], allocated: ['192.0.2.2'] } }),
  ]);
});

test('a restart imports addresses and moves nothing', () => {
  runStory([
    pools([pool('blue', ['192.0.2.0/28']), pool('v6', ['2001:db8::/120'])]),
    apply(
      [
        svc('ns/a', { createdAt: 3 }),
        svc('ns/b', { ipFamilies: ['IPv6', 'IPv4'], ipFamilyPolicy: 'RequireDualStack', createdAt: 2 }),
        shared('ns/c', 'k', 80, { createdAt: 1 }),
        shared('ns/d', 'k', 81, { createdAt: 4 }),
        svc('ns/e', { requestedIPs: ['192.0.2.9'], createdAt: 5 }),
      ],
      {
        'ns/a': { ips: ['192.0.2.2'], allocated: ['192.0.2.2'] },
        'ns/b': { ips: ['2001:db8::', '192.0.2.1'], allocated: ['2001:db8::', '192.0.2.1'] },
        'ns/c': { ips: ['192.0.2.0'], allocated: ['192.0.2.0'] },
        'ns/d': { ips: ['192.0.2.0'], allocated: ['192.0.2.0'] },
        'ns/e': { ips: ['192.0.2.9'], allocated: ['192.0.2.9'] },
      },
    ),
    restart(),
    remove('ns/c', ['192.0.2.0']),
    restart(),
    status({ blue: { used: 4n }, v6: { used: 1n, total: 256n } }),
  ]);
});

test('after a restart, two Services that claim one address without a common key resolve to the older', () => {
  const w = runStory([pools([pool('blue', ['192.0.2.0/29'])])]);
  runStory(
    [
      apply(
        [
          svc('ns/young', { createdAt: 2, currentIPs: ['192.0.2.5'] }),
          svc('ns/old', { createdAt: 1, currentIPs: ['192.0.2.5'] }),
          svc('ns/two', { createdAt: 3, currentIPs: ['192.0.2.6', '192.0.2.7'] }),
          svc('ns/gone', { createdAt: 4, currentIPs: ['203.0.113.1', '192.0.2.7'] }),
        ],
        {
          'ns/old': { ips: ['192.0.2.5'] },
          'ns/young': {
            ips: ['192.0.2.0'],
            allocated: ['192.0.2.0'],
            released: [['192.0.2.5', 'SharingKeyMismatch', /stays with ns\/old, which cannot share it with ns\/young: ns\/young has no sharing key/]],
          },
          'ns/two': { ips: ['192.0.2.6'], released: [['192.0.2.7', 'FamilyNotWanted', /holds one IPv4 address and ns\/two keeps 192\.0\.2\.6/]] },
          'ns/gone': { ips: ['192.0.2.7'], released: [['203.0.113.1', 'PoolRemoved']] },
        },
      ),
    ],
    w,
  );
});

test('/48 and /64 pools: exact bigint statuses, no enumeration', () => {
  const total48 = (1n << 80n) - 2n;
  runStory([
    pools([pool('big', ['2001:db8::/48'], { allowFirstLastIPs: false }), pool('wide', ['2001:db8:1::/64'])]),
    status({
      big: { total: total48, used: 0n, available: total48 },
      wide: { total: 1n << 64n, available: 1n << 64n },
    }),
    apply(
      [
        svc('ns/a', { ipFamilies: ['IPv6'], createdAt: 1 }),
        svc('ns/b', { ipFamilies: ['IPv6'], createdAt: 2 }),
        svc('ns/c', { ipFamilies: ['IPv6'], requestedIPs: ['2001:db8:1::ffff:ffff:ffff:ffff'], createdAt: 3 }),
      ],
      {
        'ns/a': { ips: ['2001:db8::1'], allocated: ['2001:db8::1'] },
        'ns/b': { ips: ['2001:db8::2'], allocated: ['2001:db8::2'] },
        'ns/c': { ips: ['2001:db8:1:0:ffff:ffff:ffff:ffff'], allocated: ['2001:db8:1:0:ffff:ffff:ffff:ffff'], message: /from pool "wide"/ },
      },
    ),
    reserved({ '2001:db8::3': 'InternalIP of node n1' }),
    status({
      big: { total: total48, used: 2n, reserved: 1n, available: total48 - 3n },
      wide: { used: 1n, available: (1n << 64n) - 1n },
    }),
    apply([svc('ns/d', { ipFamilies: ['IPv6'] })], { 'ns/d': { ips: ['2001:db8::4'], allocated: ['2001:db8::4'] } }),
  ]);
  // Decimal-safe: the adapter writes String(bigint).
  const st = runStory([pools([pool('big', ['2001:db8::/48'], { allowFirstLastIPs: false })])]).allocator.poolStatus('big');
  if (String(st?.total) !== '1208925819614629174706174') throw new Error(`total ${String(st?.total)}`);
});

test('an address in two overlapping pools counts as used in the first by pool order', () => {
  runStory([
    pools([pool('b', ['192.0.2.0/29'], { createdAt: 1 }), pool('a', ['192.0.2.4/30'], { createdAt: 2 })]),
    status({ a: { conflict: /older pool "b"/ } }),
    apply([svc('ns/x', { requestedIPs: ['192.0.2.5'] })], { 'ns/x': { ips: ['192.0.2.5'], allocated: ['192.0.2.5'], message: /from pool "a"/ } }),
    status({ a: { used: 1n, available: 3n }, b: { used: 0n, available: 8n } }),
    all(),
  ]);
});
