// The default interface rule on sysfs facts (issue #9 kept one rule, the speaker's, and decided
// the VRF case): a bond slave or bridge port is enslaved (announce on its master); a port in a
// VRF is a routed port, its own L2 segment, and is chosen by default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NetInterface } from '../../src/net/interfaces.ts';
import { selectInterfaces } from '../../src/speaker/interfaces.ts';
import { toLocalInterfaces } from '../../src/speaker/local-interfaces.ts';

const fact = (name: string, ifindex: number, master?: { name: string; kind: string }): NetInterface => ({
  name, ifindex, mac: '02:00:00:00:00:01', flags: 0x1003, up: true, broadcast: true, loopback: false, noArp: false, multicast: true, operState: 'up', mtu: 1500, kind: '',
  ...(master === undefined ? {} : { master }),
});

test('a VRF member is chosen by default; a bond slave, a bridge port and a port of an unknown master are not', () => {
  const facts = [
    fact('eth0', 2),
    fact('eth1', 3, { name: 'br0', kind: 'bridge' }),
    fact('eth2', 4, { name: 'bond0', kind: 'bond' }),
    fact('eth3', 5, { name: 'blue', kind: 'vrf' }),
    fact('eth4', 6, { name: 'mystery', kind: '' }),
  ];
  const local = toLocalInterfaces(facts, {});
  assert.deepEqual(local.map((i) => [i.name, i.master]), [['eth0', null], ['eth1', 'br0'], ['eth2', 'bond0'], ['eth3', null], ['eth4', 'mystery']]);
  assert.deepEqual(selectInterfaces(local, []), ['eth0', 'eth3']);
});
