// Failures of the lab's network as one class with stable codes (STYLE.md lesson 3), so the
// `herald lab` command and the e2e tests can tell "not root" from "busy" from "leftovers".

export type LabErrorCode =
  // Options the lab cannot honour (prefix too long for an interface name, too many nodes, …).
  | 'InvalidOptions'
  // A program (`ip`, `ping`, …) is not installed: the message names the Debian package.
  | 'CommandNotFound'
  | 'SpawnFailed'
  // An `ip` command exited non-zero; the message carries its argv and stderr.
  | 'CommandFailed'
  // Every management network (198.19.0.0/16, one /24 per lab) is taken or overlaps the root
  // namespace's own addresses.
  | 'HostLinkBusy'
  // A name or namespace that is not part of this lab.
  | 'UnknownHost'
  | 'UnknownNamespace'
  // Used after close().
  | 'Closed'
  // An interface never reported carrier.
  | 'Timeout'
  // close() could not remove everything; the message lists what is left.
  | 'CleanupIncomplete';

export class LabError extends Error {
  readonly code: LabErrorCode;

  constructor(code: LabErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LabError';
    this.code = code;
  }
}

export function isLabError(err: unknown, code?: LabErrorCode): err is LabError {
  return err instanceof LabError && (code === undefined || err.code === code);
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
