// The bundle `npm run build` makes (scripts/bundle.ts) is what the image runs. Issue #10 measured
// what a speaker's modules cost at start: these pin the fixes that took an idle speaker from
// 105–115 MB of RSS to under 80 (bench/README.md, "Speaker footprint", fourteenth session), and
// the controller's bundle of its own (fifteenth session).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE = process.execPath;

describe('the bundle', () => {
  const name = `.bundle-test-${process.pid}`;
  const dir = `${ROOT}${name}`;
  before(() => {
    execFileSync(NODE, ['scripts/bundle.ts', '--outdir', name], { cwd: ROOT, stdio: 'pipe' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [daemon, entry] of [['speaker', 'runSpeakerCommand'], ['controller', 'runControllerCommand']]) {
    it(`the ${daemon} holds none of client-node's generated clients and model classes (every model has an attributeTypeMap)`, () => {
      const bundle = readFileSync(`${dir}/chunks/${daemon}.mjs`, 'utf8');
      assert.ok(bundle.includes(entry ?? ''), `the ${daemon} bundle`);
      assert.ok(/\bListWatch\b/.test(bundle), 'client-node\'s ListWatch is in it');
      assert.equal(bundle.match(/attributeTypeMap/g)?.length ?? 0, 0);
      assert.ok(!/\bCoreV1Api\b/.test(bundle), 'CoreV1Api is in it');
      // ICU's collator: ~9 MB more of the node binary mapped into the process (issue #10).
      assert.ok(!bundle.includes('localeCompare'), 'localeCompare is called');
      assert.ok(readFileSync(`${dir}/herald.mjs`, 'utf8').includes(`import("./chunks/${daemon}.mjs")`), 'the CLI loads it');
    });
  }

  it('undici is not in the speaker\'s bundle; the stand-in loads it from node_modules on first use, and it works', async () => {
    const speaker = readFileSync(`${dir}/chunks/speaker.mjs`, 'utf8');
    assert.ok(speaker.includes('require("undici")'), 'the stand-in\'s run-time require');
    assert.ok(!speaker.includes('require_undici'), 'undici bundled');
    // The stand-in as the bundle builds it: ES module, a require() from the banner, undici external.
    await build({ entryPoints: [`${ROOT}scripts/lazy-undici.js`], outfile: `${dir}/chunks/lazy-undici.mjs`, bundle: true, platform: 'node', format: 'esm', external: ['undici'], banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" }, logLevel: 'error' });
    const script = `const u = await import(${JSON.stringify(`${dir}/chunks/lazy-undici.mjs`)});
const before = process.moduleLoadList.includes('NativeModule http2');
const agent = new u.Agent({ connect: { keepAlive: true } });
console.log(JSON.stringify({ before, after: process.moduleLoadList.includes('NativeModule http2'), dispatch: typeof agent.dispatch, name: agent.constructor.name, fetch: typeof u.fetch }));
await agent.close();`;
    const r = JSON.parse(execFileSync(NODE, ['--input-type=module', '-e', script], { cwd: ROOT }).toString()) as Record<string, unknown>;
    assert.deepEqual(r, { before: false, after: true, dispatch: 'function', name: 'Agent', fetch: 'function' });
  });

  it('loading every command loads neither undici (client-node\'s, nor Node\'s own through an ES import of node:http) nor http2', () => {
    {
      const commands = readdirSync(`${dir}/chunks`).filter((f) => (f.startsWith('command-') || f === 'speaker.mjs' || f === 'controller.mjs') && f.endsWith('.mjs'));
      assert.ok(commands.length >= 5, `${commands.length} command chunks`);
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
    }
  });
});
