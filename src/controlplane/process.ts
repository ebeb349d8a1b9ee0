// A child process of the control plane (etcd, kube-apiserver) that can never outlive its parent:
// it is started under `setpriv --pdeathsig KILL`, so even a SIGKILLed test runner leaves nothing
// running or listening (issue #8), and stop() escalates from SIGTERM to SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';

const SETPRIV = '/usr/bin/setpriv';

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number | undefined;
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  running(): boolean;
  stop(graceMs?: number): Promise<void>;
}

export function startManaged(name: string, bin: string, args: string[], logFile: string): ManagedProcess {
  const fd = openSync(logFile, 'a');
  // PR_SET_PDEATHSIG fires when the thread that forked dies; libuv forks from the main thread.
  const [cmd, argv] = existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'KILL', '--', bin, ...args]] : [bin, args];
  let child: ChildProcess;
  try {
    child = spawn(cmd, argv, { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', () => {
      done = true;
      resolve('spawn-failed');
    });
  });
  // A parent that exits normally (test failures, process.exit) takes the child with it at once.
  const onExit = (): void => {
    if (!done) child.kill('SIGKILL');
  };
  process.once('exit', onExit);
  return {
    name,
    get pid() {
      return child.pid;
    },
    exited,
    running: () => !done,
    async stop(graceMs = 5_000) {
      process.off('exit', onExit);
      if (done) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
