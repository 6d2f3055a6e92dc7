import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { startChildRelay, tempDataDir, SECRET, INTEGRATION_KEY } from '../helpers/relay-harness.ts';
import { SettingsFile } from '../../electron/core/settings-file.ts';

const ilert = await new FakeIlert({ perKeyLimit: 100_000 }).start();
after(() => ilert.stop());

const PASSWORD = 'particle-webhook-password-0123';
const AUTHORIZATION = `Basic ${Buffer.from(`particle:${PASSWORD}`).toString('base64')}`;

test('kill -9 in the middle of a Particle burst on /webhooks/source/<slug>, then restart: every acknowledged event reaches ilert', { timeout: 60_000 }, async () => {
  const dataDir = tempDataDir('relay-source-crash-');
  new SettingsFile(dataDir).update({ sources: [{ name: 'Sensors', slug: 'sensors', kind: 'particle', auth: { type: 'basic', username: 'particle', password: PASSWORD } }] });
  const env = { RELAY_DATA_DIR: dataDir, LEVEL_WEBHOOK_SECRET: SECRET, ILERT_INTEGRATION_KEY: INTEGRATION_KEY, ILERT_API_URL: ilert.url, ILERT_EVENTS_PER_MINUTE: '100000' };
  const first = await startChildRelay(env);
  const port = new URL(first.url).port;
  const url = (base: string) => base.replace('/webhooks/level', '/webhooks/source/sensors');

  let restarting: Promise<Awaited<ReturnType<typeof startChildRelay>>> | undefined;
  const restart = () => (restarting ??= first.exited.then(() => startChildRelay({ ...env, RELAY_PORT: port })));

  const total = 300;
  // One device each, so each acknowledged publish is its own alert at ilert.
  const bodies = Array.from({ length: total }, (_, index) => ({
    event: 'ALERT',
    data: String(index),
    published_at: new Date(Date.UTC(2026, 11, 7, 5, 0, 0, index)).toISOString(),
    coreid: `device-${index}`,
    userid: 'u1',
    fw_version: 1,
    public: false,
  }));
  const acknowledged: string[] = [];
  let cutOff = 0;
  let killed = false;
  let next = 0;
  // Like Particle's cloud: a publish that gets no 2xx is tried again (three times in all).
  const deliver = async (body: (typeof bodies)[number]) => {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (attempt > 0) await restarting;
      const target = killed ? url((await restart()).url) : url(first.url);
      try {
        const response = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json', authorization: AUTHORIZATION }, body: JSON.stringify(body) });
        await response.arrayBuffer();
        if (response.status >= 200 && response.status < 300) return acknowledged.push(`sensors:particle:${body.coreid}`);
      } catch {
        cutOff++;
      }
    }
  };
  await Promise.all(
    Array.from({ length: 12 }, async () => {
      while (next < bodies.length) {
        await deliver(bodies[next++]!);
        if (!killed && acknowledged.length >= total / 3) {
          killed = true;
          first.child.kill('SIGKILL');
          void restart();
        }
      }
    }),
  );
  const restarted = await restart();
  try {
    assert.ok(killed, 'the relay was killed mid-burst');
    assert.ok(cutOff > 0, 'some requests were cut off by the kill');
    await ilert.waitFor(() => acknowledged.every((key) => ilert.eventsFor(key).length > 0), 30_000, `all ${acknowledged.length} acknowledged publishes`);
  } finally {
    restarted.child.kill('SIGTERM');
    await restarted.exited;
  }
  assert.ok(acknowledged.length >= total * 0.9, `most publishes were acknowledged in the end (${acknowledged.length}/${total})`);
  assert.deepEqual(ilert.schemaViolations, []);
});
