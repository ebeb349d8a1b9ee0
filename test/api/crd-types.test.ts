// One source of truth per CRD (issue #9): src/api/generated/ is generated from deploy/crds/ and
// must match what the generator makes of the YAML today. On failure run `node scripts/crd-types.ts`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CRD_DIR, OUT_DIR, crdFiles, generateCrdTypes, outputName } from '../../scripts/crd-types.ts';

test('the CRD types in src/api/generated/ match deploy/crds/', () => {
  const files = crdFiles();
  // A glob that matches nothing would check nothing (STYLE.md lesson 10).
  assert.ok(files.length >= 4, `found only ${files.length} CRDs in ${CRD_DIR}`);
  for (const f of files) {
    const want = generateCrdTypes(readFileSync(join(CRD_DIR, f), 'utf8'), `deploy/crds/${f}`);
    let have = '';
    try {
      have = readFileSync(join(OUT_DIR, outputName(f)), 'utf8');
    } catch {
      assert.fail(`src/api/generated/${outputName(f)} is missing; run node scripts/crd-types.ts`);
    }
    assert.equal(have, want, `src/api/generated/${outputName(f)} has drifted from deploy/crds/${f}; run node scripts/crd-types.ts`);
  }
});
