// `npm run build`: src/cli.ts → dist/herald.mjs, one ES module bundle with a chunk per command
// (dist/chunks/), what bin/herald.js and the image run (issue #10). Why a bundle and not tsc's
// one file per module:
// - tree-shaking keeps of @kubernetes/client-node only what Herald calls (5 of its ~60 API groups),
//   and of every dependency only what is reachable;
// - `herald speaker` and `herald controller` each load one bundle of their own, not each other,
//   the API-server stand-in or the lab (src/cli.ts imports each command when it runs);
// - no type stripping at run time (about 20 MiB per process, issue #10).
// - undici, which client-node imports at the top of config.js and watch.js but Herald never calls
//   (src/kube/transport.ts sends through node:http), is loaded only on first use
//   (scripts/lazy-undici.js): ~18 MB less RSS per process (issue #10).
// Identifiers are kept (stack traces name the real functions); whitespace and syntax are minified,
// with a source map beside each file for `node --enable-source-maps`. Output is ASCII only: one
// non-Latin-1 character in a license comment made V8 hold the whole 3 MB chunk as a two-byte
// string; license comments go to dist/*.LEGAL.txt instead.
import { build } from 'esbuild';
import type { BuildOptions, Metafile, Plugin } from 'esbuild';
import { realpathSync, rmSync, writeFileSync } from 'node:fs';
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
    // The stand-in's own require of undici is left to run time (node_modules, as in the image): its
    // 1 MB of source was half the speaker's bundle, held as a string by every process.
    b.onResolve({ filter: /^undici$/ }, (args) => (args.importer === LAZY_UNDICI ? { path: 'undici', external: true } : { path: LAZY_UNDICI }));
  },
};
// Its real path: esbuild resolves symlinks, and a tree whose node_modules is a link to another
// checkout's (bench/speaker/variants.ts builds a base commit so) matched no module here, so that
// tree's speaker was built with all of client-node (1.47 MB against 0.86 MB; 5 MB more RSS idle).
const CLIENT_NODE = `${realpathSync(`${root}node_modules/@kubernetes/client-node/dist`)}/`;
const LIST_WATCH_SERIALIZER = fileURLToPath(new URL('list-watch-serializer.js', import.meta.url));
/**
 * What the speaker does not use of client-node stays out of its chunks (issue #10). Its modules
 * are marked free of side effects, which they are but for polyfill.js (a global for undici), so
 * that esbuild drops every one nothing calls: the speaker sends plain requests (src/kube/http.ts)
 * and needs neither the generated API clients nor the ObjectSerializer with its ~900 model
 * classes. ListWatch reaches the ObjectSerializer for one call on a string, so it gets a stand-in
 * (scripts/list-watch-serializer.js). The controller is trimmed alike; the status command and the
 * lab still load the real ones, in their own chunks.
 */
const clientNodeTrimmed: Plugin = {
  name: 'client-node-trimmed',
  setup(b) {
    b.onResolve({ filter: /^\.\/serializer\.js$/ }, (args) => (args.importer === `${CLIENT_NODE}cache.js` ? { path: LIST_WATCH_SERIALIZER } : undefined));
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === 'trimmed' || !(args.importer.startsWith(CLIENT_NODE) || args.path === '@kubernetes/client-node')) return undefined;
      const r = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'trimmed' });
      if (r.errors.length > 0 || !r.path.startsWith(CLIENT_NODE) || r.path.endsWith('/polyfill.js')) return undefined;
      return { ...r, sideEffects: false };
    });
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

const common = {
  absWorkingDir: root,
  bundle: true,
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
} satisfies BuildOptions;

/**
 * The two daemons, `herald speaker` (on every node) and `herald controller`, are bundles of their
 * own, dist/chunks/speaker.mjs and dist/chunks/controller.mjs, that src/cli.ts imports. In the
 * split build, esbuild put client-node's generated clients and models in the chunk that also
 * holds KubeConfig, which both load, though neither calls them: each sends plain JSON requests
 * (src/kube/http.ts; issue #10). The status command, the lab and the stand-in keep the split build.
 */
const DAEMONS = { speaker: 'src/speaker/command.ts', controller: 'src/controller/command.ts' } as const;
const chunkOf = (daemon: string): string => `chunks/${daemon}.mjs`;
const daemonsApart: Plugin = {
  name: 'daemons-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/(speaker|controller)\/command\.ts$/ }, (args) => {
      if (args.importer !== `${root}src/cli.ts`) return undefined;
      const daemon = args.path.split('/')[1] ?? '';
      return { path: `./${chunkOf(daemon)}`, external: true };
    });
  },
};

const result = await build({
  ...common,
  entryPoints: { herald: 'src/cli.ts' },
  outdir,
  // Chunks sit two levels below the package root, as src/<dir>/*.ts do: the code that finds
  // native/, deploy/crds and the CLI relative to itself works unchanged from them.
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  splitting: true,
  plugins: [daemonsApart, lazyUndici, builtinsByRequire, clientNodeTrimmed],
});
const metafiles: Record<string, Metafile> = { main: result.metafile };
for (const [daemon, entry] of Object.entries(DAEMONS)) {
  const r = await build({ ...common, entryPoints: [entry], outfile: `${outdir}/${chunkOf(daemon)}`, plugins: [lazyUndici, builtinsByRequire, clientNodeTrimmed] });
  metafiles[daemon] = r.metafile;
}
if (process.argv.includes('--metafile')) writeFileSync(`${outdir}/meta.json`, JSON.stringify(metafiles));
let bytes = 0;
for (const m of Object.values(metafiles)) for (const [file, out] of Object.entries(m.outputs)) if (file.endsWith('.mjs')) bytes += out.bytes;
const chunks = Object.keys(result.metafile.outputs).filter((f) => f.includes('/chunks/') && f.endsWith('.mjs')).length;
process.stdout.write(`dist/herald.mjs, ${Object.keys(DAEMONS).map((d) => `dist/${chunkOf(d)}`).join(', ')} and ${chunks} chunks, ${(bytes / 1e6).toFixed(1)} MB\n`);
