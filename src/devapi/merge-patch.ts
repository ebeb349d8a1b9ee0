// JSON Merge Patch, RFC 7386 §2: objects merge recursively, null deletes, anything else replaces.
import { clone, isObject, type Json } from './json.ts';

export function applyMergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}
