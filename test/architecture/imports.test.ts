// The import rules of src/ (issue #9; README "Layout"): imports run downhill only, from the API
// vocabulary through the pure cores to the shells and the command line; no shell imports another
// shell; the pure modules import no I/O; and there is no import cycle. A violation names the file
// and the import, so the fix is obvious.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

/**
 * The layers, lowest first (README "Layout" writes the same order): a folder imports itself and
 * every layer below, never a folder of its own layer or above. `daemon/` holds what the long-running
 * commands share (flags, observability servers, the stop signal), below the shells that use it.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['api'],
  ['kube', 'net', 'observability'],
  ['ipam', 'election', 'l2', 'bgp', 'bfd', 'daemon'],
  ['controller', 'speaker', 'status', 'devapi'],
  ['controlplane'],
  ['lab'],
  ['cli.ts'],
];

/**
 * The pure cores (STYLE.md lessons 1, 2, 4): the API vocabulary, the allocator, the codecs, the BGP
 * FSM and the election policy. They import no I/O module of node: and nothing from kube/, net/ or
 * observability/; the Kubernetes client only for its types. A path ending in '/' is a folder.
 */
export const PURE: readonly string[] = [
  'api/',
  'ipam/',
  'bgp/codec/',
  'bgp/fsm.ts',
  'bgp/fsm-types.ts',
  'bgp/rib-out.ts',
  'bgp/open-facts.ts',
  'bfd/types.ts',
  'bfd/codec.ts',
  'bfd/fsm.ts',
  'election/election.ts',
  'election/guard.ts',
  'election/vip-machine.ts',
  'election/peers.ts',
  'election/hash.ts',
  'election/node-lease.ts',
  'election/stamps.ts',
  'election/timings.ts',
  'election/deadlines.ts',
  'election/notes.ts',
  'election/vip-table.ts',
  'election/passes.ts',
  'election/contact.ts',
  'election/damping.ts',
  'l2/arp.ts',
  'l2/ndp.ts',
  'l2/ethernet.ts',
  'l2/icmpv6.ts',
  'l2/ip.ts',
  'l2/ipv6.ts',
  'l2/result.ts',
  'l2/responder.ts',
];
const IO_MODULES = ['child_process', 'cluster', 'dgram', 'dns', 'fs', 'fs/promises', 'http', 'http2', 'https', 'net', 'os', 'readline', 'timers', 'timers/promises', 'tls', 'worker_threads'];

interface Import {
  from: string;
  to: string;
  spec: string;
  typeOnly: boolean;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

function imports(): Import[] {
  const out: Import[] = [];
  for (const file of walk(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s(type\s)?[^;]*?from\s+'([^']+)';/gms)) {
      const spec = m[2] ?? '';
      out.push({ from: relative(SRC, file), to: spec.startsWith('.') ? relative(SRC, normalize(join(dirname(file), spec))) : spec, spec, typeOnly: m[1] !== undefined });
    }
  }
  return out;
}

const top = (path: string): string => path.split('/')[0] ?? path;
const layerOf = (path: string): number => LAYERS.findIndex((l) => l.includes(top(path)));

test('every folder of src/ has a layer', () => {
  const unknown = [...new Set(walk(SRC).map((f) => top(relative(SRC, f))))].filter((t) => layerOf(t) < 0);
  assert.deepEqual(unknown, []);
});

test('imports run downhill, and no folder imports another of its own layer', () => {
  const bad = imports()
    .filter((i) => !i.to.startsWith('node:') && !i.spec.startsWith('@') && i.spec.startsWith('.'))
    .filter((i) => top(i.from) !== top(i.to))
    .filter((i) => layerOf(i.to) >= layerOf(i.from))
    .map((i) => `${i.from} imports ${i.spec}`);
  assert.deepEqual(bad, []);
});

test('there is no import cycle between files', () => {
  const graph = new Map<string, string[]>();
  for (const i of imports()) if (i.spec.startsWith('.')) graph.set(i.from, [...(graph.get(i.from) ?? []), i.to]);
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (node: string, path: string[]): void => {
    if (state.get(node) === 'done') return;
    if (state.get(node) === 'open') {
      cycles.push([...path.slice(path.indexOf(node)), node].join(' -> '));
      return;
    }
    state.set(node, 'open');
    for (const next of graph.get(node) ?? []) visit(next, [...path, node]);
    state.set(node, 'done');
  };
  for (const node of graph.keys()) visit(node, []);
  assert.deepEqual(cycles, []);
});

test('the pure cores import no I/O, nothing from kube/, net/ or observability/, and Kubernetes only as types', () => {
  const pure = (path: string): boolean => PURE.some((p) => (p.endsWith('/') ? path.startsWith(p) : path === p));
  const all = imports();
  assert.ok(all.filter((i) => pure(i.from)).length > 50, 'the purity rule checked next to nothing');
  const bad = all
    .filter((i) => pure(i.from))
    .filter((i) => IO_MODULES.includes(i.to.replace(/^node:/, '')) || ['kube', 'net', 'observability'].includes(top(i.to)) || (i.spec === '@kubernetes/client-node' && !i.typeOnly))
    .map((i) => `${i.from} imports ${i.spec}`);
  assert.deepEqual(bad, []);
});
