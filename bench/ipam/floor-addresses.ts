// The addresses the floor writer (floor-writer.ts) gives a bench Service without any allocator:
// from the number in its name (`svc-NNNNN`, cluster-load.ts), so each Service has its own, the two
// halves of a sharing pair (`herald.dev/sharing-key`) the same, and the families in spec order.
// Taken from 198.19.0.0/16 and 2001:db8:ffff:1::/64, documentation ranges the bench's pools also use.
import { ANN_SHARING_KEY } from '../../src/api/names.ts';

export function plannedAddresses(name: string, families: readonly string[], annotations: Readonly<Record<string, string>> | undefined): string[] {
  const m = /^svc-(\d+)$/.exec(name);
  if (m === null) throw new Error(`floor: ${name} is not a bench Service`);
  const i = Number(m[1]);
  // A sharing pair is Services 2b and 2b + 1: both take the even one's address.
  const n = annotations?.[ANN_SHARING_KEY] === undefined ? i : i - (i % 2);
  return families.map((f) => (f === 'IPv6' ? `2001:db8:ffff:1::${(n + 1).toString(16)}` : `198.19.${(n >> 8) & 255}.${n & 255}`));
}
