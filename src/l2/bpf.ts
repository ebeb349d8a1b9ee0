// Classic BPF programs as the kernel takes them in SO_ATTACH_FILTER: struct sock_filter is
// {u16 code; u8 jt; u8 jf; u32 k} in host byte order, 8 bytes per instruction.
import { endianness } from 'node:os';

/** [code, jt, jf, k] per instruction. */
export type BpfInstruction = readonly [number, number, number, number];

export function bpf(program: readonly BpfInstruction[]): Uint8Array {
  const out = Buffer.alloc(program.length * 8);
  const le = endianness() === 'LE';
  program.forEach(([code, jt, jf, k], i) => {
    if (le) out.writeUInt16LE(code, i * 8);
    else out.writeUInt16BE(code, i * 8);
    out[i * 8 + 2] = jt;
    out[i * 8 + 3] = jf;
    if (le) out.writeUInt32LE(k, i * 8 + 4);
    else out.writeUInt32BE(k, i * 8 + 4);
  });
  return out;
}

