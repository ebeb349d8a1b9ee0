// `npm run build`: src/cli.ts → dist/herald.mjs, one ES module bundle with a chunk per command
// (dist/chunks/), what bin/herald.js and the image run (issue #10). Why a bundle and not tsc's
// one file per module:
// - tree-shaking keeps of @kubernetes/client-node only what Herald calls (5 of its ~60 API groups),
//   and of every dependency only what is reachable;
// - `herald speaker` loads the speaker's chunks only, not the controller, the API-server stand-in
//   or the lab (src/cli.ts imports each command when it runs);
// - no type stripping at run time (about 20 MiB per process, issue #10).
// Identifiers are kept (stack traces name the real functions); whitespace and syntax are minified,
// with a source map beside each file for `node --enable-source-maps`. Output is ASCII only: one
// non-Latin-1 character in a license comment made V8 hold the whole 3 MB chunk as a two-byte
// string; license comments go to dist/*.LEGAL.txt instead.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist`;
rmSync(outdir, { recursive: true, force: true });
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
});
let bytes = 0;
for (const [file, out] of Object.entries(result.metafile.outputs)) if (file.endsWith('.mjs')) bytes += out.bytes;
process.stdout.write(`dist/herald.mjs and ${Object.keys(result.metafile.outputs).filter((f) => f.includes('/chunks/') && f.endsWith('.mjs')).length} chunks, ${(bytes / 1e6).toFixed(1)} MB\n`);
