// Byte-level mutations after libFuzzer's MutationDispatcher (FuzzerMutate.cpp): erase, insert,
// insert repeated, change byte/bit, shuffle, change an ASCII or a binary integer (both byte
// orders: network order matters most here), copy or insert a part of the input into itself,
// cross over with another corpus entry, and dictionary words (the target's plus the literals
// of the instrumented sources). Several are stacked per input, as libFuzzer's MutateDepth.

/** mulberry32: small, fast and seeded, so a run is repeatable from its seed. */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  u32(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** 0 ≤ n < bound. */
  below(bound: number): number {
    return bound <= 1 ? 0 : this.u32() % bound;
  }
  chance(oneIn: number): boolean {
    return this.below(oneIn) === 0;
  }
  pick<T>(items: readonly T[]): T | undefined {
    return items[this.below(items.length)];
  }
}

export interface MutationContext {
  readonly rng: Rng;
  readonly maxLen: number;
  readonly dictionary: readonly Uint8Array[];
  /** Another corpus entry, for crossover. */
  readonly other: () => Uint8Array | undefined;
}

type Mutator = (d: Uint8Array, c: MutationContext) => Uint8Array | null;

const INTERESTING_8 = [0, 1, 0x7f, 0x80, 0xff, 0x10, 0x20, 0x40, 0xfe, 2, 3, 4];
const INTERESTING_16 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x1000, 4096, 4095, 4097, 19, 23, 29];
const INTERESTING_32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xffff, 0x10000, 23456, 65535];

function splice(d: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(d.length - remove + insert.length);
  out.set(d.subarray(0, at), 0);
  out.set(insert, at);
  out.set(d.subarray(at + remove), at + insert.length);
  return out;
}

const eraseBytes: Mutator = (d, c) => {
  if (d.length <= 1) return null;
  const n = 1 + c.rng.below(Math.min(d.length - 1, c.rng.chance(4) ? d.length : 8));
  const at = c.rng.below(d.length - n + 1);
  return splice(d, at, n, new Uint8Array(0));
};

const insertByte: Mutator = (d, c) => {
  if (d.length >= c.maxLen) return null;
  return splice(d, c.rng.below(d.length + 1), 0, Uint8Array.of(c.rng.chance(2) ? (c.rng.pick(INTERESTING_8) ?? 0) : c.rng.below(256)));
};

const insertRepeated: Mutator = (d, c) => {
  const room = c.maxLen - d.length;
  if (room <= 0) return null;
  const n = 1 + c.rng.below(Math.min(room, c.rng.chance(8) ? 512 : 16));
  return splice(d, c.rng.below(d.length + 1), 0, new Uint8Array(n).fill(c.rng.chance(2) ? 0 : c.rng.chance(2) ? 0xff : c.rng.below(256)));
};

const changeByte: Mutator = (d, c) => {
  if (d.length === 0) return null;
  const out = d.slice();
  out[c.rng.below(d.length)] = c.rng.chance(2) ? (c.rng.pick(INTERESTING_8) ?? 0) : c.rng.below(256);
  return out;
};

const changeBit: Mutator = (d, c) => {
  if (d.length === 0) return null;
  const out = d.slice();
  const i = c.rng.below(d.length);
  out[i] = (out[i] ?? 0) ^ (1 << c.rng.below(8));
  return out;
};

const shuffleBytes: Mutator = (d, c) => {
  if (d.length < 2) return null;
  const n = 2 + c.rng.below(Math.min(d.length - 1, 8));
  const at = c.rng.below(d.length - n + 1);
  const out = d.slice();
  for (let i = n - 1; i > 0; i--) {
    const j = c.rng.below(i + 1);
    const a = out[at + i] ?? 0;
    out[at + i] = out[at + j] ?? 0;
    out[at + j] = a;
  }
  return out;
};

/** A run of ASCII digits becomes another number (for text targets: selectors, JSON). */
const changeAsciiInteger: Mutator = (d, c) => {
  const digits: number[] = [];
  for (let i = 0; i < d.length; i++) if ((d[i] ?? 0) >= 0x30 && (d[i] ?? 0) <= 0x39) digits.push(i);
  const start0 = c.rng.pick(digits);
  if (start0 === undefined) return null;
  let start = start0;
  let end = start0;
  while (start > 0 && (d[start - 1] ?? 0) >= 0x30 && (d[start - 1] ?? 0) <= 0x39) start--;
  while (end < d.length && (d[end] ?? 0) >= 0x30 && (d[end] ?? 0) <= 0x39) end++;
  const value = BigInt(new TextDecoder().decode(d.subarray(start, end)));
  const choices = [value + 1n, value - 1n, value * 2n, value / 2n, 0n, -1n, 2n ** 31n, 2n ** 32n, 2n ** 53n, 2n ** 63n, 2n ** 64n, BigInt(c.rng.u32())];
  const next = choices[c.rng.below(choices.length)] ?? 0n;
  return splice(d, start, end - start, new TextEncoder().encode(next.toString()));
};

