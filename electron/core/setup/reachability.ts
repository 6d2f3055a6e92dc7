import { randomBytes } from 'node:crypto';
import { HEALTH_PATH, WEBHOOK_PATH } from '../receiver/receiver.ts';

export interface NormalisedUrl {
  /** The base URL without a trailing slash; the relay's paths go after it. */
  url?: string;
  notes: string[];
  error?: string;
}

export type ReachabilityProblem = 'invalid-url' | 'dns' | 'refused' | 'tls' | 'timeout' | 'http-status' | 'not-relay' | 'other-relay' | 'nonce-mismatch';

export type ReachabilityResult =
  { ok: true; latencyMs: number; checkedUrl: string; notes: string[] } | { ok: false; problem: ReachabilityProblem; message: string; checkedUrl: string };

export interface ReachabilityOptions {
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** The relay's local listener, named in the advice when a proxy cannot reach it. */
  localUrl?: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const HTTPS_NOTE = 'Level only delivers webhooks to https:// URLs: this http:// URL works for a local test, but Level will refuse it';

/**
 * Turns what a technician pasted into the base URL of the relay, explaining every change, because
 * Level posts to exactly what is entered there: a stray space or a doubled path and deliveries fail.
 */
export function normalisePublicUrl(input: string): NormalisedUrl {
  const notes: string[] = [];
  // Zero-width and non-breaking spaces come along when URLs are copied from chats and web pages.
  const trimmed = input.replace(/^[\s\u200B-\u200D\uFEFF]+|[\s\u200B-\u200D\uFEFF]+$/g, '');
  if (trimmed !== input && trimmed) notes.push('removed spaces around the URL');
  if (!trimmed) return { notes, error: 'enter the public URL of the tunnel, e.g. https://relay.example.com' };
  if (/\s/.test(trimmed)) return { notes, error: `"${trimmed}" is not a URL: it contains spaces` };

  let text = trimmed;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    // A bare host name is what cloudflared's dashboard and many guides show.
    if (!/^[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d+)?(?:\/.*)?$/i.test(text)) {
      return { notes, error: `"${trimmed}" is not a URL: paste the tunnel's address, e.g. https://relay.example.com` };
    }
    text = `https://${text}`;
    notes.push('added https:// in front of the host name');
  }

  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { notes, error: `"${trimmed}" is not a URL: paste the tunnel's address, e.g. https://relay.example.com` };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { notes, error: `the URL must start with https:// (Level only delivers over HTTPS), not ${url.protocol}//` };
  }
  if (!url.hostname) return { notes, error: `"${trimmed}" has no host name` };
  if (url.username || url.password) return { notes, error: 'remove the user name and password from the URL: Level signs its deliveries instead' };
  if (url.search || url.hash) {
    notes.push(`removed "${url.search}${url.hash}" from the end of the URL`);
    url.search = '';
    url.hash = '';
  }

  // URL() turns both "https://h" and "https://h/" into the path "/": only the text tells them apart.
  const hadTrailingSlash = /\/$/.test(text.replace(/[?#].*$/, ''));
  let pathname = url.pathname.replace(/\/+$/, '');
  if (pathname.toLowerCase().endsWith(WEBHOOK_PATH)) {
    pathname = pathname.slice(0, -WEBHOOK_PATH.length).replace(/\/+$/, '');
    notes.push(`removed ${WEBHOOK_PATH} from the end: this is the base URL, the webhook URL for Level is this plus ${WEBHOOK_PATH}`);
  } else if (hadTrailingSlash) {
    notes.push('removed the trailing slash');
  }
  if (url.protocol === 'http:') notes.push(HTTPS_NOTE);
  return { url: `${url.origin}${pathname}`, notes };
}

/** Every error code in an error, its causes and, for happy-eyeballs connects, its sub-errors. */
function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown) => {
    if (!value || typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    const { code, name, cause, errors } = value as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string') codes.push(code);
    if (name === 'TimeoutError' || name === 'AbortError') codes.push(name);
    visit(cause);
    if (Array.isArray(errors)) errors.forEach(visit);
  };
  visit(error);
  return codes;
}

/** The innermost message: undici's own is just "fetch failed". */
function deepestMessage(error: unknown): string {
  let current = error as { message?: string; cause?: unknown } | undefined;
  let message = String(current?.message ?? error);
  while (current?.cause && typeof current.cause === 'object') {
    current = current.cause as { message?: string; cause?: unknown };
    if (current.message) message = current.message;
  }
  return message;
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_NODATA', 'EAI_FAIL']);
const TIMEOUT_CODES = new Set(['TimeoutError', 'AbortError', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function isTlsCode(code: string): boolean {
  return /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(?:VERIFY|GET)|HOSTNAME_MISMATCH|ERR_TLS/i.test(code);
}

function proxyAdvice(localUrl: string | undefined): string {
  if (!localUrl) return 'is it pointed at the port the relay listens on?';
  try {
    const local = new URL(localUrl);
    return `is it pointed at ${local.host}?`;
  } catch {
    return 'is it pointed at the port the relay listens on?';
  }
}

/** The relay's own admin door answers without a token (401) or for a foreign Host (421) in its own words. */
function isAdminDoor(status: number, text: string): boolean {
  return (status === 401 || status === 403 || status === 421) && /the (?:link|URL) the relay printed|open the dashboard through|foreign Host header/.test(text);
}

function statusMessage(status: number, location: string | null, options: ReachabilityOptions, text = ''): string {
  if (isAdminDoor(status, text)) {
    return `that is the relay's dashboard port, not its receiver: point the tunnel or proxy at the receiver (${options.localUrl ?? 'the port in “receiver listening at” when the relay starts'}) and paste the tunnel's public URL`;
  }
  if (status >= 300 && status < 400) {
    return `the URL answers with a redirect (HTTP ${status}${location ? ` to ${location}` : ''}) — Level does not follow redirects: enter the final URL, and make sure the tunnel or proxy forwards to the relay instead of redirecting`;
  }
  if (status === 404) {
    return 'the URL answers, but with HTTP 404 — something other than this relay is at this address, or the proxy does not forward this path to the relay';
  }
  if (status === 401 || status === 403) {
    return `the URL answers, but with HTTP ${status} — an access policy (e.g. Cloudflare Access, a firewall or proxy login) blocks it: Level cannot log in, so the webhook path must be open`;
  }
  if (status === 502 || status === 503 || status === 504 || status === 521 || status === 522 || status === 523 || status === 530) {
    return `the URL answers, but with HTTP ${status} — the tunnel or proxy cannot reach the relay on this machine (${proxyAdvice(options.localUrl)})`;
  }
  return `the URL answers, but with HTTP ${status} instead of this relay's health check — check that the tunnel or proxy forwards to the relay (${proxyAdvice(options.localUrl)})`;
}

function isThisRelay(text: string, nonce: string, instanceId: string): boolean {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    return body.nonce === nonce && body.relay === instanceId;
  } catch {
    return false;
  }
}

/**
 * Proves that `publicUrl` reaches this very relay: asks its health check to echo a fresh nonce and
 * compares the relay id in the answer with ours, so another relay or a cache cannot pass for it.
 */
export async function checkReachability(publicUrl: string, expectedInstanceId: string, options: ReachabilityOptions = {}): Promise<ReachabilityResult> {
  const normalised = normalisePublicUrl(publicUrl);
  if (!normalised.url) return { ok: false, problem: 'invalid-url', message: normalised.error ?? 'not a URL', checkedUrl: publicUrl };
  const checkedUrl = `${normalised.url}${HEALTH_PATH}`;
  const fail = (problem: ReachabilityProblem, message: string): ReachabilityResult => ({ ok: false, problem, message, checkedUrl });
  const host = new URL(normalised.url).hostname;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const nonce = randomBytes(18).toString('base64url');

  const started = performance.now();
  let response: Response;
  let text: string;
  try {
    response = await (options.fetch ?? fetch)(`${checkedUrl}?nonce=${nonce}`, {
      cache: 'no-store',
      redirect: 'manual',
      headers: { accept: 'application/json', 'cache-control': 'no-cache' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    const codes = errorCodes(error);
    if (codes.some((code) => TIMEOUT_CODES.has(code))) {
      return fail(
        'timeout',
        `no answer from ${host} within ${timeoutMs / 1000} s — the tunnel may be starting or stuck, or a firewall drops the connection; try again, then restart the tunnel`,
      );
    }
    if (codes.some((code) => DNS_CODES.has(code))) {
      return fail('dns', `the host name ${host} does not resolve: is the tunnel running and the URL copied completely?`);
    }
    if (codes.includes('ECONNREFUSED')) {
      return fail('refused', `${host} refuses the connection: nothing listens at this address and port — is the tunnel or proxy running, and is the port in the URL right?`);
    }
    const tlsCode = codes.find(isTlsCode);
    if (tlsCode === 'ERR_SSL_WRONG_VERSION_NUMBER' || tlsCode === 'EPROTO') {
      return fail(
        'tls',
        `${host} does not speak HTTPS at this address and port — the port may be the relay's plain http:// listener: Level needs the tunnel's or proxy's https:// URL`,
      );
    }
    if (tlsCode) {
      return fail(
        'tls',
        `the HTTPS certificate of ${host} is not accepted (${tlsCode}) — Level will refuse it too: use a tunnel or proxy with a valid certificate for this host name`,
      );
    }
    if (codes.includes('ECONNRESET') || codes.includes('UND_ERR_SOCKET')) {
      return fail('refused', `${host} accepted the connection and closed it without answering — the tunnel or proxy may be misconfigured (${proxyAdvice(options.localUrl)})`);
    }
    const said = deepestMessage(error);
    if (said === 'bad port') {
      // fetch refuses ports that belong to other protocols (SMTP, IRC…): Level and browsers would too.
      return fail(
        'refused',
        `port ${new URL(normalised.url).port} is reserved for another kind of service, so nothing (Level included) will call it over HTTP: use the tunnel's https:// URL, or another port`,
      );
    }
    return fail('refused', `could not connect to ${host}: ${said}`);
  }
  const latencyMs = Math.round(performance.now() - started);

  // This very relay answering 503 is reached all the same: it is the relay that is unwell (its
  // store cannot write), not the way to it, and the Health page says why.
  if (response.status === 503 && isThisRelay(text, nonce, expectedInstanceId)) {
    return { ok: true, latencyMs, checkedUrl, notes: [...normalised.notes, 'the relay answers, but reports itself unhealthy right now: see Health'] };
  }
  if (response.status !== 200) return fail('http-status', statusMessage(response.status, response.headers.get('location'), options, text));

  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const health = body && typeof body === 'object' ? (body as Record<string, unknown>) : undefined;
  if (health?.status !== 'ok' || typeof health.relay !== 'string') {
    return fail(
      'not-relay',
      `the URL answers with HTTP 200, but not as this relay — another web server or service is at this address: point the tunnel or proxy at the relay (${proxyAdvice(options.localUrl)})`,
    );
  }
  // Stale first: a cached answer says nothing about which relay is behind the URL now.
  if (health.nonce !== nonce) {
    return fail(
      'nonce-mismatch',
      "the answer is an old, cached one (it does not echo this check) — a CDN or proxy caches responses for this host: turn caching off for it, or Level's deliveries may never reach the relay",
    );
  }
  if (health.relay !== expectedInstanceId) {
    return fail(
      'other-relay',
      'another relay answers at this URL, not this one — the tunnel or proxy points at a different machine or relay: stop the other relay or point the tunnel at this machine',
    );
  }
  return { ok: true, latencyMs, checkedUrl, notes: normalised.notes };
}
