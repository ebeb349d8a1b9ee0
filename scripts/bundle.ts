// `npm run build`: src/cli.ts → dist/herald.mjs, one ES module bundle with a chunk per command
// (dist/chunks/), what bin/herald.js and the image run (issue #10). Why a bundle and not tsc's
// one file per module:
// - tree-shaking keeps of @kubernetes/client-node only what Herald calls (5 of its ~60 API groups),
//   and of every dependency only what is reachable;
// - `herald speaker` loads the speaker's chunks only, not the controller, the API-server stand-in
//   or the lab (src/cli.ts imports each command when it runs);
// - no type stripping at run time (about 20 MiB per process, issue #10).
// - undici, which client-node imports at the top of config.js and watch.js but Herald never calls
//   (src/kube/transport.ts sends through node:http), is loaded only on first use
//   (scripts/lazy-undici.js): ~18 MB less RSS per process (issue #10).
// Identifiers are kept (stack traces name the real functions); whitespace and syntax are minified,
// with a source map beside each file for `node --enable-source-maps`. Output is ASCII only: one
// non-Latin-1 character in a license comment made V8 hold the whole 3 MB chunk as a two-byte
// string; license comments go to dist/*.LEGAL.txt instead.
import { build } from 'esbuild';
import type { Plugin } from 'esbuild';
import { rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// `--outdir NAME`: another directory beside dist/ (at the same depth, so paths resolve alike), for the bundle's own test.
const named = process.argv.indexOf('--outdir');
const outdir = `${root}${named === -1 ? 'dist' : (process.argv[named + 1] ?? 'dist')}`;
rmSync(outdir, { recursive: true, force: true });

const LAZY_UNDICI = fileURLToPath(new URL('lazy-undici.js', import.meta.url));
/** Every `undici` import but the stand-in's own goes to the stand-in. */
const lazyUndici: Plugin = {
  name: 'lazy-undici',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, (args) => (args.importer === LAZY_UNDICI ? undefined : { path: LAZY_UNDICI }));
  },
};
/**
 * Node's built-in modules are loaded with require(), not import: an ES import of `node:http`
 * makes Node build the module's ES facade, which reads every export, among them the lazy
 * `http.WebSocket`, `MessageEvent` and `CloseEvent` getters, and those load Node's own bundled
 * undici with http2, zlib, worker_threads and web streams: ~17 MB of RSS in a process that never
 * uses any of them (issue #10). require() returns the module object and leaves the getters alone;
 * esbuild reads named imports off it as properties.
 */
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const builtinsByRequire: Plugin = {
  name: 'builtins-by-require',
  setup(b) {
    b.onResolve({ filter: /^[a-z:_/0-9]+$/ }, (args) => {
      if (!BUILTINS.has(args.path)) return undefined;
      if (args.namespace === 'builtin-by-require') return { path: args.path, external: true };
      return { path: args.path, namespace: 'builtin-by-require' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin-by-require' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

const result = await build({
  absWorkingDir: root,
  entryPoints: { herald: 'src/cli.ts' },
  outdir,
  // Chunks sit two levels below the package root, as src/<dir>/*.ts do: the code that finds
  // native/, deploy/crds and the CLI relative to itself works unchanged from them.
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minifyWhitespace: true,
  minifySyntax: true,
  minifyIdentifiers: false,
  sourcemap: 'linked',
  charset: 'ascii',
  legalComments: 'external',
  // The CommonJS dependencies (undici, prom-client, pino…) call require(): give the ESM output one.
  banner: { js: "import { createRequire as __heraldRequire } from 'node:module'; const require = __heraldRequire(import.meta.url);" },
  logLevel: 'warning',
  metafile: true,
  plugins: [lazyUndici, builtinsByRequire],
});
let bytes = 0;
for (const [file, out] of Object.entries(result.metafile.outputs)) if (file.endsWith('.mjs')) bytes += out.bytes;
process.stdout.write(`dist/herald.mjs and ${Object.keys(result.metafile.outputs).filter((f) => f.includes('/chunks/') && f.endsWith('.mjs')).length} chunks, ${(bytes / 1e6).toFixed(1)} MB\n`);
