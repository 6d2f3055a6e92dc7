/**
 * A team relay seen from a technician's tray app: the contract over HTTPS with a personal token,
 * pushed changes over server-sent events, and the relay's self-signed certificate pinned by its
 * SHA-256 fingerprint. Reconnects by itself, and at once when asked (after sleep or a network
 * change); says since when it has been cut off.
 */
import { EventEmitter } from 'node:events';
import type http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { ApiError, MethodName, PushedEvent } from '../../../shared/contract.ts';
import type { CallResult } from '../api/handlers.ts';

const REQUEST_TIMEOUT_MS = 15_000;
const RETRY_DELAYS_MS = [1_000, 2_000, 5_000, 10_000, 30_000];
const TLS_VERIFY_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_SIGNATURE_FAILURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export interface Pin {
  fingerprint256: string;
  /** The certificate itself: trusted as its own CA, so the handshake fails before a byte of the token is sent. */
  certPem: string;
}

export class CertificateChangedError extends Error {
  override readonly name = 'CertificateChangedError';
}

/** The relay's base URL as people type it: https only, no path. */
export function teamRelayOrigin(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new Error(`"${url}" is not a URL: enter the relay's address, like https://relay.example.ts.net:8788`);
  }
  if (parsed.protocol !== 'https:') throw new Error('a team relay is reached over https:// only');
  return parsed.origin;
}

function pemOf(raw: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${raw.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
}

/** The certificate the relay at `origin` presents, before anything is trusted: for the person to compare. */
export function probeCertificate(origin: string, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Pin> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: url.hostname, port: Number(url.port || 443), ...(net.isIP(url.hostname) ? {} : { servername: url.hostname }), rejectUnauthorized: false },
      () => {
        const certificate = socket.getPeerCertificate();
        socket.end();
        if (!certificate?.raw) return reject(new Error('the relay presented no certificate'));
        resolve({ fingerprint256: certificate.fingerprint256, certPem: pemOf(certificate.raw) });
      },
    );
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer from ${origin} within ${timeoutMs / 1000} s`)));
    socket.on('error', (error) => reject(new Error(`cannot reach ${origin}: ${error.message}`)));
  });
}

function requestOptions(origin: string, pin: Pin, path: string, method: string, headers: http.OutgoingHttpHeaders): https.RequestOptions {
  const url = new URL(path, origin);
  return {
    host: url.hostname,
    port: url.port || 443,
    path: url.pathname + url.search,
    method,
    headers: { host: url.host, ...headers },
    ca: pin.certPem,
    // The pin replaces name checks: a self-signed certificate names whatever its relay chose.
    checkServerIdentity: (_host, certificate) => (certificate.fingerprint256 === pin.fingerprint256 ? undefined : new CertificateChangedError('fingerprint mismatch')),
    agent: false,
  };
}

/** Turns a TLS failure into the one message that matters when the certificate is not the pinned one. */
async function explainTlsFailure(origin: string, pin: Pin, error: NodeJS.ErrnoException): Promise<Error> {
  if (!(error instanceof CertificateChangedError) && !TLS_VERIFY_CODES.has(error.code ?? '')) return error;
  let presented = 'another certificate';
  try {
    presented = (await probeCertificate(origin)).fingerprint256;
  } catch {
    // Keep the generic wording.
  }
  return new CertificateChangedError(
    `the team relay's certificate changed (pinned ${pin.fingerprint256}, now ${presented}): refused. ` +
      'If the relay was set up again, connect anew with a new invitation; otherwise someone may be intercepting the connection.',
  );
}

