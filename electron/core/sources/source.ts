import { createHash } from 'node:crypto';
import { z } from 'zod';
import { MAX_TEMPLATE_LENGTH, compileBuiltInTemplate, describeParseError, parseTemplate, renderTemplate, type ParsedTemplate } from './template.ts';

/**
 * Sources other than Level (issue 23): Particle's cloud and any service that can post JSON, each on
 * `/webhooks/source/<slug>` with its own authentication, shaped into ilert events by templates in
 * ilert's own template language.
 */

export const SOURCE_KINDS = ['particle', 'json'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** Longest alert key the relay sends; ilert trims longer ones, which could merge two alerts. */
export const ALERT_KEY_LIMIT = 255;
const DETAILS_LIMIT = 20_000;
/**
 * A summary is one line, rendered to at most this; the ingest cuts it to ilert's 255 (see
 * ilert/event-mapping.ts), which this layer, below ilert's, does not import.
 */
export const SUMMARY_RENDER_LIMIT = 1024;
const SECRET_HINT = 'at least 16 characters: generate one with `openssl rand -hex 32`';

// RFC 9110's token: what an HTTP header name may be.
const headerName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, 'must be an HTTP header name like X-Signature')
  .transform((name) => name.toLowerCase())
  .refine(
    (name) => !['authorization', 'host', 'content-length', 'content-type', 'transfer-encoding', 'connection'].includes(name),
    'must be a header of its own, not one HTTP itself uses',
  );

/** HTTP Basic as Particle's webhook `auth: { username, password }` sends it. */
const basicAuthSchema = z.object({
  type: z.literal('basic'),
  username: z
    .string()
    .min(1, 'a username is needed')
    .max(200, 'at most 200 characters')
    .refine((name) => !name.includes(':'), 'HTTP Basic usernames cannot contain ":"'),
  password: z.string().min(16, SECRET_HINT).max(500, 'at most 500 characters'),
});

/** A shared secret in a header, for senders that can set a header but cannot sign. */
const headerAuthSchema = z.object({
  type: z.literal('header'),
  header: headerName,
  secret: z.string().min(16, SECRET_HINT).max(500, 'at most 500 characters'),
});

/** HMAC-SHA256 over the raw body, hex or base64, after an optional prefix such as `sha256=`. */
const hmacAuthSchema = z.object({
  type: z.literal('hmac'),
  header: headerName,
  secret: z.string().min(16, SECRET_HINT).max(500, 'at most 500 characters'),
  prefix: z.string().max(40, 'at most 40 characters').default(''),
});

export const sourceAuthSchema = z.discriminatedUnion('type', [basicAuthSchema, headerAuthSchema, hmacAuthSchema], {
  error: 'authentication must be basic (username and password), header (header and secret) or hmac (header, secret, prefix)',
});
export type SourceAuth = z.output<typeof sourceAuthSchema>;

/** A template is checked where it is saved, so a typo shows up in the form and not at 3 a.m. */
export const checkedTemplate = z
  .string()
  .max(MAX_TEMPLATE_LENGTH, `at most ${MAX_TEMPLATE_LENGTH} characters`)
  .superRefine((source, context) => {
    const parsed = parseTemplate(source);
    if (!parsed.ok)
      context.addIssue({
        code: 'custom',
        message: describeParseError(parsed.error),
        params: { line: parsed.error.line, column: parsed.error.column, offset: parsed.error.offset },
      });
  })
  .optional()
  .or(z.literal('').transform(() => undefined));

/**
 * Each renders against the received JSON. `action` renders to ALERT or RESOLVE (anything else,
 * empty included, ignores the event); `priority` to HIGH or LOW; `eventId` is what makes a resend
 * a duplicate. Left out, the kind's preset applies.
 */
export const sourceTemplatesSchema = z
  .object({
    summary: checkedTemplate,
    details: checkedTemplate,
    alertKey: checkedTemplate,
    priority: checkedTemplate,
    action: checkedTemplate,
    eventId: checkedTemplate,
  })
  .default({});
export type SourceTemplates = z.output<typeof sourceTemplatesSchema>;

