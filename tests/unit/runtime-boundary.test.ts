import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { NODE_FLAGS, ROOT, startChildRelay, tempDataDir } from '../helpers/relay-harness.ts';

const RUNTIME_ELECTRON_IMPORT =
  /^\s*(import\s+(?!type\b)[^;]*from\s+['"]electron(\/[^'"]*)?['"]|import\s+['"]electron['"]|.*\brequire\(\s*['"]electron['"]\s*\)|.*\bimport\(\s*['"]electron['"]\s*\))/m;
const GUARDED_DIRS = ['electron/core', 'electron/cli', 'shared', 'renderer'];

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(ts|tsx|js|mjs|cjs)$/.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

test('the guard loaded into tests and the headless host really refuses electron', () => {
  const child = spawnSync(process.execPath, [...NODE_FLAGS, '--input-type=module', '-e', `await import('electron')`], { encoding: 'utf8' });
  assert.notEqual(child.status, 0);
  assert.match(child.stderr, /runtime boundary violated: .* imports "electron" at runtime/);
});

test('no file in core, cli, shared or renderer imports electron at runtime (import type is fine)', () => {
  const offenders = GUARDED_DIRS.flatMap((dir) => sourceFiles(path.join(ROOT, dir))).filter((file) => RUNTIME_ELECTRON_IMPORT.test(fs.readFileSync(file, 'utf8')));
  assert.deepEqual(offenders, []);
  assert.ok(RUNTIME_ELECTRON_IMPORT.test(`import { app } from 'electron';`), 'the scan recognises a runtime import');
  assert.ok(!RUNTIME_ELECTRON_IMPORT.test(`import type { App } from 'electron';`), 'and lets a type import through');
});

test('the headless host starts and stops with the guard in place', async () => {
  const relay = await startChildRelay({ RELAY_DATA_DIR: tempDataDir() });
  relay.child.kill('SIGTERM');
  assert.equal(await relay.exited, 0);
  assert.doesNotMatch(relay.output(), /runtime boundary violated/);
});
