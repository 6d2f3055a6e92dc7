/**
 * What a stranger or a stuck client can make the team door hold: connections that finish the TLS
 * handshake and say nothing, connections from one address, connections in all, live-update
 * streams per person and the bytes queued for a stream nobody reads. Each door here sets its
 * limits low, so a few connections on 127.0.0.x show what thousands would do.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { AdminServer, type AdminServerOptions } from '../../electron/core/admin/admin-server.ts';
import { loadOrCreateTls } from '../../electron/core/admin/certificate.ts';
import { doorConnectionCap } from '../../electron/core/admin/door-limits.ts';
import { OwnerToken } from '../../electron/core/admin/owner-token.ts';
import { SettingsFile } from '../../electron/core/settings-file.ts';
import { SettingsService } from '../../electron/core/settings-service.ts';
import type { Diagnosis } from '../../shared/contract.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { NODE_FLAGS, ROOT, SECRET, SERVE_SOURCE, startRelay, tempDataDir, checkedAnswers } from '../helpers/relay-harness.ts';

const harness = await startRelay();
const rendererDir = tempDataDir('renderer-');
fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>dashboard</title>');
const service = new SettingsService(new SettingsFile(harness.dataDir), {});
service.onChange((changed) => harness.relay.applySettings(changed));
const material = loadOrCreateTls(harness.dataDir, ['127.0.0.1']);
const ownerToken = new OwnerToken(harness.dataDir);
const openDoors: AdminServer[] = [];
const openSockets: net.Socket[] = [];
after(async () => {
  for (const socket of openSockets) socket.destroy();
  await Promise.all(openDoors.map((door) => door.close()));
  await harness.stop();
});

async function openDoor(limits: AdminServerOptions['limits']): Promise<{ door: AdminServer; port: number }> {
  const door: AdminServer = new AdminServer({
    handlers: checkedAnswers(harness.relay.handlers(service, () => door)),
    rendererDir,
    team: harness.relay.teamDoor,
    ownerToken,
    host: '0.0.0.0',
    tls: material,
    limits,
  });
  openDoors.push(door);
  const { port } = await door.listen(0);
  return { door, port };
}

/** Settles with `promise`, or fails saying what did not happen in time (instead of hanging the suite). */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A TCP connection to the door from one of loopback's many addresses (Node's TLS options do not take `localAddress`). */
function tcpFrom(port: number, localAddress: string): net.Socket {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress });
  socket.on('error', () => undefined);
  return socket;
}

/** A TLS connection from `localAddress` that completes the handshake (pinned certificate) and then sends nothing. */
function silentTls(port: number, localAddress = '127.0.0.1'): Promise<{ outcome: 'handshaken' | 'refused'; closed: Promise<void> }> {
  const socket = tls.connect({ socket: tcpFrom(port, localAddress), ca: material.cert, checkServerIdentity: () => undefined });
  openSockets.push(socket);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  return new Promise((resolve) => {
    socket.once('secureConnect', () => resolve({ outcome: 'handshaken', closed }));
    void closed.then(() => resolve({ outcome: 'refused', closed }));
  });
}

function callApi(
  port: number,
  method: string,
  token: string,
  input: unknown = {},
  localAddress = '127.0.0.1',
  ca = material.cert,
): Promise<{ status: number; json: () => Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      {
        host: '127.0.0.1',
        port,
        localAddress,
        path: `/api/${method}`,
        method: 'POST',
        agent: false,
        ca,
        checkServerIdentity: () => undefined,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, json: () => JSON.parse(text) as Record<string, unknown> }));
      },
    );
    request.on('error', reject);
    request.end(JSON.stringify(input));
  });
}

/** Opens a live-update stream and hands over the response unread (paused). */
function openStream(port: number, token: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    https
      .get(
        { host: '127.0.0.1', port, path: '/api/events', agent: false, ca: material.cert, checkServerIdentity: () => undefined, headers: { authorization: `Bearer ${token}` } },
        (response) => {
          response.pause();
          openSockets.push(response.socket);
          resolve(response);
        },
      )
      .on('error', reject);
  });
}

