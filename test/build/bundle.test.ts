// The bundle `npm run build` makes (scripts/bundle.ts) is what the image runs. Issue #10 measured
// what a speaker's modules cost at start: these pin the two fixes that took an idle speaker from
// 105–115 MB to 81–85 MB of RSS (bench/README.md, "Speaker footprint", fourteenth session).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE = process.execPath;

describe('the bundle', () => {
  it('loading every command loads neither undici (client-node\'s, nor Node\'s own through an ES import of node:http) nor http2', () => {
    const name = `.bundle-test-${process.pid}`;
    const dir = `${ROOT}${name}`;
    try {
      execFileSync(NODE, ['scripts/bundle.ts', '--outdir', name], { cwd: ROOT, stdio: 'pipe' });
      const commands = readdirSync(`${dir}/chunks`).filter((f) => f.startsWith('command-') && f.endsWith('.mjs'));
      assert.ok(commands.length >= 4, `${commands.length} command chunks`);
      const script = `const before = new Set(process.moduleLoadList);
for (const c of ${JSON.stringify(commands)}) await import(${JSON.stringify(`${dir}/chunks/`)} + c);
const added = process.moduleLoadList.filter((m) => !before.has(m));
console.log(JSON.stringify(added));`;
      const added = JSON.parse(execFileSync(NODE, ['--input-type=module', '-e', script], { cwd: ROOT }).toString()) as string[];
      assert.ok(added.includes('NativeModule net'), 'the commands were loaded');
      // Node's bundled undici: an ES import of node:http reads the lazy http.WebSocket export.
      assert.ok(!added.includes('NativeModule internal/deps/undici/undici'), 'Node\'s undici was loaded');
      // Both undicis require node:http2 at their top; nothing in Herald does.
      assert.ok(!added.includes('NativeModule http2'), 'http2 was loaded (so an undici was initialised)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
