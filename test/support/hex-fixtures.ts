// Annotated hex fixtures (captured real bytes, STYLE.md lesson 10), shared by the L2 and BGP codec
// tests: one message per `*.hex` file, `#` comments per field.
import { readdirSync, readFileSync } from 'node:fs';

/** Parses an annotated hex file: `#` starts a comment, the rest must be pairs of hex digits. */
export function parseHexFixture(text: string, name: string): Uint8Array {
  const bytes: number[] = [];
  text.split('\n').forEach((line, i) => {
    for (const token of (line.split('#')[0] ?? '').trim().split(/\s+/).filter(Boolean)) {
      if (!/^[0-9a-f]{2}$/i.test(token)) throw new Error(`${name}:${i + 1}: "${token}" is not a hex byte`);
      bytes.push(parseInt(token, 16));
    }
  });
  return Uint8Array.from(bytes);
}

/** Every `*.hex` fixture in `dir`, by file name without the extension. */
export function loadHexFixtures(dir: URL): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.hex')).sort()) {
    out.set(file.slice(0, -'.hex'.length), parseHexFixture(readFileSync(new URL(file, dir), 'utf8'), file));
  }
  return out;
}
