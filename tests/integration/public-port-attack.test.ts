/**
 * One unauthenticated client against the public port, while Level posts one signed alert every
 * 250 ms through the same address (behind a tunnel every client shares it): slow 1 MiB bodies that
 * never finish, then 1,024 idle keep-alive connections. Level's alerts must still be accepted, and
 * while the port is under pressure /healthz and Health must say so. Everything on 127.0.0.1;
 * each attack lasts 8 s and is torn down by the test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { alertEvent, type LevelSender } from '../fakes/level-sender.ts';
import { startRelay, FAST_TUNING, type InProcessRelay } from '../helpers/relay-harness.ts';
import { waitForChange } from '../helpers/wait.ts';
import type { RelayTuning } from '../../electron/core/relay.ts';
import { runNow, probe } from '../helpers/parts.ts';

const LEVEL_INTERVAL_MS = 250;
const LEVEL_ALERTS = 24;
const ATTACK_BODY_BYTES = 1024 * 1024;
/** The production limits, except that the windows are short enough for an 8 s test. */
const TUNING: RelayTuning = { ...FAST_TUNING, receiverLimits: { bodyRateWindowMs: 1000, busyForMs: 500 } };

interface Attack {
  stop(): void;
  /** Connections the attacker opened, reconnections included. */
  opened(): number;
}

/**
 * Keeps `count` connections each sending all but the last byte of a 1 MiB badly signed body, then
 * waiting. A connection the relay closes comes back after 100 ms, so the attack lasts.
 */
function slowBodies(relay: InProcessRelay, count: number): Attack {
  const { port } = new URL(relay.url);
  const head =
    `POST /webhooks/level HTTP/1.1\r\nHost: relay.example\r\nContent-Type: application/json\r\n` +
    `X-Level-Signature: sha256=${'0'.repeat(64)}\r\nContent-Length: ${ATTACK_BODY_BYTES}\r\n\r\n`;
  const body = Buffer.alloc(ATTACK_BODY_BYTES - 1, 0x20);
  return keepOpen(count, 100, () => {
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.write(head);
    socket.write(body);
    return socket;
  });
}

/** Keeps `count` connections that asked for /healthz once and then sit idle; a closed one comes back after 1 s. */
async function idleKeepAlive(relay: InProcessRelay, count: number): Promise<Attack> {
  const { port } = new URL(relay.url);
  const answered: Promise<void>[] = [];
  const attack = keepOpen(count, 1000, () => {
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.write('GET /healthz HTTP/1.1\r\nHost: relay.example\r\nConnection: keep-alive\r\n\r\n');
    if (answered.length < count) answered.push(new Promise((resolve) => socket.once('data', () => resolve())));
    return socket;
  });
  await Promise.all(answered);
  return attack;
}

function keepOpen(count: number, reopenAfterMs: number, open: () => net.Socket): Attack {
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  let opened = 0;
  const openOne = () => {
    if (stopped) return;
    opened++;
    const socket = open();
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.resume();
    socket.on('close', () => {
      sockets.delete(socket);
      if (stopped) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        openOne();
      }, reopenAfterMs);
      timers.add(timer);
    });
  };
  for (let index = 0; index < count; index++) openOne();
  return {
    stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
    },
    opened: () => opened,
  };
}

/** Level's side: one freshly signed alert every 250 ms, one attempt each; what fraction got a 202. */
async function levelAlerts(sender: LevelSender): Promise<{ accepted: number; total: number; statuses: Record<string, number> }> {
  const answers: Promise<string>[] = [];
  for (let index = 0; index < LEVEL_ALERTS; index++) {
    answers.push(
      sender.postRaw(JSON.stringify(alertEvent())).then(
        (response) => String(response.status),
        (error: Error) => error.message,
      ),
    );
    await sleep(LEVEL_INTERVAL_MS);
  }
  const statuses: Record<string, number> = {};
  for (const answer of await Promise.all(answers)) statuses[answer] = (statuses[answer] ?? 0) + 1;
  return { accepted: statuses['202'] ?? 0, total: LEVEL_ALERTS, statuses };
}

/** Resolves once the relay holds `bytes` of the attacker's bodies: Level's first alert meets a full budget. */
async function heldBytes(relay: InProcessRelay, bytes: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // Bytes arriving are no event the relay announces: look after each turn of the event loop.
  while (probe(relay.relay).bufferedBytes() < bytes) {
    if (Date.now() > deadline) assert.fail(`the relay held only ${probe(relay.relay).bufferedBytes()} bytes after ${timeoutMs} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const healthz = async (relay: InProcessRelay) => (await fetch(relay.url.replace('/webhooks/level', '/healthz'))).status;
const busyDiagnosis = (relay: InProcessRelay) => relay.relay.status().diagnoses.find((entry) => entry.id === 'public-port-busy');

/** While the attack still runs: /healthz is not 200, Health names the pressure, the heartbeat is withheld. Then it all clears. */
async function assertPressureShownThenCleared(relay: InProcessRelay, attack: Attack): Promise<void> {
  assert.equal(await healthz(relay), 503, '/healthz is not 200 while the port is under pressure');
  const diagnosis = busyDiagnosis(relay);
  assert.ok(diagnosis, `Health names the pressure: ${JSON.stringify(relay.relay.status().diagnoses)}`);
  await runNow(relay.relay).heartbeat();
  assert.match(probe(relay.relay).heartbeat().withheld ?? '', /public port/, 'the heartbeat is withheld');
  attack.stop();
  await waitForChange(relay.relay, () => !busyDiagnosis(relay), 5000, 'the pressure to clear from Health');
  assert.equal(await healthz(relay), 200, 'once it is over, /healthz is 200 again');
}

test('slow 1 MiB bodies from 64 connections do not keep Level’s alerts out', async (t) => {
  const relay = await startRelay({ ilertHeartbeatUrl: 'http://127.0.0.1:9/api/heartbeats/unused' }, TUNING);
  const attack = slowBodies(relay, 64);
  t.after(async () => {
    attack.stop();
    await relay.stop();
  });
  await heldBytes(relay, 15 * ATTACK_BODY_BYTES);
  const level = await levelAlerts(relay.sender);
  t.diagnostic(`Level alerts accepted during the slow-body attack: ${level.accepted}/${level.total} ${JSON.stringify(level.statuses)}; attacker connections: ${attack.opened()}`);
  assert.ok(level.accepted >= 0.95 * level.total, `${level.accepted} of ${level.total} accepted: ${JSON.stringify(level.statuses)}`);
  await assertPressureShownThenCleared(relay, attack);
});

test('1,024 idle keep-alive connections from Level’s own address do not keep Level’s alerts out', async (t) => {
  const relay = await startRelay({ ilertHeartbeatUrl: 'http://127.0.0.1:9/api/heartbeats/unused' }, TUNING);
  const attack = await idleKeepAlive(relay, 1024);
  t.after(async () => {
    attack.stop();
    await relay.stop();
  });
  const level = await levelAlerts(relay.sender);
  t.diagnostic(
    `Level alerts accepted during the idle keep-alive attack: ${level.accepted}/${level.total} ${JSON.stringify(level.statuses)}; attacker connections: ${attack.opened()}`,
  );
  assert.ok(level.accepted >= 0.95 * level.total, `${level.accepted} of ${level.total} accepted: ${JSON.stringify(level.statuses)}`);
  await assertPressureShownThenCleared(relay, attack);
});
