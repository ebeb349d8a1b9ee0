// The warm restart counts Service status writes under either server's key (bench/ipam/restart.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serviceStatusWrites } from '../../bench/ipam/restart.ts';

test('serviceStatusWrites: the stand-in\'s and kube-apiserver\'s keys for Service status writes, nothing else', () => {
  const counted = new Map([
    ['patch.services/status', 3],
    ['PATCH services/status', 4],
    ['PUT services/status', 5],
    ['update.leases', 2],
    ['PUT ippools/status', 7],
    ['patch.services', 11],
    ['update.myservices/status', 13],
  ]);
  assert.equal(serviceStatusWrites(counted), 12);
  assert.equal(serviceStatusWrites(new Map()), 0);
});
