/**
 * The headless relay's admin link and team door, as `npm run serve` runs them: the link survives
 * restarts and can be printed, and RELAY_ADMIN_HOST opens an HTTPS door with a printed fingerprint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { freePort, NODE_FLAGS, SERVE_SOURCE, startChildRelay, stopChildRelay, tempDataDir } from '../helpers/relay-harness.ts';

/** `npm run serve -- --print-url`: prints the current admin link and exits. */
async function printUrl(env: Record<string, string>): Promise<string> {
  const printer = spawn(process.execPath, [...NODE_FLAGS, SERVE_SOURCE, '--print-url'], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  printer.stdout.on('data', (chunk: Buffer) => (output += chunk));
  printer.stderr.on('data', (chunk: Buffer) => (output += chunk));
  const [code] = await once(printer, 'exit');
  assert.equal(code, 0, output);
  return output.trim();
}

test('the admin link survives a restart, is kept 0600 in the data directory, and --print-url prints it', async () => {
  const dataDir = tempDataDir();
  const env = { RELAY_DATA_DIR: dataDir, RELAY_ADMIN_PORT: String(await freePort()) };
  const first = await startChildRelay(env);
  await stopChildRelay(first);
  const second = await startChildRelay(env);
  try {
    assert.equal(second.adminUrl, first.adminUrl, 'the same link after a restart');
    const opened = await fetch(second.adminUrl, { redirect: 'manual' });
    assert.equal(opened.status, 303, 'the old link still opens the dashboard');
    assert.equal((fs.statSync(path.join(dataDir, 'admin-token')).mode & 0o777).toString(8), '600');
  } finally {
    await stopChildRelay(second);
  }
  assert.equal(await printUrl(env), first.adminUrl);
});

test('RELAY_ADMIN_HOST=0.0.0.0 opens an HTTPS door and prints its certificate fingerprint', async (t) => {
  const dataDir = tempDataDir();
  const relay = await startChildRelay({ RELAY_DATA_DIR: dataDir, RELAY_ADMIN_HOST: '0.0.0.0', RELAY_ADMIN_HOST_NAMES: 'relay.example.ts.net' });
  t.after(() => stopChildRelay(relay));
  assert.match(relay.adminUrl, /^https:\/\/relay\.example\.ts\.net:\d+\/\?token=[\w-]{43}$/);
  const fingerprint = /certificate SHA-256 fingerprint: ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})/.exec(relay.output())?.[1];
  assert.ok(fingerprint, relay.output());
  const { port } = new URL(relay.adminUrl);
  const seen = await new Promise<{ status: number; fingerprint: string }>((resolve, reject) => {
    const request = https.get({ host: '127.0.0.1', port, path: '/api/events', rejectUnauthorized: false, headers: { host: `relay.example.ts.net:${port}` } }, (response) => {
      response.resume();
      resolve({ status: response.statusCode!, fingerprint: (response.socket as TLSSocket).getPeerCertificate().fingerprint256 });
    });
    request.on('error', reject);
  });
  assert.equal(seen.fingerprint, fingerprint, 'the printed fingerprint is the served certificate’s');
  assert.equal(seen.status, 401);
});

test('RELAY_ADMIN_HOST=127.0.0.2: the door listens there, and the printed link names it and opens the dashboard', async (t) => {
  const dataDir = tempDataDir();
  const env = { RELAY_DATA_DIR: dataDir, RELAY_ADMIN_HOST: '127.0.0.2', RELAY_ADMIN_PORT: String(await freePort()) };
  const relay = await startChildRelay(env);
  t.after(() => stopChildRelay(relay));
  assert.match(relay.adminUrl, /^http:\/\/127\.0\.0\.2:\d+\/\?token=[\w-]{43}$/, relay.output());
  const opened = await fetch(relay.adminUrl, { redirect: 'manual' });
  assert.equal(opened.status, 303, 'the printed link opens the dashboard, not a 421');
  const { port, searchParams } = new URL(relay.adminUrl);
  const status = await fetch(`http://127.0.0.2:${port}/api/getStatus`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${searchParams.get('token')}` },
    body: '{}',
  });
  assert.equal(status.status, 200, await status.text());
  assert.equal(await printUrl(env), relay.adminUrl);
});
