// Field errors in the shape of k8s.io/apimachinery/pkg/util/validation/field: a path, a reason
// (the Status cause `reason`) and the body the real server prints after "path: ".
import { renderValue, type Json } from './json.ts';

export type FieldReason =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueTypeInvalid'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany';

export interface FieldError {
  field: string;
  reason: FieldReason;
  /** What follows "field: " in the message, e.g. `Invalid value: 0: must be between 1 and 65535, inclusive`. */
  body: string;
}

export function required(field: string, detail = ''): FieldError {
  return { field, reason: 'FieldValueRequired', body: detail ? `Required value: ${detail}` : 'Required value' };
}

export function invalid(field: string, value: Json | undefined, detail: string): FieldError {
  return { field, reason: 'FieldValueInvalid', body: `Invalid value: ${renderValue(value)}: ${detail}` };
}

export function notSupported(field: string, value: Json | undefined, supported: readonly string[]): FieldError {
  const list = supported.map((s) => JSON.stringify(s)).join(', ');
  return { field, reason: 'FieldValueNotSupported', body: `Unsupported value: ${renderValue(value)}: supported values: ${list}` };
}

export function typeInvalid(field: string, value: Json | undefined, detail: string): FieldError {
  return { field, reason: 'FieldValueTypeInvalid', body: `Invalid value: ${renderValue(value)}: ${detail}` };
}

export function duplicate(field: string, value: Json | undefined): FieldError {
  return { field, reason: 'FieldValueDuplicate', body: `Duplicate value: ${renderValue(value)}` };
}

export function forbidden(field: string, detail: string): FieldError {
  return { field, reason: 'FieldValueForbidden', body: `Forbidden: ${detail}` };
}

export function tooLong(field: string, max: number): FieldError {
  return { field, reason: 'FieldValueTooLong', body: `Too long: may not be more than ${max} bytes` };
}

export function tooMany(field: string, actual: number, max: number): FieldError {
  return { field, reason: 'FieldValueTooMany', body: `Too many: ${actual}: must have at most ${max} items` };
}

export function fieldErrorText(e: FieldError): string {
  return e.field ? `${e.field}: ${e.body}` : e.body;
}

/** `spec.ports` + 0 → `spec.ports[0]`; `spec` + `ports` → `spec.ports`. */
export function idx(path: string, i: number): string {
  return `${path}[${i}]`;
}
export function key(path: string, k: string): string {
  return path ? `${path}.${k}` : k;
}
