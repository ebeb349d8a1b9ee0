// A UDP port free on every given address at once, for tests whose processes each bind the same
// port on their own address (as on separate hosts). A fixed port collided with a benchmark's
// speakers still running on the machine (the 2026-12-05 CI note): ask the kernel instead.
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';

function bind(address: string, port: number): Promise<Socket | null> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(null);
    });
    s.bind(port, address, () => resolve(s));
  });
}

/** Binds an ephemeral port on the first address, then the same port on the others; retries on a clash. */
export async function freeUdpPort(addresses: readonly string[], attempts = 20): Promise<number> {
  const [first, ...rest] = addresses;
  if (first === undefined) throw new Error('freeUdpPort: no address');
  for (let i = 0; i < attempts; i++) {
    const a = await bind(first, 0);
    if (a === null) continue;
    const port = a.address().port;
    const others = await Promise.all(rest.map((r) => bind(r, port)));
    for (const s of [a, ...others]) s?.close();
    if (others.every((s) => s !== null)) return port;
  }
  throw new Error(`freeUdpPort: no port free on ${addresses.join(', ')} after ${attempts} attempts`);
}
