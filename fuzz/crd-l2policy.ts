// Fuzz target: a JSON object → parsePolicy (src/api/l2-policy.ts), the L2AnnouncementPolicy.
// Oracle: nothing throws; a valid policy's selectors pass validateSelector, its interface patterns
// match whole names only and run over interface names (at most 15 bytes, IFNAMSIZ) without a
// catastrophic backtrack (the loop's slow-input limit turns one into a finding).
import { validateSelector } from '../src/api/selector.ts';
import { parsePolicy, validCondition } from '../src/api/l2-policy.ts';
import { check, type FuzzTarget } from './engine/target.ts';
import { exampleObjects, jsonInput, mutateJson } from './oracles/json.ts';

const NAMES = ['eth0', 'veth0a1b2c3d', 'bond0.100', 'enp0s31f6', 'aaaaaaaaaaaaaaa', 'lo', ''];

export const target: FuzzTarget = {
  name: 'crd-l2policy',
  description: 'JSON object → parsePolicy; selectors valid, interface patterns anchored and quick on interface names',
  covers: ['/src/api/l2-policy.ts', '/src/api/selector.ts'],
  maxLen: 4096,
  customOneIn: 1,
  seeds: () => exampleObjects('L2AnnouncementPolicy'),
  mutate: mutateJson,
  run(data) {
    const obj = jsonInput(data);
    if (obj === undefined) return;
    const r = parsePolicy(obj);
    validCondition(r.ok ? null : r.error, 1, new Date(0));
    if (!r.ok) return;
    const p = r.value;
    check(validateSelector(p.serviceSelector) === null && validateSelector(p.nodeSelector) === null, 'selector fails validateSelector');
    for (const re of p.interfaces) {
      for (const name of NAMES) {
        const m = re.exec(name);
        check(m === null || m[0] === name, `pattern ${re.source} matches part of "${name}"`);
      }
    }
  },
};
