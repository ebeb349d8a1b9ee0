// One target's full run in a worker thread: instrument src/, load the target, run the loop (or
// the corpus merge), and report. The parent keeps the current input in shared memory so that a
// run that never returns can be reported as a hang (fuzz/run.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { installInstrumentation } from './instrument.ts';
import { minimize, readCorpus, runLoop } from './loop.ts';
import { loadTarget, type TargetName } from '../targets.ts';

export interface WorkerJob {
  readonly target: TargetName;
  readonly mode: 'fuzz' | 'merge';
  readonly runs: number;
  readonly seconds?: number;
  readonly seed: number;
  readonly corpusDirs: readonly string[];
  readonly outDir?: string;
  readonly cap: number;
  /** Int32 [0] = finished executions, [1] = current input length; then the input bytes. */
  readonly shared: SharedArrayBuffer;
}

const job = workerData as WorkerJob;
const port = parentPort;
if (port === null) throw new Error('fuzz/engine/worker.ts runs as a worker thread');
installInstrumentation(['/src/']);
const target = await loadTarget(job.target);
const header = new Int32Array(job.shared, 0, 2);
const bytes = new Uint8Array(job.shared, 8);

if (job.mode === 'merge') {
  const inputs = job.corpusDirs.flatMap(readCorpus);
  const kept = minimize(target, inputs, job.cap);
  port.postMessage({ type: 'merged', inputs: kept, from: inputs.length });
} else {
  const stats = runLoop({
    target,
    runs: job.runs,
    ...(job.seconds === undefined ? {} : { seconds: job.seconds }),
    seed: job.seed,
    corpusDirs: job.corpusDirs,
    ...(job.outDir === undefined ? {} : { outDir: job.outDir }),
    stopOnCrash: false,
    statsEveryMs: 5000,
    onStats: (s) => port.postMessage({ type: 'stats', stats: { ...s, crashes: [], known: [] } }),
    beforeRun: (d) => {
      const n = Math.min(d.length, bytes.length);
      bytes.set(d.subarray(0, n));
      Atomics.store(header, 1, n);
    },
    afterRun: () => {
      Atomics.add(header, 0, 1);
    },
  });
  port.postMessage({ type: 'done', stats });
}
