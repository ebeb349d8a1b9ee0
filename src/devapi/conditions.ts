// metav1.Condition validation (apimachinery/pkg/apis/meta/v1/validation ValidateConditions),
// used by Service status.conditions: the IPAM controller writes these.
import * as fe from './field-errors.ts';
import { isObject, type Json } from './json.ts';
import { qualifiedName } from '../api/k8s-names.ts';

const REASON_FMT = '[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?';
const REASON_RE = new RegExp(`^${REASON_FMT}$`);

export function validateConditions(conditions: Json | undefined, path: string): fe.FieldError[] {
  if (!Array.isArray(conditions)) return [];
  const out: fe.FieldError[] = [];
  const seen = new Set<string>();
  conditions.forEach((c, i) => {
    const p = fe.idx(path, i);
    if (!isObject(c)) return;
    const type = c['type'];
    if (typeof type !== 'string' || type === '') out.push(fe.required(fe.key(p, 'type'), 'must be set'));
    else {
      for (const m of qualifiedName(type)) out.push(fe.invalid(fe.key(p, 'type'), type, m));
      if (seen.has(type)) out.push(fe.duplicate(fe.key(p, 'type'), type));
      seen.add(type);
    }
    const status = c['status'];
    if (status !== 'True' && status !== 'False' && status !== 'Unknown') out.push(fe.notSupported(fe.key(p, 'status'), status, ['False', 'True', 'Unknown']));
    const og = c['observedGeneration'];
    if (typeof og === 'number' && og < 0) out.push(fe.invalid(fe.key(p, 'observedGeneration'), og, 'must be greater than or equal to zero'));
    if (typeof c['lastTransitionTime'] !== 'string') out.push(fe.required(fe.key(p, 'lastTransitionTime'), 'must be set'));
    const reason = c['reason'];
    if (typeof reason !== 'string' || reason === '') out.push(fe.required(fe.key(p, 'reason'), 'must be set'));
    else {
      if (reason.length > 1024) out.push(fe.tooLong(fe.key(p, 'reason'), 1024));
      if (!REASON_RE.test(reason)) {
        out.push(
          fe.invalid(
            fe.key(p, 'reason'),
            reason,
            `a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName',  or 'ReasonA,ReasonB',  or 'ReasonA:ReasonB', regex used for validation is '${REASON_FMT}')`,
          ),
        );
      }
    }
    const message = c['message'];
    if (typeof message === 'string' && message.length > 32768) out.push(fe.tooLong(fe.key(p, 'message'), 32768));
  });
  return out;
}
