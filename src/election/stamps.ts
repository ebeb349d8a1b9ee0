// Stamps as Lease annotations (docs/l2.md, "Objects"): the node Lease stamp and the writer stamp
// of a VIP Lease, both ways. Annotations are strings; anything malformed reads as no stamp
// (a peer running another version, or a hand edit), never as evidence of life.
import type { NodeStamp, StampedPeer } from './peers.ts';
import type { WriterStamp } from './vip-machine.ts';
import { ANN_HEARD, ANN_INCARNATION, ANN_PROBING, ANN_SEQ, ANN_WRITER } from './lease-names.ts';

const INTEGER = /^(0|[1-9][0-9]{0,15})$/;

function int(text: string | undefined, max: number): number | null {
  // Stryker disable next-line ConditionalExpression: RegExp#test reads undefined as "undefined", which INTEGER refuses too; the check is for the type
  if (text === undefined || !INTEGER.test(text)) return null;
  const v = Number(text);
  return v <= max ? v : null;
}

/** Something destructuring can read (an array or a number reads as having no fields). */
function isRecord(v: unknown): v is Record<string, unknown> {
  // Stryker disable next-line ConditionalExpression,LogicalOperator: only null must be kept from destructuring; anything else that is no object has no string `node` and is refused below
  return typeof v === 'object' && v !== null;
}

function stampedPeer(v: unknown): StampedPeer | null {
  if (!isRecord(v)) return null;
  const { node, incarnation, seq } = v;
  if (typeof node !== 'string' || node === '') return null;
  // Stryker disable next-line ConditionalExpression,LogicalOperator: Number.isSafeInteger and Number.isInteger refuse what is no number; typeof is for the type
  if (typeof incarnation !== 'number' || typeof seq !== 'number') return null;
  if (!Number.isSafeInteger(incarnation) || incarnation < 0 || !Number.isInteger(seq) || seq < 0 || seq > 0xffffffff) return null;
  return { node, incarnation, seq };
}

/** The parsed JSON, or undefined when the text is none (undefined is no JSON value). */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  }
  // Stryker disable next-line BlockStatement: an empty catch returns undefined as well
  catch {
    return undefined;
  }
}

export function nodeStampAnnotations(s: NodeStamp): Record<string, string> {
  return {
    [ANN_INCARNATION]: String(s.incarnation),
    [ANN_SEQ]: String(s.seq),
    [ANN_HEARD]: JSON.stringify(s.heard.map((h) => ({ node: h.node, incarnation: h.incarnation, seq: h.seq }))),
    [ANN_PROBING]: s.probing ? 'true' : 'false',
  };
}

/** The stamp of a node Lease, or null when it has none or a malformed one. */
export function parseNodeStamp(annotations: Readonly<Record<string, string>> | undefined): NodeStamp | null {
  const a = annotations ?? {};
  const incarnation = int(a[ANN_INCARNATION], Number.MAX_SAFE_INTEGER);
  const seq = int(a[ANN_SEQ], 0xffffffff);
  if (incarnation === null || seq === null) return null;
  const heard: StampedPeer[] = [];
  const text = a[ANN_HEARD];
  if (text !== undefined) {
    // A malformed witness list is no stamp at all: it must not prove anything.
    const parsed = parseJson(text);
    if (!Array.isArray(parsed)) return null;
    for (const entry of parsed) {
      const peer = stampedPeer(entry);
      if (peer === null) return null;
      heard.push(peer);
    }
  }
  return { incarnation, seq, heard, probing: a[ANN_PROBING] === 'true' };
}

export function writerAnnotations(w: WriterStamp): Record<string, string> {
  return { [ANN_WRITER]: w.node, [ANN_INCARNATION]: String(w.incarnation), [ANN_SEQ]: String(w.seq) };
}

export function parseWriterStamp(annotations: Readonly<Record<string, string>> | undefined): WriterStamp | undefined {
  const a = annotations ?? {};
  const node = a[ANN_WRITER];
  const incarnation = int(a[ANN_INCARNATION], Number.MAX_SAFE_INTEGER);
  const seq = int(a[ANN_SEQ], 0xffffffff);
  return node === undefined || node === '' || incarnation === null || seq === null ? undefined : { node, incarnation, seq };
}
