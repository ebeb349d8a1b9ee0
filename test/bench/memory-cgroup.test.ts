// The cold start bench's memory cgroup (bench/ipam/memory-cgroup.ts): quantities parse as
// Kubernetes writes them, and a child started through it runs inside a group with that limit,
// which Node reads as its constrained memory.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createMemoryCgroup, parseMemoryQuantity } from '../../bench/ipam/memory-cgroup.ts';

test('memory quantities parse as Kubernetes writes them', () => {
  assert.equal(parseMemoryQuantity('256Mi'), 256 * 1024 * 1024);
  assert.equal(parseMemoryQuantity('1Gi'), 1024 ** 3);
  assert.equal(parseMemoryQuantity('64Ki'), 65_536);
  assert.equal(parseMemoryQuantity('150M'), 150_000_000);
  assert.equal(parseMemoryQuantity('2G'), 2e9);
  assert.equal(parseMemoryQuantity('268435456'), 268_435_456);
  for (const bad of ['', '256MB', '1.5Gi', '-1Mi', 'Mi']) assert.throws(() => parseMemoryQuantity(bad), /memory limit/, bad);
});

const v1 = existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes');
const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
const root = process.getuid?.() === 0;

test('a child started through the group runs inside it, and Node reads the limit', { skip: !root || (!v1 && !v2) ? 'needs root and a memory cgroup controller' : false }, () => {
  const limit = 200 * 1024 * 1024;
  const group = createMemoryCgroup(`herald-test-${process.pid}`, limit);
  try {
    const { command, args } = group.enterCommand(process.execPath, ['-e', 'process.stdout.write(String(process.constrainedMemory()))']);
    const seen = Number(execFileSync(command, args, { encoding: 'utf8' }));
    assert.equal(seen, limit);
    assert.equal(group.oomKills(), 0);
    const peak = group.peakBytes();
    assert.ok(peak !== undefined && peak > 0 && peak <= limit, `peak ${String(peak)}`);
  } finally {
    group.remove();
  }
  assert.equal(existsSync(group.path), false, 'the group is removed once its process has exited');
});

test('removing the group kills what is still in it first (a bench that broke before stopping its child)', { skip: !root || (!v1 && !v2) ? 'needs root and a memory cgroup controller' : false }, async () => {
  const group = createMemoryCgroup(`herald-test-left-${process.pid}`, 64 * 1024 * 1024);
  const { command, args } = group.enterCommand('/bin/sleep', ['60']);
  const child = spawn(command, args, { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  try {
    // Wait until the shell has moved itself into the group and become sleep.
    for (let i = 0; i < 100 && !readFileSync(join(group.path, 'cgroup.procs'), 'utf8').includes(String(child.pid)); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(readFileSync(join(group.path, 'cgroup.procs'), 'utf8').includes(String(child.pid)), 'the child is in the group');
  } finally {
    group.remove();
  }
  assert.equal(existsSync(group.path), false);
  assert.equal(await exited, 'SIGKILL');
});
