// The one parser in Herald of the Kubernetes label-selector string syntax
// ("a=b,c!=d,e in (x,y),f notin (z),g,!h,n>3"): lexer, grammar and checks follow
// k8s.io/apimachinery/pkg/labels/selector.go (Parse, NewRequirement, Requirement.Matches), so a
// string is accepted here exactly when the kube-apiserver accepts it as `?labelSelector=`.
// The result is a requirement list, because `gt`/`lt` are valid in a list request but have no
// metav1.LabelSelector form; toLabelSelector converts when the structured form is needed.
// Errors are values with stable codes; nothing here throws on user input.
import type { LabelSelector, SelectorRequirement } from './selector.ts';
import { labelValue, qualifiedName } from './k8s-names.ts';

/** selection.Operator; `==` is parsed as Equals (DoubleEquals differs from it only when printed). */
export type LabelOperator = 'Equals' | 'NotEquals' | 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'GreaterThan' | 'LessThan';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** Sorted, without duplicates (NewRequirement gets them from a sets.String); empty for Exists/DoesNotExist. */
  readonly values: readonly string[];
}

export type LabelSelectorErrorCode =
  /** The text does not follow the grammar. */
  | 'Syntax'
  /** A key that is not a qualified name ([prefix/]name). */
  | 'InvalidKey'
  /** A value that is not a valid label value. */
  | 'InvalidValue'
  /** A gt/lt value that is not a 64-bit integer. */
  | 'InvalidInteger'
  /** A valid requirement (gt/lt) that metav1.LabelSelector cannot express. */
  | 'UnsupportedOperator';

export interface LabelSelectorError {
  readonly code: LabelSelectorErrorCode;
  readonly message: string;
}

export type ParsedRequirements = { ok: true; requirements: LabelRequirement[] } | { ok: false; error: LabelSelectorError };
export type ParsedSelector = { ok: true; selector: LabelSelector } | { ok: false; error: LabelSelectorError };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** strconv.ParseInt(s, 10, 64): an optional sign, decimal digits, in range; else null. */
function parseInt64(s: string): bigint | null {
  if (!/^[+-]?[0-9]+$/.test(s)) return null;
  const n = BigInt(s);
  return n >= INT64_MIN && n <= INT64_MAX ? n : null;
}

// ---- lexer (selector.go Lexer)

type TokenKind = 'id' | 'in' | 'notin' | '!' | '!=' | '=' | '==' | '>' | '<' | '(' | ')' | ',' | 'end';
interface Token {
  kind: TokenKind;
  text: string;
}

const WHITESPACE = ' \t\r\n';
const SYMBOLS: ReadonlyMap<string, TokenKind> = new Map<string, TokenKind>([
  ['!=', '!='],
  ['==', '=='],
  ['!', '!'],
  ['=', '='],
  ['>', '>'],
  ['<', '<'],
  ['(', '('],
  [')', ')'],
  [',', ','],
]);
const isSymbol = (c: string): boolean => c !== '' && '=!(),><'.includes(c);
const isSpace = (c: string): boolean => c !== '' && WHITESPACE.includes(c);

/**
 * Identifiers run to the next blank or symbol; symbols are read longest first (`!=`, `==`).
 * Unlike Go, a NUL byte is an ordinary character (invalid in keys and values), not the end.
 */
function lex(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  for (;;) {
    while (isSpace(text.charAt(i))) i++;
    if (i >= text.length) {
      out.push({ kind: 'end', text: '' });
      return out;
    }
    const sym = SYMBOLS.get(text.slice(i, i + 2)) ?? SYMBOLS.get(text.charAt(i));
    if (sym !== undefined) {
      out.push({ kind: sym, text: sym });
      i += sym.length;
      continue;
    }
    let j = i;
    while (j < text.length && !isSymbol(text.charAt(j)) && !isSpace(text.charAt(j))) j++;
    const word = text.slice(i, j);
    out.push({ kind: word === 'in' ? 'in' : word === 'notin' ? 'notin' : 'id', text: word });
    i = j;
  }
}

// ---- parser (selector.go Parser)

// Stryker disable next-line ObjectLiteral,StringLiteral: lex always ends with an 'end' token and parsing stops there, so END (for noUncheckedIndexedAccess) is never read
const END: Token = { kind: 'end', text: '' };

/**
 * Go's parser reads tokens in two contexts: where a key or value may stand, `in` and `notin`
 * are plain identifiers ("in in (notin)" is a valid requirement); only after a key are they operators.
 */
