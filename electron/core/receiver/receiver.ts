import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { SIGNATURE_HEADER } from '../level/signature.ts';
import type { IngestPipeline, WebhookResult } from '../ingest/pipeline.ts';
import type { InboundDelivery } from '../store/inbound-delivery.ts';
import { redactHeaders } from './redact.ts';
import { AUTOMATION_PATH, AUTOMATION_SECRET_HEADER } from '../ingest/automation.ts';
import { BodyBudget, type BodyBudgetLimits, type NoRoom } from './body-budget.ts';
import { ConnectionTable } from './connections.ts';
import { PressureRecord, type PortPressure } from './pressure.ts';
import { ingestSourceRequest } from '../ingest/source-ingest.ts';
import { SOURCE_PATH_PREFIX, type SourceSettings } from '../ingest/interpret.ts';
import type { Logger } from '../logger.ts';

export type { PortPressure };

export const BODY_LIMIT_BYTES = 1024 * 1024;
/**
 * What strangers can make the public listener hold. Bodies are buffered before the signature can
 * be checked, so their total is capped, with a share kept for small bodies like Level's and a cap
 * per client address for large ones (see BodyBudget); a body must keep arriving at a minimum rate
 * once the headers are in; connections are capped per address, the longest-idle one giving way to
 * a new one at the cap (see ConnectionTable); a connection that sends nothing is closed.
 */
export interface ReceiverLimits extends BodyBudgetLimits {
  maxConnectionsPerAddress: number;
  /** A connection that has not sent a byte by then is closed. */
  firstByteTimeoutMs: number;
  /** A body that brings fewer than this many bytes per second over a window is cut off (408), unless less was left to send. */
  minBodyBytesPerSecond: number;
  bodyRateWindowMs: number;
  /** After the last request refused or connection closed for lack of room, the port counts as busy this long. */
  busyForMs: number;
}

export const RECEIVER_LIMITS: ReceiverLimits = {
  maxBufferedBytes: 64 * 1024 * 1024,
  smallBodyBytes: 64 * 1024,
  smallBodyReserveBytes: 8 * 1024 * 1024,
  maxBufferedBytesPerAddress: 16 * 1024 * 1024,
  maxConnectionsPerAddress: 1024,
  firstByteTimeoutMs: 10_000,
  minBodyBytesPerSecond: 1024,
  bodyRateWindowMs: 5000,
  busyForMs: 60_000,
};
const BUSY_RETRY_AFTER_S = '5';
export const WEBHOOK_PATH = '/webhooks/level';
export const HEALTH_PATH = '/healthz';

const KNOWN_PATHS: Record<string, readonly string[]> = {
  [WEBHOOK_PATH]: ['POST'],
  [AUTOMATION_PATH]: ['POST'],
  [HEALTH_PATH]: ['GET', 'HEAD'],
};

export interface ReceiverOptions {
  log: Logger;
  /** Random per process: lets the setup wizard prove a public URL reaches this very relay. */
  instanceId: string;
  ingest: IngestPipeline;
  /** Why the relay cannot take webhooks right now (the store cannot write), from memory; undefined when it can. */
  unhealthy?: () => string | undefined;
  limits?: Partial<ReceiverLimits>;
  /** The port came under pressure, or it passed (see pressure). */
  pressureChanged?: () => void;
  /** Other sources, each served at `/webhooks/source/<slug>`; read per request, so a saved change applies at once. */
  sources?: () => SourceSettings;
}

