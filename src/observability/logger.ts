// The one way Herald builds a logger: pino, JSON lines on stdout, ISO timestamps, level as text,
// and a fixed vocabulary of context keys so that logs of every component can be joined
// (`service` = "namespace/name", `ip`, `node`, `peer`, `iface`, `pool`). Secrets never reach a
// log line: known secret-bearing keys are redacted before serialisation (STYLE.md, "no secrets").
import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text);
}

/**
 * The stable context keys. Log with these names, not synonyms (`svc`, `address`, `neighbor`), so
 * one query finds a Service's or an address's whole story across the controller and speakers.
 */
export interface LogContext {
  /** A Service as "namespace/name". */
  service?: string;
  /** An address in canonical text (RFC 5952 for IPv6). */
  ip?: string;
  /** A Kubernetes Node name. */
  node?: string;
  /** A BGP peer address. */
  peer?: string;
  /** A network interface name. */
  iface?: string;
  /** An IPPool name. */
  pool?: string;
}
export const LOG_KEYS: readonly (keyof LogContext)[] = ['service', 'ip', 'node', 'peer', 'iface', 'pool'];

// Keys that may carry credentials (kubeconfig fields, HTTP headers, BGP MD5 passwords), at the
// top level and one object down: pino's redaction (fast-redact) matches exact paths, and a
// wildcard stands for exactly one level. Deeper secrets must not be logged as whole objects.
const SECRET_KEYS = ['password', 'passwd', 'secret', 'token', 'bearerToken', 'authorization', 'cookie', 'apiKey', 'privateKey', 'clientKey', 'client-key-data', 'token-data'];
// Hyphenated keys need fast-redact's bracket notation: `["client-key-data"]`, `*["client-key-data"]`.
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const at = (key: string): string => (IDENTIFIER.test(key) ? key : `["${key}"]`);
const under = (key: string): string => (IDENTIFIER.test(key) ? `*.${key}` : `*["${key}"]`);
export const REDACT_PATHS: readonly string[] = [
  ...SECRET_KEYS.map(at),
  ...SECRET_KEYS.map(under),
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
];
export const REDACTED = '[REDACTED]';

/** A configuration mistake in createLogger; `code` is stable for callers and tests. */
export class LoggerConfigError extends Error {
  readonly code = 'HERALD_LOG_LEVEL_INVALID';
  constructor(level: string) {
    super(`log level "${level}" is not one of ${LOG_LEVELS.join(', ')}`);
    this.name = 'LoggerConfigError';
  }
}

export interface LoggerOptions {
  /** Default "info". Validate user input first with isLogLevel; an unknown level throws LoggerConfigError. */
  level?: string;
  /** The component, e.g. "herald-controller"; written as `name` on every line. */
  name: string;
}

/**
 * A JSON logger writing to stdout, or to `destination` (tests pass an in-memory stream).
 * Child loggers (`log.child({ pool })`) inherit the redaction and formatting.
 */
export function createLogger(opts: LoggerOptions, destination?: DestinationStream): Logger {
  const level = opts.level ?? 'info';
  if (!isLogLevel(level)) throw new LoggerConfigError(level);
  const options: pino.LoggerOptions = {
    name: opts.name,
    level,
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    timestamp: pino.stdTimeFunctions.isoTime,
    // "level":"info" rather than 30: log pipelines and humans read the label without a table.
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
