// Labs still open when the process ends are torn down synchronously: on exit (normal, process.exit,
// an uncaught exception or unhandled rejection — Node emits 'exit' for all of them) and on
// SIGINT/SIGTERM/SIGHUP, whose default action would end the process without 'exit'.
// The listeners exist only while a lab is open, so a process without labs keeps Node's defaults.

export interface SyncClosable {
  /** Best effort, blocking; reports what it could not remove on stderr (nothing async runs now). */
  closeSync(): void;
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const open = new Set<SyncClosable>();

function closeAll(): void {
  for (const lab of [...open]) {
    open.delete(lab);
    lab.closeSync();
  }
}

function onExit(): void {
  closeAll();
}

function onSignal(signal: NodeJS.Signals): void {
  closeAll();
  uninstall();
  // Our listener replaced the default action. If nobody else handles this signal, die of it
  // as the process would have, so the parent sees "killed by SIGTERM", not a clean exit.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', onExit);
  for (const s of SIGNALS) process.off(s, onSignal);
}

/** Registers a lab for teardown at process end; the returned function unregisters it. */
export function closeAtExit(lab: SyncClosable): () => void {
  open.add(lab);
  install();
  return () => {
    open.delete(lab);
    if (open.size === 0) uninstall();
  };
}
