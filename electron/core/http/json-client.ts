/**
 * The one way the core GETs JSON from a REST API (Level's, ilert's): timeout, retries with
 * Retry-After or backoff, status → error kind, redaction of what the service said. Each service
 * only supplies its headers and the wording of each failure, so the rules live here once.
 */

export type HttpErrorKind = 'unauthorized' | 'forbidden' | 'not-found' | 'rate-limited' | 'server' | 'network' | 'timeout' | 'bad-answer';

export class HttpApiError extends Error {
  readonly kind: HttpErrorKind;
  readonly status?: number;
  /** For 'rate-limited': how long the service last asked us to wait, when it said. */
  readonly retryAfterMs?: number;

  constructor(kind: HttpErrorKind, message: string, details: { status?: number; retryAfterMs?: number } = {}) {
    super(message);
    this.kind = kind;
    if (details.status !== undefined) this.status = details.status;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
  }
}

/** What went wrong, before a service puts it in words. */
export interface Failure {
  kind: HttpErrorKind;
  status?: number;
  /** The service's own explanation (`message`/`error` of a JSON body, else the text), redacted, short. */
  said: string;
  /** A machine code from the error body (ilert's `code`), or ''. */
  code: string;
  retryAfterMs?: number;
  /** For 'network': the system's error code and its redacted detail. */
  cause?: { code?: string; detail: string };
  /** For a 2xx that is not JSON: the start of the body. */
  bodyStart?: string;
}

export interface JsonClientOptions<Context> {
  headers: Record<string, string>;
  /** Per try, including reading the body. */
  timeoutMs: number;
  /** Hides the secrets that might appear in what the service or the system says. */
  redact: (text: string, context: Context) => string;
  /** The message of the error thrown for a failure (after the last try). */
  describe: (failure: Failure, context: Context) => string;
  /** Builds the service's own error class, so callers can keep telling services apart. */
  createError: (kind: HttpErrorKind, message: string, details: { status?: number; retryAfterMs?: number }) => HttpApiError;
  /** Retries after a 429, 5xx, network error or timeout. Default 0. */
  maxRetries?: number;
  /** First backoff when the service did not say how long to wait, doubled per retry. */
  retryBaseDelayMs?: number;
  /** The longest Retry-After honoured before a retry. */
  maxRetryAfterMs?: number;
  /** Assumed for a 429 without a readable Retry-After. */
  defaultRetryAfterMs?: number;
  /** Statuses besides 5xx that mean "the service is struggling" (ilert: 408). */
  serverStatuses?: number[];
  /** Taken before each try and released with the status after it (a per-key rate limit). */
  gate?: () => Promise<(status: number | undefined) => void>;
  sleep?: (ms: number) => Promise<void>;
}

/** Seconds or an HTTP date, per RFC 9110; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** How a fetch failed: no answer in time, or the system's error code and message. */
function fetchFailure(error: unknown): { timeout: boolean; code?: string; detail: string } {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  return { timeout: err.name === 'TimeoutError' || err.name === 'AbortError', code: err.cause?.code, detail: err.cause?.message ?? err.message };
}

export const tries = (count: number) => (count === 1 ? '1 try' : `${count} tries`);

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Attempt = { ok: true; body: unknown; date: number | undefined; headers?: Headers | undefined } | { ok: false; failure: Failure; retry: boolean };

/** What one request came to: the answer (when there was one) and, unless it was a 2xx, what went wrong. */
export interface Exchange {
  status?: number;
  text: string;
  headers?: Headers;
  failure?: Failure;
}

export type ExchangeOptions = Pick<JsonClientOptions<never>, 'timeoutMs' | 'serverStatuses' | 'defaultRetryAfterMs'> & { redact: (text: string) => string };

/** Failures worth another try: the service is busy or struggling, or the answer never came. */
export const TRANSIENT: ReadonlySet<HttpErrorKind> = new Set(['rate-limited', 'server', 'network', 'timeout']);

/**
 * Sends one request and classifies its outcome: the one place an HTTP status (or a network error)
 * becomes an error kind. Never throws.
 */
