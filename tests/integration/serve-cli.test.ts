import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { once } from 'node:events';
import { DatabaseSync } from 'node:sqlite';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { spawn } from 'node:child_process';
import { spawnServe, startChildRelay, tempDataDir, SECRET, INTEGRATION_KEY, SERVE_BUNDLE, ROOT } from '../helpers/relay-harness.ts';

const ilert = await new FakeIlert().start();
after(() => ilert.stop());

async function runToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawnServe(env);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const [code] = await once(child, 'exit');
  return { code: code as number | null, output };
}

test('npm run serve (the bundle) starts from the environment, prints where it listens and what is missing', async (t) => {
  const relay = await startChildRelay({ RELAY_DATA_DIR: tempDataDir() }, { entry: SERVE_BUNDLE });
  t.after(async () => {
    relay.child.kill('SIGTERM');
    assert.equal(await relay.exited, 0);
  });
  assert.match(relay.url, /^http:\/\/127\.0\.0\.1:\d+\/webhooks\/level$/);
  const health = await fetch(relay.url.replace('/webhooks/level', '/healthz'));
  assert.deepEqual(await health.json(), { status: 'ok' });
  assert.match(relay.output(), /unsigned deliveries are accepted — set LEVEL_WEBHOOK_SECRET/);
  assert.match(relay.output(), /set ILERT_INTEGRATION_KEY/);
  const setup = /to fix: open the Setup tab, (\S+)#\/setup /.exec(relay.output());
  assert.equal(setup?.[1], relay.adminUrl, `the warnings point to the Setup tab on the dashboard:\n${relay.output()}`);
});

test(
  'on an older Node, npm run serve says which Node it needs and how to get one, before building anything',
  { skip: process.platform === 'win32' && 'needs a POSIX shell' },
  async () => {
    // A `node` first on PATH that is Node 20 as far as the relay can tell: that version, and no --experimental-sqlite.
    const bin = tempDataDir('old-node-');
    fs.writeFileSync(path.join(bin, 'pretend-20.cjs'), `Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '20.11.1' } });`);
    fs.writeFileSync(
      path.join(bin, 'node'),
      [
        '#!/bin/sh',
        'for arg in "$@"; do [ "$arg" = --experimental-sqlite ] && { echo "node: bad option: --experimental-sqlite" >&2; exit 9; }; done',
        `exec ${JSON.stringify(process.execPath)} --require ${JSON.stringify(path.join(bin, 'pretend-20.cjs'))} "$@"`,
      ].join('\n'),
      { mode: 0o755 },
    );
    const { scripts } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    // What `npm run serve` runs: the pre-script, then the script, each by sh -c with node_modules/.bin on PATH.
    const child = spawn('sh', ['-c', `${scripts.preserve} && ${scripts.serve}`], {
      cwd: ROOT,
      env: { PATH: [bin, path.join(ROOT, 'node_modules/.bin'), process.env.PATH].join(path.delimiter), HOME: process.env.HOME ?? bin },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    const [code] = await once(child, 'exit');
    assert.equal(code, 1, output);
    assert.match(output, /needs Node\.js 22\.12 or newer; this is Node 20\.11\.1/);
    assert.match(output, /\. scripts\/use-node\.sh +puts Node 24/);
    assert.doesNotMatch(output, /bad option/);
  },
);

test('the dashboard is built in chunks under Vite’s 500 kB warning, so npm run serve starts without it', () => {
  const assets = path.join(ROOT, 'dist/renderer/assets');
  const sizes = fs
    .readdirSync(assets)
    .filter((name) => name.endsWith('.js'))
    .map((name) => [name, fs.statSync(path.join(assets, name)).size] as const);
  assert.ok(sizes.length > 1, 'the libraries are a chunk of their own');
  for (const [name, size] of sizes) assert.ok(size <= 500 * 1000, `${name} is ${Math.round(size / 1000)} kB`);
});

test('reads the settings file in RELAY_DATA_DIR; the environment wins over it', async (t) => {
  const dataDir = tempDataDir();
  fs.writeFileSync(path.join(dataDir, 'settings.json'), JSON.stringify({ levelWebhookSecret: SECRET, ilertIntegrationKey: INTEGRATION_KEY, ilertApiUrl: 'http://127.0.0.1:1' }));
  const relay = await startChildRelay({ RELAY_DATA_DIR: dataDir, ILERT_API_URL: ilert.url });
  t.after(async () => {
    relay.child.kill('SIGTERM');
    await relay.exited;
  });
  assert.match(relay.output(), /configuration: ok/);
  assert.doesNotMatch(relay.output(), /Setup tab/, 'nothing to fix, nothing pointed at');
  assert.match(relay.output(), new RegExp(`forwarding to:  ${ilert.url}/api/events`));
  const active = alertEvent();
  assert.equal((await new LevelSender({ url: relay.url, secret: SECRET }).deliver(active)).acknowledged, true);
  await ilert.waitFor(() => ilert.eventsFor(`level-alert-${active.data.id}`).length === 1);
});

test('an invalid setting stops it with a clear message and a non-zero exit', async () => {
  const { code, output } = await runToExit({ RELAY_DATA_DIR: tempDataDir(), RELAY_PORT: 'http', ILERT_API_URL: 'not a url' });
  assert.equal(code, 1);
  assert.match(output, /invalid settings/);
  assert.match(output, /port \(RELAY_PORT\): must be a port number/);
  assert.match(output, /ilertApiUrl \(ILERT_API_URL\)/);
});

test('a port in use stops it with a clear message and a non-zero exit', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  t.after(() => blocker.close());
  const { code, output } = await runToExit({ RELAY_DATA_DIR: tempDataDir(), RELAY_PORT: String(port) });
  assert.equal(code, 1);
  assert.match(output, new RegExp(`the receiver port ${port} on 127.0.0.1 is in use: stop the other program or set RELAY_PORT`));
});

test('SIGTERM stops accepting, finishes the ilert request in flight, closes the database and exits 0', async (t) => {
  const dataDir = tempDataDir();
  const relay = await startChildRelay({ RELAY_DATA_DIR: dataDir, LEVEL_WEBHOOK_SECRET: SECRET, ILERT_INTEGRATION_KEY: INTEGRATION_KEY, ILERT_API_URL: ilert.url });
  ilert.mode = { kind: 'slow', delayMs: 400 };
  t.after(() => {
    ilert.mode = { kind: 'ok' };
  });
  const active = alertEvent();
  const requestsBefore = ilert.requests;
  await new LevelSender({ url: relay.url, secret: SECRET }).deliver(active);
  await ilert.waitFor(() => ilert.requests > requestsBefore, 5000, 'the request to reach ilert');
  relay.child.kill('SIGTERM');
  assert.equal(await relay.exited, 0);
  assert.match(relay.output(), /SIGTERM received, finishing in-flight work/);
  assert.equal(ilert.eventsFor(`level-alert-${active.data.id}`).length, 1);
  await assert.rejects(fetch(relay.url.replace('/webhooks/level', '/healthz')), 'no longer listening');
  const db = new DatabaseSync(path.join(dataDir, 'relay.sqlite'));
  const job = db.prepare('SELECT status FROM outbox WHERE alert_key = ?').get(`level-alert-${active.data.id}`) as { status: string };
  db.close();
  assert.equal(job.status, 'delivered', 'the attempt was recorded before exit');
});
