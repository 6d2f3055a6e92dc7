import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, tempDataDir } from '../helpers/relay-harness.ts';
import pkg from '../../package.json' with { type: 'json' };

const vite = path.join(ROOT, 'node_modules/vite/bin/vite.js');
const outDir = tempDataDir('electron-build-');
execFileSync(process.execPath, [vite, 'build', '--mode', 'main', '--outDir', outDir, '--logLevel', 'warn'], { cwd: ROOT });
execFileSync(process.execPath, [vite, 'build', '--mode', 'preload', '--outDir', outDir, '--logLevel', 'warn'], { cwd: ROOT });

const required = (file: string) => [...fs.readFileSync(path.join(outDir, file), 'utf8').matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1]!);

test('the sandboxed preload is one file that requires nothing but electron', () => {
  assert.deepEqual([...new Set(required('preload.cjs'))], ['electron']);
});

test('the main bundle loads only electron, Node built-ins and declared dependencies', () => {
  const allowed = new Set(['electron', ...builtinModules, ...builtinModules.map((name) => `node:${name}`), ...Object.keys(pkg.dependencies)]);
  const unexpected = required('main.cjs').filter((name) => !allowed.has(name));
  assert.deepEqual(unexpected, []);
  assert.ok(required('main.cjs').includes('electron'));
});