export async function exchange(url: URL | string, init: RequestInit, options: ExchangeOptions): Promise<Exchange> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(options.timeoutMs) });
    text = await response.text();
  } catch (error) {
    const { timeout, code, detail } = fetchFailure(error);
    return { text: '', failure: timeout ? { kind: 'timeout', said: '', code: '' } : { kind: 'network', said: '', code: '', cause: { code, detail: options.redact(detail) } } };
  }
  const { status, headers } = response;
  if (status >= 200 && status < 300) return { status, text, headers };
  const failure: Failure = { kind: 'bad-answer', status, ...whatTheySaid(text, options.redact) };
  if (status === 401) failure.kind = 'unauthorized';
  else if (status === 403) failure.kind = 'forbidden';
  else if (status === 404) failure.kind = 'not-found';
  else if (status === 429) {
    failure.kind = 'rate-limited';
    const retryAfterMs = parseRetryAfter(headers.get('retry-after')) ?? options.defaultRetryAfterMs;
    if (retryAfterMs !== undefined) failure.retryAfterMs = retryAfterMs;
  } else if (status >= 500 || options.serverStatuses?.includes(status)) failure.kind = 'server';
  return { status, text, headers, failure };
}

/** `{"error"|"message": "...", "code": "..."}` or a short start of any other body; never echoes a secret. */
function whatTheySaid(text: string, redact: (text: string) => string): { said: string; code: string } {
  let said = text.trim();
  let code = '';
  try {
    const parsed = JSON.parse(text) as { error?: unknown; message?: unknown; code?: unknown };
    if (typeof parsed.error === 'string') said = parsed.error;
    else if (typeof parsed.message === 'string') said = parsed.message;
    if (typeof parsed.code === 'string') code = parsed.code;
  } catch {
    // not JSON: the text itself, shortened
  }
  return { said: redact(said.replace(/\s+/g, ' ').slice(0, 200)), code };
}

export class JsonClient<Context> {
  readonly #options: JsonClientOptions<Context>;
  readonly maxRetries: number;

  constructor(options: JsonClientOptions<Context>) {
    this.#options = options;
    this.maxRetries = Math.max(0, options.maxRetries ?? 0);
  }

  /** Resolves with the parsed JSON of a 2xx answer and its Date header (the service's clock). */
  async get(url: URL | string, context: Context): Promise<{ body: unknown; date: number | undefined }> {
    const options = this.#options;
    for (let attempt = 0; ; attempt += 1) {
      const result = await this.#attempt(url, context);
      if (result.ok) return result;
      const { failure } = result;
      if (!result.retry || attempt >= this.maxRetries) {
        throw options.createError(failure.kind, options.describe(failure, context), { status: failure.status, retryAfterMs: failure.retryAfterMs });
      }
      const delay =
        failure.retryAfterMs !== undefined ? Math.min(failure.retryAfterMs, options.maxRetryAfterMs ?? Number.POSITIVE_INFINITY) : (options.retryBaseDelayMs ?? 500) * 2 ** attempt;
      await (options.sleep ?? defaultSleep)(delay);
    }
  }

  /**
   * A write (POST, PUT, DELETE) with an optional JSON body: one try, never retried, since a request
   * that timed out may have been done and a second one would do it twice. Resolves with the parsed
   * JSON of a 2xx answer (undefined for an empty one, e.g. 204) and its headers.
   */
  async send(method: 'POST' | 'PUT' | 'DELETE', url: URL | string, body: unknown, context: Context): Promise<{ body: unknown; headers: Headers | undefined }> {
    const init: RequestInit =
      body === undefined
        ? { method, headers: this.#options.headers }
        : { method, headers: { ...this.#options.headers, 'content-type': 'application/json' }, body: JSON.stringify(body) };
    const result = await this.#attempt(url, context, init);
    if (!result.ok) {
      const { failure } = result;
      throw this.#options.createError(failure.kind, this.#options.describe(failure, context), { status: failure.status, retryAfterMs: failure.retryAfterMs });
    }
    return { body: result.body, headers: result.headers };
  }

  async #attempt(url: URL | string, context: Context, init: RequestInit = { headers: this.#options.headers }): Promise<Attempt> {
    const options = this.#options;
    const release = await options.gate?.();
    const redact = (text: string) => options.redact(text, context);
    const { status, text, headers, failure } = await exchange(url, init, { ...options, redact });
    // Released only after the answer is read, so a 429 can hold back every waiting caller first.
    release?.(status);
    if (failure) return { ok: false, retry: TRANSIENT.has(failure.kind), failure };
    const dated = Date.parse(headers?.get('date') ?? '');
    if (init.method && init.method !== 'GET' && text.trim() === '') return { ok: true, body: undefined, date: Number.isFinite(dated) ? dated : undefined, headers };
    try {
      return { ok: true, body: JSON.parse(text) as unknown, date: Number.isFinite(dated) ? dated : undefined, headers };
    } catch {
      return { ok: false, retry: false, failure: { kind: 'bad-answer', status, said: '', code: '', bodyStart: text.slice(0, 60) } };
    }
  }
}
