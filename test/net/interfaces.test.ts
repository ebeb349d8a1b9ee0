// Interface facts from sysfs, against a hand-built /sys/class/net tree (one directory per
// interface, as the kernel lays it out) and against this machine's own loopback.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listInterfaces, readInterface } from '../../src/net/interfaces.ts';
import { usableByDefault } from '../../src/speaker/interfaces.ts';
import { toLocalInterfaces } from '../../src/speaker/local-interfaces.ts';

interface FakeIface {
  ifindex: number;
  flags: string;
  mac?: string;
  devtype?: string;
  master?: string;
  operstate?: string;
}

function sysfs(ifaces: Record<string, FakeIface>): string {
  const root = mkdtempSync(join(tmpdir(), 'herald-sysfs-'));
  for (const [name, i] of Object.entries(ifaces)) {
    const dir = join(root, name);
    mkdirSync(dir);
    const mac = i.mac ?? `02:00:00:00:00:${i.ifindex.toString(16).padStart(2, '0')}`;
    const files: Record<string, string> = {
      ifindex: `${i.ifindex}\n`,
      flags: `${i.flags}\n`,
      address: `${mac}\n`,
      addr_len: `${mac.split(':').length}\n`,
      operstate: `${i.operstate ?? 'up'}\n`,
      mtu: '1500\n',
      uevent: `INTERFACE=${name}\nIFINDEX=${i.ifindex}\n${i.devtype === undefined ? '' : `DEVTYPE=${i.devtype}\n`}`,
    };
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    if (i.master !== undefined) symlinkSync(`../${i.master}`, join(dir, 'master'));
  }
  return root;
}

describe('interfaces from sysfs', () => {
  const root = sysfs({
    lo: { ifindex: 1, flags: '0x9', mac: '00:00:00:00:00:00', operstate: 'unknown' },
    eth0: { ifindex: 2, flags: '0x1003', mac: '02:AB:CD:00:00:02' },
    eth1: { ifindex: 3, flags: '0x1003', master: 'br0' },
    br0: { ifindex: 4, flags: '0x1003', devtype: 'bridge' },
    eth2: { ifindex: 5, flags: '0x1803', master: 'bond0' },
    bond0: { ifindex: 6, flags: '0x1403', devtype: 'bond' },
    noarp: { ifindex: 7, flags: '0x1083' },
    down: { ifindex: 8, flags: '0x1002', operstate: 'down' },
    eth3: { ifindex: 9, flags: '0x1003', master: 'blue' },
    blue: { ifindex: 10, flags: '0x1483', devtype: 'vrf' },
    tun0: { ifindex: 11, flags: '0x10d1', mac: '' },
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('reads ifindex, MAC, flags, kind and master', () => {
    const eth0 = readInterface('eth0', root);
    assert.deepEqual(eth0, {
      ok: true,
      value: { name: 'eth0', ifindex: 2, mac: '02:ab:cd:00:00:02', flags: 0x1003, up: true, broadcast: true, loopback: false, noArp: false, multicast: true, operState: 'up', mtu: 1500, kind: '' },
    });
    const eth1 = readInterface('eth1', root);
    assert.deepEqual(eth1.ok && eth1.value.master, { name: 'br0', kind: 'bridge' });
    const tun = readInterface('tun0', root);
    assert.equal(tun.ok && tun.value.mac, '', 'no link-layer address');
  });

  // The speaker's default rule (src/speaker/interfaces.ts, the one rule since issue #9) over facts
  // read from sysfs.
  it('chooses by default only up, broadcast, ARP-enabled, non-loopback, non-enslaved interfaces (issue #3)', () => {
    const listed = listInterfaces(root);
    assert.ok(listed.ok);
    assert.deepEqual(listed.value.map((i) => i.ifindex), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 'sorted by ifindex');
    const chosen = toLocalInterfaces(listed.value, {}).filter(usableByDefault).map((i) => i.name);
    // eth1/eth2 are a bridge port and a bond slave (announce on br0/bond0 instead); eth3 is only
    // in a VRF, a routed port that is still its own L2 segment (issue #9). blue (a VRF device)
    // has IFF_NOARP.
    assert.deepEqual(chosen, ['eth0', 'br0', 'bond0', 'eth3']);
  });

  it('answers a missing interface with ENODEV and refuses path tricks', () => {
    assert.deepEqual(readInterface('eth9', root), { ok: false, error: { code: 'ENODEV', message: 'no interface eth9' } });
    for (const name of ['', '..', '../eth0', 'a/b']) {
      const r = readInterface(name, root);
      assert.equal(r.ok ? 'read' : r.error.code, 'InvalidArgument', name);
    }
    const broken = listInterfaces(join(root, 'nowhere'));
    assert.equal(broken.ok ? 'listed' : broken.error.code, 'ENOENT');
  });

  it("reads this machine's loopback from the real /sys", () => {
    const lo = readInterface('lo');
    assert.ok(lo.ok, lo.ok ? '' : lo.error.message);
    assert.equal(lo.value.loopback, true);
    assert.equal(toLocalInterfaces([lo.value], {}).every(usableByDefault), false);
  });
});
