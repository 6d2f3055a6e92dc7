import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { DatabaseSync } from 'node:sqlite';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { spawnServe, startChildRelay, stopChildRelay, tempDataDir, SECRET } from '../helpers/relay-harness.ts';

/** Runs the headless relay expecting it to refuse to start; one that starts anyway is killed after `timeoutMs`. */
async function runToExit(env: Record<string, string>, timeoutMs = 15_000): Promise<{ code: number | null; output: string }> {
  const child = spawnServe(env);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const timer = setTimeout(() => {
    output += `\n[still running after ${timeoutMs} ms: killed]`;
    child.kill('SIGKILL');
  }, timeoutMs);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  return { code: code as number | null, output };
}

/** Alerts acknowledged by a real headless relay with no ilert key: all of them stay queued in its store. */
async function storeWithQueuedAlerts(count: number): Promise<{ dataDir: string; env: Record<string, string> }> {
  const dataDir = tempDataDir('relay-damage-');
  const env = { RELAY_DATA_DIR: dataDir, LEVEL_WEBHOOK_SECRET: SECRET };
  const relay = await startChildRelay(env);
  const sender = new LevelSender({ url: relay.url, secret: SECRET, attempts: 1 });
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < count) {
        next++;
        assert.ok((await sender.deliver(alertEvent())).acknowledged);
      }
    }),
  );
  await stopChildRelay(relay);
  return { dataDir, env };
}

function queuedAlerts(dataDir: string): number {
  const db = new DatabaseSync(path.join(dataDir, 'relay.sqlite'), { readOnly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM outbox WHERE status = 'queued'`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

const MISSING_STORE = /relay\.sqlite is (missing|empty), but this data directory held a relay store[\s\S]*delete .*relay-store\.json and start again/;

test('an emptied or deleted relay.sqlite refuses to start and says how to go on; the backup brings every queued alert back; deleting the identity file starts afresh', async () => {
  const { dataDir, env } = await storeWithQueuedAlerts(500);
  const database = path.join(dataDir, 'relay.sqlite');
  assert.ok(fs.existsSync(path.join(dataDir, 'relay-store.json')), 'the data directory remembers it holds a store');
  assert.equal(queuedAlerts(dataDir), 500);
  const saved = fs.readFileSync(database);

  fs.truncateSync(database, 0);
  const emptied = await runToExit(env);
  assert.equal(emptied.code, 1, emptied.output);
  assert.match(emptied.output, /relay\.sqlite is empty/);
  assert.match(emptied.output, MISSING_STORE);
  assert.equal(fs.statSync(database).size, 0, 'nothing was written over it');

  fs.rmSync(database);
  const deleted = await runToExit(env);
  assert.equal(deleted.code, 1, deleted.output);
  assert.match(deleted.output, /relay\.sqlite is missing/);
  assert.ok(!fs.existsSync(database), 'no empty database was created in its place');

  // A database file with a header and no schema is as empty as one of no bytes.
  new DatabaseSync(database).exec('PRAGMA journal_mode = WAL');
  const headerOnly = await runToExit(env);
  assert.equal(headerOnly.code, 1, headerOnly.output);
  assert.match(headerOnly.output, /relay\.sqlite is empty/);

  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${database}${suffix}`, { force: true });
  fs.writeFileSync(database, saved);
  const restored = await startChildRelay(env);
  await stopChildRelay(restored);
  assert.equal(queuedAlerts(dataDir), 500, 'the restored store carries on with every queued alert');

  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${database}${suffix}`, { force: true });
  fs.rmSync(path.join(dataDir, 'relay-store.json'));
  const fresh = await startChildRelay(env);
  await stopChildRelay(fresh);
  assert.equal(queuedAlerts(dataDir), 0, 'started afresh, on purpose');
  assert.ok(fs.existsSync(path.join(dataDir, 'relay-store.json')));
});

test('a garbage relay.lock is named as the lock file, not reported as a damaged database', async () => {
  const dataDir = tempDataDir('relay-bad-lock-');
  const first = await startChildRelay({ RELAY_DATA_DIR: dataDir });
  await stopChildRelay(first);
  fs.writeFileSync(path.join(dataDir, 'relay.lock'), 'x'.repeat(4096));
  const refused = await runToExit({ RELAY_DATA_DIR: dataDir });
  assert.equal(refused.code, 1, refused.output);
  assert.match(refused.output, /relay\.lock is not a relay lock file[\s\S]*It holds no data: delete it, then start the relay again/);
  assert.doesNotMatch(refused.output, /cannot open the database|file is not a database/);
  fs.rmSync(path.join(dataDir, 'relay.lock'));
  const again = await startChildRelay({ RELAY_DATA_DIR: dataDir });
  await stopChildRelay(again);
});

async function ownerCall(adminUrl: string, method: string, input: object = {}): Promise<Record<string, unknown>> {
  const url = new URL(adminUrl);
  const token = url.searchParams.get('token')!;
  const response = await fetch(`${url.origin}/api/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  assert.equal(response.status, 200);
  return (await response.json()) as Record<string, unknown>;
}

test('relay.sqlite-wal deleted while the relay runs, then kill -9: every acknowledged alert survives, and Health says what happened', async (t) => {
  const dataDir = tempDataDir('relay-wal-deleted-');
  const env = { RELAY_DATA_DIR: dataDir, LEVEL_WEBHOOK_SECRET: SECRET };
  const relay = await startChildRelay(env);
  t.after(() => stopChildRelay(relay));
  // Level retries what is not answered 2xx; its minutes of waiting are cut short here.
  const sender = new LevelSender({ url: relay.url, secret: SECRET, beforeRetry: () => new Promise((resolve) => setTimeout(resolve, 200)) });
  const deliver = async (count: number) => {
    const outcomes = [];
    for (let index = 0; index < count; index++) outcomes.push(await sender.deliver(alertEvent()));
    return outcomes;
  };
  const before = await deliver(50);
  fs.rmSync(path.join(dataDir, 'relay.sqlite-wal'));
  const after = await deliver(250);
  const acknowledged = [...before, ...after].filter((outcome) => outcome.acknowledged).map((outcome) => outcome.eventId);
  assert.equal(acknowledged.length, 300, 'Level’s retries get every event acknowledged');

  const status = (await ownerCall(relay.adminUrl, 'getStatus')) as { diagnoses: { id: string; level: string; detail: string }[] };
  const finding = status.diagnoses.find((diagnosis) => diagnosis.id === 'store-wal-deleted');
  assert.ok(finding, JSON.stringify(status.diagnoses));
  assert.equal(finding.level, 'warning');
  assert.match(finding.detail, /Nothing acknowledged was lost/);
  assert.match(relay.output(), /write-ahead log \(relay\.sqlite-wal\) was deleted while the relay ran/);

  relay.child.kill('SIGKILL');
  await relay.exited;
  const restarted = await startChildRelay(env);
  await stopChildRelay(restarted);
  const db = new DatabaseSync(path.join(dataDir, 'relay.sqlite'), { readOnly: true });
  const stored = new Set((db.prepare('SELECT event_id FROM events').all() as { event_id: string }[]).map((row) => row.event_id));
  db.close();
  assert.deepEqual(
    acknowledged.filter((eventId) => !stored.has(eventId)),
    [],
    'no acknowledged event is missing after the crash',
  );
});
