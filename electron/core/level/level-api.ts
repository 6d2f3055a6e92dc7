/**
 * A read-only client for Level's public REST API (https://levelapi.readme.io/, "Level v2 REST API"):
 * groups to build the routing tree, devices to find a device's group, alerts to reconcile what
 * webhooks missed. Every failure is a LevelApiError whose message tells the user what to do.
 */
import { z } from 'zod';
import { SEVERITY_LEVELS, type Severity } from '../../../shared/contract.ts';
import { hideSecrets } from '../secret-mask.ts';
import { HttpApiError, JsonClient, tries, type Failure } from '../http/json-client.ts';

export const DEFAULT_LEVEL_API_URL = 'https://api.level.io/v2';

export class LevelApiError extends HttpApiError {
  override readonly name = 'LevelApiError';
}

export interface LevelGroup {
  id: string;
  name: string;
  parent_id: string | null;
  child_ids?: string[];
  device_count?: number;
  descendent_device_count?: number;
  [field: string]: unknown;
}

/**
 * A device's `operating_system`, present only when asked for with `include_operating_system=true`
 * (Level v2 REST API,
 * https://levelapi.readme.io/openapi/level-v2-rest-api.json): a descriptive name like
 * "Microsoft Windows Server 2022 Standard" plus version parts.
 */
export interface LevelOperatingSystem {
  full_operating_system?: string;
  major_version?: string;
  minor_version?: string;
  architecture?: string;
  install_date?: string;
  end_of_life?: boolean;
  [field: string]: unknown;
}

export interface LevelDevice {
  id: string;
  hostname?: string;
  nickname?: string;
  group_id?: string | null;
  group_name?: string;
  platform?: string;
  operating_system?: LevelOperatingSystem;
  last_logged_in_user?: string;
  online?: boolean;
  /** Level's maintenance mode: on until an automation (or a person) turns it off. */
  maintenance_mode?: boolean | undefined;
  last_seen_at?: string;
  [field: string]: unknown;
}

export interface LevelApiAlert {
  id: string;
  device_id?: string;
  device_hostname?: string;
  name?: string;
  description?: string;
  payload?: unknown;
  severity?: Severity;
  is_resolved?: boolean;
  started_at?: string;
  resolved_at?: string;
  [field: string]: unknown;
}

export interface LevelApiOptions {
  /** Default https://api.level.io/v2. */
  baseUrl?: string;
  apiKey: string;
  /** Per request, including reading the body. Default 15 s. */
  timeoutMs?: number;
  /** The longest Retry-After honoured before a retry. Default 60 s. */
  maxRetryAfterMs?: number;
  /** Retries after a 429, 5xx, network error or timeout. Default 3. */
  maxRetries?: number;
  /** Items per page, 1–100. Default 100. */
  pageLimit?: number;
  /** A listing that needs more pages than this is refused as a runaway. Default 500 (50,000 items at 100 a page). */
  maxPages?: number;
  /** First backoff after a 5xx or network error, doubled per retry. Default 500 ms. */
  retryBaseDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const DEFAULT_RETRY_AFTER_MS = 5_000;

// Level's ids are opaque strings; a number is accepted and kept as text so it can be a cursor and a map key.
const opaqueId = z.union([z.string().trim().min(1), z.number().transform(String)]);
const optionalId = opaqueId.nullish().catch(undefined);
// One odd field must not sink a whole listing: details that do not fit are dropped, not fatal.
const lenient = <T extends z.ZodType>(schema: T) =>
  schema
    .nullish()
    .catch(undefined)
    .transform((value) => value ?? undefined);
const text = lenient(z.string());
const count = lenient(z.number());
const flag = lenient(z.boolean());

const itemSchema = z.looseObject({ id: opaqueId });

const groupSchema = z
  .looseObject({
    id: opaqueId,
    name: text,
    parent_id: optionalId.transform((value) => value ?? null),
    child_ids: lenient(z.array(opaqueId)),
    device_count: count,
    descendent_device_count: count,
  })
  .transform((group): LevelGroup => ({ ...group, name: group.name ?? group.id }));

const deviceSchema = z
  .looseObject({
    id: opaqueId,
    hostname: text,
    nickname: text,
    group_id: optionalId,
    group_name: text,
    platform: text,
    last_logged_in_user: text,
    online: flag,
    maintenance_mode: flag,
    last_seen_at: text,
    operating_system: lenient(z.looseObject({ full_operating_system: text, major_version: text, minor_version: text, architecture: text })),
  })
  .transform((device): LevelDevice => device);

/** Level leaves out the OS (and other details) unless asked; the relay wants it on every ilert event. */
const DEVICE_DETAILS: Record<string, string> = { include_operating_system: 'true' };

/** The OS as Level names it, e.g. "Microsoft Windows 11 Pro"; undefined when Level sent none. */
export function operatingSystemName(device: Pick<LevelDevice, 'operating_system'>): string | undefined {
  const os = device.operating_system;
  const name = typeof os?.full_operating_system === 'string' ? os.full_operating_system.trim() : '';
  return name || undefined;
}

const alertSchema = z
  .looseObject({
    id: opaqueId,
    device_id: optionalId.transform((value) => value ?? undefined),
    device_hostname: text,
    name: text,
    description: text,
    severity: z.unknown().transform((value): Severity | undefined => {
      const lower = typeof value === 'string' ? value.trim().toLowerCase() : '';
      return (SEVERITY_LEVELS as readonly string[]).includes(lower) ? (lower as Severity) : undefined;
    }),
    is_resolved: flag,
    started_at: text,
    resolved_at: text,
  })
  .transform((alert): LevelApiAlert => alert);

const pageSchema = z.looseObject({ data: z.array(z.unknown()), has_more: z.boolean().nullish() });

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'unexpected shape';
  return `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`;
}

