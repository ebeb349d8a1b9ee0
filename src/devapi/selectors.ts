// Label and field selectors in the query-string syntax of k8s.io/apimachinery/pkg/labels and
// pkg/fields: `a=b,c!=d,e in (x,y),f notin (z),g,!h,n>3`. Parse errors are BadRequest.
import { badRequest } from './errors.ts';
import { labelValue, qualifiedName } from './names.ts';

export type LabelOp = 'eq' | 'neq' | 'in' | 'notin' | 'exists' | 'notexists' | 'gt' | 'lt';
export interface LabelRequirement {
  key: string;
  op: LabelOp;
  values: string[];
}
export type LabelSelector = LabelRequirement[];

type Tok = { t: 'id'; v: string } | { t: 'op'; v: string };

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i] ?? '';
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    const two = s.slice(i, i + 2);
    if (two === '==' || two === '!=') {
      out.push({ t: 'op', v: two });
      i += 2;
      continue;
    }
    if ('=!(),<>'.includes(c)) {
      out.push({ t: 'op', v: c });
      i++;
      continue;
    }
    let j = i;
    while (j < s.length && !' \t=!(),<>'.includes(s[j] ?? '')) j++;
    out.push({ t: 'id', v: s.slice(i, j) });
    i = j;
  }
  return out;
}

function fail(detail: string): never {
  throw badRequest(`unable to parse requirement: ${detail}`);
}

export function parseLabelSelector(text: string): LabelSelector {
  const toks = tokenize(text);
  const reqs: LabelSelector = [];
  let p = 0;
  const peek = (): Tok | undefined => toks[p];
  const ident = (what: string): string => {
    const t = toks[p++];
    if (t === undefined || t.t !== 'id') fail(`found '${t?.v ?? ''}', expected: ${what}`);
    return t.v;
  };
  const values = (): string[] => {
    const open = toks[p++];
    if (open?.v !== '(') fail(`found '${open?.v ?? ''}', expected: '('`);
    const vals: string[] = [];
    for (;;) {
      const t = peek();
      if (t === undefined) fail("found '', expected: ')'");
      if (t.t === 'op' && t.v === ')') {
        p++;
        if (vals.length === 0) vals.push('');
        return vals;
      }
      if (t.t === 'op' && t.v === ',') {
        p++;
        continue;
      }
      if (t.t !== 'id') fail(`found '${t.v}', expected: ',', ')' or identifier`);
      vals.push(t.v);
      p++;
    }
  };
  while (p < toks.length) {
    const first = peek();
    let req: LabelRequirement;
    if (first?.t === 'op' && first.v === '!') {
      p++;
      req = { key: ident('identifier'), op: 'notexists', values: [] };
    } else {
      const k = ident('identifier');
      const t = peek();
      if (t === undefined || (t.t === 'op' && t.v === ',')) req = { key: k, op: 'exists', values: [] };
      else if (t.t === 'op' && (t.v === '=' || t.v === '==' || t.v === '!=')) {
        p++;
        const v = peek();
        let val = '';
        if (v?.t === 'id') {
          val = v.v;
          p++;
        }
        req = { key: k, op: t.v === '!=' ? 'neq' : 'eq', values: [val] };
      } else if (t.t === 'op' && (t.v === '>' || t.v === '<')) {
        p++;
        const v = ident('integer');
        if (!/^-?\d+$/.test(v)) fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
        req = { key: k, op: t.v === '>' ? 'gt' : 'lt', values: [v] };
      } else if (t.t === 'id' && (t.v === 'in' || t.v === 'notin')) {
        p++;
        req = { key: k, op: t.v === 'in' ? 'in' : 'notin', values: values() };
      } else fail(`found '${t.v}', expected: in, notin, =, ==, !=, gt, lt`);
    }
    for (const m of qualifiedName(req.key)) throw badRequest(`unable to parse requirement: key: Invalid value: ${JSON.stringify(req.key)}: ${m}`);
    if (req.op !== 'gt' && req.op !== 'lt') {
      for (const v of req.values) for (const m of labelValue(v)) throw badRequest(`unable to parse requirement: values[0][${req.key}]: Invalid value: ${JSON.stringify(v)}: ${m}`);
    }
    reqs.push(req);
    const sep = peek();
    if (sep === undefined) break;
    if (sep.t === 'op' && sep.v === ',') {
      p++;
      if (peek() === undefined) fail("found '', expected: identifier");
      continue;
    }
    fail(`found '${sep.v}', expected: ',' or 'end of string'`);
  }
  return reqs;
}

export function matchesLabels(sel: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  return sel.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    const v = labels[r.key];
    switch (r.op) {
      case 'eq':
      case 'in':
        return has && r.values.includes(v ?? '');
      case 'neq':
      case 'notin':
        return !has || !r.values.includes(v ?? '');
      case 'exists':
        return has;
      case 'notexists':
        return !has;
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(v ?? '')) return false;
        const n = Number(v);
        const bound = Number(r.values[0]);
        return r.op === 'gt' ? n > bound : n < bound;
      }
    }
    return false;
  });
}

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
