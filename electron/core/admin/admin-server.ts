import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type tls from 'node:tls';
import type { Caller, Handlers, PushedEvent } from '../../../shared/contract.ts';
import { callMethod, isMethodName, type AdminDoor } from '../api/handlers.ts';
import { RENDERER_CSP } from '../desktop/app-protocol.ts';
import { BODY_LIMIT_BYTES } from '../receiver/receiver.ts';
import type { TeamDoor } from '../store/team.ts';
import type { TlsMaterial } from './certificate.ts';
import { FailureLimiter } from './failure-limiter.ts';
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

export function isLoopbackHost(host: string): boolean {
  return /^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(host);
}

/** The name people reach the door by: loopback's address, else the first configured name, else this machine's. */
export function doorHostName(host: string, hostNames: readonly string[] = []): string {
  if (isLoopbackHost(host)) return ADMIN_HOST;
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
  readonly #streams = new Set<Stream>();
  readonly #host: string;
  readonly #scheme: 'http' | 'https';
  #port = 0;

  constructor(options: AdminServerOptions) {
    this.#options = options;
    this.#host = options.host ?? ADMIN_HOST;
    this.kind = isLoopbackHost(this.#host) ? 'loopback' : 'remote';
    if (this.kind === 'remote' && !options.tls) throw new Error(`the admin door on ${this.#host} needs a TLS certificate: it never speaks plain HTTP beyond this machine`);
    this.#scheme = options.tls ? 'https' : 'http';
    this.fingerprint256 = options.tls?.fingerprint256;
    this.#owner = options.ownerToken ?? new OwnerToken(undefined);
    const listener = (request: http.IncomingMessage, response: http.ServerResponse) => {
      this.#handle(request, response).catch((error: unknown) => {
        console.error(`admin: ${(error as Error).message}`);
        if (!response.headersSent) this.#json(response, 500, { error: { code: 'internal', message: 'internal error' } });
        else response.destroy();
      });
    };
    if (options.tls) {
      const server = https.createServer({ cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' }, listener);
      server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: tls.TLSSocket) => this.#refusePlainHttp(error, socket));
      this.server = server;
    } else {
      this.server = http.createServer(listener);
    }
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
    for (const stream of this.#streams) stream.response.write(frame);
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
    if (this.kind === 'loopback') return name === '127.0.0.1' || name === 'localhost';
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
      `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Level → ilert Relay</title>` +
      `<body style="font-family:system-ui;max-width:40em;margin:4em auto;padding:0 1em;line-height:1.5"><h1>${title}</h1>${body}</body></html>`;
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

  async #handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const address = request.socket.remoteAddress ?? 'unknown';
    const waitMs = this.#limiter.blockedFor(address);
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      return this.#json(
        response,
        429,
        { error: { code: 'bad_input', message: `too many failed sign-ins from ${address}: try again in ${seconds} s` } },
        { 'retry-after': String(seconds) },
      );
    }
    if (!this.#hostAllowed(request.headers.host)) {
      return this.#json(response, 421, { error: { code: 'bad_input', message: `foreign Host header: open the dashboard through ${this.origin}` } });
    }
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== `${this.#scheme}://${request.headers.host}`) {
      return this.#json(response, 403, { error: { code: 'bad_input', message: 'foreign Origin: requests from other sites are refused' } });
    }
    const url = new URL(request.url ?? '/', `${this.#scheme}://${request.headers.host}`);
    const wantsHtml = (request.headers.accept ?? '').includes('text/html');

    if (url.pathname === '/pair') return this.#pair(request, response, url, address);

    const offered = url.searchParams.get('token');
    if (request.method === 'GET' && offered !== null) {
      if (!this.#authenticate(offered, address)) {
        this.#limiter.fail(address);
        if (url.pathname.startsWith('/api/') || !wantsHtml) {
          return this.#json(response, 401, { error: { code: 'unauthorized', message: 'wrong or revoked access token: open the link the relay printed' } });
        }
        return this.#openTheLinkPage(response, true);
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
      if (presented) this.#limiter.fail(address);
      if (!url.pathname.startsWith('/api/') && wantsHtml) return this.#openTheLinkPage(response, Boolean(presented));
      const message = presented
        ? 'wrong or revoked access token: open the link the relay printed, or ask an admin for a new invitation'
        : 'access token required: open the URL the relay printed (it ends in ?token=…)';
      return this.#json(response, 401, { error: { code: 'unauthorized', message } });
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
          `<form method="post" action="/pair"><label>Pairing code <input name="code" value="${escaped}" autocomplete="off" required></label> ` +
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
      this.#limiter.fail(address);
      const message = 'this pairing code is wrong, already used, revoked or expired: ask an admin for a new invitation';
      if (isForm) return this.#html(response, 401, 'This invitation does not work', `<p>${message}.</p>`);
      return this.#json(response, 401, { error: { code: 'unauthorized', message } });
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
    const result = await callMethod(this.#options.handlers, name, input, caller);
    if (result.ok) this.#json(response, 200, result.value);
    else this.#json(response, result.status, { error: result.error });
  }

  #openStream(request: http.IncomingMessage, response: http.ServerResponse, caller: Caller): void {
    response.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    response.write(': connected\n\n');
    const stream = { response, caller };
    this.#streams.add(stream);
    const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), 25_000);
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
