// TCP chunks to whole BGP messages: a byte-parser state machine after undici's websocket
// receiver (STYLE.md lesson 11). Each message's header is checked (marker, length within the
// negotiated maximum, RFC 4271 §6.1) as soon as its 19 octets are in, before the body is
// awaited, so a hostile peer can make the framer hold at most one maximum-length message.
// Frames are subarrays of the pushed chunk when a message lies within one, else one copy.
import { checkFraming, HEADER_LEN, MAX_EXTENDED_MESSAGE_LEN, MAX_MESSAGE_LEN } from './header.ts';
import type { BgpError } from './errors.ts';

export interface FramerOutput {
  /** Complete messages, header included, in order; hand each to decodeMessage. */
  readonly frames: readonly Uint8Array[];
  /** A header error (§6.1): send its NOTIFICATION and close. Frames before it are sound. */
  readonly error: BgpError | null;
}

export class BgpFramer {
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  /** The length of the message whose header has been checked, or 0 while awaiting a header. */
  #length = 0;
  #maxLength: number;
  #error: BgpError | null = null;
  readonly #scratch = new Uint8Array(HEADER_LEN);

  constructor(maxLength: number = MAX_MESSAGE_LEN) {
    this.#maxLength = maxLength;
  }

  /** After the OPEN exchange: 65535 when both sent the Extended Message capability (RFC 8654 §4). */
  setMaxLength(maxLength: number): void {
    this.#maxLength = Math.min(Math.max(maxLength, MAX_MESSAGE_LEN), MAX_EXTENDED_MESSAGE_LEN);
  }

  /** Octets held awaiting the rest of a message: below one maximum message. */
  get buffered(): number {
    return this.#buffered;
  }

  push(chunk: Uint8Array): FramerOutput {
    if (this.#error !== null) return { frames: [], error: this.#error };
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    const frames: Uint8Array[] = [];
    for (;;) {
      if (this.#length === 0) {
        if (this.#buffered < HEADER_LEN) break;
        const header = checkFraming(this.#peekHeader(), this.#maxLength);
        if (!header.ok) {
          this.#error = header.error;
          // Stryker disable next-line ArrayDeclaration: a failed framer reads no chunk again; this only frees them
          this.#chunks = [];
          this.#buffered = 0;
          return { frames, error: header.error };
        }
        this.#length = header.value.length;
      }
      if (this.#buffered < this.#length) break;
      frames.push(this.#consume(this.#length));
      this.#length = 0;
    }
    return { frames, error: null };
  }

  /** The first 19 buffered octets, without consuming them. */
  #peekHeader(): Uint8Array {
    const first = this.#chunks[0];
    if (first !== undefined && first.length >= HEADER_LEN) return first;
    let o = 0;
    for (const c of this.#chunks) {
      const take = Math.min(c.length, HEADER_LEN - o);
      this.#scratch.set(c.subarray(0, take), o);
      o += take;
      if (o === HEADER_LEN) break;
    }
    return this.#scratch;
  }

  /** Removes n buffered octets (n ≤ buffered): a subarray when they lie in the first chunk. */
  #consume(n: number): Uint8Array {
    this.#buffered -= n;
    const first = this.#chunks[0];
    if (first !== undefined && first.length >= n) {
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const c = this.#chunks[0];
      if (c === undefined) break; // unreachable: n ≤ buffered
      const take = Math.min(c.length, n - o);
      out.set(c.subarray(0, take), o);
      o += take;
      if (take === c.length) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(take);
    }
    return out;
  }
}