/**
 * An ilert target's own summary and details for Level alerts, in the same language (rendered in
 * ilert/level-templates.ts); left out, the relay's default stays.
 */
export const levelTemplatesSchema = z.object({ summary: checkedTemplate, details: checkedTemplate });
export type LevelTemplates = z.output<typeof levelTemplatesSchema>;

export const sourceSchema = z.object({
  name: z.string().trim().min(1, 'a source needs a name').max(60, 'at most 60 characters'),
  /** The last part of `/webhooks/source/<slug>`. */
  slug: z
    .string()
    .trim()
    .regex(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/, 'must be 1 to 40 lower-case letters, digits and dashes, not starting or ending with a dash'),
  kind: z.enum(SOURCE_KINDS, { error: 'kind must be particle or json' }),
  auth: sourceAuthSchema,
  /** An ilert target by name; `default` is the main integration key. */
  target: z.string().trim().min(1).max(60).default('default'),
  /** Particle only: Particle matches webhook event names by prefix, and so does the relay. */
  particle: z
    .object({
      alertEvent: z.string().trim().min(1, 'must not be empty').max(63, 'Particle event names are at most 63 characters').default('ALERT'),
      resolveEvent: z.string().trim().min(1, 'must not be empty').max(63, 'Particle event names are at most 63 characters').default('RESOLVE'),
    })
    .refine(
      ({ alertEvent, resolveEvent }) => !alertEvent.startsWith(resolveEvent) && !resolveEvent.startsWith(alertEvent),
      'neither event name may start with the other, or one event would match both',
    )
    .default({ alertEvent: 'ALERT', resolveEvent: 'RESOLVE' }),
  templates: sourceTemplatesSchema,
  /** When the source was added (ms), so Health waits a while before saying nothing came. */
  addedAt: z.number().int().positive().optional(),
});
export type SourceConfig = z.output<typeof sourceSchema>;
export type SourceInput = z.input<typeof sourceSchema>;

export const sourcesSchema = z
  .array(sourceSchema)
  .max(50, 'at most 50 sources')
  .superRefine((sources, context) => {
    const seen = new Map<string, number>();
    sources.forEach((source, index) => {
      if (seen.has(source.slug))
        context.addIssue({
          code: 'custom',
          path: [index, 'slug'],
          message: `"${source.slug}" is already the path of source ${seen.get(source.slug)! + 1}: each source needs its own`,
        });
      else seen.set(source.slug, index);
    });
  })
  .default([]);

// ---------- presets ----------

/** Particle's default body, as its webhook sends it: https://docs.particle.io/reference/cloud-apis/webhooks/ */
const PARTICLE_SUMMARY = '{{ event }} from Particle device {{ coreid }}{{#data}}: {{ data }}{{/data}}';
const PARTICLE_DETAILS = [
  '- **Event:** {{ event }}',
  '{{#data}}',
  '- **Data:** {{ data }}',
  '{{/data}}',
  '- **Device:** `{{ coreid }}`',
  '{{#published_at}}',
  '- **Published:** {{ published_at }}',
  '{{/published_at}}',
  '{{#fw_version}}',
  '- **Firmware version:** {{ fw_version }}',
  '{{/fw_version}}',
].join('\n');
/** A generic source with no summary template still says where the event came from. */
const JSON_SUMMARY_FALLBACK = 'Event from {{ sourceName }}';

interface Compiled {
  summary: ParsedTemplate;
  details: ParsedTemplate | undefined;
  alertKey: ParsedTemplate | undefined;
  priority: ParsedTemplate | undefined;
  action: ParsedTemplate | undefined;
  eventId: ParsedTemplate | undefined;
}

const compiledPresets = {
  particleSummary: compileBuiltInTemplate(PARTICLE_SUMMARY),
  particleDetails: compileBuiltInTemplate(PARTICLE_DETAILS),
  jsonSummary: compileBuiltInTemplate(JSON_SUMMARY_FALLBACK),
};

/** Parsed once per saved configuration object; the settings hand out the same object until they change. */
const compiledCache = new WeakMap<SourceConfig, Compiled>();

