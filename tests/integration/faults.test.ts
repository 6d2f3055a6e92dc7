/**
 * Faults and abuse on the public door and under the store: a write lock held by another process,
 * a disk that is full, floods of unsigned bodies, unfinished bodies, odd input, and a second relay
 * on the same data directory. Everything on 127.0.0.1, bounded in count and time.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { startRelay, startChildRelay, spawnServe, tempDataDir, FAST_TUNING, SECRET, type InProcessRelay } from '../helpers/relay-harness.ts';
import { waitForEvent } from '../helpers/wait.ts';
import { sign } from '../../electron/core/level/signature.ts';

const ilert = await new FakeIlert().start();
after(() => ilert.stop());
const pings = (key: string) => ilert.pings.get(key)?.length ?? 0;

/** Another process holding SQLite's write lock on the relay's database, as the sqlite3 shell or a backup tool would. */
async function holdWriteLock(dataDir: string): Promise<{ release: () => Promise<void> }> {
  const script = `
    const { DatabaseSync } = require('node:sqlite');
    const db = new DatabaseSync(${JSON.stringify(path.join(dataDir, 'relay.sqlite'))});
    db.exec('PRAGMA busy_timeout = 5000');
    db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n');
    process.stdin.on('end', () => { db.exec('ROLLBACK'); db.close(); process.exit(0); });
    process.stdin.resume();`;
  const child: ChildProcess = spawn(process.execPath, ['--experimental-sqlite', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the lock holder did not start')), 5000);
    child.stdout!.once('data', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return {
    release: async () => {
      const exited = once(child, 'exit');
      child.stdin!.end();
      await exited;
    },
  };
}

async function health(relay: InProcessRelay): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(relay.url.replace('/webhooks/level', '/healthz'));
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Opens a raw connection and sends `text`; resolves with everything the relay answered once it closes. */
function rawExchange(url: string, text: string, timeoutMs = 5000): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(text));
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms: ${answer}`));
    }, timeoutMs);
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      // The relay keeps the connection open after an ordinary answer: the first complete one is enough.
      if (/\r\n\r\n/.test(answer) && /content-length: (\d+)/i.test(answer)) {
        const length = Number(/content-length: (\d+)/i.exec(answer)![1]);
        if (answer.length - answer.indexOf('\r\n\r\n') - 4 >= length) socket.end();
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.on('error', () => undefined);
  });
}

test('a write lock held by another process: webhooks get 503, /healthz answers at once and says unhealthy, the heartbeat stops, Health says why; all recover without a restart', async () => {
  const key = 'il1hbt-locked';
  const relay = await startRelay(
    { ilertHeartbeatUrl: `${ilert.url}/api/pings/${key}` },
    { ...FAST_TUNING, busyTimeoutMs: 400, heartbeatIntervalMs: 1_000_000, storeFailureHoldMs: 0, storeProbeIntervalMs: 50 },
  );
  const sender = new LevelSender({ url: relay.url, secret: SECRET });
  try {
    await ilert.waitFor(() => pings(key) === 1, 5000, 'the first ping at start');
    const lock = await holdWriteLock(relay.dataDir);
    const announced = waitForEvent(relay.relay.store.changes, 'change', () => relay.relay.store.health.failingNow, 5000, 'a change announcing the failure');
    const event = alertEvent();
    const order: string[] = [];
    const webhook = sender.postRaw(JSON.stringify(event)).then((answer) => {
      order.push('webhook');
      return answer;
    });
    const healthWhileWaiting = health(relay).then((answer) => {
      order.push('healthz');
      return answer;
    });
    assert.equal((await healthWhileWaiting).status, 200, 'nothing has failed yet');
    const refused = await webhook;
    assert.equal(refused.status, 503, 'never a false 202');
    assert.deepEqual(order, ['healthz', 'webhook'], '/healthz is not held up by the store waiting for the lock');
    await announced;

    const unhealthy = await health(relay);
    assert.equal(unhealthy.status, 503);
    assert.equal(unhealthy.body.status, 'unhealthy');
    assert.doesNotMatch(JSON.stringify(unhealthy.body), /database/, 'the public port does not say what is wrong');
    await relay.relay.heartbeat.tick();
    assert.equal(pings(key), 1, 'no ping while the store cannot write');
    assert.match(relay.relay.status().heartbeat!.withheld!, /cannot write to the database: database is locked/);
    const diagnosis = relay.relay.status().diagnoses.find((entry) => entry.id === 'store-cannot-write');
    assert.ok(diagnosis, 'Health shows it');
    assert.equal(diagnosis.level, 'error');
    assert.match(diagnosis.detail, /database is locked/);

    await lock.release();
    await waitForEvent(relay.relay.store.changes, 'change', () => !relay.relay.store.health.failingNow, 5000, 'a probe write to succeed');
    assert.equal((await health(relay)).status, 200);
    await relay.relay.heartbeat.tick();
    assert.equal(pings(key), 2, 'pinging again once the store writes');
    assert.equal((await sender.postRaw(JSON.stringify(event))).status, 202, 'Level’s retry is accepted');
  } finally {
    await relay.stop();
  }
});