test('a TLS connection that finishes its handshake and says nothing is closed after the first-request timeout, and so is one that never starts its handshake', async () => {
  const { port } = await openDoor({ firstRequestTimeoutMs: 300 });
  const silent = await Promise.all([silentTls(port), silentTls(port), silentTls(port)]);
  assert.deepEqual(
    silent.map((connection) => connection.outcome),
    ['handshaken', 'handshaken', 'handshaken'],
  );
  const raw = net.connect({ host: '127.0.0.1', port });
  openSockets.push(raw);
  const rawClosed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
  raw.on('error', () => undefined);
  await within(5000, Promise.all([...silent.map((connection) => connection.closed), rawClosed]), 'the door closing connections that sent no request');
  assert.equal((await callApi(port, 'getStatus', ownerToken.value)).status, 200, 'a request that comes is served');
});

test('one address holds at most its share of the door; another address is still served, and Health says the door is saturated', async () => {
  const { door, port } = await openDoor({ maxConnectionsPerAddress: 3, firstRequestTimeoutMs: 60_000 });
  const held = await Promise.all([silentTls(port), silentTls(port), silentTls(port)]);
  assert.ok(held.every((connection) => connection.outcome === 'handshaken'));
  assert.equal((await silentTls(port)).outcome, 'refused', 'the fourth from 127.0.0.1 is closed before its handshake');
  assert.equal(door.openConnections, 3);

  const answer = await callApi(port, 'getStatus', ownerToken.value, {}, '127.0.0.2');
  assert.equal(answer.status, 200, 'someone at another address gets in');
  const diagnoses = answer.json().diagnoses as Diagnosis[];
  const saturated = diagnoses.find((diagnosis) => diagnosis.id === 'admin-door-saturated');
  assert.ok(saturated, JSON.stringify(diagnoses));
  assert.match(
    saturated.detail,
    /^1 connection was refused in the last 1 min: 127\.0\.0\.1 holds 3 connections, the most one address may\. \d open now, 3 of them from 127\.0\.0\.1\./,
  );
});

test('the door holds at most a quarter of the process’s file descriptors in all, so the public port keeps the rest', async () => {
  assert.equal(doorConnectionCap(4096), 1024);
  assert.equal(doorConnectionCap(256), 64);
  assert.equal(doorConnectionCap(undefined), 256);
  const { door, port } = await openDoor({ maxConnections: 3, firstRequestTimeoutMs: 60_000 });
  const held = await Promise.all([silentTls(port, '127.0.0.1'), silentTls(port, '127.0.0.2'), silentTls(port, '127.0.0.3')]);
  assert.ok(held.every((connection) => connection.outcome === 'handshaken'));
  assert.equal((await silentTls(port, '127.0.0.4')).outcome, 'refused');
  assert.match(door.diagnoses()[0]?.detail ?? '', /the door holds 3 connections, the most it may/);
});

test('one person holds at most so many live-update streams; others still open theirs', async () => {
  const { port } = await openDoor({ maxStreamsPerCaller: 2 });
  const created = await callApi(port, 'createMember', ownerToken.value, { name: 'Sven Streams', role: 'viewer' });
  const paired = harness.relay.teamDoor.pair(created.json().pairingCode as string, '127.0.0.1')!;
  const first = await openStream(port, paired.token);
  const second = await openStream(port, paired.token);
  assert.deepEqual([first.statusCode, second.statusCode], [200, 200]);
  const third = await openStream(port, paired.token);
  assert.equal(third.statusCode, 429, 'the third stream of one member');
  third.resume();
  assert.equal((await openStream(port, ownerToken.value)).statusCode, 200, 'the owner’s stream is theirs to count');
});

