// Story tables: sharing (docs/ipam.md rules 4 and 7).
import { test } from 'node:test';
import { all, apply, pools, remove, restart, runStory } from './story.ts';
import { pool, shared, svc } from './fixtures.ts';

const blue = pool('blue', ['192.0.2.0/28']);

test('the Cluster→Local double switch keeps the shared IP at every step and ends Satisfied', () => {
  // MetalLB releases the IP at the first switch; Herald must not (see src/ipam/sharing.ts).
  const a = (etp: 'Cluster' | 'Local') => shared('ns/a', 'k', 80, { createdAt: 1, externalTrafficPolicy: etp });
  const b = (etp: 'Cluster' | 'Local') => shared('ns/b', 'k', 443, { createdAt: 2, externalTrafficPolicy: etp });
  runStory([
    pools([blue]),
    apply([a('Cluster'), b('Cluster')], {
      'ns/a': { ips: ['192.0.2.0'], allocated: ['192.0.2.0'], reason: 'Satisfied' },
      'ns/b': { ips: ['192.0.2.0'], allocated: ['192.0.2.0'], reason: 'Satisfied' },
    }),
    // The controller reconciles the edited Service and the other holders of its addresses.
    apply([a('Local'), b('Cluster')], {
      'ns/a': {
        ips: ['192.0.2.0'],
        satisfied: false,
        reason: 'IncompatibleSharing',
        message: /192\.0\.2\.0 is shared with ns\/b, but externalTrafficPolicy differs \(Local on ns\/a, Cluster on ns\/b\); the address is kept until they are made compatible/,
      },
      'ns/b': { ips: ['192.0.2.0'], satisfied: false, reason: 'IncompatibleSharing', message: /shared with ns\/a/ },
    }),
    restart({
      'ns/a': { ips: ['192.0.2.0'], reason: 'IncompatibleSharing' },
      'ns/b': { ips: ['192.0.2.0'], reason: 'IncompatibleSharing' },
    }),
    apply([b('Local')], { 'ns/b': { ips: ['192.0.2.0'], reason: 'Satisfied' } }),
    apply([a('Local')], { 'ns/a': { ips: ['192.0.2.0'], reason: 'Satisfied' } }),
  ]);
});

test('a port clash on automatic allocation gives another IP, which joins the key group', () => {
  runStory([
    pools([blue]),
    apply([shared('ns/a', 'k', 80, { createdAt: 1 }), shared('ns/b', 'k', 81, { createdAt: 2 }), shared('ns/c', 'k', 80, { createdAt: 3 })], {
      'ns/a': { ips: ['192.0.2.0'], allocated: ['192.0.2.0'] },
      'ns/b': { ips: ['192.0.2.0'], allocated: ['192.0.2.0'] },
      'ns/c': { ips: ['192.0.2.1'], allocated: ['192.0.2.1'] },
    }),
    // 81 clashes with ns/b on .0, so ns/d joins .1 (ns/c only uses 80).
    apply([shared('ns/d', 'k', 81, { createdAt: 4 })], { 'ns/d': { ips: ['192.0.2.1'], allocated: ['192.0.2.1'] } }),
    // A Service without a key never joins; nor does one with another key.
    apply([svc('ns/e', { ports: [{ protocol: 'TCP', port: 9 }] }), shared('ns/f', 'j', 9)], {
      'ns/e': { ips: ['192.0.2.2'], allocated: ['192.0.2.2'] },
      'ns/f': { ips: ['192.0.2.3'], allocated: ['192.0.2.3'] },
    }),
    // Different traffic policy: no join.
    apply([shared('ns/g', 'k', 90, { externalTrafficPolicy: 'Local' })], { 'ns/g': { ips: ['192.0.2.4'], allocated: ['192.0.2.4'] } }),
    remove('ns/a', ['192.0.2.0']),
    restart(),
  ]);
});

test('cross-namespace sharing needs both sides to list each other', () => {
  const x = (key: string, cross: string[], port: number, createdAt: number) =>
    shared(key, 'k', port, { sharing: { key: 'k', crossNamespaces: cross }, createdAt });
  runStory([
    pools([blue]),
    apply([x('one/a', ['two'], 80, 1)], { 'one/a': { ips: ['192.0.2.0'], allocated: ['192.0.2.0'] } }),
    apply([x('two/b', [], 81, 2)], { 'two/b': { ips: ['192.0.2.1'], allocated: ['192.0.2.1'] } }),
    // Accepting afterwards moves nothing: keeping an address never moves it.
    apply([x('two/b', ['one'], 81, 2)], { 'two/b': { ips: ['192.0.2.1'] } }),
    apply([x('two/c', ['*'], 82, 3)], { 'two/c': { ips: ['192.0.2.0'], allocated: ['192.0.2.0'] } }),
    // A requested address needs the same consent.
    apply([x('three/d', ['*'], 83, 4), { ...x('three/e', ['*'], 84, 5), requestedIPs: ['192.0.2.0'] }], {
      'three/d': { ips: ['192.0.2.2'], allocated: ['192.0.2.2'] },
      'three/e': { ips: [], reason: 'IncompatibleSharing', message: /requested 192\.0\.2\.0 is held by one\/a, which cannot share it: one\/a does not list namespace "three"/ },
    }),
    // one/a withdraws its consent: the Service whose edit broke the sharing is the one that moves.
    apply([x('one/a', [], 80, 1), x('two/c', ['*'], 82, 3)], {
      'one/a': {
        ips: ['192.0.2.3'],
        allocated: ['192.0.2.3'],
        released: [['192.0.2.0', 'SharingKeyMismatch', /stays with two\/c, which cannot share it with one\/a: one\/a does not list namespace "two"/]],
      },
      'two/c': { ips: ['192.0.2.0'] },
    }),
    // The controller retries unsatisfied Services after a release: three/e can now join two/c.
    all({ 'three/e': { ips: ['192.0.2.0'], allocated: ['192.0.2.0'] } }),
    restart(),
  ]);
});

