// Preloaded into each mutant's test run (`node --test --import ./stryker/fail-fast.ts`, see
// docs/mutation-testing.md): a property that fails stops at its first counterexample. A mutant is
// killed by any failure; shrinking it to the smallest counterexample only costs time, and under
// load that time turned killed mutants into timeouts (bgp-codec-messages: 420 of 1,249).
import fc from 'fast-check';

fc.configureGlobal({ ...fc.readConfigureGlobal(), endOnFailure: true });
