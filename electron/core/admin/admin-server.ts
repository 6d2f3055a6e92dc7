import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Handlers, PushedEvent } from '../../../shared/contract.ts';
import { callMethod, isMethodName } from '../api/handlers.ts';
import { RENDERER_CSP } from '../desktop/app-protocol.ts';

export const ADMIN_HOST = '127.0.0.1';
const COOKIE = 'relay_admin';
const API_BODY_LIMIT = 256 * 1024;

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

export interface AdminServerOptions {
  handlers: Handlers;
  /** The built renderer (dist/renderer); the dashboard is served from here. */
  rendererDir: string;
  token?: string;
}

/**
 * The admin door: dashboard, API and pushed events, on loopback only. It needs the access token
 * (from the printed URL, then an HttpOnly SameSite=Strict cookie, or a Bearer header) and refuses
 * foreign Host headers (DNS rebinding) and foreign Origins (CSRF).
 */
export class AdminServer {
  readonly token: string;
  readonly server: http.Server;
  readonly #options: AdminServerOptions;
  readonly #streams = new Set<http.ServerResponse>();
  #port = 0;

  constructor(options: AdminServerOptions) {
    this.#options = options;
    this.token = options.token ?? randomBytes(32).toString('hex');
    this.server = http.createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        console.error(`admin: ${(error as Error).message}`);
        if (!response.headersSent) this.#json(response, 500, { error: { code: 'internal', message: 'internal error' } });
        else response.destroy();
      });
    });
  }

  listen(port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, ADMIN_HOST, () => {
        this.server.off('error', reject);
        const address = this.server.address() as AddressInfo;
        this.#port = address.port;
        resolve(address);
      });
    });
  }

  /** The ready-to-open dashboard URL with the token, like Jupyter's. */
  get url(): string {
    return `http://${ADMIN_HOST}:${this.#port}/?token=${this.token}`;
  }

  push(changes: PushedEvent<'changes'>): void {
    const frame = `event: changes\ndata: ${JSON.stringify(changes)}\n\n`;
    for (const stream of this.#streams) stream.write(frame);
  }

  close(): Promise<void> {
    for (const stream of this.#streams) stream.end();
    this.#streams.clear();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  #allowedOrigins(): string[] {
    return [`http://127.0.0.1:${this.#port}`, `http://localhost:${this.#port}`];
  }

  #tokenMatches(candidate: string | undefined): boolean {
    if (!candidate) return false;
    const given = Buffer.from(candidate);
    const expected = Buffer.from(this.token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  #authenticated(request: http.IncomingMessage): boolean {
    const bearer = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
    const cookie = (request.headers.cookie ?? '')
      .split(';')
      .map((part) => part.trim().split('='))
      .find(([name]) => name === COOKIE)?.[1];
    return this.#tokenMatches(bearer) || this.#tokenMatches(cookie);
  }

  #json(response: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
    const text = JSON.stringify(body);
    response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text), ...headers });
    response.end(text);
  }

  async #handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const allowedHosts = [`127.0.0.1:${this.#port}`, `localhost:${this.#port}`];
    if (!allowedHosts.includes(request.headers.host ?? '')) {
      return this.#json(response, 421, { error: { code: 'bad_input', message: 'foreign Host header: open the dashboard through 127.0.0.1' } });
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !this.#allowedOrigins().includes(origin)) {
      return this.#json(response, 403, { error: { code: 'bad_input', message: 'foreign Origin: requests from other sites are refused' } });
    }
    const url = new URL(request.url ?? '/', `http://${request.headers.host}`);

    const offered = url.searchParams.get('token');
    if (request.method === 'GET' && offered !== null) {
      if (!this.#tokenMatches(offered)) return this.#json(response, 401, { error: { code: 'bad_input', message: 'wrong access token: use the URL the relay printed' } });
      url.searchParams.delete('token');
      response.writeHead(303, {
        ...SECURITY_HEADERS,
        location: `${url.pathname}${url.search}`,
        'set-cookie': `${COOKIE}=${this.token}; HttpOnly; SameSite=Strict; Path=/`,
        'cache-control': 'no-store',
      });
      response.end();
      return;
    }
    if (!this.#authenticated(request)) {
      const message = 'access token required: open the URL the relay printed (it ends in ?token=…)';
      if (!url.pathname.startsWith('/api/') && (request.headers.accept ?? '').includes('text/html')) {
        response.writeHead(401, { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        response.end(
          '<!doctype html><meta charset="utf-8"><title>Level → ilert Relay</title>' +
            '<body style="font-family:system-ui;max-width:40em;margin:4em auto;line-height:1.5"><h1>Open the link the relay printed</h1>' +
            '<p>This dashboard needs its access token. Find the line <code>dashboard (this machine only): http://127.0.0.1:…/?token=…</code> ' +
            'in the output of <code>npm run serve</code> and open that link.</p></body>',
        );
        return;
      }
      return this.#json(response, 401, { error: { code: 'bad_input', message } });
    }

    if (url.pathname === '/api/events') return this.#openStream(request, response);
    if (url.pathname.startsWith('/api/')) return this.#api(request, response, url.pathname.slice('/api/'.length));
    return this.#static(request, response, url.pathname);
  }

  async #api(request: http.IncomingMessage, response: http.ServerResponse, name: string): Promise<void> {
    if (request.method !== 'POST') return this.#json(response, 405, { error: { code: 'bad_input', message: 'use POST' } }, { allow: 'POST' });
    if (!isMethodName(name)) return this.#json(response, 404, { error: { code: 'not_found', message: `no method ${name}` } });
    if (!/^application\/json\b/.test(request.headers['content-type'] ?? '')) {
      return this.#json(response, 415, { error: { code: 'bad_input', message: 'send application/json' } });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > API_BODY_LIMIT) return this.#json(response, 413, { error: { code: 'bad_input', message: 'request too large' } }, { connection: 'close' });
      chunks.push(chunk);
    }
    let input: unknown;
    try {
      input = size === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return this.#json(response, 400, { error: { code: 'bad_input', message: 'the request body is not valid JSON' } });
    }
    const result = await callMethod(this.#options.handlers, name, input);
    if (result.ok) this.#json(response, 200, result.value);
    else this.#json(response, result.status, { error: result.error });
  }

  #openStream(request: http.IncomingMessage, response: http.ServerResponse): void {
    response.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    response.write(': connected\n\n');
    this.#streams.add(response);
    const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), 25_000);
    keepAlive.unref();
    request.on('close', () => {
      clearInterval(keepAlive);
      this.#streams.delete(response);
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
          const text = 'The dashboard is not built yet: run `npm run build`, then reload.';
          response.writeHead(503, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
          response.end(text);
          return;
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
