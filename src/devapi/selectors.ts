// Field selectors in the query-string syntax of k8s.io/apimachinery/pkg/fields:
// `a=b,c!=d`. Parse errors are BadRequest. Label selectors are parsed by src/kube/label-selector.ts.
import { badRequest } from './errors.ts';

export interface FieldRequirement {
  field: string;
  negate: boolean;
  value: string;
}

/** fields.ParseSelector: `a=b,c!=d`, with `\` escaping `,` `=` `!` and `\`. */
export function parseFieldSelector(text: string): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  if (text.trim() === '') return out;
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (c === '\\' && i + 1 < text.length) {
      cur += c + (text[i + 1] ?? '');
      i++;
    } else if (c === ',') {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  for (const part of parts) {
    const m = /^([^=!]*?)(==|!=|=)(.*)$/s.exec(part);
    if (m === null) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    const value = (m[3] ?? '').replace(/\\(.)/g, '$1');
    out.push({ field: (m[1] ?? '').trim(), negate: m[2] === '!=', value });
  }
  return out;
}

export function matchesFields(reqs: readonly FieldRequirement[], fields: (name: string) => string | undefined): boolean {
  return reqs.every((r) => {
    const v = fields(r.field) ?? '';
    return r.negate ? v !== r.value : v === r.value;
  });
}
