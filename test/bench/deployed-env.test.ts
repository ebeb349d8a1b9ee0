// The cold-start bench runs Herald's controller with the environment deploy/controller.yaml gives
// it (bench/ipam/deployed-env.ts): read from the manifest itself, literal values only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deployedEnv } from '../../bench/ipam/deployed-env.ts';
import { heraldContender } from '../../bench/ipam/contenders.ts';

const MANIFEST = resolve(import.meta.dirname, '../../deploy/controller.yaml');

test('deployedEnv reads deploy/controller.yaml: MALLOC_ARENA_MAX=1, and no fieldRef entry (the Pod\'s own)', () => {
  const env = deployedEnv(MANIFEST, 'controller');
  assert.ok(env.includes('MALLOC_ARENA_MAX=1'), env.join(' '));
  assert.ok(env.every((e) => !e.startsWith('POD_NAMESPACE=') && !e.startsWith('POD_NAME=')), env.join(' '));
});

test('deployedEnv: the named container of the Deployment among several documents; a missing Deployment is named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-deployed-env-'));
  try {
    const file = join(dir, 'm.yaml');
    writeFileSync(file, [
      'apiVersion: v1\nkind: Service\nmetadata: {name: x}\n',
      'apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: side\n          env: [{name: A, value: "1"}]\n        - name: main\n          env:\n            - {name: B, value: "two"}\n            - {name: C, valueFrom: {fieldRef: {fieldPath: metadata.name}}}\n',
    ].join('---\n'));
    assert.deepEqual(deployedEnv(file, 'main'), ['B=two']);
    assert.deepEqual(deployedEnv(file, 'absent'), []);
    writeFileSync(file, 'apiVersion: v1\nkind: Service\n');
    assert.throws(() => deployedEnv(file, 'main'), /no Deployment with a container named main/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('heraldContender starts the controller through env(1) with that environment, node and its options next', () => {
  const base = { node: '/n/node', entry: 'dist/herald.mjs', nodeOptions: ['--x'], crdFile: 'crd.yaml', pools: [], plan: new Map() };
  const withEnv = heraldContender({ ...base, env: ['MALLOC_ARENA_MAX=1'] }).command('/k', 9);
  assert.equal(withEnv.command, '/usr/bin/env');
  assert.deepEqual(withEnv.args.slice(0, 5), ['MALLOC_ARENA_MAX=1', '/n/node', '--x', 'dist/herald.mjs', 'controller']);
  const bare = heraldContender({ ...base, env: [] }).command('/k', 9);
  assert.equal(bare.command, '/n/node');
  assert.deepEqual(bare.args.slice(0, 3), ['--x', 'dist/herald.mjs', 'controller']);
});
