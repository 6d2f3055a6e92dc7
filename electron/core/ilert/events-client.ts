import { createHash } from 'node:crypto';
import { maskSecret } from '../secret-mask.ts';
import { exchange, TRANSIENT, type Failure } from '../http/json-client.ts';
import type { IlertEventBody } from './event-mapping.ts';

export const REQUEST_TIMEOUT_MS = 10_000;
const RESPONSE_BODY_LIMIT = 4096;

/** What happened to one POST /api/events, classified for the forwarder. */
export interface EventsResponse {
  url: string;
  requestBody: string;
  statusCode: number | null;
  responseBody: string | null;
  error: string | null;
  latencyMs: number;
  /** delivered: 2xx. config-error: ilert refused the request itself (no retry helps). retry: anything transient. */
  kind: 'delivered' | 'config-error' | 'rate-limited' | 'retry';
  /** True when the request may have reached ilert although no answer came back. */
  maybeDelivered: boolean;
}

export function eventsUrl(apiUrl: string): string {
  return `${apiUrl.replace(/\/+$/, '')}/api/events`;
}

/** A short, stable, non-secret name for an integration key (for rate limiting and logs). */
export function keyFingerprint(integrationKey: string): string {
  return createHash('sha256').update(integrationKey).digest('hex').slice(0, 12);
}

/** What the forwarder does next depends only on this: ilert refused the request itself (no retry helps), or it may pass. */
function kindOf(failure: Failure | undefined): EventsResponse['kind'] {
  if (!failure) return 'delivered';
  if (failure.kind === 'rate-limited') return 'rate-limited';
  return TRANSIENT.has(failure.kind) ? 'retry' : 'config-error';
}

/** Connection refused, no such host: the request cannot have reached ilert. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

function describe(failure: Failure, timeoutMs: number): string {
  if (failure.kind === 'timeout') return `no answer from ilert within ${timeoutMs / 1000} s`;
  if (failure.cause) return `network error: ${failure.cause.code ? `${failure.cause.code} ` : ''}${failure.cause.detail}`.trim();
  return `ilert answered ${failure.status}${failure.said ? `: ${failure.said}` : ''}${failure.code ? ` (${failure.code})` : ''}`;
}

/** Posts one event to ilert's Events API. Never throws: every outcome is a value to record. */
export function postEvent(apiUrl: string, integrationKey: string, body: IlertEventBody, timeoutMs = REQUEST_TIMEOUT_MS): Promise<EventsResponse> {
  const wire = JSON.stringify({ integrationKey, ...body });
  return post(eventsUrl(apiUrl), wire, JSON.stringify({ integrationKey: maskSecret(integrationKey), ...body }), timeoutMs, integrationKey);
}

/**
 * Pass-through: posts Level's original body, byte for byte, to an ilert Level.io alert source's
 * URL. The URL holds the integration key, so the log shows it masked.
 */
export function postLevelBody(url: string, body: Uint8Array, timeoutMs = REQUEST_TIMEOUT_MS): Promise<EventsResponse> {
  return post(url, Uint8Array.from(body), new TextDecoder().decode(body), timeoutMs, URL_KEY.exec(url)?.[1] ?? '', maskUrlKey(url));
}

/** `…/events/levelio/il1abc…` → `…/events/levelio/il1a••••yz`: the last path segment is the key. */
export function maskUrlKey(url: string): string {
  return url.replace(URL_KEY, (_, key: string) => `/${maskSecret(key)}`);
}

const URL_KEY = /\/([^/?#]+)(?=[?#]|$)/;

async function post(url: string, wire: string | Uint8Array<ArrayBuffer>, requestBody: string, timeoutMs: number, secret: string, loggedUrl = url): Promise<EventsResponse> {
  const started = performance.now();
  const { status, text, failure } = await exchange(
    url,
    { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'level-ilert-relay' }, body: wire },
    { timeoutMs, redact: (said) => (secret ? said.replaceAll(secret, maskSecret(secret)!) : said), serverStatuses: [408] },
  );
  const cause = failure?.cause;
  return {
    url: loggedUrl,
    requestBody,
    statusCode: status ?? null,
    responseBody: text.slice(0, RESPONSE_BODY_LIMIT) || null,
    error: failure ? describe(failure, timeoutMs) : null,
    latencyMs: Math.round(performance.now() - started),
    kind: kindOf(failure),
    maybeDelivered: failure?.kind === 'timeout' || (cause !== undefined && !(cause.code && NOT_SENT_CODES.has(cause.code))),
  };
}
