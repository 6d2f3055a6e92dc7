/**
 * The second baseline (issue 24): the least a server must do to acknowledge a Level webhook
 * durably. It checks the HMAC signature, parses the envelope for its event id, appends the raw
 * body to SQLite keyed by that id, and answers only after the commit: 202, or 200 for an event id
 * it already has. Everything that arrived in one turn of the event loop shares one commit (WAL,
 * synchronous=FULL), as the relay's own store does. Plain JavaScript, started with the same node
 * and flags as the relay; prints its URL, stops on SIGTERM/SIGINT.
 *
 * Level signs `X-Level-Signature: sha256=<hex HMAC-SHA256 of the raw body>`:
 * https://docs.level.io/en/articles/webhooks
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setImmediate } from 'node:timers';

const secret = process.env.LEVEL_WEBHOOK_SECRET;
if (!secret) throw new Error('LEVEL_WEBHOOK_SECRET is required');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bare-durable-'));
const db = new DatabaseSync(path.join(dataDir, 'inbound.sqlite'));
db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;');
db.exec('CREATE TABLE inbound (seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, received_at INTEGER NOT NULL, body BLOB NOT NULL)');
const insert = db.prepare('INSERT INTO inbound (event_id, received_at, body) VALUES (?, ?, ?) ON CONFLICT (event_id) DO NOTHING');

const ACCEPTED = Buffer.from('{"accepted":true}');
const DUPLICATE = Buffer.from('{"accepted":true,"duplicate":true}');
const JSON_TYPE = 'application/json; charset=utf-8';

/** Requests whose body is read and checked, waiting for this turn's commit. */
let pending = [];

function commitTurn() {
  const turn = pending;
  pending = [];
  const now = Date.now();
  const fresh = new Array(turn.length);
  db.exec('BEGIN');
  for (let index = 0; index < turn.length; index++) fresh[index] = insert.run(turn[index].eventId, now, turn[index].body).changes === 1;
  db.exec('COMMIT');
  for (let index = 0; index < turn.length; index++) {
    const body = fresh[index] ? ACCEPTED : DUPLICATE;
    turn[index].response.writeHead(fresh[index] ? 202 : 200, { 'content-type': JSON_TYPE, 'content-length': body.length });
    turn[index].response.end(body);
  }
}

function refuse(response, statusCode) {
  response.writeHead(statusCode, { 'content-length': 0 });
  response.end();
}

function signatureValid(header, body) {
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header ?? '');
  if (!match) return false;
  const presented = Buffer.from(match[1], 'hex');
  return timingSafeEqual(presented, createHmac('sha256', secret).update(body).digest());
}

const server = http.createServer({ keepAliveTimeout: 65_000 }, (request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks);
    if (!signatureValid(request.headers['x-level-signature'], body)) return refuse(response, 401);
    let eventId;
    try {
      eventId = JSON.parse(body.toString('utf8')).event_id;
    } catch {
      return refuse(response, 400);
    }
    if (typeof eventId !== 'string' || eventId === '') return refuse(response, 400);
    if (pending.length === 0) setImmediate(commitTurn);
    pending.push({ eventId, body, response });
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  console.log(`bare durable server listening at http://127.0.0.1:${port}/webhooks/level`);
});

const shutdown = () => {
  server.close(() => {
    db.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
  server.closeAllConnections();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