function send(response: http.ServerResponse, statusCode: number, body: Record<string, unknown>, headers: http.OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(statusCode, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  response.end(text);
}

/** The client address for the log: a tunnel or proxy names the real one in its headers. */
function forwardedFor(headers: http.IncomingHttpHeaders): string | undefined {
  const cf = headers['cf-connecting-ip'];
  if (typeof cf === 'string' && cf.trim()) return cf.trim();
  const xff = headers['x-forwarded-for'];
  const first = (Array.isArray(xff) ? xff[0] : xff)?.split(',')[0]?.trim();
  return first || undefined;
}

/**
 * Who a request is from, for fairness. Behind a tunnel every connection comes from the tunnel, which
 * names the client in a header: Cloudflare's CF-Connecting-IP
 * (https://developers.cloudflare.com/fundamentals/reference/http-headers/), else the last
 * X-Forwarded-For entry, the one the proxy in front added (the ones before it are the client's own
 * say: https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/X-Forwarded-For).
 * Those headers are believed only when the listener is on loopback, where only a local tunnel or
 * proxy can connect; anywhere else a client could name itself anything.
 */
function clientAddress(request: http.IncomingMessage, behindLocalProxy: boolean): string {
  const socketAddress = request.socket.remoteAddress ?? '';
  if (!behindLocalProxy) return socketAddress;
  const cf = firstHeader(request.headers['cf-connecting-ip'])?.trim();
  if (cf && net.isIP(cf)) return cf;
  const last = firstHeader(request.headers['x-forwarded-for'])?.split(',').at(-1)?.trim();
  return last && net.isIP(last) ? last : socketAddress;
}

function isLoopback(address: string): boolean {
  return /^(127\.|::1$|::ffff:127\.)/.test(address);
}

/** What the delivery log keeps of a request before its body is read. */
function requestRecord(request: http.IncomingMessage, path: string, method: string): InboundDelivery {
  return {
    receivedAt: Date.now(),
    source: 'webhook',
    remoteAddr: request.socket.remoteAddress,
    forwardedFor: forwardedFor(request.headers),
    method,
    path,
    headers: redactHeaders(flatHeaders(request.headers)),
    body: undefined,
    bodySize: Number(request.headers['content-length'] ?? 0) || 0,
    signature: 'not-checked',
  };
}

function flatHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/**
 * `{"status":"ok"}`, and with `?nonce=` the nonce and this relay's instance id echoed back, so a
 * reachability check through a tunnel knows it reached this process and not a cached or other one.
 */
function healthBody(nonce: string | null, instanceId: string): Record<string, string> {
  if (nonce === null || !/^[A-Za-z0-9_-]{8,128}$/.test(nonce)) return { status: 'ok' };
  return { status: 'ok', nonce, relay: instanceId };
}

type BodyRead = { kind: 'body'; body: Buffer } | { kind: 'too-large'; size: number } | { kind: 'busy'; noRoom: NoRoom } | { kind: 'too-slow' } | { kind: 'aborted' };

interface BodyRules {
  limit: number;
  budget: BodyBudget;
  /** The client address the bytes are counted against. */
  address: string;
  /** Content-Length, when the client sent one. */
  declared: number | undefined;
  minBytesPerSecond: number;
  windowMs: number;
}

/**
 * Reads the raw body, stopping at `limit` bytes for this request, when the budget has no room for
 * the next chunk, or when a window passes with fewer bytes than the minimum rate asks (unless
 * fewer were left to send). A client that goes away mid-body is not an error of ours.
 */
function readBody(request: http.IncomingMessage, rules: BodyRules, held: { bytes: number }): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let inWindow = 0;
    let done = false;
    const perWindow = Math.ceil((rules.minBytesPerSecond * rules.windowMs) / 1000);
    const rate = setInterval(() => {
      // Judged after this turn's I/O is read (setImmediate runs after the poll phase): when the relay
      // itself was too busy to read for a while, bytes already sent must count for the client.
      setImmediate(() => {
        if (done) return;
        const owed = rules.declared === undefined ? perWindow : Math.min(perWindow, rules.declared - size);
        if (inWindow < owed) return stop({ kind: 'too-slow' });
        inWindow = 0;
      });
    }, rules.windowMs);
    rate.unref();
    const finish = (read: BodyRead) => {
      if (done) return;
      done = true;
      clearInterval(rate);
      request.off('data', onData);
      resolve(read);
    };
    const stop = (read: BodyRead) => {
      finish(read);
      request.pause();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      inWindow += chunk.length;
      if (size > rules.limit) return stop({ kind: 'too-large', size });
      // A body declared large is large from its first byte: it cannot slip into the small reserve.
      const noRoom = rules.budget.take(rules.address, chunk.length, Math.max(size, rules.declared ?? 0));
      if (noRoom) return stop({ kind: 'busy', noRoom });
      held.bytes += chunk.length;
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.once('end', () => finish({ kind: 'body', body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) }));
    request.once('error', () => finish({ kind: 'aborted' }));
    request.once('close', () => {
      if (!request.complete) finish({ kind: 'aborted' });
    });
  });
}

