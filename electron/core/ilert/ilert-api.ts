/**
 * ilert's REST API, with a user API key: validating the configured alert source and reading
 * alerts back (the Events API answers 202 without an id, so reading back is the only way to learn
 * what ilert made of an event), and making and deleting maintenance windows ("also in ilert").
 * Contract: ilert's REST API reference, https://api.ilert.com/api-docs/.
 */
import { z } from 'zod';
import { hideSecrets, maskSecret } from '../secret-mask.ts';
import { keyFingerprint } from './events-client.ts';
import { RateLimiter } from '../http/rate-limiter.ts';
import { HttpApiError, JsonClient, type Failure, type HttpErrorKind } from '../http/json-client.ts';

export const API_TIMEOUT_MS = 10_000;
/** ilert's documented limit per user API key. */
export const USER_KEY_REQUESTS_PER_MINUTE = 120;
/** ilert sends no Retry-After with a 429 and suggests backing off 10–30 s. */
export const RATE_LIMIT_PAUSE_MS = 15_000;
const PAGE_SIZE = 100;
const DEFAULT_MAX_PAGES = 20;

export type IlertAlertStatus = 'PENDING' | 'ACCEPTED' | 'RESOLVED';

export interface AlertSourceInfo {
  id: number;
  name: string;
  integrationType: string;
  integrationUrl?: string;
  active: boolean;
  status?: string;
  escalationPolicy?: { id: number; name: string; routingKey?: string };
}

export interface IlertAlert {
  id: number;
  alertKey?: string;
  summary: string;
  status: IlertAlertStatus;
  reportTime?: string;
  resolvedOn?: string;
  alertSource?: { id: number; name?: string };
  /** The responder who accepted: "firstName lastName", else the username. */
  acceptedBy?: string;
  acceptedAt?: string;
}

export interface ListAlertsFilter {
  states?: IlertAlertStatus[];
  sources?: number[];
  /** Stops after this many pages of 100 even if ilert keeps answering full pages. */
  maxPages?: number;
}

export interface AlertListing {
  alerts: IlertAlert[];
  /**
   * False when an alert may be missing from `alerts` (alerts resolved while paging shift later
   * pages, a page limit was hit, the count could not be checked): absence then proves nothing.
   */
  complete: boolean;
  /** Entries of ilert's answer that could not be read (no id, an unknown status…), left out. */
  skipped: number;
}

export interface IlertApiOptions {
  apiUrl: string;
  apiKey: string;
  timeoutMs?: number;
  requestsPerMinute?: number;
  /** The length of the rolling window `requestsPerMinute` applies to; only tests shorten it. */
  windowMs?: number;
  /** How long every caller with this key holds back after ilert answered 429. */
  rateLimitPauseMs?: number;
  now?: () => number;
}

export type IlertApiErrorKind = HttpErrorKind;

export class IlertApiError extends HttpApiError {
  override readonly name = 'IlertApiError';
}

// ilert counts per key, not per client object: every IlertApi with the same key draws from one budget.
const limiters = new Map<string, RateLimiter>();

function limiterFor(limit: number, windowMs: number): RateLimiter {
  const id = `${limit}/${windowMs}`;
  const limiter = limiters.get(id) ?? new RateLimiter({ limit: () => Math.max(1, limit), windowMs });
  limiters.set(id, limiter);
  return limiter;
}

// Lenient where ilert may add values (integration types, statuses), strict where we rely on a field.
const escalationPolicySchema = z.object({
  id: z.number().int(),
  name: z.string(),
  routingKey: z.string().nullish(),
});

const alertSourceSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  integrationType: z.string(),
  integrationUrl: z.string().nullish(),
  active: z.boolean().nullish(),
  status: z.string().nullish(),
  escalationPolicy: escalationPolicySchema.nullish(),
});

const responderSchema = z.object({
  user: z
    .object({
      id: z.number().nullish(),
      firstName: z.string().nullish(),
      lastName: z.string().nullish(),
      username: z.string().nullish(),
    })
    .nullish(),
  status: z.string().nullish(),
  acceptedAt: z.string().nullish(),
});

