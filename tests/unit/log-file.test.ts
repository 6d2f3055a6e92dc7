import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { LogFile } from '../../electron/core/log-file.ts';
import { tempDataDir } from '../helpers/relay-harness.ts';

test('the log rotates by size and keeps three old files', () => {
  const dir = tempDataDir('log-');
  const log = new LogFile(dir, { maxBytes: 200, keep: 3 });
  for (let index = 0; index < 40; index++) log.write('info', `line ${index} ${'x'.repeat(20)}`);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['main.log', 'main.log.1', 'main.log.2', 'main.log.3']);
  for (const file of fs.readdirSync(dir)) assert.ok(fs.statSync(path.join(dir, file)).size <= 200, file);
  assert.match(fs.readFileSync(path.join(dir, 'main.log'), 'utf8'), /line 39 /, 'the newest line is in main.log');
  assert.equal(fs.statSync(path.join(dir, 'main.log')).mode & 0o777, 0o600);
});

test('secrets never reach the log: saved values, integration keys and auth headers are masked', () => {
  const dir = tempDataDir('log-');
  const secret = 'level-webhook-secret-123456';
  const log = new LogFile(dir, { secrets: () => [secret, undefined] });
  log.write('error', `verify failed with ${secret}; key il1apiABCDEF123456 refused; authorization: Bearer xyz123abc; {"X-Level-Signature":"sha256=abcdef"}`);
  const text = fs.readFileSync(log.path, 'utf8');
  for (const leaked of [secret, 'il1apiABCDEF123456', 'xyz123abc', 'sha256=abcdef']) assert.ok(!text.includes(leaked), `${leaked} in ${text}`);
  assert.match(text, /\[redacted\]/);
});
