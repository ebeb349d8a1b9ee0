// JSON Patch, RFC 6902, with JSON Pointer paths (RFC 6901). Operations apply in order to a copy;
// any failure aborts the whole patch (RFC 6902 §5).
import { clone, deepEqual, isObject, type Json } from './json.ts';

export class JsonPatchError extends Error {
  /** 'decode' = malformed patch document (400); 'apply' = a valid op that cannot apply (422). */
  readonly kind: 'decode' | 'apply';
  constructor(kind: 'decode' | 'apply', message: string) {
    super(message);
    this.name = 'JsonPatchError';
    this.kind = kind;
  }
}

interface Op {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

function decode(doc: Json): Op[] {
  if (!Array.isArray(doc)) throw new JsonPatchError('decode', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  return doc.map((o) => {
    if (!isObject(o) || typeof o['op'] !== 'string') throw new JsonPatchError('decode', 'Unexpected kind: missing op');
    const path = o['path'];
    if (typeof path !== 'string') throw new JsonPatchError('decode', `${o['op']} operation missing path`);
    const op: Op = { op: o['op'], path };
    if (typeof o['from'] === 'string') op.from = o['from'];
    if (Object.hasOwn(o, 'value')) op.value = o['value'] ?? null;
    return op;
  });
}

function tokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new JsonPatchError('apply', `JSON pointer must start with '/': ${pointer}`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, toks: string[], pointer: string): Json {
  let cur: Json = doc;
  for (const t of toks.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(cur) ? cur[arrayIndex(t, cur.length - 1, pointer)] : isObject(cur) ? cur[t] : undefined;
    if (next === undefined) throw new JsonPatchError('apply', `doc is missing path: "${pointer}": missing value`);
    cur = next;
  }
  return cur;
}

function arrayIndex(t: string, max: number, pointer: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(t)) throw new JsonPatchError('apply', `invalid array index in path: "${pointer}"`);
  const i = Number(t);
  if (i > max) throw new JsonPatchError('apply', `Unable to access invalid index: ${i}: invalid index referenced`);
  return i;
}

function get(doc: Json, pointer: string): Json {
  const toks = tokens(pointer);
  if (toks.length === 0) return doc;
  const parent = parentOf(doc, toks, pointer);
  const last = toks[toks.length - 1] ?? '';
  const v = Array.isArray(parent) ? parent[arrayIndex(last, parent.length - 1, pointer)] : isObject(parent) ? parent[last] : undefined;
  if (v === undefined) throw new JsonPatchError('apply', `doc is missing key: ${pointer}: missing value`);
  return v;
}

function add(doc: Json, pointer: string, value: Json): Json {
  const toks = tokens(pointer);
  if (toks.length === 0) return value;
  const parent = parentOf(doc, toks, pointer);
  const last = toks[toks.length - 1] ?? '';
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : arrayIndex(last, parent.length, pointer);
    parent.splice(i, 0, value);
  } else if (isObject(parent)) parent[last] = value;
  else throw new JsonPatchError('apply', `doc is missing path: "${pointer}": missing value`);
  return doc;
}

function remove(doc: Json, pointer: string): Json {
  const toks = tokens(pointer);
  const parent = parentOf(doc, toks, pointer);
  const last = toks[toks.length - 1] ?? '';
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length - 1, pointer), 1);
  else if (isObject(parent) && Object.hasOwn(parent, last)) delete parent[last];
  else throw new JsonPatchError('apply', `Unable to remove nonexistent key: ${last}: missing value`);
  return doc;
}

export function applyJsonPatch(target: Json, patchDoc: Json): Json {
  const ops = decode(patchDoc);
  let doc = clone(target);
  for (const o of ops) {
    const need = (): Json => {
      if (o.value === undefined) throw new JsonPatchError('apply', `${o.op} operation does not apply: doc is missing value`);
      return clone(o.value);
    };
    switch (o.op) {
      case 'add':
        doc = add(doc, o.path, need());
        break;
      case 'remove':
        doc = remove(doc, o.path);
        break;
      case 'replace':
        get(doc, o.path);
        doc = add(remove(doc, o.path), o.path, need());
        break;
      case 'move': {
        if (o.from === undefined) throw new JsonPatchError('decode', 'move operation missing from');
        const v = get(doc, o.from);
        doc = add(remove(doc, o.from), o.path, v);
        break;
      }
      case 'copy': {
        if (o.from === undefined) throw new JsonPatchError('decode', 'copy operation missing from');
        doc = add(doc, o.path, clone(get(doc, o.from)));
        break;
      }
      case 'test': {
        let actual: Json | undefined;
        try {
          actual = get(doc, o.path);
        } catch {
          actual = undefined; // a missing path only equals an explicit null (evanphx/json-patch)
        }
        const expected = o.value ?? null;
        if (!(deepEqual(actual, expected) || (actual === undefined && expected === null))) {
          throw new JsonPatchError('apply', `testing value ${o.path} failed: test failed`);
        }
        break;
      }
      default:
        throw new JsonPatchError('decode', `Unexpected kind: ${o.op}`);
    }
  }
  return doc;
}