test('changing the sharing key: the edited Service leaves, the others stay', () => {
  runStory([
    pools([blue]),
    apply([shared('ns/old', 'k', 80, { createdAt: 1 }), shared('ns/young', 'k', 81, { createdAt: 2 })], {
      'ns/old': { ips: ['192.0.2.0'], allocated: ['192.0.2.0'] },
      'ns/young': { ips: ['192.0.2.0'], allocated: ['192.0.2.0'] },
    }),
    // The older Service edits its key: it is the one that moves, although it is older.
    apply([shared('ns/old', 'j', 80, { createdAt: 1 }), shared('ns/young', 'k', 81, { createdAt: 2 })], {
      'ns/old': { ips: ['192.0.2.1'], allocated: ['192.0.2.1'], released: [['192.0.2.0', 'SharingKeyMismatch', /stays with ns\/young/]] },
      'ns/young': { ips: ['192.0.2.0'] },
    }),
    // Dropping the key altogether: a Service without a key shares with nobody.
    apply([shared('ns/a', 'k', 82, { createdAt: 3 })], { 'ns/a': { ips: ['192.0.2.0'], allocated: ['192.0.2.0'] } }),
    apply([svc('ns/a', { createdAt: 3 })], {
      'ns/a': { ips: ['192.0.2.2'], allocated: ['192.0.2.2'], released: [['192.0.2.0', 'SharingKeyMismatch', /ns\/a has no sharing key/]] },
    }),
    restart(),
  ]);
});

test('requested addresses and sharing', () => {
  runStory([
    pools([blue]),
    apply([shared('ns/a', 'k', 80, { createdAt: 1 }), svc('ns/b', { createdAt: 2 })], {
      'ns/a': { ips: ['192.0.2.0'], allocated: ['192.0.2.0'] },
      'ns/b': { ips: ['192.0.2.1'], allocated: ['192.0.2.1'] },
    }),
    apply(
      [
        shared('ns/c', 'k', 81, { requestedIPs: ['192.0.2.0'], createdAt: 3 }),
        shared('ns/d', 'k', 80, { requestedIPs: ['192.0.2.0'], createdAt: 4 }),
        shared('ns/e', 'k', 82, { requestedIPs: ['192.0.2.1'], createdAt: 5 }),
        shared('ns/f', 'other', 83, { requestedIPs: ['192.0.2.0'], createdAt: 6 }),
      ],
      {
        'ns/c': { ips: ['192.0.2.0'], allocated: ['192.0.2.0'] },
        'ns/d': { ips: [], reason: 'IncompatibleSharing', message: /requested 192\.0\.2\.0 is held by ns\/a, which cannot share it: both use TCP\/80/ },
        'ns/e': { ips: [], reason: 'IncompatibleSharing', message: /held by ns\/b, which cannot share it: ns\/b has no sharing key/ },
        'ns/f': { ips: [], reason: 'IncompatibleSharing', message: /sharing keys differ/ },
      },
    ),
    // ns/d changes port: now it can join.
    apply([shared('ns/d', 'k', 84, { requestedIPs: ['192.0.2.0'], createdAt: 4 })], { 'ns/d': { ips: ['192.0.2.0'], allocated: ['192.0.2.0'] } }),
    // Two sharers edit into a port clash: they keep the address, unsatisfied, until fixed.
    apply([shared('ns/c', 'k', 84, { requestedIPs: ['192.0.2.0'], createdAt: 3 })], {
      'ns/c': { ips: ['192.0.2.0'], reason: 'IncompatibleSharing', message: /shared with ns\/d, but both use TCP\/84; the address is kept/ },
    }),
    restart({
      'ns/c': { ips: ['192.0.2.0'], reason: 'IncompatibleSharing' },
      'ns/d': { ips: ['192.0.2.0'], reason: 'IncompatibleSharing' },
      'ns/e': { ips: [], reason: 'IncompatibleSharing' },
      'ns/f': { ips: [], reason: 'IncompatibleSharing' },
    }),
    apply([shared('ns/c', 'k', 85, { requestedIPs: ['192.0.2.0'], createdAt: 3 })], { 'ns/c': { ips: ['192.0.2.0'], reason: 'Satisfied' } }),
  ]);
});
