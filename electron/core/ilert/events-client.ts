import { createHash } from 'node:crypto';
import { maskSecret } from '../secret-mask.ts';
import { fetchFailure } from '../http/json-client.ts';
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

/** ilert's error body is `{status, message, code}`; fall back to the raw text. */
function ilertMessage(statusCode: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; code?: unknown };
    if (typeof parsed.message === 'string' && parsed.message) {
      return `ilert answered ${statusCode}: ${parsed.message}${typeof parsed.code === 'string' ? ` (${parsed.code})` : ''}`;
    }
  } catch {
    // not JSON: use the text below
  }
  return `ilert answered ${statusCode}${body.trim() ? `: ${body.trim().slice(0, 200)}` : ''}`;
}

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

function describeNetworkError(error: unknown): { message: string; maybeDelivered: boolean } {
  const { timeout, code, detail } = fetchFailure(error);
  if (timeout) return { message: `no answer from ilert within ${REQUEST_TIMEOUT_MS / 1000} s`, maybeDelivered: true };
  return { message: `network error: ${code ? `${code} ` : ''}${detail}`.trim(), maybeDelivered: !code || !NOT_SENT_CODES.has(code) };
}

export function classifyStatus(statusCode: number): EventsResponse['kind'] {
  if (statusCode >= 200 && statusCode < 300) return 'delivered';
  if (statusCode === 429) return 'rate-limited';
  if (statusCode === 408 || statusCode >= 500) return 'retry';
  return 'config-error';
}

/** Posts one event to ilert's Events API. Never throws: every outcome is a value to record. */
export function postEvent(apiUrl: string, integrationKey: string, body: IlertEventBody, timeoutMs = REQUEST_TIMEOUT_MS): Promise<EventsResponse> {
  const wire = JSON.stringify({ integrationKey, ...body });
  return post(eventsUrl(apiUrl), wire, JSON.stringify({ integrationKey: maskSecret(integrationKey), ...body }), timeoutMs);
}

/**
 * Pass-through: posts Level's original body, byte for byte, to an ilert Level.io alert source's
 * URL. The URL holds the integration key, so the log shows it masked.
 */
export function postLevelBody(url: string, body: Uint8Array, timeoutMs = REQUEST_TIMEOUT_MS): Promise<EventsResponse> {
  return post(url, Uint8Array.from(body), new TextDecoder().decode(body), timeoutMs, maskUrlKey(url));
}

/** `…/events/levelio/il1abc…` → `…/events/levelio/il1a••••yz`: the last path segment is the key. */
export function maskUrlKey(url: string): string {
  return url.replace(/\/([^/?#]+)(?=[?#]|$)/, (_, key: string) => `/${maskSecret(key)}`);
}

async function post(url: string, wire: string | Uint8Array<ArrayBuffer>, requestBody: string, timeoutMs: number, loggedUrl = url): Promise<EventsResponse> {
  const started = performance.now();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'level-ilert-relay' },
      body: wire,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = (await response.text()).slice(0, RESPONSE_BODY_LIMIT);
    const kind = classifyStatus(response.status);
    return {
      url: loggedUrl,
      requestBody,
      statusCode: response.status,
      responseBody: text || null,
      error: kind === 'delivered' ? null : ilertMessage(response.status, text),
      latencyMs: Math.round(performance.now() - started),
      kind,
      maybeDelivered: false,
    };
  } catch (error) {
    const { message, maybeDelivered } = describeNetworkError(error);
    return {
      url: loggedUrl,
      requestBody,
      statusCode: null,
      responseBody: null,
      error: message,
      latencyMs: Math.round(performance.now() - started),
      kind: 'retry',
      maybeDelivered,
    };
  }
}
