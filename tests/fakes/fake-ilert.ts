/**
 * A fake ilert that follows ilert's documented contract (https://api.ilert.com/api-docs/) over real HTTP:
 * POST /api/events validates every body against the OpenAPI `Event` schema, answers 202 with an
 * empty body, and enforces the per-integration-key limit in fixed windows with 429 (no Retry-After).
 * Tests can make it fail with a status, hang, or drop connections.
 *
 * It also plays ilert's REST side for a user API key (Bearer): alert sources, and alerts materialised
 * from accepted events with ilert's documented alertKey semantics, so clients can read back what ilert
 * made of an event; and ilert's native Level.io intake (POST /api/v1/events/levelio/<key>).
 * The alert list pages with start-index/max-results, newest first, within an optional from/until
 * window on reportTime, and GET /api/alerts/count counts with the same filters, as ilert's REST API
 * reference describes them (https://api.ilert.com/api-docs/#tag/Alerts, spec
 * https://api.ilert.com/api-docs/openapi.json). Maintenance windows (/api/maintenance-windows) are
 * made, listed, read and deleted, each body validated against the OpenAPI `MaintenanceWindow` schema.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';

/** The integration key of the alert source the tests' relays send to; the fake knows it from the start. */
export const INTEGRATION_KEY = 'il1api0123456789abcdef';

const require = createRequire(import.meta.url);
const eventSchema = require('../fixtures/ilert-event.schema.json') as { definitions: { Event: { properties: Record<string, unknown> } } };

