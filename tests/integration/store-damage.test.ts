import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { DatabaseSync } from 'node:sqlite';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { FAST_TUNING, NODE_FLAGS, ROOT, SERVE_SOURCE, runToExit, startChildRelay, startRelay, stopChildRelay, tempDataDir, SECRET } from '../helpers/relay-harness.ts';
import { waitForEvent } from '../helpers/wait.ts';
import type { Relay } from '../../electron/core/relay.ts';
import { diagnosesAt, probe } from '../helpers/parts.ts';

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

/** The background integrity check's verdict, once it has run. */
function integrityVerdict(relay: Relay): Promise<string[]> {
  const health = probe(relay).storeHealth;
  return waitForEvent(health, 'change', () => health.damage.integrity?.problems, 30_000, 'the integrity check');
}

test('flipped bytes inside a page: the integrity check, run in the background after start, finds them and Health says so', async (t) => {
  const tuning = { ...FAST_TUNING, integrityCheckDelayMs: 0 };
  const sound = await startRelay({}, tuning);
  t.after(() => sound.stop());
  await Promise.all(Array.from({ length: 300 }, () => sound.sender.deliver(alertEvent())));
  assert.deepEqual(await integrityVerdict(sound.relay), [], 'a sound store passes');
  assert.equal(
    diagnosesAt(sound.relay).find((diagnosis) => diagnosis.id === 'store-damaged'),
    undefined,
  );
  await sound.stop();

  // A leaf page of the stored bodies, away from the rows the relay reads at start: its cell count and pointers overwritten.
  const file = path.join(sound.dataDir, 'relay.sqlite');
  const db = new DatabaseSync(file);
  const pageSize = (db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size;
  const leaves = db.prepare(`SELECT pageno FROM dbstat WHERE name = 'delivery_bodies' AND pagetype = 'leaf' ORDER BY pageno`).all() as { pageno: number }[];
  db.close();
  assert.ok(leaves.length > 4, `enough pages to pick one in the middle (${leaves.length})`);
  const page = leaves[Math.floor(leaves.length / 2)]!.pageno;
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.alloc(7, 0xff), 0, 7, (page - 1) * pageSize + 1);
  fs.closeSync(fd);

  const damaged = await startRelay({}, tuning, sound.dataDir);
  t.after(() => damaged.stop());
  {
    const problems = await integrityVerdict(damaged.relay);
    assert.ok(problems.length > 0, 'the damage is found');
    const finding = diagnosesAt(damaged.relay).find((diagnosis) => diagnosis.id === 'store-damaged');
    assert.ok(finding, 'Health shows it');
    assert.equal(finding.level, 'error');
    assert.match(finding.detail, /The integrity check \(.*\) found: (database disk image is malformed|.*[Pp]age)/);
    assert.match(finding.fix ?? '', /npm run backup/);
    const status = await damaged.sender.deliver(alertEvent());
    assert.ok(status.acknowledged, 'webhooks are still taken while the check reports');
  }
});

/** `npm run backup -- <file>`, as the serve entry runs it. */
async function runBackup(dataDir: string, destination: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [...NODE_FLAGS, SERVE_SOURCE, '--backup', destination], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', RELAY_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  const [code] = await once(child, 'exit');
  return { code: code as number | null, output };
}

test('a backup of a running relay, taken while webhooks arrive, holds everything acknowledged before it and restores to a relay that carries on', async (t) => {
  const dataDir = tempDataDir('relay-backup-');
  const env = { RELAY_DATA_DIR: dataDir, LEVEL_WEBHOOK_SECRET: SECRET };
  const relay = await startChildRelay(env);
  t.after(() => stopChildRelay(relay));
  const sender = new LevelSender({ url: relay.url, secret: SECRET, attempts: 1 });
  const before = await Promise.all(Array.from({ length: 200 }, () => sender.deliver(alertEvent())));
  assert.ok(before.every((outcome) => outcome.acknowledged));

  const destination = path.join(tempDataDir('relay-backup-to-'), 'relay-backup.sqlite');
  let sending = true;
  const during = (async () => {
    let sent = 0;
    while (sending) if ((await sender.deliver(alertEvent())).acknowledged) sent++;
    return sent;
  })();
  const taken = await runBackup(dataDir, destination);
  sending = false;
  assert.ok((await during) > 0, 'webhooks were acknowledged while the backup ran');
  assert.equal(taken.code, 0, taken.output);
  assert.match(taken.output, /backup of .* written to .*relay-backup\.sqlite \([\d.]+ MB, checked\)/);

  const again = await runBackup(dataDir, destination);
  assert.equal(again.code, 1);
  assert.match(again.output, /exists: name a new file \(a backup never overwrites one\)/);

  await stopChildRelay(relay);
  const restoredDir = tempDataDir('relay-restored-');
  fs.copyFileSync(destination, path.join(restoredDir, 'relay.sqlite'));
  const restored = await startChildRelay({ ...env, RELAY_DATA_DIR: restoredDir });
  await stopChildRelay(restored);
  const db = new DatabaseSync(path.join(restoredDir, 'relay.sqlite'), { readOnly: true });
  const stored = new Set((db.prepare('SELECT event_id FROM events').all() as { event_id: string }[]).map((row) => row.event_id));
  db.close();
  assert.deepEqual(
    before.map((outcome) => outcome.eventId).filter((eventId) => !stored.has(eventId)),
    [],
  );
});
