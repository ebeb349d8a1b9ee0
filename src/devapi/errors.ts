// API errors as values: each carries the HTTP code, the Status `reason` and `details` the real
// kube-apiserver sends (k8s.io/apimachinery/pkg/api/errors). Handlers throw ApiError; the
// server turns it into a `kind: Status` body. Nothing else is thrown on purpose.
import { fieldErrorText, type FieldError } from './field-errors.ts';
import type { JsonObject } from './json.ts';

export type StatusReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'BadRequest'
  | 'MethodNotAllowed'
  | 'Expired'
  | 'Gone'
  | 'UnsupportedMediaType'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Forbidden'
  | 'RequestEntityTooLarge'
  | 'NotAcceptable';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: { reason: string; message: string; field?: string }[];
  retryAfterSeconds?: number;
}

/** Identifies a resource in messages: `services`, `ippools.herald.dev`. */
export interface GroupResource {
  group: string;
  resource: string;
}

export function grString(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

export class ApiError extends Error {
  readonly code: number;
  readonly reason: StatusReason;
  readonly details: StatusDetails | undefined;
  constructor(code: number, reason: StatusReason, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  status(): JsonObject {
    const s: JsonObject = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
    };
    if (this.details !== undefined) {
      const d: JsonObject = {};
      if (this.details.name !== undefined) d['name'] = this.details.name;
      if (this.details.group) d['group'] = this.details.group;
      if (this.details.kind !== undefined) d['kind'] = this.details.kind;
      if (this.details.causes !== undefined) {
        d['causes'] = this.details.causes.map((c) => {
          const o: JsonObject = { reason: c.reason, message: c.message };
          if (c.field !== undefined) o['field'] = c.field;
          return o;
        });
      }
      if (this.details.retryAfterSeconds !== undefined) d['retryAfterSeconds'] = this.details.retryAfterSeconds;
      s['details'] = d;
    }
    s['code'] = this.code;
    return s;
  }
}

function grDetails(gr: GroupResource, name: string): StatusDetails {
  return { name, group: gr.group, kind: gr.resource };
}

export function notFound(gr: GroupResource, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${grString(gr)} "${name}" not found`, grDetails(gr, name));
}

export function alreadyExists(gr: GroupResource, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${grString(gr)} "${name}" already exists`, grDetails(gr, name));
}

export const MODIFIED_MESSAGE = 'the object has been modified; please apply your changes to the latest version and try again';

export function conflict(gr: GroupResource, name: string, why: string): ApiError {
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${grString(gr)} "${name}": ${why}`, grDetails(gr, name));
}

/** 422 in the real form: `Service "x" is invalid: a` or `... is invalid: [a, b]`. */
export function invalid(kind: string, group: string, name: string, errors: readonly FieldError[]): ApiError {
  const qualified = group ? `${kind}.${group}` : kind;
  const texts = errors.map(fieldErrorText);
  const joined = texts.length === 1 ? (texts[0] ?? '') : `[${texts.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${qualified} "${name}" is invalid: ${joined}`, {
    name,
    group,
    kind,
    causes: errors.map((e) => ({ reason: e.reason, message: e.body, field: e.field })),
  });
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function forbiddenError(gr: GroupResource, name: string, why: string): ApiError {
  return new ApiError(403, 'Forbidden', `${grString(gr)} "${name}" is forbidden: ${why}`, grDetails(gr, name));
}

export function methodNotAllowed(): ApiError {
  return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

export function pathNotFound(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {
    causes: [{ reason: 'UnexpectedServerResponse', message: '404 page not found' }],
  });
}

export function expired(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

export function unsupportedMediaType(contentType: string, accepted: readonly string[]): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    { causes: [{ reason: 'UnexpectedServerResponse', message: `unsupported media type ${JSON.stringify(contentType)}` }] },
  );
}

export function tooManyRequests(retryAfterSeconds: number): ApiError {
  return new ApiError(429, 'TooManyRequests', 'Too many requests, please try again later.', {
    causes: [{ reason: 'UnexpectedServerResponse', message: 'herald-dev injected fault' }],
    retryAfterSeconds,
  });
}

export function internalError(message: string): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, {
    causes: [{ reason: 'UnexpectedServerResponse', message }],
  });
}

export function entityTooLarge(limit: number): ApiError {
  return new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
}
