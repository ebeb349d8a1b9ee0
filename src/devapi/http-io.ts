// Reading request bodies and writing JSON responses, nothing more.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseAllDocuments } from 'yaml';
import { ApiError, badRequest, entityTooLarge } from './errors.ts';
import { isJson, type Json, type JsonObject } from './json.ts';

/** kube-apiserver's default limit for a request body (--max-request-bytes is 3 MiB). */
export const MAX_BODY = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > MAX_BODY) throw entityTooLarge(MAX_BODY);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** The media type without parameters: `application/json; charset=utf-8` → `application/json`. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Decodes a JSON (or, for create/update, YAML) body. */
export function parseBody(body: Buffer, contentType: string, allowYaml: boolean): Json {
  const text = body.toString('utf8');
  if (text.trim() === '') throw badRequest('the body of the request was empty');
  if (allowYaml && (contentType === 'application/yaml' || contentType === 'application/apply-patch+yaml')) {
    const docs = parseAllDocuments(text);
    const first = docs[0];
    if (first === undefined || first.errors.length > 0) throw badRequest(`error converting YAML to JSON: ${first?.errors[0]?.message ?? 'empty'}`);
    const v: unknown = first.toJS();
    if (!isJson(v)) throw badRequest('error converting YAML to JSON: unsupported value');
    return v;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw badRequest(`couldn't get version/kind; json parse error: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isJson(v)) throw badRequest('json parse error: unsupported value');
  return v;
}

export function sendJson(res: ServerResponse, code: number, body: JsonObject, headers: Record<string, string> = {}): void {
  // Go's json.Encoder ends every document with a newline; kube-apiserver's bodies do too
  // (docs/devapi.md, differences, 8).
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private', ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, err: ApiError): void {
  const headers: Record<string, string> = {};
  const retry = err.details?.retryAfterSeconds;
  if (retry !== undefined) headers['Retry-After'] = String(retry);
  sendJson(res, err.code, err.status(), headers);
}

export function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
