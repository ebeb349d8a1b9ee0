// How far the VIP Lease watch has brought this node (docs/l2.md, "Revalidation"): the newest
// resourceVersion it delivered. A watch delivers changes in resourceVersion order, so once it has
// delivered one at or past a revision read from the API, every change before that revision has
// reached the election. A list the informer applies counts once applied, as of its own
// resourceVersion: its items arrive one by one in name order, so any one of them says nothing
// about the others.

import { compareVersions } from './vip-machine.ts';

export class WatchProgress {
  #newest: string | null = null;
  #listing = false;

  /** A watch event's resourceVersion (ignored while the informer applies a list). */
  delivered(version: string | null): void {
    if (this.#listing || version === null) return;
    this.#advance(version);
  }

  /** The informer's list is on its way: its items say nothing until `listApplied`. */
  listStarted(): void {
    this.#listing = true;
  }

  /** The list was applied (`version`: its resourceVersion), or failed (null). */
  listApplied(version: string | null): void {
    this.#listing = false;
    if (version !== null) this.#advance(version);
  }

  /** The newest resourceVersion delivered, null before any (or while a list is applied). */
  get newest(): string | null {
    return this.#listing ? null : this.#newest;
  }

  #advance(version: string): void {
    const known = this.#newest;
    // Versions that are not decimal cannot be ordered (compareVersions null): keep the last, so
    // that a catch-up compares against it and gives up to a list (the driver's fallback).
    if (known === null || compareVersions(version, known) !== -1) this.#newest = version;
  }
}
