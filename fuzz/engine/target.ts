// What a fuzz target is: one entry point that takes bytes, the oracle inside it, and how to seed
// and steer it. A target throws on a crash: an exception escaping the code under test (decoders
// and parsers return error values, so any throw is a bug) or an OracleViolation from its checks.
import type { MutationContext, Rng } from './mutate.ts';

export interface FuzzTarget {
  readonly name: string;
  /** One line: what is fed to what. */
  readonly description: string;
  /** Path fragments of the modules whose edges make this target's coverage figure (e.g. "/src/bgp/codec/"). */
  readonly covers: readonly string[];
  readonly maxLen: number;
  /** Inputs made in code (from the captured fixtures, encoders, examples), besides the committed corpus. */
  readonly seeds: () => Uint8Array[];
  readonly dictionary?: readonly Uint8Array[];
  /** A structure-aware mutation, tried for one input in `customOneIn` (default 3); null when it does not apply. */
  readonly mutate?: (d: Uint8Array, c: MutationContext) => Uint8Array | null;
  readonly customOneIn?: number;
  /** Applied after mutation: e.g. repair length fields half of the time, so the input gets past framing. */
  readonly fixup?: (d: Uint8Array, rng: Rng) => Uint8Array;
  /** Runs one input; throws on a crash. */
  readonly run: (data: Uint8Array) => void;
  /**
   * Findings reported but not yet fixed in code this target does not own: a crash whose message
   * matches is counted as known (with the regression test that waits for the fix) instead of
   * failing the smoke test. Remove the entry with the fix.
   */
  readonly known?: readonly KnownIssue[];
}

export interface KnownIssue {
  readonly pattern: RegExp;
  /** The todo regression test that names it. */
  readonly test: string;
}

/** A check of the target's oracle failed: not an exception of the code under test, a wrong answer. */
export class OracleViolation extends Error {
  override readonly name = 'OracleViolation';
}

export function check(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new OracleViolation(typeof message === 'string' ? message : message());
}