function compile(source: SourceConfig): Compiled {
  let compiled = compiledCache.get(source);
  if (compiled) return compiled;
  const parse = (text: string | undefined) => (text === undefined ? undefined : compileBuiltInTemplate(text));
  const { templates } = source;
  compiled = {
    summary: parse(templates.summary) ?? (source.kind === 'particle' ? compiledPresets.particleSummary : compiledPresets.jsonSummary),
    details: parse(templates.details) ?? (source.kind === 'particle' ? compiledPresets.particleDetails : undefined),
    alertKey: parse(templates.alertKey),
    priority: parse(templates.priority),
    action: parse(templates.action),
    eventId: parse(templates.eventId),
  };
  compiledCache.set(source, compiled);
  return compiled;
}

// ---------- mapping ----------

export interface SourceEvent {
  action: 'alert' | 'resolve';
  /** `<slug>:<key>`: the relay's and ilert's key for the alert. */
  alertKey: string;
  summary: string;
  details: string | undefined;
  priority: 'HIGH' | 'LOW' | undefined;
  occurredAt: string;
  /** Unique per event: a resend with the same id is a duplicate. */
  eventId: string;
  /** What had to be assumed, for the delivery log. */
  notes: string[];
}

/** An event the source sent that is not for ilert (its action said so), kept in the log with why. */
export interface IgnoredEvent {
  action: 'ignore';
  reason: string;
  eventId: string;
}

export type SourceMapping = { ok: true; event: SourceEvent | IgnoredEvent } | { ok: false; reason: string };

export interface ReceivedBody {
  /** The parsed JSON body. */
  body: unknown;
  rawBody: Uint8Array;
  /** ISO time the relay received it. */
  receivedAt: string;
}

const line = (text: string) => text.replace(/\s+/g, ' ').trim();

/** A short quote of what a template gave, for a reason in the log; never splits a character. */
function clip(text: string, limit: number): string {
  const points = Array.from(text.slice(0, limit * 2));
  return points.length > limit ? `${points.slice(0, limit - 1).join('')}…` : points.join('');
}

function particleAction(source: SourceConfig, body: Record<string, unknown>): { action: 'alert' | 'resolve'; rest: string } | { action: 'ignore'; reason: string } {
  const event = typeof body.event === 'string' ? body.event : '';
  const { alertEvent, resolveEvent } = source.particle;
  if (event.startsWith(alertEvent)) return { action: 'alert', rest: event.slice(alertEvent.length) };
  if (event.startsWith(resolveEvent)) return { action: 'resolve', rest: event.slice(resolveEvent.length) };
  return { action: 'ignore', reason: `event "${clip(event, 63)}" starts with neither ${alertEvent} nor ${resolveEvent}` };
}

function renderedAction(text: string): 'alert' | 'resolve' | undefined {
  const value = text.trim().toUpperCase();
  return value === 'ALERT' ? 'alert' : value === 'RESOLVE' ? 'resolve' : undefined;
}

/**
 * Particle's event names "ALERT-temperature" and "RESOLVE-temperature" name one alert: the key is
 * the device and what follows the prefix, so the RESOLVE closes what the ALERT opened.
 */
function particleAlertKey(body: Record<string, unknown>, rest: string): string {
  const device = typeof body.coreid === 'string' ? body.coreid.trim() : '';
  if (!device) return '';
  let start = 0;
  while (start < rest.length && '-_/:. '.includes(rest[start] as string)) start++;
  const topic = rest.slice(start).trim();
  return topic ? `particle:${device}:${topic}` : `particle:${device}`;
}

function validIsoTime(value: unknown): string | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/**
 * From a source's configuration and a received JSON body to what the relay does with it. Pure:
 * the receiver, re-runs and the preview all come through here. A refusal says why in words the
 * delivery log can show.
 */
