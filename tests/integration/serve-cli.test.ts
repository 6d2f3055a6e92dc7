import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { once } from 'node:events';
import { DatabaseSync } from 'node:sqlite';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { spawnServe, startChildRelay, tempDataDir, SECRET, INTEGRATION_KEY, SERVE_BUNDLE } from '../helpers/relay-harness.ts';

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
