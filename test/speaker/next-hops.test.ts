// Next hop self: which of the node's addresses go into the UPDATEs for a session.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { V1Node } from '@kubernetes/client-node';
import { nextHopsFor } from '../../src/speaker/next-hops.ts';

const NODE: V1Node = { metadata: { name: 'node-a' }, status: { addresses: [{ type: 'InternalIP', address: '192.0.2.11' }, { type: 'InternalIP', address: '2001:db8::11' }] } };
// As os.networkInterfaces() reports the lab node: a management address listed before the node's own.
const IFACES = {
  lo: [{ address: '127.0.0.1', family: 'IPv4', cidr: '127.0.0.1/8', internal: true }, { address: '::1', family: 'IPv6', cidr: '::1/128', internal: true }],
  eth0: [
    { address: '192.0.2.11', family: 'IPv4', cidr: '192.0.2.11/24' },
    { address: '198.19.0.11', family: 'IPv4', cidr: '198.19.0.11/24' },
    { address: '2001:db8:19::11', family: 'IPv6', cidr: '2001:db8:19::11/64' },
    { address: '2001:db8::11', family: 'IPv6', cidr: '2001:db8::11/64' },
    { address: 'fe80::68:6cff:fe00:b', family: 'IPv6', cidr: 'fe80::68:6cff:fe00:b/64' },
  ],
};

describe('nextHopsFor', () => {
  it('an IPv4 session: its local address for IPv4, the node InternalIP for IPv6, and the link-local when the peer is on the link', () => {
    assert.deepEqual(nextHopsFor('192.0.2.11', '192.0.2.1', NODE, IFACES), { v4: '192.0.2.11', v6: '2001:db8::11', linkLocalV6: 'fe80::68:6cff:fe00:b' });
  });

  it('regression: an IPv6 next hop from a second (management) address of the interface made BIRD treat the route as withdrawn', () => {
    // Before the fix the first global IPv6 of eth0, 2001:db8:19::11, was sent: off the router's networks.
    assert.equal(nextHopsFor('192.0.2.11', '192.0.2.1', NODE, IFACES).v6, '2001:db8::11');
  });

  it('a multihop peer off the link gets no link-local next hop', () => {
    assert.equal(nextHopsFor('192.0.2.11', '203.0.113.1', NODE, IFACES).linkLocalV6, null);
  });

  it('an IPv6 session: its local address for IPv6 and the node IPv4 InternalIP for IPv4; v4-mapped local addresses are unmapped', () => {
    assert.deepEqual(nextHopsFor('2001:db8::11', '2001:db8::1', NODE, IFACES), { v4: '192.0.2.11', v6: '2001:db8::11', linkLocalV6: 'fe80::68:6cff:fe00:b' });
    assert.equal(nextHopsFor('::ffff:192.0.2.11', '192.0.2.1', NODE, IFACES).v4, '192.0.2.11');
  });

  it('a node without IPv6 has no IPv6 next hop (its IPv6 routes are skipped, not sent with a bad one)', () => {
    const v4only: V1Node = { metadata: { name: 'n' }, status: { addresses: [{ type: 'InternalIP', address: '192.0.2.11' }] } };
    assert.deepEqual(nextHopsFor('192.0.2.11', '192.0.2.1', v4only, { eth0: [{ address: '192.0.2.11', family: 'IPv4', cidr: '192.0.2.11/24' }] }), { v4: '192.0.2.11', v6: null, linkLocalV6: null });
  });
});
