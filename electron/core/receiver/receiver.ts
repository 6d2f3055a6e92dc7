import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SIGNATURE_HEADER } from '../level/signature.ts';
import type { IngestPipeline, WebhookResult } from '../ingest/pipeline.ts';
import type { InboundDelivery } from '../store/inbound-delivery.ts';
import { redactHeaders } from './redact.ts';
import { AUTOMATION_PATH, AUTOMATION_SECRET_HEADER } from '../ingest/automation.ts';

export const BODY_LIMIT_BYTES = 1024 * 1024;
/**
 * What strangers can make the public listener hold: bodies are buffered before the signature can
 * be checked, so their total is capped, as are connections per client address, and a connection
 * that sends nothing is closed. Behind a tunnel every connection comes from the tunnel's address,
 * Level's own bursts included, so the per-address cap is generous: memory is bounded by the byte
 * budget, and the cap keeps one address from taking every file descriptor.
 */
export interface ReceiverLimits {
  maxBufferedBytes: number;
  maxConnectionsPerAddress: number;
  /** A connection that has not sent a byte by then is closed. */
  firstByteTimeoutMs: number;
}

export const RECEIVER_LIMITS: ReceiverLimits = {
  maxBufferedBytes: 64 * 1024 * 1024,
  maxConnectionsPerAddress: 1024,
  firstByteTimeoutMs: 10_000,
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
  /** Random per process: lets the setup wizard prove a public URL reaches this very relay. */
  instanceId: string;
  ingest: IngestPipeline;
  /** Why the relay cannot take webhooks right now (the store cannot write), from memory; undefined when it can. */
  unhealthy?: () => string | undefined;
  limits?: Partial<ReceiverLimits>;
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

type BodyRead = { kind: 'body'; body: Buffer } | { kind: 'too-large'; size: number } | { kind: 'busy' } | { kind: 'aborted' };

/** Bytes buffered across all requests in progress; each request gives back what it took when it is answered. */
class BufferBudget {
  used = 0;
  readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  take(bytes: number): boolean {
    if (this.used + bytes > this.max) return false;
    this.used += bytes;
    return true;
  }
  give(bytes: number): void {
    this.used -= bytes;
  }
}

/**
 * Reads the raw body, stopping at `limit` bytes for this request or when the shared budget is
 * spent. A client that goes away mid-body is not an error of ours.
 */
function readBody(request: http.IncomingMessage, limit: number, budget: BufferBudget, held: { bytes: number }): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (read: BodyRead) => {
      request.off('data', onData);
      request.pause();
      resolve(read);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return stop({ kind: 'too-large', size });
      if (!budget.take(chunk.length)) return stop({ kind: 'busy' });
      held.bytes += chunk.length;
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.once('end', () => resolve({ kind: 'body', body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) }));
    request.once('error', () => resolve({ kind: 'aborted' }));
    request.once('close', () => {
      if (!request.complete) resolve({ kind: 'aborted' });
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
  readonly #budget: BufferBudget;
  readonly #connections = new Map<string, number>();
  readonly #overLimit = new WeakSet<Socket>();
  readonly #log: ThrottledLog;
  #listening = false;

  constructor(options: ReceiverOptions) {
    this.#options = options;
    this.#limits = { ...RECEIVER_LIMITS, ...options.limits };
    this.#budget = new BufferBudget(this.#limits.maxBufferedBytes);
    this.#log = new ThrottledLog((line) => console.error(line));
    this.server = http.createServer({ requestTimeout: 30_000, headersTimeout: 15_000, keepAliveTimeout: 65_000 }, (request, response) => {
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
   * Counts connections per client address: one past the cap is answered 503 on its first request
   * and closed. A connection that sends nothing at all is closed after a while: Node's own
   * timeouts only start with the first byte.
   */
  #admit(socket: Socket): void {
    const address = socket.remoteAddress ?? '';
    const count = (this.#connections.get(address) ?? 0) + 1;
    this.#connections.set(address, count);
    if (count > this.#limits.maxConnectionsPerAddress) {
      this.#overLimit.add(socket);
      this.#log.note('connections', `receiver: more than ${this.#limits.maxConnectionsPerAddress} connections from ${address}; refusing the extra ones`);
    }
    const silent = setTimeout(() => {
      if (socket.bytesRead === 0) socket.destroy();
    }, this.#limits.firstByteTimeoutMs);
    silent.unref();
    socket.once('close', () => {
      clearTimeout(silent);
      const left = (this.#connections.get(address) ?? 1) - 1;
      if (left > 0) this.#connections.set(address, left);
      else this.#connections.delete(address);
    });
  }

  /** Refuses without reading the body, and closes the connection so its unread bytes go nowhere. */
  #busy(request: http.IncomingMessage, response: http.ServerResponse, reason: string): void {
    response.once('finish', () => request.socket.destroy());
    send(response, 503, { error: reason }, { 'retry-after': BUSY_RETRY_AFTER_S, connection: 'close' });
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
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Stops accepting connections and waits until every request in progress has been answered. */
  close(): Promise<void> {
    this.#listening = false;
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  async #handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    if (this.#overLimit.has(request.socket)) return this.#busy(request, response, 'too many connections from this address, retry later');
    const url = parseTarget(request.url);
    if (!url) return this.#badTarget(request, response);
    const allowed = KNOWN_PATHS[url.pathname];
    if (!allowed) return this.#notFound(request, response, url.pathname);
    if (!allowed.includes(request.method ?? '')) {
      request.resume();
      return send(response, 405, { error: `method not allowed: use ${allowed.join(' or ')}` }, { allow: allowed.join(', ') });
    }
    if (url.pathname === HEALTH_PATH) {
      // From memory: never waits for a database that may be locked. A store that cannot write is a
      // relay that loses webhooks, so a monitor on this URL must see it; the reason stays private.
      const unhealthy = this.#options.unhealthy?.();
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

    if (declared > 0 && this.#budget.used + declared > this.#budget.max) return this.#overBudget(request, response);
    const held = { bytes: 0 };
    try {
      const read = await readBody(request, BODY_LIMIT_BYTES, this.#budget, held);
      if (read.kind === 'aborted') {
        this.#log.note('aborted', `receiver: a client (${delivery.remoteAddr ?? 'unknown'}) went away before its body was complete`);
        return;
      }
      if (read.kind === 'busy') return this.#overBudget(request, response);
      if (read.kind === 'too-large') {
        delivery.bodySize = read.size;
        response.once('finish', () => request.socket.destroy());
        return await rejectEarly(413, `body too large: over ${BODY_LIMIT_BYTES} bytes`);
      }
      delivery.body = read.body;
      delivery.bodySize = read.body.length;
      let result: WebhookResult;
      if (url.pathname === AUTOMATION_PATH) {
        delivery.source = 'automation';
        result = await this.#options.ingest.automation(delivery, firstHeader(request.headers[AUTOMATION_SECRET_HEADER]) ?? '');
      } else {
        result = await this.#options.ingest.webhook(delivery, firstHeader(request.headers[SIGNATURE_HEADER]));
      }
      send(response, result.statusCode, result.body, result.statusCode === 503 ? { 'retry-after': '30' } : {});
    } finally {
      this.#budget.give(held.bytes);
    }
  }

  #overBudget(request: http.IncomingMessage, response: http.ServerResponse): void {
    this.#log.note('busy', `receiver: over ${this.#budget.max} bytes of request bodies arriving at once; answering 503 until they are through`);
    this.#busy(request, response, 'the relay is busy receiving other requests, retry later');
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