// ilert's spec marks every Alert field optional: only id and status are needed to use an alert,
// and an odd detail is dropped rather than sinking the alert (or the whole list).
const lenientText = z.string().nullish().catch(undefined);
const alertSchema = z.object({
  id: z.number().int(),
  summary: z.string().nullish().catch(undefined),
  status: z.enum(['PENDING', 'ACCEPTED', 'RESOLVED']),
  alertKey: lenientText,
  reportTime: lenientText,
  resolvedOn: lenientText,
  alertSource: z.object({ id: z.number().int(), name: z.string().nullish() }).nullish().catch(undefined),
  responders: z.array(responderSchema).nullish().catch(undefined),
});

/**
 * An alert source as it goes into a MaintenanceWindow's `alertSources`: ilert's schema requires
 * name, integrationType and escalationPolicy (with its name and rules) besides the id, so the
 * source is sent back as ilert described it.
 */
const windowSourceSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  integrationType: z.string(),
  escalationPolicy: z
    .looseObject({ name: z.string(), escalationRules: z.array(z.unknown()).nullish() })
    .transform((policy) => ({ ...policy, escalationRules: policy.escalationRules ?? [] })),
});
export type MaintenanceWindowSource = z.infer<typeof windowSourceSchema>;

/** A one-off maintenance window in ilert (OpenAPI schema `MaintenanceWindow`; ilert has no recurrence). */
export interface NewMaintenanceWindow {
  summary: string;
  description?: string | undefined;
  /** ISO date-times; the instants carry their zone, so ilert's `timezone` (an enum of a few zones in its spec) is left out. */
  start: string;
  end: string;
  alertSources: MaintenanceWindowSource[];
}

const alertListSchema = z.array(z.unknown());
const countSchema = z.object({ count: z.number().int().nonnegative() });

function idOf(entry: unknown): number | undefined {
  const id = entry && typeof entry === 'object' ? (entry as { id?: unknown }).id : undefined;
  return typeof id === 'number' && Number.isInteger(id) ? id : undefined;
}

function fieldPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) text += typeof segment === 'number' ? `[${segment}]` : `${text ? '.' : ''}${String(segment)}`;
  return text || '(the whole answer)';
}

function parseAnswer<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue ? fieldPath(issue.path) : '(the whole answer)';
  throw new IlertApiError('bad-answer', `ilert's answer for ${what} does not look like ilert's API: field ${field}: ${issue?.message ?? 'invalid'}`);
}

function toAlertSource(raw: z.infer<typeof alertSourceSchema>): AlertSourceInfo {
  const source: AlertSourceInfo = { id: raw.id, name: raw.name, integrationType: raw.integrationType, active: raw.active ?? true };
  if (raw.integrationUrl) source.integrationUrl = raw.integrationUrl;
  if (raw.status) source.status = raw.status;
  if (raw.escalationPolicy) {
    source.escalationPolicy = { id: raw.escalationPolicy.id, name: raw.escalationPolicy.name };
    if (raw.escalationPolicy.routingKey) source.escalationPolicy.routingKey = raw.escalationPolicy.routingKey;
  }
  return source;
}

function toAlert(raw: z.infer<typeof alertSchema>): IlertAlert {
  const alert: IlertAlert = { id: raw.id, summary: raw.summary ?? '', status: raw.status };
  if (raw.alertKey != null) alert.alertKey = raw.alertKey;
  if (raw.reportTime) alert.reportTime = raw.reportTime;
  if (raw.resolvedOn) alert.resolvedOn = raw.resolvedOn;
  if (raw.alertSource) {
    alert.alertSource = { id: raw.alertSource.id };
    if (raw.alertSource.name) alert.alertSource.name = raw.alertSource.name;
  }
  const accepted = raw.responders?.find((responder) => responder.status === 'ACCEPTED');
  if (accepted) {
    const user = accepted.user;
    const fullName = [user?.firstName, user?.lastName].filter(Boolean).join(' ').trim();
    const name = fullName || user?.username || (user?.id != null ? `user ${user.id}` : undefined);
    if (name) alert.acceptedBy = name;
    if (accepted.acceptedAt) alert.acceptedAt = accepted.acceptedAt;
  }
  return alert;
}

const INTEGRATION_TYPE_NAMES: Record<string, string> = { API: 'API', LEVELIO: 'Level.io' };