export class LevelApi {
  readonly baseUrl: string;
  readonly #pageLimit: number;
  readonly #maxPages: number;
  readonly #http: JsonClient<string>;

  constructor(options: LevelApiOptions) {
    this.baseUrl = (options.baseUrl?.trim() || DEFAULT_LEVEL_API_URL).replace(/\/+$/, '');
    const apiKey = options.apiKey.trim();
    const timeoutMs = options.timeoutMs ?? 15_000;
    this.#pageLimit = Math.min(100, Math.max(1, Math.floor(options.pageLimit ?? 100)));
    this.#maxPages = Math.max(1, options.maxPages ?? 500);
    const redact = (text: string) => hideSecrets(text, [apiKey], '[API key]', 4);
    this.#http = new JsonClient<string>({
      headers: { authorization: apiKey, accept: 'application/json', 'user-agent': 'level-ilert-relay' },
      timeoutMs,
      maxRetries: options.maxRetries ?? 3,
      retryBaseDelayMs: options.retryBaseDelayMs ?? 500,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
      defaultRetryAfterMs: DEFAULT_RETRY_AFTER_MS,
      ...(options.sleep ? { sleep: options.sleep } : {}),
      redact,
      describe: (failure, path) => this.#describe(failure, path, timeoutMs, redact),
      createError: (kind, message, details) => new LevelApiError(kind, message, details),
    });
  }

  /** Every item of a cursor-paginated listing, page by page. Items are only checked for an `id`. */
  list<T = Record<string, unknown> & { id: string }>(path: string, params: Record<string, string> = {}): AsyncGenerator<T> {
    return this.#list(path, params, (item) => itemSchema.parse(item) as T);
  }

  async listGroups(): Promise<LevelGroup[]> {
    return this.#collect('/groups', {}, (item) => groupSchema.parse(item));
  }

  async listDevices(params: { group_id?: string; ancestor_group_id?: string } = {}): Promise<LevelDevice[]> {
    return this.#collect('/devices', { ...params, ...DEVICE_DETAILS }, (item) => deviceSchema.parse(item));
  }

  async listAlerts(status: 'active' | 'resolved', params: { device_id?: string } = {}): Promise<LevelApiAlert[]> {
    return this.#collect('/alerts', { ...params, status }, (item) => alertSchema.parse(item));
  }

  /** undefined when Level no longer has the device (deleted). */
  async getDevice(id: string): Promise<LevelDevice | undefined> {
    return this.#getOne(`/devices/${encodeURIComponent(id)}`, (item) => deviceSchema.parse(item), DEVICE_DETAILS);
  }

  async getGroup(id: string): Promise<LevelGroup | undefined> {
    return this.#getOne(`/groups/${encodeURIComponent(id)}`, (item) => groupSchema.parse(item));
  }

  async getAlert(id: string): Promise<LevelApiAlert | undefined> {
    return this.#getOne(`/alerts/${encodeURIComponent(id)}`, (item) => alertSchema.parse(item));
  }

  /** Level's documented connection test; throws a LevelApiError saying what to fix. */
  async testConnection(): Promise<{ ok: true; checkedAt: number }> {
    const body = await this.#getJson('/groups', { limit: '1' });
    const page = pageSchema.safeParse(body);
    if (!page.success) throw this.#badAnswer('/groups', `it is not a list (${firstIssue(page.error)})`);
    return { ok: true, checkedAt: Date.now() };
  }

  async #collect<T>(path: string, params: Record<string, string>, parse: (item: unknown) => T): Promise<T[]> {
    const items: T[] = [];
    for await (const item of this.#list(path, params, parse)) items.push(item);
    return items;
  }

  async #getOne<T>(path: string, parse: (item: unknown) => T, query: Record<string, string> = {}): Promise<T | undefined> {
    let body: unknown;
    try {
      body = await this.#getJson(path, query);
    } catch (error) {
      if (error instanceof LevelApiError && error.kind === 'not-found') return undefined;
      throw error;
    }
    // Some APIs wrap single objects as {data: {...}}; accept both rather than guess which Level does.
    const candidate = body && typeof body === 'object' && 'data' in body && !('id' in body) ? (body as { data: unknown }).data : body;
    try {
      return parse(candidate);
    } catch (error) {
      throw this.#badAnswer(path, `it is not the expected object (${error instanceof z.ZodError ? firstIssue(error) : String(error)})`);
    }
  }

  async *#list<T>(path: string, params: Record<string, string>, parse: (item: unknown) => T): AsyncGenerator<T> {
    const usedCursors = new Set<string>();
    let cursor: string | undefined;
    let total = 0;
    for (let pageNumber = 1; ; pageNumber += 1) {
      if (pageNumber > this.#maxPages) {
        throw this.#badAnswer(path, `it still said there is more after ${this.#maxPages} pages (${total} items); stopped to avoid an endless listing`);
      }
      const query: Record<string, string> = { ...params, limit: String(this.#pageLimit) };
      if (cursor !== undefined) query.starting_after = cursor;
      const page = pageSchema.safeParse(await this.#getJson(path, query));
      if (!page.success) throw this.#badAnswer(path, `page ${pageNumber} is not a list (${firstIssue(page.error)})`);
      const { data, has_more: hasMore } = page.data;
      let lastId: string | undefined;
      for (const [index, raw] of data.entries()) {
        let item: T;
        try {
          item = parse(raw);
        } catch (error) {
          throw this.#badAnswer(path, `item ${index + 1} of page ${pageNumber} is unusable (${error instanceof z.ZodError ? firstIssue(error) : String(error)})`);
        }
        lastId = (item as { id: string }).id;
        total += 1;
        yield item;
      }
      if (!hasMore) return;
      if (lastId === undefined) {
        throw new LevelApiError('bad-answer', `Level returned an empty page but said there is more (GET ${path}, page ${pageNumber}); stopped instead of asking again`);
      }
      if (usedCursors.has(lastId)) {
        throw new LevelApiError('bad-answer', `Level returned the same page again (GET ${path}, page ${pageNumber} ends at ${lastId} again); stopped instead of looping`);
      }
      usedCursors.add(lastId);
      cursor = lastId;
    }
  }

  #badAnswer(path: string, what: string): LevelApiError {
    return new LevelApiError('bad-answer', `Level’s answer to GET ${path} is unusable: ${what}`);
  }

  /** GETs with retries; resolves with the parsed JSON of a 2xx answer. */
  async #getJson(path: string, query: Record<string, string>): Promise<unknown> {
    let url: URL;
    try {
      url = new URL(`${this.baseUrl}${path}`);
    } catch {
      throw new LevelApiError('network', `the Level API URL “${this.baseUrl}” is not a valid URL (the default is ${DEFAULT_LEVEL_API_URL})`);
    }
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    return (await this.#http.get(url, path)).body;
  }

  #describe(failure: Failure, path: string, timeoutMs: number, redact: (text: string) => string): string {
    const { status, said: text } = failure;
    const said = text ? `: ${text}` : '';
    const after = tries(this.#http.maxRetries + 1);
    switch (failure.kind) {
      case 'unauthorized':
        return `Level rejected the API key (401${said}): create one in Level under Settings → API keys and paste it without “Bearer”`;
      case 'forbidden':
        return `the Level API key is not allowed to read ${path} (403${said}): use a key of this Level organisation; a read-only key is enough`;
      case 'not-found':
        return `Level has no ${path} (404${said}); if this is a listing, check the API URL ${this.baseUrl}`;
      case 'rate-limited':
        return `Level is rate limiting this API key (429${said}) and still did after ${after}; it asks to wait ${Math.ceil((failure.retryAfterMs ?? 0) / 1000)} s`;
      case 'server':
        return `Level’s API failed (${status}${said}) on GET ${path} after ${after}; try again later`;
      case 'timeout':
        return `no answer from Level within ${timeoutMs / 1000} s on GET ${path} (${after})`;
      case 'network':
        return redact(
          `could not reach Level at ${this.baseUrl} (${[failure.cause?.code, failure.cause?.detail].filter(Boolean).join(' ')}) after ${after}: check the internet connection and the API URL`,
        );
      case 'bad-answer':
        return failure.bodyStart === undefined
          ? `Level refused GET ${path} (${status}${said})`
          : this.#badAnswer(path, `it is not JSON (${status}, starts with ${JSON.stringify(failure.bodyStart)})`).message;
    }
  }
}
