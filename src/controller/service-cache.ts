// What the controller's Service cache takes from a list (issue #10, bench/README.md IPAM Finding
// 6). The objects it keeps are `slimService`'s (src/api/slim.ts, shared with the speaker).
import type { V1Service } from '@kubernetes/client-node';

/** A listed item the controller can use: an object with a metadata object (client-node checks no more). */
export function isService(v: unknown): v is V1Service {
  return typeof v === 'object' && v !== null && 'metadata' in v && typeof v.metadata === 'object' && v.metadata !== null;
}
