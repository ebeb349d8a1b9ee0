// String and integer formats of the OpenAPI schemas Kubernetes accepts in CRDs
// (k8s.io/kube-openapi/pkg/validation/strfmt, restricted by apiextensions' supported list).
// Unknown formats pass, as in the real server.
import { isIP, isIPv4, isIPv6 } from 'node:net';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export function isRfc3339(s: string): boolean {
  const m = RFC3339.exec(s);
  return m !== null && !Number.isNaN(Date.parse(s.toUpperCase()));
}

export function isCidr(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash < 0) return false;
  const ip = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(bits)) return false;
  const fam = isIP(ip);
  if (fam === 0) return false;
  return Number(bits) <= (fam === 4 ? 32 : 128);
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const MAC = /^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$/;
const HOSTNAME = /^([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$/;
const DURATION = /^(-?\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d|w))+$/;

/** true = valid or not a checked format. */
export function checkStringFormat(format: string, s: string): boolean {
  switch (format) {
    case 'ipv4':
      return isIPv4(s);
    case 'ipv6':
      return isIPv6(s);
    case 'cidr':
      return isCidr(s);
    case 'date-time':
    case 'datetime':
      return isRfc3339(s);
    case 'date':
      return /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s));
    case 'uuid':
      return UUID.test(s);
    case 'mac':
      return MAC.test(s);
    case 'hostname':
      return s.length <= 255 && HOSTNAME.test(s);
    case 'byte':
      return /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0;
    case 'duration':
      return DURATION.test(s);
    default:
      return true;
  }
}

export function checkIntegerFormat(format: string, n: number): boolean {
  if (format === 'int32') return n >= -2147483648 && n <= 2147483647;
  if (format === 'int64') return Number.isSafeInteger(n) || (n >= -9223372036854775808 && n <= 9223372036854775807);
  return true;
}

/** metav1.Time serialises with second precision, metav1.MicroTime with six fraction digits. */
export function normaliseTime(s: string, precision: 'second' | 'micro'): string | undefined {
  if (!isRfc3339(s)) return undefined;
  const ms = Date.parse(s.toUpperCase());
  const frac = /\.(\d+)/.exec(s)?.[1] ?? '';
  const base = new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19);
  if (precision === 'second') return `${base}Z`;
  return `${base}.${frac.padEnd(6, '0').slice(0, 6)}Z`;
}