/** One HTTPS request to the pinned relay; the answer's status and parsed JSON body. */
export async function pinnedRequest(origin: string, pin: Pin, path: string, body: unknown, token?: string): Promise<{ status: number; json: unknown }> {
  const text = JSON.stringify(body ?? {});
  try {
    return await new Promise((resolve, reject) => {
      const request = https.request(
        requestOptions(origin, pin, path, 'POST', {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        }),
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            let json: unknown;
            try {
              json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              json = undefined;
            }
            resolve({ status: response.statusCode ?? 0, json });
          });
          response.on('error', reject);
        },
      );
      request.setTimeout(REQUEST_TIMEOUT_MS, () => request.destroy(new Error(`the team relay did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
      request.on('error', reject);
      request.end(text);
    });
  } catch (error) {
    throw await explainTlsFailure(origin, pin, error as NodeJS.ErrnoException);
  }
}

/** Exchanges a pairing code for a personal token at the pinned relay. */
export async function pairWithTeamRelay(origin: string, pin: Pin, code: string): Promise<{ token: string; name: string; role: string }> {
  const { status, json } = await pinnedRequest(origin, pin, '/pair', { code });
  const answer = json as { token?: string; name?: string; role?: string; error?: { message?: string } } | undefined;
  if (status !== 200 || !answer?.token) throw new Error(answer?.error?.message ?? `the relay refused the pairing code (HTTP ${status})`);
  return { token: answer.token, name: answer.name ?? '', role: answer.role ?? 'viewer' };
}

export interface RemoteRelayOptions {
  origin: string;
  pin: Pin;
  token: string;
  retryDelaysMs?: readonly number[];
}

type RemoteEvents = { changes: [PushedEvent<'changes'>]; connection: [] };

export class RemoteRelay {
  readonly origin: string;
  readonly events = new EventEmitter<RemoteEvents>();
  readonly #pin: Pin;
  readonly #token: string;
  readonly #retryDelaysMs: readonly number[];
  #stream: http.ClientRequest | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #connected = false;
  #disconnectedSince: number | undefined = Date.now();
  #lastError: string | undefined;
  #closed = false;

  constructor(options: RemoteRelayOptions) {
    this.origin = options.origin;
    this.#pin = options.pin;
    this.#token = options.token;
    this.#retryDelaysMs = options.retryDelaysMs ?? RETRY_DELAYS_MS;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** When the live stream was lost (or since start, before it first connected); undefined while connected. */
  get disconnectedSince(): number | undefined {
    return this.#disconnectedSince;
  }

  /** For the log's secret masking only. */
  get token(): string {
    return this.#token;
  }

  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Calls a contract method as this technician; the relay checks the role. */
  async call(name: MethodName, input: unknown): Promise<CallResult> {
    let answer: { status: number; json: unknown };
    try {
      answer = await pinnedRequest(this.origin, this.#pin, `/api/${name}`, input, this.#token);
    } catch (error) {
      // Not `unavailable`, which means this app's own relay did not start (the window then offers ways out of that).
      return { ok: false, status: 503, error: { code: 'internal', message: `the team relay at ${this.origin} is not reachable: ${(error as Error).message}` } };
    }
    if (answer.status === 200) return { ok: true, value: answer.json };
    const error = (answer.json as { error?: { code?: string; message?: string } } | undefined)?.error;
    return {
      ok: false,
      status: answer.status,
      error: { code: (error?.code as ApiError['code'] | undefined) ?? 'internal', message: error?.message ?? `${name} failed with HTTP ${answer.status}` },
    };
  }

  start(): void {
    this.#open();
  }

  /** After sleep or a network change: drop whatever is left of the stream and connect again now. */
  reconnectNow(): void {
    if (this.#closed) return;
    clearTimeout(this.#retryTimer);
    this.#stream?.destroy();
    this.#stream = undefined;
    this.#failures = 0;
    this.#open();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#stream?.destroy();
  }

  #setConnected(connected: boolean, error?: string): void {
    if (error) this.#lastError = error;
    if (connected === this.#connected) return;
    this.#connected = connected;
    this.#disconnectedSince = connected ? undefined : Date.now();
    if (connected) this.#lastError = undefined;
    this.events.emit('connection');
  }

  #open(): void {
    if (this.#closed || this.#stream) return;
    const request = https.request(
      requestOptions(this.origin, this.#pin, '/api/events', 'GET', { accept: 'text/event-stream', authorization: `Bearer ${this.#token}` }),
      (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          this.#lost(
            response.statusCode === 401 ? 'the relay no longer accepts this app’s token: it was revoked; connect again with a new invitation' : `HTTP ${response.statusCode}`,
          );
          return;
        }
        this.#failures = 0;
        this.#setConnected(true);
        // Something may have happened while cut off: every UI refetches.
        this.events.emit('changes', { deliveries: [], jobs: [], alerts: [], setup: true });
        let buffer = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            this.#frame(frame);
          }
        });
        response.on('end', () => this.#lost('the relay closed the live connection'));
        response.on('error', (error) => this.#lost(error.message));
      },
    );
    request.on('error', (error) => {
      void explainTlsFailure(this.origin, this.#pin, error).then((explained) => this.#lost(explained.message));
    });
    request.setTimeout(60_000, () => request.destroy(new Error('no keep-alive from the relay for 60 s')));
    request.end();
    this.#stream = request;
  }

  #frame(frame: string): void {
    let event = 'message';
    let data = '';
    for (const line of frame.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data += line.slice(5).trim();
    }
    if (event !== 'changes' || !data) return;
    try {
      this.events.emit('changes', JSON.parse(data) as PushedEvent<'changes'>);
    } catch {
      // A frame we cannot read: the next resync covers it.
    }
  }

  #lost(reason: string): void {
    if (this.#stream === undefined && !this.#connected && this.#retryTimer) return;
    this.#stream?.destroy();
    this.#stream = undefined;
    this.#setConnected(false, reason);
    this.events.emit('connection');
    if (this.#closed) return;
    clearTimeout(this.#retryTimer);
    const delay = this.#retryDelaysMs[Math.min(this.#failures, this.#retryDelaysMs.length - 1)]!;
    this.#failures++;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#open();
    }, delay);
    this.#retryTimer.unref();
  }
}