class Cursor {
  readonly tokens: readonly Token[];
  pos = 0;
  constructor(tokens: readonly Token[]) {
    this.tokens = tokens;
  }
  peek(operator = false): Token {
    const t = this.tokens[this.pos] ?? END;
    return !operator && (t.kind === 'in' || t.kind === 'notin') ? { kind: 'id', text: t.text } : t;
  }
  next(operator = false): Token {
    const t = this.peek(operator);
    this.pos++;
    return t;
  }
}

const syntax = (message: string): LabelSelectorError => ({ code: 'Syntax', message });
const isError = (v: object): v is LabelSelectorError => 'code' in v;
const startsRequirement = (t: Token): boolean => t.kind === 'id' || t.kind === '!';

const OPERATORS: ReadonlyMap<TokenKind, LabelOperator> = new Map<TokenKind, LabelOperator>([
  ['in', 'In'],
  ['notin', 'NotIn'],
  ['=', 'Equals'],
  ['==', 'Equals'],
  ['!=', 'NotEquals'],
  ['>', 'GreaterThan'],
  ['<', 'LessThan'],
]);

/** `( values )`: `()` is {""}; empty items between commas are "" too; `(,,)` is an error, as in Go. */
function parseValues(c: Cursor): string[] | LabelSelectorError {
  const open = c.next();
  if (open.kind !== '(') return syntax(`found '${open.text}' expected: '('`);
  const first = c.peek();
  if (first.kind === ')') {
    c.next();
    return [''];
  }
  if (first.kind !== 'id' && first.kind !== ',') return syntax(`found '${first.text}', expected: ',', ')' or identifier`);
  const values: string[] = [];
  for (;;) {
    const t = c.next();
    if (t.kind === 'id') {
      values.push(t.text);
      const after = c.peek();
      if (after.kind === ')') break;
      if (after.kind !== ',') return syntax(`found '${after.text}', expected: ',' or ')'`);
    } else if (t.kind === ',') {
      if (values.length === 0) values.push('');
      const after = c.peek();
      if (after.kind === ')') {
        values.push('');
        break;
      }
      if (after.kind === ',') {
        c.next();
        values.push('');
      }
    } else return syntax(`found '${t.text}', expected: ',', or identifier`);
  }
  c.next(); // the ')' just seen
  return values;
}

/** The value after =, ==, !=, >, <: none before ',' or the end is "". */
function parseExactValue(c: Cursor): string[] | LabelSelectorError {
  const t = c.peek();
  if (t.kind === 'end' || t.kind === ',') return [''];
  c.next();
  return t.kind === 'id' ? [t.text] : syntax(`found '${t.text}', expected: identifier`);
}

/** NewRequirement's checks on the values (the key is checked as soon as it is read). */
function requirement(key: string, operator: LabelOperator, raw: readonly string[]): LabelRequirement | LabelSelectorError {
  const values = [...new Set(raw)].sort();
  if (operator === 'GreaterThan' || operator === 'LessThan') {
    // Stryker disable next-line StringLiteral: gt and lt always have exactly one value (parseExactValue), so the fallback is never taken
    const v = values[0] ?? '';
    if (parseInt64(v) === null) return { code: 'InvalidInteger', message: `values[0]: Invalid value: ${JSON.stringify(v)}: for 'Gt', 'Lt' operators, the value must be an integer` };
  }
  // Also for gt/lt: "-1" is an int64 but not a label value, so the API server rejects `n>-1`.
  for (const [i, v] of values.entries()) {
    const problems = labelValue(v);
    if (problems.length > 0) return { code: 'InvalidValue', message: `values[${i}][${key}]: Invalid value: ${JSON.stringify(v)}: ${problems.join('; ')}` };
  }
  return { key, operator, values };
}

function parseRequirement(c: Cursor): LabelRequirement | LabelSelectorError {
  let t = c.next();
  const negated = t.kind === '!';
  if (negated) t = c.next();
  if (t.kind !== 'id') return syntax(`found '${t.text}', expected: identifier`);
  const key = t.text;
  const problems = qualifiedName(key);
  if (problems.length > 0) return { code: 'InvalidKey', message: `key: Invalid value: ${JSON.stringify(key)}: ${problems.join('; ')}` };
  // `!key` takes nothing more: "!a=b" then fails at the separator, as in Go.
  if (negated) return { key, operator: 'DoesNotExist', values: [] };
  const after = c.peek();
  if (after.kind === 'end' || after.kind === ',') return { key, operator: 'Exists', values: [] };
  const opToken = c.next(true);
  const operator = OPERATORS.get(opToken.kind);
  if (operator === undefined) return syntax(`found '${opToken.text}', expected: in, notin, =, ==, !=, gt, lt`);
  const values = operator === 'In' || operator === 'NotIn' ? parseValues(c) : parseExactValue(c);
  return isError(values) ? values : requirement(key, operator, values);
}

