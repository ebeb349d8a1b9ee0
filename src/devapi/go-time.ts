// metav1.MicroTime as kube-apiserver decodes it: Go's time.Parse with the fixed layout
// RFC3339Micro, which wants exactly six fractional digits (k8s.io/apimachinery
// pkg/apis/meta/v1/micro_time.go). A JavaScript Date's three digits are refused with 400
// (docs/devapi.md, differences, 6). The errors are Go's time.ParseError texts.

export const RFC3339_MICRO = '2006-01-02T15:04:05.000000Z07:00';

const q = (s: string): string => JSON.stringify(s);

function cannotParse(value: string, rest: string, elem: string): string {
  return `parsing time ${q(value)} as ${q(RFC3339_MICRO)}: cannot parse ${q(rest)} as ${q(elem)}`;
}

function daysIn(month: number, year: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Go's time.Parse(RFC3339Micro, value): null when it parses, else the error text. */
export function microTimeError(value: string): string | null {
  let rest = value;
  const nums: number[] = [];
  // Each step: a literal separator, then a number of fixed width (the hour takes one or two digits).
  const steps: { lit: string; elem: string; width: number; flexible?: boolean; range?: [number, number, string] }[] = [
    { lit: '', elem: '2006', width: 4 },
    { lit: '-', elem: '01', width: 2, range: [1, 12, 'month'] },
    { lit: '-', elem: '02', width: 2 },
    { lit: 'T', elem: '15', width: 2, flexible: true, range: [0, 23, 'hour'] },
    { lit: ':', elem: '04', width: 2, range: [0, 59, 'minute'] },
    { lit: ':', elem: '05', width: 2, range: [0, 59, 'second'] },
  ];
  for (const step of steps) {
    if (!rest.startsWith(step.lit)) return cannotParse(value, rest, step.lit);
    rest = rest.slice(step.lit.length);
    const m = (step.flexible === true ? /^\d{1,2}/ : new RegExp(`^\\d{${step.width}}`)).exec(rest);
    if (m === null) return cannotParse(value, rest, step.elem);
    const n = Number(m[0]);
    if (step.range !== undefined && (n < step.range[0] || n > step.range[1])) return `parsing time ${q(value)}: ${step.range[2]} out of range`;
    nums.push(n);
    rest = rest.slice(m[0].length);
  }
  // stdFracSecond0: exactly as many digits as the layout, after a period or comma.
  if (rest.length < 7 || !/^[.,]\d{6}/.test(rest)) return cannotParse(value, rest, '.000000');
  rest = rest.slice(7);
  // stdISO8601ColonTZ: Z, or ±hh:mm.
  if (rest.startsWith('Z')) rest = rest.slice(1);
  else {
    const tz = /^[+-](\d\d):(\d\d)/.exec(rest);
    if (tz === null || Number(tz[1]) > 24 || Number(tz[2]) > 60) return cannotParse(value, rest, 'Z07:00');
    rest = rest.slice(6);
  }
  if (rest !== '') return `parsing time ${q(value)}: extra text: ${q(rest)}`;
  const [year = 0, month = 1, day = 1] = nums;
  if (day < 1 || day > daysIn(month, year)) return `parsing time ${q(value)}: day out of range`;
  return null;
}