test('a live-update stream whose reader stopped reading is dropped once its queue passes the bound, instead of growing without end', async () => {
  const bound = 256 * 1024;
  const { door, port } = await openDoor({ maxStreamBufferBytes: bound });
  const stream = await openStream(port, ownerToken.value);
  assert.equal(stream.statusCode, 200);
  const changes = { deliveries: Array.from({ length: 8_000 }, (_, index) => 1_000_000 + index), jobs: [], alerts: [] };
  const frameBytes = JSON.stringify(changes).length;
  // Far more than the kernel's socket buffers on both ends can absorb, so the door's own queue must grow.
  const pushedBytes = 48 * 1024 * 1024;
  for (let pushed = 0; pushed < pushedBytes; pushed += frameBytes) {
    door.push(changes);
    await nextTurn();
  }
  let received = 0;
  stream.on('data', (chunk: Buffer) => (received += chunk.length));
  const ended = new Promise<void>((resolve) => stream.socket.once('close', () => resolve()));
  stream.resume();
  await within(10_000, ended, 'the door dropping the unread stream');
  assert.ok(received < pushedBytes / 2, `the reader got ${received} of ${pushedBytes} bytes pushed: the rest was never queued`);
});

test('with the process at 400 file descriptors, 450 silent TLS connections to the door leave Level’s webhooks on the public port working', async (t) => {
  const prlimit = ['/usr/bin/prlimit', '/bin/prlimit'].find((candidate) => fs.existsSync(candidate));
  if (process.platform !== 'linux' || !prlimit) return t.skip('needs Linux and prlimit (util-linux) to start the relay with a low file limit');
  const dataDir = tempDataDir();
  const child = spawn(prlimit, ['--nofile=400:400', process.execPath, ...NODE_FLAGS, SERVE_SOURCE], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dataDir,
      RELAY_DATA_DIR: dataDir,
      RELAY_PORT: '0',
      RELAY_ADMIN_PORT: '0',
      RELAY_ADMIN_HOST: '0.0.0.0',
      LEVEL_WEBHOOK_SECRET: SECRET,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit');
  t.after(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  const [receiverUrl, adminUrl] = await within(
    15_000,
    new Promise<[string, string]>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk;
        const match = /receiver listening at (\S+)\n\s*dashboard \([^)]*\): (\S+)[\s\S]*Press Ctrl\+C to stop/.exec(output);
        if (match?.[1] && match[2]) resolve([match[1], match[2]]);
      });
    }),
    'the relay starting',
  );
  const doorPort = Number(new URL(adminUrl).port);
  const doorToken = new URL(adminUrl).searchParams.get('token')!;
  const childCert = fs.readFileSync(path.join(dataDir, 'admin-tls.crt'), 'utf8');

  // 90 from each of five addresses: under the per-address cap, over the door's share (400 / 4 = 100).
  const silent = await Promise.all(
    Array.from({ length: 450 }, (_, index) => {
      const socket = tls.connect({
        socket: tcpFrom(doorPort, `127.0.0.${1 + (index % 5)}`),
        ca: childCert,
        checkServerIdentity: () => undefined,
      });
      openSockets.push(socket);
      socket.on('error', () => undefined);
      return new Promise<'handshaken' | 'refused'>((resolve) => {
        socket.once('secureConnect', () => resolve('handshaken'));
        socket.once('close', () => resolve('refused'));
      });
    }),
  );
  const sender = new LevelSender({ url: receiverUrl, secret: SECRET, attempts: 1 });
  const answers = [];
  for (let webhook = 0; webhook < 10; webhook++) answers.push((await sender.deliver(alertEvent())).attempts[0]?.status);
  const handshaken = silent.filter((outcome) => outcome === 'handshaken').length;
  assert.deepEqual(answers, Array(10).fill(202), `webhooks answered ${answers.join(', ')} with the door holding ${handshaken} connections:\n${output}`);
  assert.ok(handshaken <= 100, `the door held ${handshaken} connections`);
  assert.match(output, /admin door: refusing connections: the door holds 100 connections, the most it may/);

  for (const socket of openSockets.splice(0)) socket.destroy();
  const status = await within(
    10_000,
    (async () => {
      // The door counts a closed connection once its close reaches it; until then it may still be full.
      for (;;) {
        const answer = await callApi(doorPort, 'getStatus', doorToken, {}, '127.0.0.9', childCert).catch(() => undefined);
        if (answer?.status === 200) return answer;
        await nextTurn();
      }
    })(),
    'the owner getting in once the silent connections are gone',
  );
  assert.ok((status.json().diagnoses as Diagnosis[]).some((diagnosis) => diagnosis.id === 'admin-door-saturated'));
});
