// Stamps as Lease annotations (docs/l2.md, "Objects"): the node Lease stamp and the writer stamp
// of a VIP Lease, both ways. Annotations are strings; anything malformed reads as no stamp
// (a peer running another version, or a hand edit), never as evidence of life.
import type { NodeStamp, StampedPeer } from './peers.ts';
import type { WriterStamp } from './vip-machine.ts';
import { ANN_HEARD, ANN_INCARNATION, ANN_PROBING, ANN_SEQ, ANN_WRITER } from './lease-names.ts';

const INTEGER = /^(0|[1-9][0-9]{0,15})$/;

function int(text: string | undefined, max: number): number | null {
  if (text === undefined || !INTEGER.test(text)) return null;
  const v = Number(text);
  return v <= max ? v : null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stampedPeer(v: unknown): StampedPeer | null {
  if (!isRecord(v)) return null;
  const { node, incarnation, seq } = v;
  if (typeof node !== 'string' || node === '' || typeof incarnation !== 'number' || typeof seq !== 'number') return null;
  if (!Number.isSafeInteger(incarnation) || incarnation < 0 || !Number.isInteger(seq) || seq < 0 || seq > 0xffffffff) return null;
  return { node, incarnation, seq };
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
  let heard: StampedPeer[] = [];
  const text = a[ANN_HEARD];
  if (text !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return null; // a malformed witness list is no stamp at all: it must not prove anything
    }
    if (!Array.isArray(parsed)) return null;
    const peers = parsed.map(stampedPeer);
    if (peers.some((p) => p === null)) return null;
    heard = peers.filter((p): p is StampedPeer => p !== null);
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