/** One line for the setup wizard: “Level alerts” (API source) → escalation policy “MSP on-call”. */
export function describeAlertSource(source: AlertSourceInfo): string {
  const type = INTEGRATION_TYPE_NAMES[source.integrationType] ?? source.integrationType;
  const policy = source.escalationPolicy ? `escalation policy “${source.escalationPolicy.name}”` : 'no escalation policy';
  return `“${source.name}” (${type} source) → ${policy}`;
}

/**
 * The relay sends ilert Events (an API source) or Level's own body (a Level.io source). Any other
 * integration type (Prometheus, email, a heartbeat…) expects other input: ilert may drop or
 * misread what the relay sends, so the wizard warns before the key is saved.
 */
export function integrationTypeWarning(source: Pick<AlertSourceInfo, 'name' | 'integrationType'>): string | undefined {
  if (source.integrationType in INTEGRATION_TYPE_NAMES) return undefined;
  return `“${source.name}” is a ${source.integrationType} alert source, neither API nor Level.io: ilert may ignore or misread the relay’s events. Create an alert source of type API (or use ilert’s Level.io source with pass-through) and use its key.`;
}

/** Why alerts sent to this source would not reach anyone, or undefined when nothing stands in the way. */
export function alertSourceProblem(source: AlertSourceInfo): string | undefined {
  if (source.active === false || source.status === 'DISABLED') {
    return `the alert source “${source.name}” is disabled in ilert: enable it under Alert sources`;
  }
  if (source.status === 'IN_MAINTENANCE') {
    return `the alert source “${source.name}” is in a maintenance window in ilert: until the window ends, Level alerts may not create alerts or notify anyone`;
  }
  return undefined;
}

interface RequestContext {
  /** What the request is about, for messages ("the alert source", "the alert list"). */
  what: string;
  /** The message for a 404, which means "does not exist or not visible to this key". */
  notFound: string;
  /** Other secrets that may appear in the path and must not reach a message. */
  secrets?: string[];
}

export class IlertApi {
  readonly #base: string;
  readonly #timeoutMs: number;
  readonly #pauseMs: number;
  readonly #http: JsonClient<RequestContext>;