const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addFormat('int32', { type: 'number', validate: (value: number) => Number.isInteger(value) && Math.abs(value) < 2 ** 31 });
ajv.addFormat('int64', { type: 'number', validate: (value: number) => Number.isInteger(value) });
// The string formats of the MaintenanceWindow schema (and the schemas it names), as OpenAPI defines them.
ajv.addFormat('date-time', {
  type: 'string',
  validate: (value: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(value) && !Number.isNaN(Date.parse(value)),
});
ajv.addFormat('date', { type: 'string', validate: (value: string) => /^\d{4}-\d{2}-\d{2}$/.test(value) });
ajv.addFormat('time', { type: 'string', validate: (value: string) => /^\d{2}:\d{2}(:\d{2})?$/.test(value) });
ajv.addFormat('ISO-8601', { type: 'string', validate: () => true });
const validateEvent = ajv.compile(eventSchema);
const knownProperties = new Set(Object.keys(eventSchema.definitions.Event.properties));
const windowSchema = require('../fixtures/ilert-maintenance-window.schema.json') as {
  definitions: { MaintenanceWindow: { properties: Record<string, { readOnly?: boolean }> } };
};
const validateWindow = ajv.compile(windowSchema);
const windowProperties = windowSchema.definitions.MaintenanceWindow.properties;

export interface ReceivedEvent {
  at: number;
  integrationKey: string;
  eventType: string;
  alertKey?: string;
  summary: string;
  body: Record<string, unknown>;
}

type AlertStatus = 'PENDING' | 'ACCEPTED' | 'RESOLVED';

/** The user of a responder, shaped like the OpenAPI `UserRel`. */
export interface FakeUser {
  id: number;
  firstName?: string;
  lastName?: string;
}

export interface FakeAlertSource {
  id: number;
  name: string;
  integrationKey: string;
  integrationType: string;
  active: boolean;
  /** A status set by the test (IN_MAINTENANCE, say); otherwise derived from the source's alerts. */
  status?: string;
  escalationPolicy: { id: number; name: string; routingKey?: string };
}

export interface FakeAlert {
  id: number;
  summary: string;
  details?: string;
  status: AlertStatus;
  alertKey?: string;
  reportTime: string;
  resolvedOn?: string;
  priority: 'HIGH' | 'LOW';
  sourceId: number;
  responders: { user: FakeUser; status: 'PENDING' | 'ACCEPTED'; acceptedAt?: string }[];
  links?: unknown[];
  images?: unknown[];
  /** Fake-only: how many events (ALERT, ACCEPT, RESOLVE, COMMENT) landed on this alert. */
  eventCount: number;
}

export interface RestRequest {
  at: number;
  method: string;
  /** Path with query string, as received. */
  path: string;
  apiKey: string | undefined;
  status: number;
}

export interface PassThroughRequest {
  at: number;
  integrationKey: string;
  /** The raw body decoded as UTF-8; `bytes` holds it exactly as received. */
  body: string;
  bytes: Buffer;
  headers: http.IncomingHttpHeaders;
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

/**
 * The schema problems of a MaintenanceWindow request body (POST or PUT /api/maintenance-windows),
 * or [] when ilert would take it: the OpenAPI schema, no unknown properties, no read-only ones.
 */
export function maintenanceWindowSchemaErrors(body: unknown): string[] {
  const errors: string[] = [];
  if (!validateWindow(body)) {
    for (const error of validateWindow.errors ?? []) errors.push(`${error.instancePath || '/'} ${error.message}`);
  }
  if (body && typeof body === 'object') {
    for (const key of Object.keys(body)) {
      if (!(key in windowProperties)) errors.push(`/${key} is not a property of MaintenanceWindow`);
      else if (windowProperties[key]!.readOnly) errors.push(`/${key} is read-only`);
    }
  }
  return errors;
}

/** A maintenance window as the fake keeps it: the body ilert accepted, with its id and who made it. */
export interface FakeMaintenanceWindow {
  id: number;
  summary?: string;
  description?: string;
  start: string;
  end: string;
  alertSources: { id: number }[];
  createdBy: string;
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
  /**
   * Integration keys ilert knows besides those of registered alert sources. Like ilert, any other
   * key gets 404 (https://docs.ilert.com/api/alert-sources); by default the tests' own key is known.
   */
  acceptedKeys = new Set([INTEGRATION_KEY]);
  /** Keys of alert sources a test registered (not those made up for an accepted key). */
  readonly #registeredKeys = new Set<string>();
  perKeyLimit: number;
  windowMs: number;
  #windows = new Map<string, { start: number; count: number }>();
  /** Alert sources by id, registered with addAlertSource or made up for an unknown key on its first event. */
  readonly alertSources: FakeAlertSource[] = [];
  readonly alerts: FakeAlert[] = [];
  /** Maintenance windows made through POST /api/maintenance-windows (deleted ones are removed). */
  readonly maintenanceWindows: FakeMaintenanceWindow[] = [];
  /** Bodies POSTed or PUT to /api/maintenance-windows that broke the OpenAPI schema (answered 400). */
  readonly windowSchemaViolations: { body: unknown; errors: string[] }[] = [];
  #nextWindowId = 7001;
  /** Valid user API keys for the REST API. */
  readonly apiKeys = new Set<string>();
  /** Every request on a REST path, with the answer's status. */
  readonly restRequests: RestRequest[] = [];
  /** Bodies posted to ilert's native Level.io intake. */
  readonly passThrough: PassThroughRequest[] = [];
  /** Fault injection for the REST paths (the Events API has `mode`). */
  restMode: FaultMode = { kind: 'ok' };
  /** Called after each REST answer: lets a test change ilert between two pages of a listing. */
  afterRestAnswer: ((request: RestRequest) => void) | undefined;
  userKeyLimit: number;
  userKeyWindowMs: number;
  /** The user behind every API key, e.g. the one who accepts through PUT /api/alerts/{id}/accept. */
  apiUser: FakeUser = { id: 1, firstName: 'API', lastName: 'User' };
  #userWindows = new Map<string, { start: number; count: number }>();
  #users = new Map<string, FakeUser>();
  #nextSourceId = 1001;
  #nextAlertId = 50_001;
  #server: http.Server;
  #hung = new Set<http.ServerResponse>();
  #waiters: { predicate: () => boolean; resolve: () => void }[] = [];
  url = '';

  constructor(options: { perKeyLimit?: number; windowMs?: number; userKeyLimit?: number; userKeyWindowMs?: number } = {}) {
    this.perKeyLimit = options.perKeyLimit ?? 50;
    this.windowMs = options.windowMs ?? 60_000;
    this.userKeyLimit = options.userKeyLimit ?? 120;
    this.userKeyWindowMs = options.userKeyWindowMs ?? 60_000;
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

  eventTypesFor(alertKey: string): string[] {
    return this.eventsFor(alertKey).map((event) => event.eventType);
  }

  addAlertSource(options: {
    integrationKey: string;
    name: string;
    id?: number;
    integrationType?: string;
    active?: boolean;
    status?: string;
    escalationPolicy?: { id: number; name: string; routingKey?: string };
  }): FakeAlertSource {
    const id = options.id ?? this.#nextSourceId++;
    const source: FakeAlertSource = {
      id,
      name: options.name,
      integrationKey: options.integrationKey,
      integrationType: options.integrationType ?? 'API',
      active: options.active ?? true,
      escalationPolicy: options.escalationPolicy ?? { id: 1, name: 'Default' },
    };
    if (options.status !== undefined) source.status = options.status;
    this.alertSources.push(source);
    this.#registeredKeys.add(source.integrationKey);
    return source;
  }

  /** The latest alert with this key (trimmed, case-insensitive, as ilert compares keys). */
  alertByKey(alertKey: string): FakeAlert | undefined {
    const key = normalKey(alertKey);
    return this.alerts.findLast((alert) => alert.alertKey !== undefined && normalKey(alert.alertKey) === key);
  }

  /** What a person does in ilert's app: accept the latest open alert with this key. */
  acceptAlert(alertKey: string, userName: string): FakeAlert {
    const alert = this.#lastOpen(alertKey);
    if (!alert) throw new Error(`fake ilert: no open alert with key ${alertKey}`);
    this.#acceptAlert(alert, this.#user(userName));
    this.#notify();
    return alert;
  }

  /** What a person does in ilert's app: resolve the latest open alert with this key. */
  resolveAlert(alertKey: string): FakeAlert {
    const alert = this.#lastOpen(alertKey);
    if (!alert) throw new Error(`fake ilert: no open alert with key ${alertKey}`);
    this.#resolveAlert(alert);
    this.#notify();
    return alert;
  }

  /** The Alert JSON ilert's REST API answers (OpenAPI schema `Alert`). */
  alertJson(alert: FakeAlert): Record<string, unknown> {
    const source = this.alertSources.find((entry) => entry.id === alert.sourceId);
    const json: Record<string, unknown> = {
      id: alert.id,
      summary: alert.summary,
      details: alert.details ?? '',
      reportTime: alert.reportTime,
      status: alert.status,
      alertSource: source ? { id: source.id, name: source.name, integrationType: source.integrationType, escalationPolicy: policyJson(source) } : { id: alert.sourceId },
      escalationPolicy: source ? policyJson(source) : undefined,
      priority: alert.priority,
      alertKey: alert.alertKey,
      responders: alert.responders,
      links: alert.links ?? [],
      images: alert.images ?? [],
    };
    if (alert.resolvedOn) json.resolvedOn = alert.resolvedOn;
    return json;
  }

  /** The AlertSource JSON ilert's REST API answers (OpenAPI schema `AlertSource`). */
  alertSourceJson(source: FakeAlertSource): Record<string, unknown> {
    const json: Record<string, unknown> = {
      id: source.id,
      name: source.name,
      teams: [],
      escalationPolicy: policyJson(source),
      integrationType: source.integrationType,
      integrationKey: source.integrationKey,
      alertCreation: 'ONE_ALERT_PER_EMAIL',
      status: this.#sourceStatus(source),
      active: source.active,
    };
    // ilert's native intakes have their own URL; the Events API sources use POST /api/events.
    if (source.integrationType === 'LEVELIO') json.integrationUrl = `${this.url}/api/v1/events/levelio/${source.integrationKey}`;
    return json;
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
      const raw = Buffer.concat(chunks);
      const levelio = /^\/api\/v1\/events\/levelio\/([^/?#]+)$/.exec(request.url ?? '');
      if (request.method === 'POST' && levelio?.[1]) {
        this.#levelio(decodeURIComponent(levelio[1]), raw, request.headers, response);
        this.#notify();
        return;
      }
      if (/^\/api\/(alert-sources|alerts|maintenance-windows)(\/|\?|$)/.test(request.url ?? '')) {
        this.#rest(request, response, raw);
        this.#notify();
        return;
      }
      if (request.method !== 'POST' || request.url !== '/api/events') {
        response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 404, message: 'Not found' }));
        return;
      }
      this.requests++;
      this.#events(raw.toString('utf8'), response);
      this.#notify();
    });
  }

  /** Applies `mode`; true when the fault took care of the response. */
  #fault(mode: FaultMode, response: http.ServerResponse, proceed: () => void): boolean {
    if (mode.kind === 'slow') {
      setTimeout(() => {
        proceed();
        this.#notify();
      }, mode.delayMs);
      return true;
    }
    if (mode.kind === 'hang') {
      this.#hung.add(response);
      return true;
    }
    if (mode.kind === 'drop') {
      response.socket?.destroy();
      return true;
    }
    if (mode.kind === 'status') {
      response.writeHead(mode.status, { 'content-type': 'application/json' }).end(mode.body ?? JSON.stringify({ status: mode.status, message: 'Injected failure' }));
      return true;
    }
    return false;
  }

  #events(text: string, response: http.ServerResponse): void {
    if (this.#fault(this.mode, response, () => this.#accept(text, response))) return;
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
    if (!this.acceptedKeys.has(integrationKey) && !this.#registeredKeys.has(integrationKey)) {
      response
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: 404, message: 'No alert source found for the given integration key', code: 'NOT_FOUND' }));
      return;
    }
    if (!this.#withinKeyLimit(integrationKey, response)) return;
    const now = Date.now();
    this.events.push({
      at: now,
      integrationKey,
      eventType: String(body.eventType),
      alertKey: typeof body.alertKey === 'string' ? body.alertKey : undefined,
      summary: String(body.summary),
      body,
    });
    this.#materialise(this.#sourceFor(integrationKey), {
      eventType: String(body.eventType),
      alertKey: typeof body.alertKey === 'string' ? body.alertKey : undefined,
      summary: String(body.summary),
      details: typeof body.details === 'string' ? body.details : undefined,
      priority: body.priority === 'LOW' ? 'LOW' : 'HIGH',
      links: Array.isArray(body.links) ? body.links : undefined,
      images: Array.isArray(body.images) ? body.images : undefined,
    });
    response.writeHead(202).end();
  }

  /** The per-integration-key limit in fixed windows; false (and a 429 sent) when the key is over it. */
  #withinKeyLimit(integrationKey: string, response: http.ServerResponse): boolean {
    const now = Date.now();
    const window = this.#windows.get(integrationKey);
    if (!window || now - window.start >= this.windowMs) this.#windows.set(integrationKey, { start: now, count: 1 });
    else if (window.count >= this.perKeyLimit) {
      this.rateLimited.push({ at: now, integrationKey });
      response.writeHead(429, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 429, message: 'Too many requests', code: 'RATE_LIMIT' }));
      return false;
    } else window.count++;
    return true;
  }

  /**
   * ilert's native Level.io intake. ilert does not document how it maps Level's webhook; this fake
   * assumes the obvious: alert_active → ALERT, alert_resolved → RESOLVE, alertKey = data.id, and a
   * summary from the alert's name and host. Other event types are recorded and otherwise ignored.
   */
  #levelio(integrationKey: string, raw: Buffer, headers: http.IncomingHttpHeaders, response: http.ServerResponse): void {
    const source = this.alertSources.find((entry) => entry.integrationKey === integrationKey && entry.integrationType === 'LEVELIO');
    if (!source) {
      response
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: 404, message: 'No alert source found for the given integration key', code: 'NOT_FOUND' }));
      return;
    }
    const proceed = () => {
      if (!this.#withinKeyLimit(integrationKey, response)) return;
      this.passThrough.push({ at: Date.now(), integrationKey, body: raw.toString('utf8'), bytes: Buffer.from(raw), headers: { ...headers } });
      let body: { event_type?: unknown; data?: { id?: unknown; name?: unknown; device_hostname?: unknown; description?: unknown } };
      try {
        body = JSON.parse(raw.toString('utf8')) as typeof body;
      } catch {
        response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 400, message: 'Malformed JSON' }));
        return;
      }
      const eventType = body.event_type === 'alert_active' ? 'ALERT' : body.event_type === 'alert_resolved' ? 'RESOLVE' : undefined;
      const data = body.data ?? {};
      if (eventType) {
        const name = typeof data.name === 'string' ? data.name : 'Level alert';
        this.#materialise(source, {
          eventType,
          alertKey: data.id === undefined || data.id === null ? undefined : String(data.id),
          summary: typeof data.device_hostname === 'string' ? `${name} on ${data.device_hostname}` : name,
          details: typeof data.description === 'string' ? data.description : undefined,
          priority: 'HIGH',
        });
      }
      response.writeHead(202).end();
    };
    if (this.#fault(this.mode, response, proceed)) return;
    proceed();
  }

  /** The alert source was deleted in ilert: its key gets 404 from then on. */
  removeAlertSource(integrationKey: string): void {
    this.acceptedKeys.delete(integrationKey);
    this.#registeredKeys.delete(integrationKey);
    this.alertSources.splice(0, this.alertSources.length, ...this.alertSources.filter((source) => source.integrationKey !== integrationKey));
  }

  /** The registered source for a key, or one made up the first time ilert accepts an event for a known key. */
  #sourceFor(integrationKey: string): FakeAlertSource {
    const registered = this.alertSources.find((source) => source.integrationKey === integrationKey);
    if (registered) return registered;
    const madeUp = this.addAlertSource({ integrationKey, name: `API source ${this.#nextSourceId}` });
    this.#registeredKeys.delete(integrationKey);
    return madeUp;
  }

  /**
   * ilert's documented alertKey semantics. A disabled source still gets 202 (the Events API answers
   * 202 for events a source filters out, and a disabled source is the extreme filter) but no alert.
   */
  #materialise(
    source: FakeAlertSource,
    event: {
      eventType: string;
      alertKey: string | undefined;
      summary: string;
      details: string | undefined;
      priority: 'HIGH' | 'LOW';
      links?: unknown[] | undefined;
      images?: unknown[] | undefined;
    },
  ): void {
    if (!source.active) return;
    const open = event.alertKey === undefined ? undefined : this.#lastOpen(event.alertKey, source.id);
    if (event.eventType === 'ALERT') {
      if (open) {
        open.eventCount++;
        return;
      }
      const alert: FakeAlert = {
        id: this.#nextAlertId++,
        summary: event.summary,
        status: 'PENDING',
        reportTime: new Date().toISOString(),
        priority: event.priority,
        sourceId: source.id,
        responders: [],
        eventCount: 1,
      };
      if (event.alertKey !== undefined) alert.alertKey = event.alertKey;
      if (event.details !== undefined) alert.details = event.details;
      if (event.links) alert.links = event.links;
      if (event.images) alert.images = event.images;
      this.alerts.push(alert);
      if (alert.alertKey !== undefined) {
        const key = normalKey(alert.alertKey);
        this.#byKey.set(key, [...(this.#byKey.get(key) ?? []), alert]);
      }
      return;
    }
    // ACCEPT, RESOLVE and COMMENT without an open alert are benign no-ops (legacy NO_OPEN_ALERT_WITH_KEY).
    if (!open) return;
    open.eventCount++;
    if (event.eventType === 'ACCEPT' && open.status === 'PENDING') open.status = 'ACCEPTED';
    if (event.eventType === 'RESOLVE') this.#resolveAlert(open);
  }

  /** Alerts per normalised key, so a storm of 20,000 events is not quadratic in the fake. */
  readonly #byKey = new Map<string, FakeAlert[]>();

  #lastOpen(alertKey: string, sourceId?: number): FakeAlert | undefined {
    const key = normalKey(alertKey);
    return (this.#byKey.get(key) ?? []).findLast(
      (alert) => alert.status !== 'RESOLVED' && alert.alertKey !== undefined && normalKey(alert.alertKey) === key && (sourceId === undefined || alert.sourceId === sourceId),
    );
  }

  #acceptAlert(alert: FakeAlert, user: FakeUser): void {
    if (alert.status === 'RESOLVED') return;
    alert.status = 'ACCEPTED';
    const acceptedAt = new Date().toISOString();
    const responder = alert.responders.find((entry) => entry.user.id === user.id);
    if (responder) Object.assign(responder, { status: 'ACCEPTED', acceptedAt });
    else alert.responders.push({ user, status: 'ACCEPTED', acceptedAt });
  }

  #resolveAlert(alert: FakeAlert): void {
    if (alert.status === 'RESOLVED') return;
    alert.status = 'RESOLVED';
    alert.resolvedOn = new Date().toISOString();
  }

  #user(name: string): FakeUser {
    let user = this.#users.get(name);
    if (!user) {
      const [firstName = name, ...rest] = name.trim().split(/\s+/);
      user = { id: 100 + this.#users.size, firstName, lastName: rest.join(' ') };
      this.#users.set(name, user);
    }
    return user;
  }

  #sourceStatus(source: FakeAlertSource): string {
    if (!source.active) return 'DISABLED';
    if (source.status) return source.status;
    const own = this.alerts.filter((alert) => alert.sourceId === source.id);
    if (own.some((alert) => alert.status === 'PENDING')) return 'PENDING';
    if (own.some((alert) => alert.status === 'ACCEPTED')) return 'ALL_ACCEPTED';
    return 'ALL_RESOLVED';
  }

  /** ilert's REST API: Bearer user API key, then the per-user-key limit, then the resource. */
  #rest(request: http.IncomingMessage, response: http.ServerResponse, raw: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://fake');
    const authorization = request.headers.authorization;
    const apiKey = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length).trim() : undefined;
    const entry: RestRequest = { at: Date.now(), method: request.method ?? 'GET', path: request.url ?? '', apiKey, status: 0 };
    this.restRequests.push(entry);
    const send = (status: number, body?: unknown) => {
      entry.status = status;
      response.writeHead(status, { 'content-type': 'application/json' }).end(body === undefined ? undefined : JSON.stringify(body));
      this.afterRestAnswer?.(entry);
    };
    const proceed = () => {
      if (!apiKey) return send(401, { status: 401, message: 'Unauthorized' });
      if (!this.apiKeys.has(apiKey)) return send(403, { status: 403, message: 'The API key is not valid', code: 'KEY_ERROR' });
      const window = this.#userWindows.get(apiKey);
      if (!window || entry.at - window.start >= this.userKeyWindowMs) this.#userWindows.set(apiKey, { start: entry.at, count: 1 });
      else if (window.count >= this.userKeyLimit) return send(429, { status: 429, message: 'Too many requests', code: 'RATE_LIMIT' });
      else window.count++;
      this.#route(request.method ?? 'GET', url, send, raw);
    };
    if (this.#fault(this.restMode, response, proceed)) {
      entry.status = this.restMode.kind === 'status' ? this.restMode.status : -1;
      return;
    }
    proceed();
  }

  #route(method: string, url: URL, send: (status: number, body?: unknown) => void, raw: Buffer): void {
    const notFound = () => send(404, { status: 404, message: 'Not found' });
    if (url.pathname === '/api/maintenance-windows' || url.pathname.startsWith('/api/maintenance-windows/')) return this.#maintenanceWindows(method, url, send, raw);
    const source = /^\/api\/alert-sources\/([^/]+)$/.exec(url.pathname);
    if (source?.[1]) {
      if (method !== 'GET') return send(405, { status: 405, message: 'Method not allowed' });
      const id = decodeURIComponent(source[1]);
      const found = /^\d+$/.test(id) ? this.alertSources.find((entry) => entry.id === Number(id)) : this.alertSources.find((entry) => entry.integrationKey === id);
      return found ? send(200, this.alertSourceJson(found)) : notFound();
    }
    if (url.pathname === '/api/alerts' || url.pathname === '/api/alerts/count') {
      if (method !== 'GET') return send(405, { status: 405, message: 'Method not allowed' });
      const query = url.searchParams;
      const states = query.getAll('states');
      if (states.some((state) => !['PENDING', 'ACCEPTED', 'RESOLVED'].includes(state))) return send(400, { status: 400, message: 'Unknown state' });
      const sources = query.getAll('sources');
      if (sources.some((value) => !/^\d+$/.test(value))) return send(400, { status: 400, message: 'sources must be alert source ids' });
      const [from, until] = ['from', 'until'].map((name) => (query.has(name) ? Date.parse(query.get(name)!) : undefined));
      if (Number.isNaN(from) || Number.isNaN(until)) return send(400, { status: 400, message: 'from and until must be ISO date-times' });
      // Newest first; the fake's ids grow with time, so id order is report order.
      const matching = this.alerts
        .filter((alert) => (states.length === 0 || states.includes(alert.status)) && (sources.length === 0 || sources.includes(String(alert.sourceId))))
        .filter((alert) => (from === undefined || Date.parse(alert.reportTime) >= from) && (until === undefined || Date.parse(alert.reportTime) <= until))
        .sort((a, b) => b.id - a.id);
      if (url.pathname === '/api/alerts/count') return send(200, { count: matching.length });
      const maxResults = query.has('max-results') ? Number(query.get('max-results')) : 50;
      const startIndex = query.has('start-index') ? Number(query.get('start-index')) : 0;
      if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100) return send(400, { status: 400, message: 'max-results must be between 1 and 100' });
      if (!Number.isInteger(startIndex) || startIndex < 0) return send(400, { status: 400, message: 'start-index must be 0 or more' });
      return send(
        200,
        matching.slice(startIndex, startIndex + maxResults).map((alert) => this.alertJson(alert)),
      );
    }
    const action = /^\/api\/alerts\/(\d+)\/(accept|resolve)$/.exec(url.pathname);
    if (action?.[1] && action[2]) {
      if (method !== 'PUT') return send(405, { status: 405, message: 'Method not allowed' });
      const alert = this.alerts.find((entry) => entry.id === Number(action[1]));
      if (!alert) return notFound();
      if (action[2] === 'accept') {
        if (alert.status === 'RESOLVED') return send(400, { status: 400, message: 'The alert is already resolved' });
        this.#acceptAlert(alert, this.apiUser);
      } else this.#resolveAlert(alert);
      return send(200, this.alertJson(alert));
    }
    const single = /^\/api\/alerts\/(\d+)$/.exec(url.pathname);
    if (single?.[1] && method === 'GET') {
      const alert = this.alerts.find((entry) => entry.id === Number(single[1]));
      return alert ? send(200, this.alertJson(alert)) : notFound();
    }
    notFound();
  }

  /**
   * ilert's maintenance windows (https://api.ilert.com/api-docs/#tag/Maintenance-Windows): a POST
   * body is validated against the OpenAPI `MaintenanceWindow` schema (400 with the problems) and
   * its alert sources must exist; the answer is the window with its id, and its URI in Location.
   */
  #maintenanceWindows(method: string, url: URL, send: (status: number, body?: unknown) => void, raw: Buffer): void {
    const single = /^\/api\/maintenance-windows\/(\d+)$/.exec(url.pathname);
    if (url.pathname === '/api/maintenance-windows') {
      if (method === 'GET') {
        const state = url.searchParams.get('state');
        if (state !== null && state !== 'OPEN' && state !== 'CLOSED') return send(400, { status: 400, message: 'state must be OPEN or CLOSED' });
        const now = Date.now();
        return send(
          200,
          this.maintenanceWindows.filter((window) => state === null || (state === 'OPEN') === Date.parse(window.end) > now),
        );
      }
      if (method !== 'POST') return send(405, { status: 405, message: 'Method not allowed' });
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        return send(400, { status: 400, message: 'Malformed JSON' });
      }
      const errors = maintenanceWindowSchemaErrors(body);
      if (errors.length > 0) {
        this.windowSchemaViolations.push({ body, errors });
        return send(400, { status: 400, message: errors.join('; ') });
      }
      const start = typeof body.start === 'string' ? Date.parse(body.start) : NaN;
      const end = typeof body.end === 'string' ? Date.parse(body.end) : NaN;
      if (Number.isNaN(start) || Number.isNaN(end) || end <= start) return send(400, { status: 400, message: 'start and end are required, and end must be after start' });
      const sources = (Array.isArray(body.alertSources) ? body.alertSources : []) as { id?: number }[];
      if (sources.length === 0) return send(400, { status: 400, message: 'a maintenance window needs at least one alert source or service' });
      const unknown = sources.find((source) => !this.alertSources.some((known) => known.id === source.id));
      if (unknown) return send(400, { status: 400, message: `alert source ${String(unknown.id)} does not exist` });
      const window: FakeMaintenanceWindow = {
        id: this.#nextWindowId++,
        start: new Date(start).toISOString(),
        end: new Date(end).toISOString(),
        alertSources: sources.map((source) => ({ id: source.id! })),
        createdBy: `${this.apiUser.firstName ?? ''} ${this.apiUser.lastName ?? ''}`.trim(),
      };
      if (typeof body.summary === 'string') window.summary = body.summary;
      if (typeof body.description === 'string') window.description = body.description;
      this.maintenanceWindows.push(window);
      return send(200, window);
    }
    if (!single?.[1]) return send(404, { status: 404, message: 'Not found' });
    const index = this.maintenanceWindows.findIndex((window) => window.id === Number(single[1]));
    if (index < 0) return send(404, { status: 404, message: 'Not found' });
    if (method === 'GET') return send(200, this.maintenanceWindows[index]);
    if (method === 'DELETE') {
      this.maintenanceWindows.splice(index, 1);
      return send(204);
    }
    send(405, { status: 405, message: 'Method not allowed' });
  }
}

/** ilert trims alert keys and compares them case-insensitively. */
function normalKey(alertKey: string): string {
  return alertKey.trim().toLowerCase();
}

function policyJson(source: FakeAlertSource): Record<string, unknown> {
  const policy: Record<string, unknown> = { id: source.escalationPolicy.id, name: source.escalationPolicy.name, escalationRules: [] };
  if (source.escalationPolicy.routingKey) policy.routingKey = source.escalationPolicy.routingKey;
  return policy;
}
