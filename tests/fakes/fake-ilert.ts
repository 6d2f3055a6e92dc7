/**
 * A fake ilert that follows ilert's documented contract (shared/reference/ilert.md) over real HTTP:
 * POST /api/events validates every body against the OpenAPI `Event` schema, answers 202 with an
 * empty body, and enforces the per-integration-key limit in fixed windows with 429 (no Retry-After).
 * Tests can make it fail with a status, hang, or drop connections.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';

const require = createRequire(import.meta.url);
const eventSchema = require('../fixtures/ilert-event.schema.json') as { definitions: { Event: { properties: Record<string, unknown> } } };

const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addFormat('int32', { type: 'number', validate: (value: number) => Number.isInteger(value) && Math.abs(value) < 2 ** 31 });
ajv.addFormat('int64', { type: 'number', validate: (value: number) => Number.isInteger(value) });
const validateEvent = ajv.compile(eventSchema);
const knownProperties = new Set(Object.keys(eventSchema.definitions.Event.properties));

export interface ReceivedEvent {
  at: number;
  integrationKey: string;
  eventType: string;
  alertKey?: string;
  summary: string;
  body: Record<string, unknown>;
}

export type FaultMode = { kind: 'ok' } | { kind: 'slow'; delayMs: number } | { kind: 'status'; status: number; body?: string } | { kind: 'hang' } | { kind: 'drop' };

/** The schema problems of one body, or [] when ilert would take it. Exported for the schema test. */
export function eventSchemaErrors(body: unknown): string[] {
  const errors: string[] = [];
  if (!validateEvent(body)) {
    for (const error of validateEvent.errors ?? []) errors.push(`${error.instancePath || '/'} ${error.message}`);
  }
  if (body && typeof body === 'object') {
    for (const key of Object.keys(body)) if (!knownProperties.has(key)) errors.push(`/${key} is not a property of Event`);
  }
  return errors;
}

export class FakeIlert {
  readonly events: ReceivedEvent[] = [];
  readonly schemaViolations: { body: unknown; errors: string[] }[] = [];
  readonly rateLimited: { at: number; integrationKey: string }[] = [];
  /** Every request seen on /api/events, answered or not. */
  requests = 0;
  /** Heartbeat pings (GET /api/pings/<key>) by key, with their times. */
  readonly pings = new Map<string, number[]>();
  mode: FaultMode = { kind: 'ok' };
  /** When set, other integration keys get ilert's 404 for an unknown alert source. */
  acceptedKeys: Set<string> | undefined;
  perKeyLimit: number;
  windowMs: number;
  #windows = new Map<string, { start: number; count: number }>();
  #server: http.Server;
  #hung = new Set<http.ServerResponse>();
  #waiters: { predicate: () => boolean; resolve: () => void }[] = [];
  url = '';

  constructor(options: { perKeyLimit?: number; windowMs?: number } = {}) {
    this.perKeyLimit = options.perKeyLimit ?? 50;
    this.windowMs = options.windowMs ?? 60_000;
    this.#server = http.createServer((request, response) => this.#handle(request, response));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const response of this.#hung) response.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  eventsFor(alertKey: string): ReceivedEvent[] {
    return this.events.filter((event) => event.alertKey === alertKey);
  }

  /** Resolves once `predicate` holds (checked after every request), or rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        predicate,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((entry) => entry !== waiter);
        reject(new Error(`fake ilert: timed out after ${timeoutMs} ms waiting for ${what} (${this.events.length} events received)`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  #notify(): void {
    const ready = this.#waiters.filter((waiter) => waiter.predicate());
    this.#waiters = this.#waiters.filter((waiter) => !ready.includes(waiter));
    for (const waiter of ready) waiter.resolve();
  }

  #handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const ping = /^\/api\/pings\/([\w-]+)$/.exec(request.url ?? '');
      if (request.method === 'GET' && ping?.[1]) {
        // ilert's heartbeat endpoint: 202 for a ping, at most 5 a minute per key in the real service.
        this.pings.set(ping[1], [...(this.pings.get(ping[1]) ?? []), Date.now()]);
        response.writeHead(202).end();
        this.#notify();
        return;
      }
      if (request.method !== 'POST' || request.url !== '/api/events') {
        response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 404, message: 'Not found' }));
        return;
      }
      this.requests++;
      this.#events(Buffer.concat(chunks).toString('utf8'), response);
      this.#notify();
    });
  }

  #events(text: string, response: http.ServerResponse): void {
    const mode = this.mode;
    if (mode.kind === 'slow') {
      setTimeout(() => {
        this.#accept(text, response);
        this.#notify();
      }, mode.delayMs);
      return;
    }
    if (mode.kind === 'hang') {
      this.#hung.add(response);
      return;
    }
    if (mode.kind === 'drop') {
      response.socket?.destroy();
      return;
    }
    if (mode.kind === 'status') {
      response.writeHead(mode.status, { 'content-type': 'application/json' }).end(mode.body ?? JSON.stringify({ status: mode.status, message: 'Injected failure' }));
      return;
    }
    this.#accept(text, response);
  }

  #accept(text: string, response: http.ServerResponse): void {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 400, message: 'Malformed JSON' }));
      return;
    }
    const errors = eventSchemaErrors(body);
    if (errors.length > 0) {
      this.schemaViolations.push({ body, errors });
      response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 400, message: errors.join('; ') }));
      return;
    }
    const integrationKey = String(body.integrationKey);
    if (this.acceptedKeys && !this.acceptedKeys.has(integrationKey)) {
      response
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: 404, message: 'No alert source found for the given integration key', code: 'NOT_FOUND' }));
      return;
    }
    const now = Date.now();
    const window = this.#windows.get(integrationKey);
    if (!window || now - window.start >= this.windowMs) this.#windows.set(integrationKey, { start: now, count: 1 });
    else if (window.count >= this.perKeyLimit) {
      this.rateLimited.push({ at: now, integrationKey });
      response.writeHead(429, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 429, message: 'Too many requests', code: 'RATE_LIMIT' }));
      return;
    } else window.count++;
    this.events.push({
      at: now,
      integrationKey,
      eventType: String(body.eventType),
      alertKey: typeof body.alertKey === 'string' ? body.alertKey : undefined,
      summary: String(body.summary),
      body,
    });
    response.writeHead(202).end();
  }
}
