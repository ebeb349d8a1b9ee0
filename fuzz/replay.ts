// Replays inputs through a target without instrumentation and prints what each one does:
//   node fuzz/replay.ts <target> <file|dir> ...
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isTargetName, loadTarget } from './targets.ts';

const [name, ...paths] = process.argv.slice(2);
if (name === undefined || !isTargetName(name) || paths.length === 0) throw new Error('usage: node fuzz/replay.ts <target> <file|dir> ...');
const target = await loadTarget(name);
const files = paths.flatMap((p) => (statSync(p).isDirectory() ? readdirSync(p).map((f) => join(p, f)) : [p]));
let failed = 0;
for (const file of files) {
  const data = new Uint8Array(readFileSync(file));
  const t0 = performance.now();
  try {
    target.run(data);
    console.log(`ok    ${file} (${data.length} bytes, ${(performance.now() - t0).toFixed(1)} ms)`);
  } catch (e) {
    failed++;
    console.log(`CRASH ${file} (${data.length} bytes): ${Buffer.from(data).toString('hex')}`);
    console.log(e instanceof Error ? e.stack : String(e));
  }
}
console.log(`${files.length - failed} passed, ${failed} failed`);
if (failed > 0) process.exitCode = 1;
