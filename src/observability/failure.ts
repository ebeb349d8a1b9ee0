// How a command that cannot start says so (issue #13): one line on stderr, "herald <command>:
// what is wrong, with the value; what to do", exit code 2 for a usage error (a flag, an argument)
// and 1 for an environment error (a file, a port, the host, the cluster). A stack only with
// --log-level debug (or trace). Every command returns a Failure or an exit code; cli.ts prints.

export type ExitCode = 1 | 2;

export interface Failure {
  readonly failure: true;
  /** Stable, for tests and for people searching docs/operations.md. */
  readonly code: string;
  readonly exit: ExitCode;
  readonly message: string;
  /** The thrown value behind it, for the stack under --log-level debug. */
  readonly cause?: unknown;
}

/** What a command's run function returns. */
export type CommandResult = number | Failure;

export function usageFailure(code: string, message: string): Failure {
  return { failure: true, code, exit: 2, message };
}

export function environmentFailure(code: string, message: string, cause?: unknown): Failure {
  return cause === undefined ? { failure: true, code, exit: 1, message } : { failure: true, code, exit: 1, message, cause };
}

export function isFailure(v: unknown): v is Failure {
  return typeof v === 'object' && v !== null && 'failure' in v && v.failure === true;
}

/** A usage error names the command's --help after what was wrong. */
export function usageLine(command: string, message: string): Failure {
  return usageFailure('HERALD_USAGE', `${message}; see '${command} --help'`);
}

/** Something no check foresaw: a bug, said as one line, with the stack behind --log-level debug. */
export function unexpectedFailure(err: unknown): Failure {
  const text = err instanceof Error ? err.message : String(err);
  const first = text.split('\n')[0] ?? text;
  return environmentFailure('HERALD_UNEXPECTED', `unexpected error: ${first}; run again with --log-level debug for the stack, and report it as a bug`, err);
}

/** Did the user ask for debug output? Read from the raw arguments: parsing may be what failed. */
export function wantsDebug(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--log-level' && /^(debug|trace)$/.test(argv[i + 1] ?? '')) return true;
    if (/^--log-level=(debug|trace)$/.test(a)) return true;
  }
  return false;
}

/** The text for stderr: the line, then the stack of the cause only when debugging. */
export function failureText(command: string, f: Failure, debug: boolean): string {
  const line = `${command}: ${f.message}\n`;
  if (!debug || f.cause === undefined) return line;
  const stack = f.cause instanceof Error ? (f.cause.stack ?? f.cause.message) : String(f.cause);
  return `${line}[${f.code}] ${stack}\n`;
}

/** A listening socket that could not be had (the observability servers, heartbeats, BGP). */
export function listenFailure(what: string, addr: string, err: unknown, hint: string): Failure {
  const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
  const port = typeof err === 'object' && err !== null && 'port' in err && typeof err.port === 'number' ? String(err.port) : portOf(addr);
  switch (code) {
    case 'EADDRINUSE':
      return environmentFailure('HERALD_PORT_IN_USE', `cannot listen on ${addr} for ${what}: the address is already in use (EADDRINUSE); stop the process holding it (\`ss -lntup | grep :${port}\`) or ${hint}`, err);
    case 'EACCES':
      return environmentFailure('HERALD_PORT_DENIED', `cannot listen on ${addr} for ${what}: permission denied (EACCES), ports below 1024 need CAP_NET_BIND_SERVICE; add NET_BIND_SERVICE to the container's capabilities or ${hint}`, err);
    case 'EADDRNOTAVAIL':
      return environmentFailure('HERALD_ADDRESS_NOT_LOCAL', `cannot listen on ${addr} for ${what}: the address is not on this host (EADDRNOTAVAIL); ${hint}`, err);
    default: {
      const text = err instanceof Error ? err.message : String(err);
      return environmentFailure('HERALD_LISTEN_FAILED', `cannot listen on ${addr} for ${what}: ${text}; ${hint}`, err);
    }
  }
}

function portOf(addr: string): string {
  return /[: ]([0-9]+)$/.exec(addr)?.[1] ?? addr;
}

/** node:util parseArgs' errors, said the way the rest of the line speaks. */
export function describeParseArgsError(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /'([^']+)'/.exec(text)?.[1] ?? text;
    return `unknown flag ${flag}`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const arg = /'([^']*)'/.exec(text)?.[1] ?? text;
    return `unexpected argument "${arg}": this command takes flags only`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    // "Option '-h, --help' …": the long name is the one the help text shows.
    const m = /^Option '(?:-\w, )?(--?[\w-]+)(?: <value>)?' (argument missing|argument is ambiguous|does not take an argument)/.exec(text);
    const flag = m?.[1];
    if (flag !== undefined && m?.[2] === 'argument missing') return `${flag} needs a value`;
    if (flag !== undefined && m?.[2] === 'argument is ambiguous') return `${flag} needs a value (the next argument is a flag; write ${flag}=VALUE if the value starts with "-")`;
    if (flag !== undefined) return `${flag} takes no value`;
  }
  return text.split('\n')[0] ?? text;
}

/**
 * A metrics or health server that could not listen, named by its flag. `addrs` are the flags'
 * values; the error's port says which one failed (both may share one server).
 */
export function observabilityListenFailure(err: unknown, addrs: { metrics?: string | undefined; health?: string | undefined }): Failure | null {
  const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
  if (code === undefined || !/^E[A-Z]+$/.test(code)) return null;
  const port = typeof err === 'object' && err !== null && 'port' in err && typeof err.port === 'number' ? err.port : undefined;
  const portOfAddr = (a: string | undefined): number | undefined => (a === undefined ? undefined : Number(/:([0-9]+)$/.exec(a)?.[1]));
  // Another listener (heartbeats, BGP) failing is not these servers' failure.
  if (port === undefined || (portOfAddr(addrs.metrics) !== port && portOfAddr(addrs.health) !== port)) return null;
  const which = portOfAddr(addrs.metrics) === port ? 'metrics' : 'health';
  const addr = (which === 'metrics' ? addrs.metrics : addrs.health) ?? '';
  const what = which === 'metrics' ? '/metrics (--metrics-addr)' : '/healthz and /readyz (--health-addr)';
  return listenFailure(what, addr, err, `choose another address with --${which}-addr`);
}