/**
 * Parses a label-selector string into its requirements, in the order written (Go sorts them by
 * key; the order does not change what they select). The empty or blank string selects everything.
 */
export function parseLabelRequirements(text: string): ParsedRequirements {
  const c = new Cursor(lex(text));
  const requirements: LabelRequirement[] = [];
  for (;;) {
    const t = c.peek();
    if (t.kind === 'end') return { ok: true, requirements };
    if (!startsRequirement(t)) return { ok: false, error: syntax(`found '${t.text}', expected: !, identifier, or 'end of string'`) };
    const r = parseRequirement(c);
    if (isError(r)) return { ok: false, error: { code: r.code, message: `unable to parse requirement: ${r.message}` } };
    requirements.push(r);
    const sep = c.next();
    if (sep.kind === 'end') return { ok: true, requirements };
    if (sep.kind !== ',') return { ok: false, error: syntax(`found '${sep.text}', expected: ',' or 'end of string'`) };
    const following = c.peek();
    if (!startsRequirement(following)) return { ok: false, error: syntax(`found '${following.text}', expected: identifier after ','`) };
  }
}

/** Requirement.Matches for every requirement (ANDed). Labels are a Map: keys are data, not properties. */
export function matchesLabelRequirements(requirements: readonly LabelRequirement[], labels: ReadonlyMap<string, string>): boolean {
  return requirements.every((r) => {
    const value = labels.get(r.key);
    switch (r.operator) {
      case 'Equals':
      case 'In':
        return value !== undefined && r.values.includes(value);
      case 'NotEquals':
      case 'NotIn':
        return value === undefined || !r.values.includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
      case 'GreaterThan':
      case 'LessThan': {
        // A label that is not an integer matches neither gt nor lt.
        const have = value === undefined ? null : parseInt64(value);
        // Stryker disable next-line StringLiteral: with length 1, values[0] exists; the fallback is for noUncheckedIndexedAccess
        const bound = r.values.length === 1 ? parseInt64(r.values[0] ?? '') : null;
        if (have === null || bound === null) return false;
        return r.operator === 'GreaterThan' ? have > bound : have < bound;
      }
    }
    // Stryker disable next-line BooleanLiteral: the switch covers every LabelOperator, so this line is never reached
    return false;
  });
}

const GO_OPERATOR: Readonly<Record<LabelOperator, string>> = {
  // Stryker disable StringLiteral: only gt and lt are ever named (the UnsupportedOperator message); the rest complete the Record
  Equals: '=',
  NotEquals: '!=',
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
  // Stryker restore StringLiteral
  GreaterThan: 'gt',
  LessThan: 'lt',
};

/**
 * The metav1.LabelSelector form. Unlike metav1.ParseToLabelSelector (last equality wins, `!=`
 * rejected), `a!=b` becomes NotIn [b], which selects the same objects, and a second, different
 * equality on one key stays a requirement, so `a=b,a=c` still selects nothing. gt/lt have no
 * matchExpressions operator and are an error, as there.
 */
export function toLabelSelector(requirements: readonly LabelRequirement[]): ParsedSelector {
  // A Map, not an object literal: a key such as "constructor" must stay a plain key.
  const labels = new Map<string, string>();
  const matchExpressions: SelectorRequirement[] = [];
  for (const r of requirements) {
    switch (r.operator) {
      case 'Equals': {
        // Stryker disable next-line StringLiteral: the requirements come from the parser (parseLabelSelector), where Equals has one value (parseExactValue)
        const v = r.values[0] ?? '';
        const prior = labels.get(r.key);
        if (prior !== undefined && prior !== v) matchExpressions.push({ key: r.key, operator: 'In', values: [v] });
        else labels.set(r.key, v);
        break;
      }
      case 'NotEquals':
        matchExpressions.push({ key: r.key, operator: 'NotIn', values: r.values });
        break;
      case 'In':
      case 'NotIn':
      case 'Exists':
      case 'DoesNotExist':
        matchExpressions.push({ key: r.key, operator: r.operator, values: r.values });
        break;
      case 'GreaterThan':
      case 'LessThan':
        return {
          ok: false,
          error: { code: 'UnsupportedOperator', message: `"${GO_OPERATOR[r.operator]}" isn't supported in label selectors (key "${r.key}"): matchExpressions allow In, NotIn, Exists and DoesNotExist only` },
        };
    }
  }
  return { ok: true, selector: { matchLabels: Object.fromEntries(labels), matchExpressions } };
}

/** parseLabelRequirements, then toLabelSelector: for places that store a metav1.LabelSelector. */
export function parseLabelSelector(text: string): ParsedSelector {
  const parsed = parseLabelRequirements(text);
  return parsed.ok ? toLabelSelector(parsed.requirements) : parsed;
}
