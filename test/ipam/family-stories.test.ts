// Story tables: families and requested addresses (docs/ipam.md rules 5 and 6).
import { test } from 'node:test';
import { apply, pools, restart, runStory } from './story.ts';
import { pool, svc } from './fixtures.ts';

const v4 = pool('v4', ['192.0.2.0/28']);
const v6 = pool('v6', ['2001:db8::/64']);

test('PreferDualStack is satisfied with one family and gets the other when a pool appears', () => {
  const s = svc('ns/a', { ipFamilyPolicy: 'PreferDualStack' });
  runStory([
    pools([v4]),
    apply([s], {
      'ns/a': {
        ips: ['192.0.2.0'],
        allocated: ['192.0.2.0'],
        reason: 'Satisfied',
        message: /^allocated 192\.0\.2\.0 from pool "v4"; no IPv6 address: no usable IPPool has IPv6 addresses/,
      },
    }),
    restart(),
    pools([v4, v6], { 'ns/a': { ips: ['192.0.2.0', '2001:db8::'], allocated: ['2001:db8::'], message: /^allocated 192\.0\.2\.0 from pool "v4", 2001:db8:: from pool "v6"$/ } }),
    // Back to SingleStack: the second family goes.
    apply([{ ...s, ipFamilyPolicy: 'SingleStack' }], { 'ns/a': { ips: ['192.0.2.0'], released: [['2001:db8::', 'FamilyNotWanted', /SingleStack IPv4 Service does not want/]] } }),
    // SingleStack IPv4 → IPv6: the address is replaced.
    apply([{ ...s, ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv6'] }], {
      'ns/a': { ips: ['2001:db8::'], allocated: ['2001:db8::'], released: [['192.0.2.0', 'FamilyNotWanted']] },
    }),
  ]);
});

test('PreferDualStack with no pool at all reports the first family', () => {
  runStory([apply([svc('ns/a', { ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv6'] })], { 'ns/a': { ips: [], reason: 'NoPool', message: /IPv6/ } })]);
});

test('RequireDualStack is all or nothing for new addresses and keeps what it has', () => {
  const s = svc('ns/a', { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv6', 'IPv4'] });
  runStory([
    pools([v4]),
    apply([s], {
      'ns/a': { ips: [], reason: 'DualStackUnsatisfied', message: /^RequireDualStack needs an IPv4 and an IPv6 address; no IPv6 address: no usable IPPool/ },
    }),
    pools([v4, v6], { 'ns/a': { ips: ['2001:db8::', '192.0.2.0'], allocated: ['2001:db8::', '192.0.2.0'] } }),
    pools([v4], {
      'ns/a': { ips: ['192.0.2.0'], reason: 'DualStackUnsatisfied', released: [['2001:db8::', 'PoolRemoved', /2001:db8:: is no longer in any IPPool/]] },
    }),
    restart(),
    pools([v4, v6], { 'ns/a': { ips: ['2001:db8::', '192.0.2.0'], allocated: ['2001:db8::'] } }),
  ]);
});

test('requested addresses: exact, moved on edit, and every reason they can be refused', () => {
  const red = pool('red', ['198.51.100.0/28'], { serviceSelector: { matchLabels: { team: 'red' }, matchExpressions: [] } });
  runStory([
    pools([v4, v6, red]),
    apply([svc('ns/a', { requestedIPs: ['192.0.2.5'] })], { 'ns/a': { ips: ['192.0.2.5'], allocated: ['192.0.2.5'] } }),
    apply([svc('ns/a', { requestedIPs: ['192.0.2.6'] })], {
      'ns/a': { ips: ['192.0.2.6'], allocated: ['192.0.2.6'], released: [['192.0.2.5', 'NotRequested', /192\.0\.2\.5 is not among the requested addresses \(192\.0\.2\.6\)/]] },
    }),
    // An invalid request never costs the Service what it has.
    apply([svc('ns/a', { requestedIPs: ['192.0.2.6', '192.0.2.7'] })], {
      'ns/a': { ips: ['192.0.2.6'], reason: 'InvalidRequest', message: /192\.0\.2\.6 and 192\.0\.2\.7 are both IPv4; request at most one address per family/ },
    }),
    apply([svc('ns/a', { requestedIPs: ['2001:db8::5'] })], {
      'ns/a': { ips: ['192.0.2.6'], reason: 'InvalidRequest', message: /requested 2001:db8::5 is IPv6, but the Service is SingleStack IPv4/ },
    }),
    apply([svc('ns/a', { requestedIPs: ['192.0.2.300'] })], { 'ns/a': { ips: ['192.0.2.6'], reason: 'InvalidRequest', message: /not an IPv4/ } }),
    // Dropping the request keeps the address: it is still in a pool that may give it.
    apply([svc('ns/a')], { 'ns/a': { ips: ['192.0.2.6'], reason: 'Satisfied' } }),
    apply(
      [
        svc('ns/b', { requestedIPs: ['203.0.113.1'] }),
        svc('ns/c', { requestedIPs: ['198.51.100.1'] }),
        svc('ns/d', { requestedIPs: ['192.0.2.6'] }),
        svc('ns/e', { requestedIPs: ['198.51.100.1'], labels: { team: 'red' } }),
      ],
      {
        'ns/b': { ips: [], reason: 'RequestedIPUnavailable', message: /^requested 203\.0\.113\.1 is unavailable: 203\.0\.113\.1 is no longer in any IPPool/ },
        'ns/c': { ips: [], reason: 'RequestedIPUnavailable', message: /pool "red" does not select this Service/ },
        'ns/d': { ips: [], reason: 'IncompatibleSharing', message: /requested 192\.0\.2\.6 is held by ns\/a, which cannot share it: ns\/d has no sharing key/ },
        'ns/e': { ips: ['198.51.100.1'], allocated: ['198.51.100.1'] },
      },
    ),
    restart({ 'ns/a': { ips: ['192.0.2.6'] } }),
  ]);
});

test('dual-stack requests: every available address is given, the first failure is reported', () => {
  runStory([
    pools([v4, v6]),
    apply(
      [
        svc('ns/p', { ipFamilyPolicy: 'PreferDualStack', requestedIPs: ['203.0.113.9', '2001:db8::9'], createdAt: 1 }),
        svc('ns/q', { ipFamilyPolicy: 'PreferDualStack', requestedIPs: ['2001:db8::a'], createdAt: 2 }),
        svc('ns/r', { ipFamilyPolicy: 'RequireDualStack', requestedIPs: ['192.0.2.9', '2001:db8:1::1'], createdAt: 3 }),
        svc('ns/s', { ipFamilyPolicy: 'RequireDualStack', requestedIPs: ['192.0.2.10'], createdAt: 4 }),
        svc('ns/t', { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv6', 'IPv4'], requestedIPs: ['192.0.2.11', '2001:db8::b'], createdAt: 5 }),
      ],
      {
        'ns/p': { ips: ['2001:db8::9'], allocated: ['2001:db8::9'], reason: 'RequestedIPUnavailable', message: /203\.0\.113\.1?9 is unavailable/ },
        // Requesting one family under PreferDualStack asks for exactly that one.
        'ns/q': { ips: ['2001:db8::a'], allocated: ['2001:db8::a'], reason: 'Satisfied' },
        'ns/r': { ips: [], reason: 'DualStackUnsatisfied', message: /no IPv6 address: requested 2001:db8:1::1 is unavailable/ },
        'ns/s': { ips: [], reason: 'DualStackUnsatisfied', message: /no IPv6 address: the request names no IPv6 address/ },
        'ns/t': { ips: ['2001:db8::b', '192.0.2.11'], allocated: ['2001:db8::b', '192.0.2.11'] },
      },
    ),
    restart(),
  ]);
});