/**
 * One line per kind of trouble per interval, with a count of the ones held back: a client that
 * aborts on purpose, again and again, must not be able to fill the log.
 */
export class ThrottledLog {
  readonly #intervalMs: number;
  readonly #write: (line: string) => void;
  readonly #last = new Map<string, { at: number; heldBack: number }>();
  constructor(write: (line: string) => void, intervalMs = 60_000) {
    this.#write = write;
    this.#intervalMs = intervalMs;
  }
  note(kind: string, line: string, now = Date.now()): void {
    const last = this.#last.get(kind);
    if (last && now - last.at < this.#intervalMs) {
      last.heldBack++;
      return;
    }
    this.#write(last?.heldBack ? `${line} (and ${last.heldBack} more like it since the last such line)` : line);
    this.#last.set(kind, { at: now, heldBack: 0 });
  }
}

/** The public, tunnel-facing listener: only the webhook path and a bare health check. */
export class Receiver {
  readonly server: http.Server;
  readonly #options: ReceiverOptions;
  readonly #limits: ReceiverLimits;
  readonly #budget: BodyBudget;
  readonly #connections: ConnectionTable;
  readonly #pressure: PressureRecord;
  readonly #log: ThrottledLog;
  #listening = false;
  /** Set at listen(): whether client-address headers from a local tunnel or proxy are believed. */
  #behindLocalProxy = false;

