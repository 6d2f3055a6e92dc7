import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type tls from 'node:tls';
import type { Caller, Diagnosis, Handlers, PushedEvent } from '../../../shared/contract.ts';
import { callMethod, isMethodName, type AdminDoor } from '../api/handlers.ts';
import { RENDERER_CSP } from '../desktop/app-protocol.ts';
import { consoleLogger, type Logger } from '../logger.ts';
import { BODY_LIMIT_BYTES } from '../receiver/receiver.ts';
import type { TeamDoor } from '../store/team.ts';
import type { TlsMaterial } from './certificate.ts';
import { ConnectionGuard, defaultDoorLimits, type DoorLimits } from './door-limits.ts';
import { FailureAuditBudget, FailureLimiter } from './failure-limiter.ts';
import { OwnerToken } from './owner-token.ts';

export const ADMIN_HOST = '127.0.0.1';
const COOKIE = 'relay_admin';
// Room for a replayed webhook body up to the receiver's limit, JSON-escaped inside the request.
const API_BODY_LIMIT = 3 * BODY_LIMIT_BYTES;
const PAIR_BODY_LIMIT = 4 * 1024;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const SECURITY_HEADERS = {
  'content-security-policy': RENDERER_CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** The door's own pages (pairing, "open the link") post only to themselves and run no script. */
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** The door's own pages look like the dashboard (its colours, light and dark), in a few lines of inline CSS. */
const PAGE_STYLE = [
  ':root{--bg:#eef1f5;--surface:#fff;--text:#17202c;--muted:#5b6675;--border:#b9c1cc;--accent:#1d5fd0;--accent-text:#fff;--focus:#2b6fff;color-scheme:light}',
  '@media (prefers-color-scheme:dark){:root{--bg:#0f141b;--surface:#161d27;--text:#e4e9f0;--muted:#9aa6b6;--border:#3a4658;--accent:#4c8dff;--accent-text:#0b1220;--focus:#7aa9ff;color-scheme:dark}}',
  'body{margin:0;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}',
  'main{max-width:36em;margin:4em auto;padding:1.5em 2em;background:var(--surface);border:1px solid var(--border);border-radius:8px}',
  '.brand{margin:0;color:var(--muted);font-weight:600}h1{font-size:1.4em;margin:.3em 0 .6em}',
  'label{display:block;font-weight:600}input{display:block;width:100%;box-sizing:border-box;margin:.3em 0 1em;padding:.5em;font:1.1em ui-monospace,monospace;letter-spacing:.05em;color:var(--text);background:var(--bg);border:1px solid var(--border);border-radius:6px}',
  'button{padding:.6em 1.2em;font:inherit;font-weight:600;color:var(--accent-text);background:var(--accent);border:0;border-radius:6px;cursor:pointer}',
  ':focus-visible{outline:3px solid var(--focus);outline-offset:2px}code{font-family:ui-monospace,monospace;overflow-wrap:anywhere}',
  '@media (max-width:600px){main{margin:0;border:0;border-radius:0;padding:1em}}',
].join('');

export function isLoopbackHost(host: string): boolean {
  return /^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(host);
}

/**
 * The name people reach the door by: on loopback, what it listens on (127.0.0.2 is as much this
 * machine as 127.0.0.1, but only the address asked for answers); else the first configured name,
 * else the address, else this machine's name.
 */
export function doorHostName(host: string, hostNames: readonly string[] = []): string {
  if (isLoopbackHost(host)) return net.isIPv6(host) ? `[${host}]` : host;
  if (hostNames[0]) return hostNames[0];
  if (host !== '0.0.0.0' && host !== '::') return net.isIPv6(host) ? `[${host}]` : host;
  return os.hostname();
}

export interface AdminServerOptions {
  handlers: Handlers;
  /** The built renderer (dist/renderer); the dashboard is served from here. */
  rendererDir: string;
  /** Members and their tokens; without it only the owner's token opens the door. */
  team?: TeamDoor;
  /** Kept in the data directory by the headless relay; a fixed or fresh one in tests. */
  ownerToken?: OwnerToken;
  /** The address to listen on; anything but loopback needs `tls`. */
  host?: string;
  /** More names the door answers to besides IP addresses, localhost and this machine's name. */
  hostNames?: readonly string[];
  tls?: TlsMaterial;
  /** What anyone may hold of the door; the defaults suit every relay, tests set them low. */
  limits?: Partial<DoorLimits>;
  /** Where the door logs (the host's log, named for the door); a door opened on its own (a test) logs to the console. */
  log?: Logger;
}

interface Stream {
  response: http.ServerResponse;
  caller: Caller;
}

/**
 * The admin door: dashboard, API and pushed events. On loopback by default; opened beyond it
 * (a team's relay) it speaks HTTPS only. Every request needs a token — the owner's (the printed
 * link) or a member's (from pairing) — sent as a Bearer header or the HttpOnly SameSite=Strict
 * cookie the link sets. Foreign Host headers (DNS rebinding) and foreign Origins (CSRF) are
 * refused, and an address that keeps failing to authenticate is shut out for a while.
 */
export class AdminServer implements AdminDoor {
  readonly server: http.Server | https.Server;
  readonly kind: 'loopback' | 'remote';
  readonly fingerprint256: string | undefined;
  readonly #options: AdminServerOptions;
  readonly #owner: OwnerToken;
  readonly #limiter = new FailureLimiter();
  readonly #failureAudit = new FailureAuditBudget();
  readonly #streams = new Set<Stream>();
  readonly #guard: ConnectionGuard;
  readonly #host: string;
  readonly #scheme: 'http' | 'https';
  readonly #log: Logger;
  #port = 0;

  constructor(options: AdminServerOptions) {
    this.#options = options;
    this.#host = options.host ?? ADMIN_HOST;
    this.kind = isLoopbackHost(this.#host) ? 'loopback' : 'remote';
    if (this.kind === 'remote' && !options.tls) throw new Error(`the admin door on ${this.#host} needs a TLS certificate: it never speaks plain HTTP beyond this machine`);
    this.#scheme = options.tls ? 'https' : 'http';
    this.fingerprint256 = options.tls?.fingerprint256;
    this.#owner = options.ownerToken ?? new OwnerToken(undefined);
    this.#log = options.log ?? consoleLogger().child('admin door');
    this.#guard = new ConnectionGuard({ ...defaultDoorLimits(), ...options.limits }, this.#log);
    const listener = (request: http.IncomingMessage, response: http.ServerResponse) => {
      this.#guard.requested(request.socket);
      this.#handle(request, response).catch((error: unknown) => {
        this.#log.error((error as Error).message);
        if (!response.headersSent) this.#json(response, 500, { error: { code: 'internal', message: 'internal error' } });
        else response.destroy();
      });
    };
    // Node's header timeout counts from a request's first byte; the guard covers the silence before it.
    const timeouts = { headersTimeout: 15_000, requestTimeout: 30_000 };
    const firstRequestMs = this.#guard.limits.firstRequestTimeoutMs;
    if (options.tls) {
      const server = https.createServer({ cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2', handshakeTimeout: firstRequestMs, ...timeouts }, listener);
      server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: tls.TLSSocket) => this.#refusePlainHttp(error, socket));
      server.on('secureConnection', (socket: tls.TLSSocket) => this.#guard.awaitRequest(socket));
      this.server = server;
    } else {
      this.server = http.createServer(timeouts, listener);
      this.server.on('connection', (socket: net.Socket) => this.#guard.awaitRequest(socket));
    }
    // Before the TLS server's own listener: a refused connection costs no handshake.
    this.server.prependListener('connection', (socket: net.Socket) => this.#guard.admit(socket));
  }

  /** The Health page's findings about the door itself: saturated by connections it had to refuse. */
  diagnoses(now = Date.now()): Diagnosis[] {
    return this.#guard.diagnoses(now);
  }

  /** Connections the door holds right now, whatever they are doing. */
  get openConnections(): number {
    return this.#guard.openConnections;
  }

  /**
   * OpenSSL recognises a plain HTTP request on the TLS port (ERR_SSL_HTTP_REQUEST); it is answered
   * in plain text on the raw socket beneath the TLS one, so a person who typed http:// reads why.
   */
  #refusePlainHttp(error: NodeJS.ErrnoException, tlsSocket: tls.TLSSocket): void {
    const raw = (tlsSocket as tls.TLSSocket & { _parent?: net.Socket })._parent;
    if (error.code !== 'ERR_SSL_HTTP_REQUEST' || !raw || raw.destroyed) return;
    const text = `This relay's admin door speaks HTTPS only: open https://${this.#displayHost()}:${this.#port}/\n`;
    raw.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
  }

  listen(port: number): Promise<net.AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, this.#host, () => {
        this.server.off('error', reject);
        const address = this.server.address() as net.AddressInfo;
        this.#port = address.port;
        resolve(address);
      });
    });
  }

  get token(): string {
    return this.#owner.value;
  }

  get origin(): string {
    return `${this.#scheme}://${this.#displayHost()}:${this.#port}`;
  }

  /** The ready-to-open dashboard URL with the owner's token, like Jupyter's. */
  get url(): string {
    return this.adminUrl();
  }

  adminUrl(): string {
    return `${this.origin}/?token=${this.#owner.value}`;
  }

  pairingUrl(code: string): string {
    return `${this.origin}/pair?code=${encodeURIComponent(code)}`;
  }

  rotateAdminToken(): string {
    this.#owner.rotate();
    this.#endStreams((caller) => caller.memberId === undefined);
    return this.adminUrl();
  }

  revoked(memberId: number): void {
    this.#endStreams((caller) => caller.memberId === memberId);
  }

  push(changes: PushedEvent<'changes'>): void {
    const frame = `event: changes\ndata: ${JSON.stringify(changes)}\n\n`;
    for (const stream of this.#streams) this.#write(stream, frame);
  }

  /**
   * Writes to a live stream unless its reader has stopped reading: then whatever is queued for it
   * passes the bound, and the stream is dropped, its memory with it (EventSource reconnects and
   * the dashboard refetches).
   */
  #write(stream: Stream, frame: string): void {
    if (stream.response.writableLength + Buffer.byteLength(frame) > this.#guard.limits.maxStreamBufferBytes) {
      this.#streams.delete(stream);
      stream.response.destroy();
      return;
    }
    stream.response.write(frame);
  }

  close(): Promise<void> {
    this.#endStreams(() => true);
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  #endStreams(which: (caller: Caller) => boolean): void {
    for (const stream of [...this.#streams]) {
      if (!which(stream.caller)) continue;
      this.#streams.delete(stream);
      stream.response.end();
    }
  }

  #displayHost(): string {
    return doorHostName(this.#host, this.#options.hostNames);
  }

  /** DNS rebinding needs a name the attacker controls; IP literals and the names we were given are safe. */
  #hostAllowed(hostHeader: string | undefined): boolean {
    if (!hostHeader) return false;
    let parsed: URL;
    try {
      parsed = new URL(`http://${hostHeader}`);
    } catch {
      return false;
    }
    if (parsed.port !== String(this.#port) || parsed.pathname !== '/' || parsed.username) return false;
    const name = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (this.kind === 'loopback') return name === 'localhost' || name === doorHostName(this.#host).replace(/^\[|\]$/g, '');
    const names = [...(this.#options.hostNames ?? []), this.#host, os.hostname(), 'localhost'].map((entry) => entry.toLowerCase());
    return net.isIP(name) !== 0 || names.includes(name);
  }

  #authenticate(token: string | undefined, address: string): Caller | undefined {
    if (!token) return undefined;
    if (this.#owner.matches(token)) return { name: 'owner', role: 'admin' };
    return this.#options.team?.authenticate(token, address);
  }

  #json(response: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
    this.#send(response, status, 'application/json; charset=utf-8', JSON.stringify(body), headers);
  }

  #send(response: http.ServerResponse, status: number, contentType: string, text: string, headers: http.OutgoingHttpHeaders): void {
    response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text), ...headers });
    response.end(text);
  }

  #html(response: http.ServerResponse, status: number, title: string, body: string, headers: http.OutgoingHttpHeaders = {}): void {
    const text =
      `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title} · Level → ilert Relay</title>` +
      `<style>${PAGE_STYLE}</style><body><main><p class="brand"><span aria-hidden="true">⇄</span> Level → ilert Relay</p><h1>${title}</h1>${body}</main></body></html>`;
    // Chrome sends `Origin: null` with a form posted from a no-referrer page, which the Origin check would refuse.
    this.#send(response, status, 'text/html; charset=utf-8', text, { 'content-security-policy': PAGE_CSP, 'referrer-policy': 'same-origin', ...headers });
  }

  /**
   * The page for a missing, stale or revoked token, whether a tab reloads or an old link is opened fresh.
   * `presented`: whether the browser offered a token at all; one that never had one was not "rotated".
   */
  #openTheLinkPage(response: http.ServerResponse, presented: boolean): void {
    const where =
      this.kind === 'remote'
        ? '<p>This dashboard needs a personal access token. Ask an admin of this relay for an invitation and open its pairing link, ' +
          'or, as the relay’s owner, open the admin link the relay printed when it started.</p>'
        : '<p>This dashboard needs its access token. Find the line <code>dashboard (this machine only): http://127.0.0.1:…/?token=…</code> ' +
          'in the output of <code>npm run serve</code> and open that link.</p>';
    this.#html(
      response,
      401,
      'Open the link the relay printed',
      `${where}<p>${presented ? 'The link you used is no longer valid: its token was rotated or revoked.' : 'This browser has no access token for this relay yet.'} ` +
        '<code>npm run serve -- --print-url</code> prints the current admin link on the relay’s machine.</p>',
    );
  }

  #cookie(token: string): string {
    return `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/${this.#scheme === 'https' ? '; Secure' : ''}`;
  }

  /**
   * Counts a failed sign-in (a wrong, revoked or guessed token or pairing code) and answers it:
   * 401 as `unauthorized` says, or 429 while the address is locked out. Only failing attempts are
   * limited; the first failure of an address in a window and each lock-out leave one audit row.
   */
  #failedSignIn(address: string, what: string, unauthorized: () => void, response: http.ServerResponse): void {
    const waitMs = this.#limiter.blockedFor(address);
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      return this.#json(
        response,
        429,
        { error: { code: 'rate_limited', message: `too many failed sign-ins from ${address}: try again in ${seconds} s (valid tokens still work)` } },
        { 'retry-after': String(seconds) },
      );
    }
    const outcome = this.#limiter.fail(address);
    if (outcome !== 'counted') {
      const budget = this.#failureAudit.take();
      if (budget.ok) {
        const limiter = this.#limiter;
        const detail =
          outcome === 'locked-out'
            ? `${address} locked out for ${limiter.blockMs / 1000} s after more than ${limiter.limit} failed sign-ins in ${limiter.windowMs / 1000} s; its valid tokens still work`
            : `${what} from ${address}; further failures from it in the next ${limiter.windowMs / 1000} s are counted, not listed`;
        const leftOut =
          budget.leftOut > 0 ? ` (${budget.leftOut} more such ${budget.leftOut === 1 ? 'row was' : 'rows were'} left out to keep strangers from filling the audit)` : '';
        this.#options.team?.recordSoon({ name: `not signed in (${address})`, role: 'viewer' }, outcome === 'locked-out' ? 'lock-out' : 'sign-in-failed', detail + leftOut);
      }
    }
    unauthorized();
  }

  async #handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const address = request.socket.remoteAddress ?? 'unknown';
    if (!this.#hostAllowed(request.headers.host)) {
      return this.#json(response, 421, { error: { code: 'bad_input', message: `foreign Host header: open the dashboard through ${this.origin}` } });
    }
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== `${this.#scheme}://${request.headers.host}`) {
      return this.#json(response, 403, { error: { code: 'forbidden', message: 'foreign Origin: requests from other sites are refused' } });
    }
    const url = new URL(request.url ?? '/', `${this.#scheme}://${request.headers.host}`);
    const wantsHtml = (request.headers.accept ?? '').includes('text/html');

    if (url.pathname === '/pair') return this.#pair(request, response, url, address);

    const offered = url.searchParams.get('token');
    if (request.method === 'GET' && offered !== null) {
      if (!this.#authenticate(offered, address)) {
        return this.#failedSignIn(
          address,
          'a wrong or revoked token in a link',
          () =>
            url.pathname.startsWith('/api/') || !wantsHtml
              ? this.#json(response, 401, { error: { code: 'unauthorized', message: 'wrong or revoked access token: open the link the relay printed' } })
              : this.#openTheLinkPage(response, true),
          response,
        );
      }
      url.searchParams.delete('token');
      response.writeHead(303, { ...SECURITY_HEADERS, location: `${url.pathname}${url.search}`, 'set-cookie': this.#cookie(offered), 'cache-control': 'no-store' });
      response.end();
      return;
    }

    const bearer = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
    const cookie = (request.headers.cookie ?? '')
      .split(';')
      .map((part) => part.trim().split('='))
      .find(([name]) => name === COOKIE)?.[1];
    const presented = bearer ?? cookie;
    const caller = this.#authenticate(presented, address);
    if (!caller) {
      const unauthorized = () => {
        if (!url.pathname.startsWith('/api/') && wantsHtml) return this.#openTheLinkPage(response, Boolean(presented));
        const message = presented
          ? 'wrong or revoked access token: open the link the relay printed, or ask an admin for a new invitation'
          : 'access token required: open the URL the relay printed (it ends in ?token=…)';
        this.#json(response, 401, { error: { code: 'unauthorized', message } });
      };
      // No token at all is not a guess: it gets the way in, not a lock-out.
      if (!presented) return unauthorized();
      return this.#failedSignIn(address, 'a wrong or revoked token', unauthorized, response);
    }

    if (url.pathname === '/api/events') return this.#openStream(request, response, caller);
    if (url.pathname.startsWith('/api/')) return this.#api(request, response, url.pathname.slice('/api/'.length), caller);
    return this.#static(request, response, url.pathname);
  }

  async #readBody(request: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) return undefined;
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }

  /**
   * Pairing needs no token: a single-use code becomes a personal one. A GET shows a page with a
   * button rather than pairing at once, so a link preview or prefetch cannot use up the code.
   */
  async #pair(request: http.IncomingMessage, response: http.ServerResponse, url: URL, address: string): Promise<void> {
    if (request.method === 'GET') {
      const code = url.searchParams.get('code') ?? '';
      const escaped = code.replace(/[^A-Za-z0-9-]/g, '');
      return this.#html(
        response,
        200,
        'Pair this browser with the relay',
        '<p>This invitation gives this browser its own access token. It works once and expires 24 hours after it was made.</p>' +
          `<form method="post" action="/pair"><label for="code">Pairing code</label><input id="code" name="code" value="${escaped}" autocomplete="off" autocapitalize="characters" spellcheck="false" required>` +
          '<button type="submit">Pair and open the dashboard</button></form>',
      );
    }
    if (request.method !== 'POST') return this.#json(response, 405, { error: { code: 'bad_input', message: 'use POST' } }, { allow: 'GET, POST' });
    const type = request.headers['content-type'] ?? '';
    const isForm = /^application\/x-www-form-urlencoded\b/.test(type);
    if (!isForm && !/^application\/json\b/.test(type)) return this.#json(response, 415, { error: { code: 'bad_input', message: 'send application/json: {"code": "…"}' } });
    const body = await this.#readBody(request, PAIR_BODY_LIMIT);
    if (!body) return this.#json(response, 413, { error: { code: 'bad_input', message: 'request too large' } }, { connection: 'close' });
    let code: unknown;
    if (isForm) code = new URLSearchParams(body.toString('utf8')).get('code');
    else {
      try {
        code = (JSON.parse(body.toString('utf8')) as { code?: unknown } | null)?.code;
      } catch {
        return this.#json(response, 400, { error: { code: 'bad_input', message: 'the request body is not valid JSON' } });
      }
    }
    if (typeof code !== 'string' || code.length === 0 || code.length > 100) {
      return this.#json(response, 400, { error: { code: 'bad_input', message: 'send {"code": "…"} with the pairing code from the invitation' } });
    }
    const paired = this.#options.team?.pair(code, address);
    if (!paired) {
      const message = 'this pairing code is wrong, already used, revoked or expired: ask an admin for a new invitation';
      return this.#failedSignIn(
        address,
        'a wrong, used or expired pairing code',
        () => (isForm ? this.#html(response, 401, 'This invitation does not work', `<p>${message}.</p>`) : this.#json(response, 401, { error: { code: 'unauthorized', message } })),
        response,
      );
    }
    if (isForm) {
      response.writeHead(303, { ...SECURITY_HEADERS, location: '/', 'set-cookie': this.#cookie(paired.token), 'cache-control': 'no-store' });
      response.end();
      return;
    }
    this.#json(response, 200, { token: paired.token, name: paired.member.name, role: paired.member.role });
  }

  async #api(request: http.IncomingMessage, response: http.ServerResponse, name: string, caller: Caller): Promise<void> {
    if (request.method !== 'POST') return this.#json(response, 405, { error: { code: 'bad_input', message: 'use POST' } }, { allow: 'POST' });
    if (!isMethodName(name)) return this.#json(response, 404, { error: { code: 'not_found', message: `no method ${name}` } });
    if (!/^application\/json\b/.test(request.headers['content-type'] ?? '')) {
      return this.#json(response, 415, { error: { code: 'bad_input', message: 'send application/json' } });
    }
    const body = await this.#readBody(request, API_BODY_LIMIT);
    if (!body) return this.#json(response, 413, { error: { code: 'bad_input', message: 'request too large' } }, { connection: 'close' });
    let input: unknown;
    try {
      input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      return this.#json(response, 400, { error: { code: 'bad_input', message: 'the request body is not valid JSON' } });
    }
    const result = await callMethod(this.#options.handlers, name, input, caller, this.#log.child('api'));
    if (result.ok) this.#json(response, 200, result.value);
    else this.#json(response, result.status, { error: result.error });
  }

  #openStream(request: http.IncomingMessage, response: http.ServerResponse, caller: Caller): void {
    const mine = [...this.#streams].filter((stream) => stream.caller.memberId === caller.memberId).length;
    const most = this.#guard.limits.maxStreamsPerCaller;
    if (mine >= most) {
      return this.#json(
        response,
        429,
        { error: { code: 'rate_limited', message: `${caller.name} has ${mine} live-update streams open, the most one person may: close some dashboard tabs` } },
        { 'retry-after': '30' },
      );
    }
    response.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    response.write(': connected\n\n');
    const stream = { response, caller };
    this.#streams.add(stream);
    const keepAlive = setInterval(() => this.#write(stream, ': keep-alive\n\n'), 25_000);
    keepAlive.unref();
    request.on('close', () => {
      clearInterval(keepAlive);
      this.#streams.delete(stream);
    });
  }

  #static(request: http.IncomingMessage, response: http.ServerResponse, pathname: string): void {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return this.#json(response, 405, { error: { code: 'bad_input', message: 'use GET' } }, { allow: 'GET, HEAD' });
    }
    const root = path.resolve(this.#options.rendererDir);
    let relative: string;
    try {
      relative = decodeURIComponent(pathname === '/' ? '/index.html' : pathname);
    } catch {
      return this.#json(response, 400, { error: { code: 'bad_input', message: 'bad path' } });
    }
    const file = path.resolve(root, `.${relative}`);
    if (relative.includes('\0') || (file !== root && !file.startsWith(root + path.sep))) {
      return this.#json(response, 404, { error: { code: 'not_found', message: 'not found' } });
    }
    fs.readFile(file, (error, content) => {
      if (error) {
        if (pathname === '/' || pathname === '/index.html') {
          return this.#send(response, 503, 'text/plain; charset=utf-8', 'The dashboard is not built yet: run `npm run build`, then reload.', {});
        }
        return this.#json(response, 404, { error: { code: 'not_found', message: 'not found' } });
      }
      response.writeHead(200, {
        ...SECURITY_HEADERS,
        'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
        'cache-control': relative.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
      response.end(request.method === 'HEAD' ? undefined : content);
    });
  }
}
