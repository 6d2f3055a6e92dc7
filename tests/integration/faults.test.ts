/**
 * Faults and abuse on the public door and under the store: a write lock held by another process,
 * a disk that is full, floods of unsigned bodies, unfinished bodies, odd input, and a second relay
 * on the same data directory. Everything on 127.0.0.1, bounded in count and time.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { startRelay, startChildRelay, runToExit, tempDataDir, FAST_TUNING, SECRET, type InProcessRelay, OWNER, holdWriteLock } from '../helpers/relay-harness.ts';
import { waitForEvent } from '../helpers/wait.ts';
import { trayState } from '../../electron/core/desktop/tray-state.ts';
import { checkReachability } from '../../electron/core/setup/reachability.ts';
import { Store } from '../../electron/core/store/store.ts';
import { DataDirInUseError } from '../../electron/core/store/data-dir-lock.ts';
import { inspect } from '../helpers/inspect.ts';
import { runNow, probe } from '../helpers/parts.ts';

const ilert = await new FakeIlert().start();
after(() => ilert.stop());
const pings = (key: string) => ilert.pings.get(key)?.length ?? 0;

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

test('a write lock held by another process: webhooks get 503, /healthz answers at once and says unhealthy, the heartbeat stops, Health says why; all recover without a restart', async (t) => {
  const key = 'il1hbt-locked';
  const relay = await startRelay(
    { ilertHeartbeatUrl: `${ilert.url}/api/pings/${key}` },
    { ...FAST_TUNING, busyTimeoutMs: 400, heartbeatIntervalMs: 1_000_000, failureHoldMs: 0, probeIntervalMs: 50 },
  );
  t.after(() => relay.stop());
  await ilert.waitFor(() => pings(key) === 1, 5000, 'the first ping at start');
  const lock = await holdWriteLock(relay.dataDir);
  const announced = waitForEvent(relay.relay.events, 'change', () => probe(relay.relay).storeHealth.failingNow, 5000, 'a change announcing the failure');
  const event = alertEvent();
  const order: string[] = [];
  const webhook = relay.sender.postRaw(JSON.stringify(event)).then((answer) => {
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
  await runNow(relay.relay).heartbeat();
  assert.equal(pings(key), 1, 'no ping while the store cannot write');
  assert.match(relay.relay.status().heartbeat!.withheld!, /cannot write to the database: database is locked/);
  const diagnosis = relay.relay.status().diagnoses.find((entry) => entry.id === 'store-cannot-write');
  assert.ok(diagnosis, 'Health shows it');
  assert.equal(diagnosis.level, 'error');
  assert.match(diagnosis.title, /^Cannot write to the database: database is locked/);
  const tray = trayState({ status: relay.relay.status(), alerts: { counts: {} }, notificationsPausedUntil: undefined, now: Date.now() });
  assert.equal(tray.icon, 'problem');
  assert.match(tray.tooltip, /Cannot write to the database: database is locked/, 'the tray says it, with the reason');
  const reached = await checkReachability(new URL(relay.url).origin, relay.relay.instanceId);
  assert.ok(reached.ok, `the setup wizard still sees this relay behind its URL: ${JSON.stringify(reached)}`);
  assert.ok(reached.notes.some((note) => /reports itself unhealthy/.test(note)));

  await lock.release();
  await waitForEvent(relay.relay.events, 'change', () => !probe(relay.relay).storeHealth.failingNow, 5000, 'a probe write to succeed');
  assert.equal((await health(relay)).status, 200);
  await runNow(relay.relay).heartbeat();
  assert.equal(pings(key), 2, 'pinging again once the store writes');
  assert.equal((await relay.sender.postRaw(JSON.stringify(event))).status, 202, 'Level’s retry is accepted');
});

const canMount =
  process.platform === 'linux' &&
  process.getuid?.() === 0 &&
  (() => {
    const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-mount-probe-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
      execFileSync('umount', [probe], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    } finally {
      fs.rmSync(probe, { recursive: true, force: true });
    }
  })();
const needsMount = canMount ? {} : { skip: 'needs root and tmpfs mounts' };

function mountTmpfs(sizeKb: number): { dir: string; unmount: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0700`, 'tmpfs', dir]);
  return {
    dir,
    unmount: () => {
      execFileSync('umount', ['-l', dir]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

test(
  'a tmpfs that is too small: 503 (never a false 202), the heartbeat stops and Health says the disk is full; freeing space recovers without a restart',
  needsMount,
  async (t) => {
    const volume = mountTmpfs(4096);
    const key = 'il1hbt-full';
    // The store probes with a tiny write, which can fit in database pages the failed webhook left
    // allocated: a second between probes keeps the full disk in view while it is checked below.
    const relay = await startRelay(
      { ilertHeartbeatUrl: `${ilert.url}/api/pings/${key}` },
      { ...FAST_TUNING, heartbeatIntervalMs: 1_000_000, failureHoldMs: 0, probeIntervalMs: 1000 },
      path.join(volume.dir, 'data'),
    );
    const filler = path.join(volume.dir, 'filler');
    t.after(async () => {
      await relay.stop();
      volume.unmount();
    });
    await ilert.waitFor(() => pings(key) === 1, 5000, 'the first ping at start');
    // Another program on the same disk fills what is left.
    const fillUp = () => {
      const fd = fs.openSync(filler, 'a');
      try {
        const block = Buffer.alloc(64 * 1024, 1);
        for (;;) fs.writeSync(fd, block);
      } catch (error) {
        assert.equal((error as NodeJS.ErrnoException).code, 'ENOSPC');
      } finally {
        fs.closeSync(fd);
      }
    };
    // It leaves room for a few webhooks first, so the answers are some 202s, then 503s.
    fillUp();
    fs.truncateSync(filler, Math.max(0, fs.statSync(filler).size - 1024 * 1024));
    const answers: { eventId: string; status: number }[] = [];
    const big = { ...alertEvent(), padding: 'x'.repeat(200_000) };
    // Until the first 503 and two more: a 202 after it would be a webhook acknowledged on a full disk.
    for (let after503 = 0; answers.length < 20 && after503 < 3;) {
      const eventId = crypto.randomUUID();
      answers.push({ eventId, status: (await relay.sender.postRaw(JSON.stringify({ ...big, event_id: eventId }))).status });
      if (after503 > 0 || answers.at(-1)!.status === 503) after503++;
    }
    const statuses = answers.map((answer) => answer.status).join(', ');
    assert.ok(probe(relay.relay).storeHealth.failingNow, `the store noticed the full disk (answers ${statuses})`);
    assert.match(statuses, /^(202, )+503, 503, 503$/, 'only 202 while there was room, then 503 and never a 202 again');
    fillUp();

    await runNow(relay.relay).heartbeat();
    assert.equal(pings(key), 1, 'no ping while the disk is full');
    assert.match(relay.relay.status().heartbeat!.withheld!, /cannot write to the database: .*full/);
    assert.equal((await health(relay)).status, 503);
    assert.ok(relay.relay.status().diagnoses.some((entry) => entry.id === 'store-cannot-write' && /full/.test(entry.title)));

    fs.rmSync(filler);
    await waitForEvent(relay.relay.events, 'change', () => !probe(relay.relay).storeHealth.failingNow, 5000, 'a probe write to succeed');
    const acknowledged = answers.filter((answer) => answer.status === 202).map((answer) => answer.eventId);
    const stored = inspect(relay.relay)
      .rows<{ event_id: string }>(`SELECT event_id FROM events WHERE event_id IN (${acknowledged.map(() => '?').join(', ')})`, ...acknowledged)
      .map((row) => row.event_id);
    assert.deepEqual(stored.sort(), [...acknowledged].sort(), 'every event answered 202 is in the store');
    assert.equal((await relay.sender.postRaw(JSON.stringify(alertEvent()))).status, 202);
    await runNow(relay.relay).heartbeat();
    assert.equal(pings(key), 2, 'pinging again');
  },
);

test('a flood of unsigned 1 MiB bodies leaves a bounded trace: size, hash and first bytes, within a capped log whose overflow is counted', async (t) => {
  const relay = await startRelay({}, { ...FAST_TUNING, rejectionLimits: { maxRows: 20 } });
  t.after(() => relay.stop());
  const sizeOf = () => ['relay.sqlite', 'relay.sqlite-wal'].reduce((sum, name) => sum + (fs.statSync(path.join(relay.dataDir, name), { throwIfNoEntry: false })?.size ?? 0), 0);
  const before = sizeOf();
  const body = Buffer.alloc(1024 * 1024 - 100, 'a');
  const flood = 60;
  for (let round = 0; round < flood / 6; round++) {
    const answers = await Promise.all(Array.from({ length: 6 }, () => fetch(relay.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })));
    for (const answer of answers) {
      assert.equal(answer.status, 401);
      await answer.arrayBuffer();
    }
  }
  const grown = sizeOf() - before;
  assert.ok(grown < 2 * 1024 * 1024, `60 MiB of refused bodies grew the database by ${grown} bytes`);

  const sql = inspect(relay.relay);
  const kept = sql.row(`SELECT count(*) AS n FROM deliveries WHERE outcome = 'rejected'`) as { n: number };
  assert.equal(kept.n, 20, 'the cap holds');
  const budget = sql.row('SELECT dropped FROM rejection_budget') as { dropped: number };
  assert.equal(budget.dropped, flood - 20, 'what did not fit is counted');
  const newest = sql.row(`SELECT id FROM deliveries ORDER BY id DESC LIMIT 1`) as { id: number };
  const detail = await relay.api.getDelivery({ id: newest.id }, OWNER);
  assert.equal(detail.bodySize, body.length);
  assert.equal(detail.body, undefined, 'no body to re-run or copy');
  assert.equal(detail.bodyTrace?.prefix, 'a'.repeat(256));
  assert.equal(detail.bodyTrace?.sha256, createHash('sha256').update(body).digest('hex'));
  assert.ok(
    relay.relay.status().diagnoses.some((entry) => entry.id === 'rejections-dropped'),
    'Health says refused requests were dropped',
  );

  const event = alertEvent();
  assert.equal((await new LevelSender({ url: relay.url, secret: SECRET }).postRaw(JSON.stringify(event))).status, 202, 'Level still gets through');
  const accepted = sql.row('SELECT d.id, length(b.body) AS size FROM deliveries d JOIN delivery_bodies b ON b.delivery_id = d.id WHERE event_id = ?', event.event_id) as {
    size: number;
  };
  assert.equal(accepted.size, JSON.stringify(event).length, 'an authenticated body is kept whole');
});

test('many unfinished bodies: buffered bytes stay under the budget (503 + Retry-After past it), nothing leaks when they go away, aborts log one line', async (t) => {
  const logged: string[] = [];
  const errors = t.mock.method(console, 'error', (line: string) => logged.push(line));
  const budget = 4 * 1024 * 1024;
  // No per-address share: here it is the whole budget that must hold.
  const relay = await startRelay({}, { ...FAST_TUNING, receiverLimits: { maxBufferedBytes: budget, smallBodyReserveBytes: budget / 4, maxBufferedBytesPerAddress: budget } });
  const { port } = new URL(relay.url);
  const sockets: net.Socket[] = [];
  t.after(async () => {
    errors.mock.restore();
    for (const socket of sockets) socket.destroy();
    await relay.stop();
  });
  const half = Buffer.alloc(512 * 1024, 'b');
  const refused: string[] = [];
  let onRefused: () => void = () => undefined;
  const fourRefused = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${refused.length} of 4 refused within 5 s`)), 5000);
    onRefused = () => {
      if (refused.length < 4) return;
      clearTimeout(timer);
      resolve();
    };
  });
  for (let index = 0; index < 12; index++) {
    const socket = net.connect(Number(port), '127.0.0.1');
    sockets.push(socket);
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (!answer) return;
      refused.push(answer);
      onRefused();
    });
    socket.write(`POST /webhooks/level HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\nContent-Length: ${1024 * 1024 - 1}\r\n\r\n`);
    socket.write(half);
  }
  await fourRefused;
  for (const answer of refused) {
    assert.match(answer, /^HTTP\/1\.1 503/);
    assert.match(answer, /retry-after: 5/i);
  }
  assert.ok(probe(relay.relay).bufferedBytes() <= budget, `${probe(relay.relay).bufferedBytes()} bytes buffered`);
  assert.ok(probe(relay.relay).bufferedBytes() > budget / 2, 'the first ones are still being received');

  for (const socket of sockets) socket.destroy();
  const deadline = Date.now() + 5000;
  while (probe(relay.relay).bufferedBytes() > 0 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(probe(relay.relay).bufferedBytes(), 0, 'aborted bodies give their bytes back');
  assert.equal((await new LevelSender({ url: relay.url, secret: SECRET }).postRaw(JSON.stringify(alertEvent()))).status, 202);
  const abortLines = logged.filter((line) => /went away before its body was complete/.test(line));
  assert.equal(abortLines.length, 1, `one line for ${sockets.length - refused.length} aborted clients: ${JSON.stringify(logged)}`);
});

test('connections per address are capped: at the cap the longest-idle one makes room, and a connection that never sends a byte is closed', async (t) => {
  const relay = await startRelay({}, { ...FAST_TUNING, receiverLimits: { maxConnectionsPerAddress: 3, firstByteTimeoutMs: 200, busyForMs: 100 } });
  const { port } = new URL(relay.url);
  const sockets: net.Socket[] = [];
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await relay.stop();
  });
  for (let index = 0; index < 3; index++) {
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.on('error', () => undefined);
    sockets.push(socket);
    await once(socket, 'connect');
  }
  const longestIdleClosed = once(sockets[0]!, 'close');
  const extra = await rawExchange(relay.url, 'GET /nowhere HTTP/1.1\r\nHost: relay\r\n\r\n');
  assert.match(extra, /^HTTP\/1\.1 404/, 'the fresh request is answered, not refused');
  await longestIdleClosed;
  const silentClosed = await Promise.race([
    Promise.all(sockets.slice(1).map((socket) => once(socket, 'close'))).then(() => true),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), 5000)),
  ]);
  assert.equal(silentClosed, true, 'connections that sent nothing were closed');
  assert.equal((await health(relay)).status, 200, 'with them gone, the port is not busy any more');
});

test('odd input gets a recorded 4xx, never a 5xx: JSON nested 8,000 levels deep, a request target that is not a URL', async (t) => {
  const logged: string[] = [];
  const errors = t.mock.method(console, 'error', (line: string) => logged.push(line));
  const relay = await startRelay();
  t.after(async () => {
    errors.mock.restore();
    await relay.stop();
  });
  const event = alertEvent();
  const raw = JSON.stringify(event).replace('"payload":"4.3% remaining"', `"payload":${'['.repeat(8000)}${']'.repeat(8000)}`);
  const deep = await new LevelSender({ url: relay.url, secret: SECRET }).postRaw(raw);
  assert.equal(deep.status, 422);
  assert.match(JSON.parse(deep.body).error, /nested more than 200 levels/);
  const last = () => inspect(relay.relay).row('SELECT status_code, reason, body_size FROM deliveries ORDER BY id DESC LIMIT 1') as Record<string, unknown>;
  assert.equal(last().status_code, 422);
  assert.equal(last().body_size, raw.length);

  const answer = await rawExchange(relay.url, 'POST http://[ HTTP/1.1\r\nHost: relay\r\nContent-Length: 0\r\n\r\n');
  assert.match(answer, /^HTTP\/1\.1 400/);
  assert.match(answer, /bad request target/);
  assert.deepEqual({ ...last() }, { status_code: 400, reason: 'bad request target: not a URL path', body_size: 0 });
  assert.deepEqual(logged, [], 'no stray stderr line');
});

test('two relays, one data directory: the second is refused and names the first one’s pid; after a kill -9 the directory is free again; relay.sqlite is 0600', async () => {
  const dataDir = tempDataDir('relay-lock-');
  const first = await startChildRelay({ RELAY_DATA_DIR: dataDir });
  try {
    const second = await runToExit({ RELAY_DATA_DIR: dataDir });
    assert.equal(second.code, 1);
    assert.match(second.output, new RegExp(`this data directory is in use by another relay \\(pid ${first.child.pid}\\)`));
    assert.equal((await fetch(first.url.replace('/webhooks/level', '/healthz'))).status, 200, 'the first one carries on');
    assert.throws(
      () => new Store(dataDir),
      (error: unknown) => error instanceof DataDirInUseError && error.holderPid === first.child.pid,
      'the desktop host opens the same Store, and is refused the same way',
    );
    if (process.platform !== 'win32') {
      for (const name of ['relay.sqlite', 'relay.sqlite-wal', 'relay.lock']) assert.equal(fs.statSync(path.join(dataDir, name)).mode & 0o777, 0o600, name);
    }
  } finally {
    first.child.kill('SIGKILL');
    await first.exited;
  }
  const after = await startChildRelay({ RELAY_DATA_DIR: dataDir });
  after.child.kill('SIGTERM');
  assert.equal(await after.exited, 0);
});

test('start-up messages name the real cause: a read-only file system, a database locked by another program', needsMount, async (t) => {
  const volume = mountTmpfs(4096);
  try {
    const dataDir = path.join(volume.dir, 'data');
    const seeded = await startRelay({}, FAST_TUNING, dataDir);
    await seeded.stop();
    execFileSync('mount', ['-o', 'remount,ro', volume.dir]);
    const readOnly = await runToExit({ RELAY_DATA_DIR: dataDir });
    assert.equal(readOnly.code, 1);
    assert.match(readOnly.output, /read-only file system/);
    assert.doesNotMatch(readOnly.output, /unable to open database file/);
  } finally {
    volume.unmount();
  }

  const dataDir = tempDataDir('relay-locked-start-');
  const seeded = await startRelay({}, FAST_TUNING, dataDir);
  await seeded.stop();
  const lock = await holdWriteLock(dataDir);
  t.after(() => lock.release());
  const locked = await runToExit({ RELAY_DATA_DIR: dataDir });
  assert.equal(locked.code, 1);
  assert.match(locked.output, /another program holds a lock on .*relay\.sqlite \(a backup tool or the sqlite3 shell\?\)/);
  assert.doesNotMatch(locked.output, /the receiver/);
});

test('an older database is upgraded in place: bodies move out of the delivery rows, a stranger’s body is cut to its first bytes, the rejection budget starts exact', async (t) => {
  const { DatabaseSync } = await import('node:sqlite');
  const { MIGRATIONS } = await import('../../electron/core/store/schema.ts');
  const dataDir = tempDataDir('relay-upgrade-');
  const old = new DatabaseSync(path.join(dataDir, 'relay.sqlite'));
  for (const migration of MIGRATIONS.slice(0, 2)) old.exec(migration);
  old.exec('PRAGMA user_version = 2');
  const insert = old.prepare(`INSERT INTO deliveries (received_at, source, method, path, headers, body, body_size, signature, status_code, outcome)
                              VALUES (${Date.now()}, 'webhook', 'POST', '/webhooks/level', '{}', ?, ?, ?, ?, ?)`);
  const stranger = Buffer.alloc(100_000, 's');
  const signed = Buffer.from(JSON.stringify(alertEvent()));
  insert.run(stranger, stranger.length, 'invalid', 401, 'rejected');
  insert.run(signed, signed.length, 'valid', 202, 'accepted');
  old.close();

  const relay = await startRelay({}, FAST_TUNING, dataDir);
  t.after(() => relay.stop());
  const sql = inspect(relay.relay);
  const bodies = sql.rows('SELECT d.signature, length(b.body) AS kept FROM deliveries d JOIN delivery_bodies b ON b.delivery_id = d.id ORDER BY d.id');
  assert.deepEqual(
    bodies.map((row) => ({ ...row })),
    [
      { signature: 'invalid', kept: 256 },
      { signature: 'valid', kept: signed.length },
    ],
  );
  const columns = sql.rows(`SELECT name FROM pragma_table_info('deliveries')`).map((row) => row.name);
  assert.ok(!columns.includes('body'), 'no blob left in the rows status and diagnosis read');
  assert.deepEqual({ ...(sql.row('SELECT kept, kept_bytes FROM rejection_budget') as object) }, { kept: 1, kept_bytes: 2 + 256 });
  assert.equal((await relay.api.getDelivery({ id: 2 }, OWNER)).body, signed.toString(), 'an accepted body is whole and can be re-run');
});