  constructor(options: IlertApiOptions) {
    this.#base = options.apiUrl.replace(/\/+$/, '');
    const apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs ?? API_TIMEOUT_MS;
    this.#pauseMs = options.rateLimitPauseMs ?? RATE_LIMIT_PAUSE_MS;
    const now = options.now ?? Date.now;
    const limiter = limiterFor(options.requestsPerMinute ?? USER_KEY_REQUESTS_PER_MINUTE, options.windowMs ?? 60_000);
    const keyId = keyFingerprint(apiKey);
    this.#http = new JsonClient<RequestContext>({
      headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json', 'user-agent': 'level-ilert-relay' },
      timeoutMs: this.#timeoutMs,
      serverStatuses: [408],
      gate: async () => {
        const release = await limiter.acquire(keyId, now);
        return (status) => {
          // Block before the slot is released, so that no waiting caller slips through first.
          if (status === 429) limiter.block(keyId, now() + this.#pauseMs);
          release();
        };
      },
      redact: (text, context) => hideSecrets(text, [apiKey, ...(context.secrets ?? [])], (secret) => maskSecret(secret) ?? '••••'),
      describe: (failure, context) => this.#describe(failure, context),
      createError: (kind, message, details) => new IlertApiError(kind, message, details),
    });
  }

  /** Looks an alert source up by numeric id or by integration key (ilert accepts both on one path). */
  async getAlertSource(idOrIntegrationKey: string): Promise<AlertSourceInfo> {
    const byId = /^\d+$/.test(idOrIntegrationKey);
    const { body: answer } = await this.#get(`/api/alert-sources/${encodeURIComponent(idOrIntegrationKey)}`, undefined, {
      what: 'the alert source',
      notFound: byId
        ? `ilert knows no alert source with id ${idOrIntegrationKey}, or this API key cannot see it (404): check the alert source in ilert under Alert sources`
        : 'ilert knows no alert source with this integration key, or this API key cannot see it (404): check the key in ilert under Alert sources → <source> → Integration key',
      secrets: byId ? [] : [idOrIntegrationKey],
    });
    return toAlertSource(parseAnswer(alertSourceSchema, answer, 'the alert source'));
  }

  /** The alert source with this integration key, as a maintenance window names it. */
  async maintenanceWindowSource(integrationKey: string): Promise<MaintenanceWindowSource> {
    const { body } = await this.#get(`/api/alert-sources/${encodeURIComponent(integrationKey)}`, undefined, {
      what: 'the alert source',
      notFound:
        'ilert knows no alert source with this integration key, or this API key cannot see it (404): check the key in ilert under Alert sources → <source> → Integration key',
      secrets: [integrationKey],
    });
    return parseAnswer(windowSourceSchema, body, 'the alert source');
  }

  /**
   * Creates a one-off maintenance window (POST /api/maintenance-windows) and returns its id: from
   * the answer's body, else from the Location header ilert's reference says it sets.
   */
  async createMaintenanceWindow(window: NewMaintenanceWindow): Promise<number> {
    const body = {
      summary: window.summary,
      ...(window.description ? { description: window.description } : {}),
      start: window.start,
      end: window.end,
      alertSources: window.alertSources,
    };
    const answer = await this.#http.send('POST', `${this.#base}/api/maintenance-windows`, body, {
      what: 'the new maintenance window',
      notFound: 'ilert has no maintenance windows at this address (404): check the ilert API URL (normally https://api.ilert.com)',
    });
    const id = idOf(answer.body) ?? Number(/\/(\d+)\/?$/.exec(answer.headers?.get('location') ?? '')?.[1]);
    if (!Number.isInteger(id)) throw new IlertApiError('bad-answer', 'ilert created the maintenance window but did not say its id: find it in ilert under Maintenance windows');
    return id;
  }

  /** Deletes a maintenance window; false when ilert no longer has it (deleted there already). */
  async deleteMaintenanceWindow(id: number): Promise<boolean> {
    try {
      await this.#http.send('DELETE', `${this.#base}/api/maintenance-windows/${id}`, undefined, {
        what: `maintenance window ${id}`,
        notFound: `ilert has no maintenance window ${id}`,
      });
      return true;
    } catch (error) {
      if (error instanceof IlertApiError && error.kind === 'not-found') return false;
      throw error;
    }
  }

  /**
   * All alerts matching the filter, each once, and whether the listing is known to be complete.
   *
   * ilert pages with start-index only, and an alert resolved while we page shifts every later one
   * back, so one would be skipped. ilert's spec recommends paging within a from/until window of
   * reportTime: the window (closed at ilert's own clock) keeps new alerts out, and the count
   * before and after paging must equal what was listed, else an alert left the list meanwhile.
   * One short first page is a single answer, complete by itself.
   */
  async listAlerts(filter: ListAlertsFilter = {}): Promise<AlertListing> {
    const maxPages = Math.max(1, filter.maxPages ?? DEFAULT_MAX_PAGES);
    const first = await this.#alertPage(filter, 0, undefined);
    if (first.entries.length < PAGE_SIZE) {
      const collected = this.#collect([first.entries]);
      return { alerts: collected.alerts, complete: true, skipped: collected.skipped };
    }
    const before = await this.#countAlerts(filter, undefined);
    const until = before.until;
    const pages: unknown[][] = [];
    const ids = new Set<number>();
    let exhausted = false;
    for (let page = 0; page < maxPages; page++) {
      const { entries } = await this.#alertPage(filter, page, until);
      pages.push(entries);
      let fresh = 0;
      for (const entry of entries) {
        const id = idOf(entry);
        if (id === undefined || !ids.has(id)) fresh++;
        if (id !== undefined) ids.add(id);
      }
      // A full page of nothing new means ilert ignores start-index: asking on would loop forever.
      if (entries.length < PAGE_SIZE || fresh === 0) {
        exhausted = entries.length < PAGE_SIZE;
        break;
      }
    }
    const collected = this.#collect(pages);
    const after = await this.#countAlerts(filter, until).catch(() => undefined);
    const listed = ids.size + pages.flat().filter((entry) => idOf(entry) === undefined).length;
    const complete = exhausted && after !== undefined && before.count === after.count && after.count === listed;
    return { alerts: collected.alerts, complete, skipped: collected.skipped };
  }

  #collect(pages: unknown[][]): { alerts: IlertAlert[]; skipped: number } {
    const byId = new Map<number, IlertAlert>();
    let skipped = 0;
    for (const entry of pages.flat()) {
      const parsed = alertSchema.safeParse(entry);
      if (parsed.success) byId.set(parsed.data.id, toAlert(parsed.data));
      else skipped++;
    }
    return { alerts: [...byId.values()], skipped };
  }

  #alertQuery(filter: ListAlertsFilter, until: string | undefined): URLSearchParams {
    const query = new URLSearchParams();
    for (const state of filter.states ?? []) query.append('states', state);
    for (const source of filter.sources ?? []) query.append('sources', String(source));
    if (until) query.set('until', until);
    return query;
  }

  async #alertPage(filter: ListAlertsFilter, page: number, until: string | undefined): Promise<{ entries: unknown[] }> {
    const query = this.#alertQuery(filter, until);
    query.set('max-results', String(PAGE_SIZE));
    query.set('start-index', String(page * PAGE_SIZE));
    const { body } = await this.#get('/api/alerts', query, {
      what: 'the alert list',
      notFound: 'ilert has no alert list at this address (404): check the ilert API URL (normally https://api.ilert.com)',
    });
    return { entries: parseAnswer(alertListSchema, body, 'the alert list') };
  }

  /** The number of matching alerts; without `until`, also the window's end, at ilert's clock. */
  async #countAlerts(filter: ListAlertsFilter, until: string | undefined): Promise<{ count: number; until: string }> {
    const { body, date } = await this.#get('/api/alerts/count', this.#alertQuery(filter, until), {
      what: 'the alert count',
      notFound: 'ilert has no alert count at this address (404): check the ilert API URL (normally https://api.ilert.com)',
    });
    const { count } = parseAnswer(countSchema, body, 'the alert count');
    // Date has whole seconds: the window ends at the end of that second, so nothing counted is left out.
    const clock = date ?? Date.now();
    return { count, until: until ?? new Date(Math.floor(clock / 1000) * 1000 + 999).toISOString() };
  }

  async #get(path: string, query: URLSearchParams | undefined, context: RequestContext): Promise<{ body: unknown; date: number | undefined }> {
    return this.#http.get(`${this.#base}${path}${query && query.size > 0 ? `?${query}` : ''}`, context);
  }

  #describe(failure: Failure, context: RequestContext): string {
    const { status, code } = failure;
    const said = failure.said ? `: ${failure.said}` : '';
    switch (failure.kind) {
      case 'unauthorized':
        return 'ilert rejected the API key (401): create a user API key in ilert under Profile → API keys and enter it here';
      case 'forbidden':
        return `the ilert API key lacks permission (403${code ? ` ${code}` : ''}): use a user API key of an ilert user who may see the alert source (Profile → API keys), not an integration or heartbeat key`;
      case 'not-found':
        return context.notFound;
      case 'rate-limited':
        return `ilert is rate-limiting this API key (429, ilert allows ${USER_KEY_REQUESTS_PER_MINUTE} requests a minute per user API key): the relay waits ${Math.round(this.#pauseMs / 1000)} s before asking again`;
      case 'server':
        return `ilert could not answer for ${context.what} (${status})${said}: ilert may be having trouble; try again in a few minutes`;
      case 'timeout':
        return `no answer from ilert at ${this.#host()} within ${this.#timeoutMs / 1000} s: check the network connection and the ilert API URL`;
      case 'network':
        return `could not reach ilert at ${this.#host()} (${failure.cause?.code ?? failure.cause?.detail}): check the network connection, proxy and the ilert API URL`;
      case 'bad-answer':
        return failure.bodyStart === undefined
          ? `ilert refused the request for ${context.what} (${status}${code ? ` ${code}` : ''})${said}`
          : `ilert's answer for ${context.what} is not JSON (status ${status}): check the ilert API URL (normally https://api.ilert.com)`;
    }
  }

  #host(): string {
    return URL.canParse(this.#base) ? new URL(this.#base).host : this.#base;
  }
}
