// Finding the addon: a missing or foreign file is an error value with a stable code and a next
// step, never a throw (the controller runs without the addon; the speaker reports it).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ABI_VERSION, ADDON_PATH, loadAddon } from '../../src/net/native.ts';

describe('loadAddon', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-addon-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reports a missing addon as AddonMissing, saying how to build it', () => {
    const r = loadAddon(join(dir, 'absent.node'));
    assert.equal(r.ok ? 'loaded' : r.error.code, 'AddonMissing');
    assert.match(r.ok ? '' : r.error.message, /npm run build:native/);
  });

  it('reports a file that is not a shared object as AddonLoadFailed', () => {
    const path = join(dir, 'garbage.node');
    writeFileSync(path, 'not an ELF file');
    const r = loadAddon(path);
    assert.equal(r.ok ? 'loaded' : r.error.code, 'AddonLoadFailed');
  });

  it('refuses a module that is not herald_net of this ABI', () => {
    const path = join(dir, 'other.cjs');
    writeFileSync(path, `module.exports = { abiVersion: ${ABI_VERSION + 1}, PacketSocket() {}, Icmp6Socket() {}, setTcpMd5() {} };`);
    const r = loadAddon(path);
    assert.equal(r.ok ? 'loaded' : r.error.code, 'AddonLoadFailed');
    assert.match(r.ok ? '' : r.error.message, new RegExp(`ABI ${ABI_VERSION}`));
  });

  // `npm ci` builds it (the root package's install script); this fails if that step is lost.
  it('loads the addon that npm ci built, at the path dist/ will also use', () => {
    assert.match(ADDON_PATH, /native\/build\/Release\/herald_net\.node$/);
    const r = loadAddon();
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.equal(r.value.abiVersion, ABI_VERSION);
    assert.equal(loadAddon(), r, 'loaded once');
  });
});