export function mapSourceEvent(source: SourceConfig, received: ReceivedBody): SourceMapping {
  const { body } = received;
  if (source.kind === 'particle' && (body === null || typeof body !== 'object' || Array.isArray(body))) {
    return { ok: false, reason: "the body is not Particle's webhook JSON object ({event, data, coreid, published_at, …})" };
  }
  const compiled = compile(source);
  // The source's name is there for templates too, e.g. "Event from {{ sourceName }}"; the body wins on a clash.
  const scope = body !== null && typeof body === 'object' && !Array.isArray(body) ? { sourceName: source.name, ...body } : body;
  const render = (parsed: ParsedTemplate, maxLength?: number) => renderTemplate(parsed, scope, maxLength === undefined ? {} : { maxLength });

  const notes: string[] = [];
  const eventId = `source:${source.slug}:${
    compiled.eventId
      ? line(render(compiled.eventId, 200)) || hashOf(received, true)
      : // Particle's body carries its own publish time, so the same bytes are the same event; a
        // generic body may repeat word for word (a script posting "disk full" twice), so its time of arrival counts too.
        hashOf(received, source.kind === 'json')
  }`;

  let action: 'alert' | 'resolve';
  let particleRest = '';
  if (compiled.action) {
    const rendered = render(compiled.action, 100);
    const decided = renderedAction(rendered);
    if (!decided)
      return {
        ok: true,
        event: {
          action: 'ignore',
          reason: rendered.trim() ? `the action template gave "${clip(line(rendered), 40)}", not ALERT or RESOLVE` : 'the action template gave nothing',
          eventId,
        },
      };
    action = decided;
    if (source.kind === 'particle') {
      const prefixed = particleAction(source, body as Record<string, unknown>);
      if (prefixed.action !== 'ignore') particleRest = prefixed.rest;
    }
  } else if (source.kind === 'particle') {
    const decided = particleAction(source, body as Record<string, unknown>);
    if (decided.action === 'ignore') return { ok: true, event: { action: 'ignore', reason: decided.reason, eventId } };
    action = decided.action;
    particleRest = decided.rest;
  } else {
    return { ok: false, reason: 'this source has no action template, so nothing says whether an event is ALERT or RESOLVE' };
  }

  const alertKey = compiled.alertKey
    ? line(render(compiled.alertKey, ALERT_KEY_LIMIT + 1))
    : source.kind === 'particle'
      ? particleAlertKey(body as Record<string, unknown>, particleRest)
      : '';
  if (!alertKey) {
    return {
      ok: false,
      reason: compiled.alertKey
        ? 'the alert key template gave an empty key, so a RESOLVE could not find its ALERT'
        : source.kind === 'particle'
          ? 'the body has no coreid (device id), so there is no alert key'
          : 'this source has no alert key template, so a RESOLVE could not find its ALERT',
    };
  }
  // The slug goes first, so two sources' "ups" are never one alert, in the relay or at ilert.
  const sourceKey = `${source.slug}:${alertKey}`;
  if (sourceKey.length > ALERT_KEY_LIMIT) {
    return { ok: false, reason: `the alert key with the source's slug is longer than ${ALERT_KEY_LIMIT} characters; ilert would cut it and could merge two alerts` };
  }

  const summary = line(render(compiled.summary, SUMMARY_RENDER_LIMIT)) || `Event from ${source.name}`;
  const detailsText = compiled.details ? render(compiled.details, DETAILS_LIMIT).trim() : '';

  let priority: 'HIGH' | 'LOW' | undefined;
  if (compiled.priority) {
    const rendered = line(render(compiled.priority, 40)).toUpperCase();
    if (rendered === 'HIGH' || rendered === 'LOW') priority = rendered;
    else if (rendered) notes.push(`the priority template gave "${clip(rendered, 20)}", not HIGH or LOW: ilert's default priority applies`);
  }

  const bodyRecord = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  let occurredAt = received.receivedAt;
  if (source.kind === 'particle') {
    const published = validIsoTime(bodyRecord.published_at);
    if (published) occurredAt = published;
    else notes.push('no valid published_at in the body: the time of arrival is used');
  }

  return { ok: true, event: { action, alertKey: sourceKey, summary, details: detailsText || undefined, priority, occurredAt, eventId, notes } };
}

function hashOf(received: ReceivedBody, withArrival: boolean): string {
  const hash = createHash('sha256').update(received.rawBody);
  if (withArrival) hash.update(`\n${received.receivedAt}`);
  return hash.digest('hex').slice(0, 32);
}
