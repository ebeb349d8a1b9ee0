// Structure-aware mutation for the CRD parsers: inputs are JSON text (what a watch delivers);
// mutations act on the parsed value (replace a node with a value of another type or an
// interesting one, drop or add a key, duplicate an element, splice a subtree from another input,
// mutate a string's bytes or a number), so nearly every input reaches the parser. Seeds come from
// deploy/examples, the objects users are told to write.
import { readdirSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { mutate, type MutationContext } from '../engine/mutate.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const INTERESTING: readonly Json[] = [
  null, true, false, 0, -1, 1, 3, 1.5, 65535, 65536, 23456, 4294967295, 4294967296, 2 ** 53, -0, 1e308, '', 'x', 'a'.repeat(300),
  '192.0.2.1', '2001:db8::1', '::ffff:192.0.2.1', '0.0.0.0', '192.0.2.0/24', '2001:db8::/64', '192.0.2.1-192.0.2.9', 'fe80::1%eth0',
  'In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'ipv4-unicast', 'ipv6-unicast', 'no-export', '65000:100', '1:2:3', 'Yes', 'No',
  '(a+)+$', '[', 'eth[0-9]+', '.*', '\\p{L}', '__proto__', 'constructor', {}, [], [null], ['x'], { key: 'a', operator: 'In', values: ['x'] },
  { matchLabels: { a: 'b' } }, { name: 'n', key: 'k' }, { cidr: '192.0.2.0/30' }, { start: '192.0.2.1' },
];
const KEYS = ['__proto__', 'constructor', 'toString', 'matchLabels', 'matchExpressions', 'values', 'operator', 'key', 'name', 'spec', 'metadata', 'stop', 'cidr', 'start'];

interface Slot {
  readonly parent: Json[] | { [key: string]: Json };
  readonly key: string | number;
}

function isObject(v: Json): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Own data property, even for "__proto__" (an assignment would set the prototype). */
function put(o: { [key: string]: Json }, key: string, v: Json): void {
  Object.defineProperty(o, key, { value: v, enumerable: true, writable: true, configurable: true });
}

function slots(v: Json, out: Slot[] = []): Slot[] {
  if (Array.isArray(v)) {
    v.forEach((c, i) => {
      out.push({ parent: v, key: i });
      slots(c, out);
    });
  } else if (isObject(v)) {
    for (const k of Object.keys(v)) {
      out.push({ parent: v, key: k });
      slots(v[k] ?? null, out);
    }
  }
  return out;
}

function get(s: Slot): Json {
  return Array.isArray(s.parent) ? (s.parent[s.key as number] ?? null) : (s.parent[s.key as string] ?? null);
}

function set(s: Slot, v: Json): void {
  if (Array.isArray(s.parent)) s.parent[s.key as number] = v;
  else put(s.parent, s.key as string, v);
}

function parse(d: Uint8Array): Json | undefined {
  try {
    return JSON.parse(new TextDecoder().decode(d)) as Json;
  } catch {
    return undefined;
  }
}

const clone = (v: Json): Json => JSON.parse(JSON.stringify(v)) as Json;

/** One structural mutation of a JSON input; null when `d` is not JSON. */
export function mutateJson(d: Uint8Array, c: MutationContext): Uint8Array | null {
  const root = parse(d);
  if (root === undefined) return null;
  const all = slots(root);
  const s = c.rng.pick(all);
  const containers = [root, ...all.map(get)].filter((v) => typeof v === 'object' && v !== null);
  const holder = c.rng.pick(containers) ?? root;
  switch (c.rng.below(8)) {
    case 0:
      if (s !== undefined) set(s, clone(c.rng.pick(INTERESTING) ?? null));
      break;
    case 1:
      if (s !== undefined) {
        if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
        else delete s.parent[s.key as string];
      }
      break;
    case 2:
      if (isObject(holder)) put(holder, c.rng.pick(KEYS) ?? 'x', clone(c.rng.pick(INTERESTING) ?? null));
      else if (Array.isArray(holder)) holder.push(clone(c.rng.pick(INTERESTING) ?? null));
      break;
    case 3:
      if (Array.isArray(holder) && holder.length > 0) holder.push(clone(holder[c.rng.below(holder.length)] ?? null));
      break;
    case 4: {
      const other = c.other();
      const o = other === undefined ? undefined : parse(other);
      const donor = o === undefined ? undefined : c.rng.pick(slots(o));
      if (s !== undefined && donor !== undefined) set(s, clone(get(donor)));
      break;
    }
    case 5:
    case 6: {
      const strings = all.filter((x) => typeof get(x) === 'string');
      const t = c.rng.pick(strings);
      if (t !== undefined) set(t, new TextDecoder().decode(mutate(new TextEncoder().encode(get(t) as string), { ...c, maxLen: 400 }, 2)));
      break;
    }
    default: {
      const numbers = all.filter((x) => typeof get(x) === 'number');
      const t = c.rng.pick(numbers);
      if (t !== undefined) {
        const n = get(t) as number;
        set(t, c.rng.pick([n + 1, n - 1, n * 2, -n, n + 0.5, 2 ** c.rng.below(64), c.rng.u32()]) ?? 0);
      }
    }
  }
  const out = new TextEncoder().encode(JSON.stringify(root));
  return out.length <= c.maxLen ? out : null;
}

/** The objects of a kind in deploy/examples, as JSON text. */
export function exampleObjects(kind: string): Uint8Array[] {
  const dir = new URL('../../deploy/examples/', import.meta.url);
  const out: Uint8Array[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml')).sort()) {
    for (const doc of parseAllDocuments(readFileSync(new URL(f, dir), 'utf8'))) {
      const v: unknown = doc.toJS();
      if (typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === kind) out.push(new TextEncoder().encode(JSON.stringify(v)));
    }
  }
  return out;
}

/** JSON.parse of the input, or undefined when it is not JSON (not an input for the parsers). */
export function jsonInput(d: Uint8Array): unknown {
  return parse(d);
}
