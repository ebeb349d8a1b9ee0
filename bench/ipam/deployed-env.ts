// The environment deploy/controller.yaml gives the controller's container, so that the bench runs
// the controller as the Deployment does. `MALLOC_ARENA_MAX=1` alone moved a warm restart's peak by
// ~8 MB (bench/README.md, "cold start, twenty-second session"); a bench that left it out measured
// a process no cluster runs. Read from the manifest, not copied, so the two cannot drift.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { asRecord } from './observer.ts';

/**
 * `NAME=value` for each env entry with a literal value of the named container of the manifest's
 * Deployment. Entries from a fieldRef or secret (`valueFrom`) are the Pod's own and are skipped.
 */
export function deployedEnv(manifest: string, container: string): string[] {
  for (const doc of parseAllDocuments(readFileSync(manifest, 'utf8'))) {
    const d = asRecord(doc.toJS());
    if (d?.['kind'] !== 'Deployment') continue;
    const containers = asRecord(asRecord(asRecord(d['spec'])?.['template'])?.['spec'])?.['containers'];
    if (!Array.isArray(containers)) continue;
    const c = containers.map(asRecord).find((x) => x?.['name'] === container);
    const env = c?.['env'];
    if (!Array.isArray(env)) return [];
    return env.map(asRecord).flatMap((e) => (typeof e?.['name'] === 'string' && typeof e['value'] === 'string' ? [`${e['name']}=${e['value']}`] : []));
  }
  throw new Error(`${manifest} has no Deployment with a container named ${container}`);
}