/** A 1, 2 or 4 octet integer, big- or little-endian, plus or minus a little, or an interesting value. */
const changeBinaryInteger: Mutator = (d, c) => {
  const width = c.rng.pick([1, 2, 2, 4]) ?? 2;
  if (d.length < width) return null;
  const at = c.rng.below(d.length - width + 1);
  const big = !c.rng.chance(4);
  let v = 0;
  for (let i = 0; i < width; i++) v = v * 256 + (d[big ? at + i : at + width - 1 - i] ?? 0);
  const max = 2 ** (8 * width);
  const pool = width === 1 ? INTERESTING_8 : width === 2 ? INTERESTING_16 : INTERESTING_32;
  const r = c.rng.below(4);
  if (r === 0) v = c.rng.pick(pool) ?? 0;
  else if (r === 1) v = d.length - at + c.rng.below(9) - 4; // a length field pointing near the end
  else v += c.rng.below(65) - 32;
  v = ((v % max) + max) % max;
  const out = d.slice();
  for (let i = width - 1; i >= 0; i--) {
    out[big ? at + i : at + width - 1 - i] = v & 0xff;
    v = Math.floor(v / 256);
  }
  return out;
};

const copyPart: Mutator = (d, c) => {
  if (d.length < 2) return null;
  const n = 1 + c.rng.below(Math.min(d.length, 64));
  const from = c.rng.below(d.length - n + 1);
  const part = d.slice(from, from + n);
  const to = c.rng.below(d.length + 1);
  if (c.rng.chance(2) && d.length + n <= c.maxLen) return splice(d, to, 0, part);
  const out = d.slice();
  out.set(part.subarray(0, Math.max(0, d.length - Math.min(to, d.length - 1))), Math.min(to, d.length - 1));
  return out;
};

const crossOver: Mutator = (d, c) => {
  const o = c.other();
  if (o === undefined || o.length === 0) return null;
  const cut = c.rng.below(d.length + 1);
  const from = c.rng.below(o.length);
  const take = 1 + c.rng.below(o.length - from);
  const out = c.rng.chance(2) ? splice(d, cut, 0, o.subarray(from, from + take)) : splice(d, cut, d.length - cut, o.subarray(from, from + take));
  return out.length <= c.maxLen ? out : out.subarray(0, c.maxLen);
};

const dictionaryWord: Mutator = (d, c) => {
  const w = c.rng.pick(c.dictionary);
  if (w === undefined || w.length === 0) return null;
  const at = c.rng.below(d.length + 1);
  if (c.rng.chance(2) && d.length + w.length <= c.maxLen) return splice(d, at, 0, w);
  if (d.length < w.length) return null;
  const out = d.slice();
  out.set(w, Math.min(at, d.length - w.length));
  return out;
};

const MUTATORS: readonly Mutator[] = [
  eraseBytes, insertByte, insertRepeated, changeByte, changeBit, shuffleBytes, changeAsciiInteger,
  changeBinaryInteger, changeBinaryInteger, copyPart, crossOver, dictionaryWord, dictionaryWord,
];

/** 1..maxDepth stacked mutations; never returns the input unchanged if any mutator applies. */
export function mutate(input: Uint8Array, c: MutationContext, maxDepth = 5): Uint8Array {
  let d = input;
  const depth = 1 + c.rng.below(maxDepth);
  for (let i = 0, tries = 0; i < depth && tries < 50; tries++) {
    const m = MUTATORS[c.rng.below(MUTATORS.length)];
    const next = m?.(d, c) ?? null;
    if (next === null) continue;
    d = next.length > c.maxLen ? next.subarray(0, c.maxLen) : next;
    i++;
  }
  return d === input ? d.slice() : d;
}

/** Dictionary words from the literals of the instrumented code: numbers in every width and order that fits, strings as UTF-8. */
export function literalWords(literals: Iterable<string>): Uint8Array[] {
  const out: Uint8Array[] = [];
  const enc = new TextEncoder();
  for (const l of literals) {
    if (l.startsWith('s:')) {
      out.push(enc.encode(l.slice(2)));
      continue;
    }
    const v = Number(l.slice(2));
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) continue;
    if (v <= 0xff) out.push(Uint8Array.of(v));
    if (v <= 0xffff) out.push(Uint8Array.of(v >> 8, v & 0xff));
    if (v > 0xff) out.push(Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff));
    if (v > 9) out.push(enc.encode(String(v)));
  }
  return out;
}

/** UTF-8 edge cases for decoders of text fields: BOM, overlong, surrogate, past U+10FFFF, noncharacters. */
export const UTF8_EDGES: readonly Uint8Array[] = [
  [0xef, 0xbb, 0xbf], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xef, 0xbf, 0xbe], [0xef, 0xbf, 0xbd], [0xe2, 0x80, 0xae], [0x00],
].map((b) => Uint8Array.from(b));