  constructor(options: ReceiverOptions) {
    this.#options = options;
    this.#limits = { ...RECEIVER_LIMITS, ...options.limits };
    this.#budget = new BodyBudget(this.#limits);
    this.#connections = new ConnectionTable(this.#limits.maxConnectionsPerAddress, () => options.pressureChanged?.());
    this.#pressure = new PressureRecord(this.#limits.busyForMs, () => options.pressureChanged?.());
    this.#log = new ThrottledLog((line) => options.log.error(line));
    this.server = http.createServer({ requestTimeout: 30_000, headersTimeout: 15_000, keepAliveTimeout: 65_000 }, (request, response) => {
      const socket = request.socket;
      const admitted = this.#connections.requestStarted(socket);
      response.once('close', () => this.#connections.requestEnded(socket));
      if (admitted === 'over-cap') {
        this.#pressure.note('connectionsRefused');
        this.#log.note(
          'connections',
          `receiver: more than ${this.#limits.maxConnectionsPerAddress} connections from ${socket.remoteAddress ?? 'unknown'}, none idle; refusing the extra ones`,
        );
        return this.#refuse(request, response, 503, 'too many connections from this address, retry later');
      }
      if (admitted.closedIdle) this.#idleClosed(socket);
      this.#handle(request, response).catch((error: unknown) => {
        this.#log.note('internal', `receiver: ${(error as Error).message}`);
        if (!response.headersSent) send(response, 500, { error: 'internal error' });
        else response.destroy();
      });
    });
    this.server.on('connection', (socket) => this.#admit(socket));
  }

  /** Bytes of request bodies held in memory right now. */
  get bufferedBytes(): number {
    return this.#budget.used;
  }

  /**
   * What the port turned away or closed for lack of room lately, and which addresses hold all the
   * connections one address may have; undefined while it has room.
   */
  get pressure(): PortPressure | undefined {
    const recent = this.#pressure.current();
    const atConnectionCap = this.#connections.atCap();
    if (!recent && atConnectionCap.length === 0) return undefined;
    const since = Math.min(recent?.since ?? Infinity, ...atConnectionCap.map((entry) => entry.since));
    return { since, lastAt: recent?.lastAt ?? since, bodiesRefused: 0, connectionsRefused: 0, idleClosed: 0, ...recent, atConnectionCap };
  }

  /** Why the port counts as busy (for /healthz and the heartbeat); undefined when it does not. */
  busyReason(): string | undefined {
    return this.pressure ? 'the public port is out of room: requests turned away, or an address at its connection cap' : undefined;
  }

  /**
   * Counts connections per address (see ConnectionTable). A connection that sends nothing at all
   * is closed after a while: Node's own timeouts only start with the first byte.
   */
  #admit(socket: net.Socket): void {
    if (this.#connections.admit(socket).closedIdle) this.#idleClosed(socket);
    const silent = setTimeout(() => {
      if (socket.bytesRead === 0) socket.destroy();
    }, this.#limits.firstByteTimeoutMs);
    silent.unref();
    socket.once('close', () => {
      clearTimeout(silent);
      this.#connections.closed(socket);
    });
  }

  #idleClosed(socket: net.Socket): void {
    this.#pressure.note('idleClosed');
    this.#log.note(
      'idle-closed',
      `receiver: ${this.#limits.maxConnectionsPerAddress} connections from ${socket.remoteAddress ?? 'unknown'}; closing the longest-idle ones to make room`,
    );
  }

  /** Refuses without reading the body, and closes the connection so its unread bytes go nowhere. */
  #refuse(request: http.IncomingMessage, response: http.ServerResponse, statusCode: number, reason: string): void {
    response.once('finish', () => request.socket.destroy());
    send(response, statusCode, { error: reason }, { ...(statusCode === 503 ? { 'retry-after': BUSY_RETRY_AFTER_S } : {}), connection: 'close' });
  }

  get listening(): boolean {
    return this.#listening;
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        this.#listening = true;
        const address = this.server.address() as AddressInfo;
        this.#behindLocalProxy = isLoopback(address.address);
        resolve(address);
      });
    });
  }

  /** Stops accepting connections and waits until every request in progress has been answered. */
  close(): Promise<void> {
    this.#listening = false;
    this.#pressure.stop();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  async #handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = parseTarget(request.url);
    if (!url) return this.#badTarget(request, response);
    const allowed = KNOWN_PATHS[url.pathname] ?? (url.pathname.startsWith(SOURCE_PATH_PREFIX) ? ['POST'] : undefined);
    if (!allowed) return this.#notFound(request, response, url.pathname);
    if (!allowed.includes(request.method ?? '')) {
      request.resume();
      return send(response, 405, { error: `method not allowed: use ${allowed.join(' or ')}` }, { allow: allowed.join(', ') });
    }
    if (url.pathname === HEALTH_PATH) {
      // From memory: never waits for a database that may be locked. A store that cannot write, or a
      // port so busy that it turns requests away, is a relay that may lose webhooks, so a monitor
      // on this URL must see it; the reason stays private.
      const unhealthy = this.#options.unhealthy?.() ?? this.busyReason();
      const body = healthBody(url.searchParams.get('nonce'), this.#options.instanceId);
      return send(response, unhealthy ? 503 : 200, unhealthy ? { ...body, status: 'unhealthy' } : body);
    }

    const delivery = requestRecord(request, url.pathname, request.method ?? 'POST');
    const rejectEarly = async (statusCode: number, reason: string) => {
      await this.#options.ingest.reject({ ...delivery, statusCode, reason });
      send(response, statusCode, { error: reason }, statusCode === 413 ? { connection: 'close' } : {});
    };

    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > BODY_LIMIT_BYTES) {
      delivery.bodySize = declared;
      request.resume();
      return rejectEarly(413, `body too large: ${declared} bytes, the limit is ${BODY_LIMIT_BYTES}`);
    }

    const address = clientAddress(request, this.#behindLocalProxy);
    if (declared > 0) {
      const noRoom = this.#budget.room(address, declared, declared);
      if (noRoom) return this.#overBudget(request, response, noRoom);
    }
    const held = { bytes: 0 };
    try {
      const rules: BodyRules = {
        limit: BODY_LIMIT_BYTES,
        budget: this.#budget,
        address,
        declared: request.headers['content-length'] === undefined ? undefined : declared,
        minBytesPerSecond: this.#limits.minBodyBytesPerSecond,
        windowMs: this.#limits.bodyRateWindowMs,
      };
      const read = await readBody(request, rules, held);
      if (read.kind === 'aborted') {
        this.#log.note('aborted', `receiver: a client (${delivery.remoteAddr ?? 'unknown'}) went away before its body was complete`);
        return;
      }
      if (read.kind === 'busy') return this.#overBudget(request, response, read.noRoom);
      if (read.kind === 'too-slow') {
        this.#log.note('slow', `receiver: a client (${address}) sent its body slower than ${this.#limits.minBodyBytesPerSecond} bytes per second; cut off`);
        return this.#refuse(request, response, 408, `request body too slow: under ${this.#limits.minBodyBytesPerSecond} bytes per second`);
      }
      if (read.kind === 'too-large') {
        delivery.bodySize = read.size;
        response.once('finish', () => request.socket.destroy());
        return await rejectEarly(413, `body too large: over ${BODY_LIMIT_BYTES} bytes`);
      }
      delivery.body = read.body;
      delivery.bodySize = read.body.length;
      let result: WebhookResult;
      if (url.pathname.startsWith(SOURCE_PATH_PREFIX)) {
        result = await ingestSourceRequest(
          this.#options.ingest,
          this.#options.sources?.() ?? { sources: [], targetProblem: () => undefined },
          url.pathname.slice(SOURCE_PATH_PREFIX.length),
          delivery,
          request.headers,
        );
      } else if (url.pathname === AUTOMATION_PATH) {
        delivery.source = 'automation';
        result = await this.#options.ingest.automation(delivery, firstHeader(request.headers[AUTOMATION_SECRET_HEADER]) ?? '');
      } else {
        result = await this.#options.ingest.webhook(delivery, firstHeader(request.headers[SIGNATURE_HEADER]));
      }
      send(response, result.statusCode, result.body, result.statusCode === 503 ? { 'retry-after': '30' } : {});
    } finally {
      this.#budget.give(address, held.bytes);
    }
  }

  #overBudget(request: http.IncomingMessage, response: http.ServerResponse, noRoom: NoRoom): void {
    this.#pressure.note('bodiesRefused');
    if (noRoom === 'address-share') {
      this.#log.note('busy-address', `receiver: one client address is sending over ${this.#limits.maxBufferedBytesPerAddress} bytes of large bodies at once; answering it 503`);
      return this.#refuse(request, response, 503, 'too many bytes arriving from this address at once, retry later');
    }
    this.#log.note('busy', `receiver: over ${this.#limits.maxBufferedBytes} bytes of request bodies arriving at once; answering 503 until they are through`);
    this.#refuse(request, response, 503, 'the relay is busy receiving other requests, retry later');
  }

  /** A request target that is not a URL (`http://[`): a clear 400, recorded like any odd request. */
  async #badTarget(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    request.resume();
    const reason = 'bad request target: not a URL path';
    await this.#options.ingest.reject({ ...requestRecord(request, (request.url ?? '').slice(0, 300), (request.method ?? '').slice(0, 20)), statusCode: 400, reason });
    send(response, 400, { error: reason }, { connection: 'close' });
  }

  /**
   * A POST to another path is most likely Level with a mistyped URL (a trailing space, a missing
   * segment): it is recorded so the Health page can say so. Anything else is just answered.
   */
  async #notFound(request: http.IncomingMessage, response: http.ServerResponse, pathname: string): Promise<void> {
    request.resume();
    if (request.method === 'POST') {
      await this.#options.ingest.reject({
        ...requestRecord(request, pathname.slice(0, 300), 'POST'),
        statusCode: 404,
        reason: `no webhook at ${JSON.stringify(decodeURIComponentSafe(pathname))}: the URL must end in ${WEBHOOK_PATH}`,
      });
    }
    send(response, 404, { error: `not found: webhooks go to ${WEBHOOK_PATH}` });
  }
}

/** The request target as a URL, or undefined when it is not one (absolute-form targets like `http://[` included). */
function parseTarget(target: string | undefined): URL | undefined {
  try {
    return new URL(target ?? '/', 'http://relay.invalid');
  } catch {
    return undefined;
  }
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
