// Every fuzz target by name: one module per target beside this file, each exporting `target`.
import type { FuzzTarget } from './engine/target.ts';

export const TARGETS = {
  'bgp-message': './bgp-message.ts',
  'bgp-session': './bgp-session.ts',
  'l2-frame': './l2-frame.ts',
  heartbeat: './heartbeat.ts',
  'label-selector': './label-selector.ts',
  'crd-bgp': './crd-bgp.ts',
  'crd-l2policy': './crd-l2policy.ts',
  'crd-ippool': './crd-ippool.ts',
} as const satisfies Record<string, string>;

export type TargetName = keyof typeof TARGETS;

export function isTargetName(name: string): name is TargetName {
  return Object.hasOwn(TARGETS, name);
}

export async function loadTarget(name: TargetName): Promise<FuzzTarget> {
  const mod = (await import(new URL(TARGETS[name], import.meta.url).href)) as { target: FuzzTarget };
  return mod.target;
}

/** The committed corpus of a target. */
export function corpusDir(name: string): string {
  return new URL(`./corpus/${name}/`, import.meta.url).pathname;
}
