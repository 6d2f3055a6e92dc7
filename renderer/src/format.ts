/** Formatting for people reading the dashboard at 3 a.m.: short, unambiguous, local time. */
import type { DeliveryRow, DeliveryStatus, RelayStatusView } from '../../shared/contract.ts';

/** Mirrors of the contract's lists (kept here so the renderer does not bundle zod); checked below. */
export const DELIVERY_STATUSES = ['received', 'accepted', 'duplicate', 'rejected', 'queued', 'retrying', 'sending', 'delivered', 'failed', 'skipped', 'held'] as const;
export const SEVERITY_LEVELS = ['emergency', 'critical', 'warning', 'information'] as const;
export const EVENT_TYPES = ['alert_active', 'alert_resolved', 'device_created', 'device_updated', 'device_deleted', 'group_created', 'group_updated', 'group_deleted'] as const;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const statusesMatchContract: Same<(typeof DELIVERY_STATUSES)[number], DeliveryStatus> = true;
void statusesMatchContract;

const pad = (value: number) => String(value).padStart(2, '0');

export function clock(ms: number): string {
  const date = new Date(ms);
  return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function clockSeconds(ms: number): string {
  const date = new Date(ms);
  return `${clock(ms)}:${pad(date.getSeconds())}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "14:02:11" today, "Nov 21 14:02" before. */
export function shortTime(ms: number, now = Date.now()): string {
  const date = new Date(ms);
  const today = new Date(now);
  if (date.toDateString() === today.toDateString()) return clockSeconds(ms);
  return `${MONTHS[date.getMonth()]} ${date.getDate()} ${clock(ms)}`;
}

/** Full local date and time, for titles. */
export function fullTime(ms: number): string {
  const date = new Date(ms);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${clockSeconds(ms)}`;
}

/** "just now", "12 min", "3 h 5 min", "4 days". */
export function duration(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return days === 1 ? '1 day' : `${days} days`;
}

export function ago(ms: number | undefined, now = Date.now()): string {
  if (ms === undefined) return 'never';
  const text = duration(now - ms);
  return text === 'just now' ? text : `${text} ago`;
}

export function latency(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** How long a queue takes to drain: seconds up to two minutes, then minutes. */
export function drainTime(ms: number): string {
  return ms < 120_000 ? `${Math.max(1, Math.ceil(ms / 1000))} s` : `${Math.ceil(ms / 60_000)} min`;
}

export function parseTime(iso: string | undefined): number | undefined {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString()} ${count === 1 ? one : many}`;
}

export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'muted' | 'busy';

const STATUS_TONES: Record<string, Tone> = {
  received: 'busy',
  accepted: 'ok',
  delivered: 'ok',
  duplicate: 'muted',
  skipped: 'muted',
  rejected: 'bad',
  failed: 'bad',
  queued: 'info',
  sending: 'busy',
  retrying: 'warn',
  held: 'info',
};

export function statusTone(status: string): Tone {
  return STATUS_TONES[status] ?? 'muted';
}

/** What a status badge says: "retrying at 14:05", "rejected: bad signature…". */
export function statusLabel(status: string, nextAttemptAt?: number): string {
  if (status === 'retrying' && nextAttemptAt !== undefined) return `retrying at ${clock(nextAttemptAt)}`;
  return status;
}

export function severityTone(severity: string | undefined): 'critical' | 'warning' | 'information' | 'none' {
  if (severity === 'emergency' || severity === 'critical') return 'critical';
  if (severity === 'warning') return 'warning';
  if (severity === 'information') return 'information';
  return 'none';
}

const SIGNATURE_WORDS: Record<string, string> = {
  valid: 'valid',
  'valid-previous': 'valid with previous secret',
  missing: 'missing (a secret is configured, the request had no signature)',
  invalid: 'invalid (not signed with the configured secret)',
  unsigned: 'unsigned (no secret configured)',
  'not-checked': 'not checked (re-run of a stored delivery)',
  'shared-secret': 'automation secret header matched',
};

/** Why a delivery that did not come through the webhook endpoint has no signature to check. */
const NOT_CHECKED_BECAUSE: Partial<Record<DeliverySource, string>> = {
  reconciled: 'not checked (read from Level’s API, not a webhook)',
  test: 'not checked (made by the setup test)',
  automation: 'not checked (stored automation request)',
  app: 'not checked (made by the relay itself)',
};

export function signatureWords(verdict: string, source?: DeliverySource): string {
  if (verdict === 'not-checked' && source && NOT_CHECKED_BECAUSE[source]) return NOT_CHECKED_BECAUSE[source];
  return SIGNATURE_WORDS[verdict] ?? verdict;
}

export function signatureTone(verdict: string): Tone {
  if (verdict === 'valid' || verdict === 'valid-previous' || verdict === 'shared-secret') return 'ok';
  if (verdict === 'missing' || verdict === 'invalid') return 'bad';
  return 'muted';
}

/** Pretty JSON when the text is JSON, the text itself otherwise. */
export function prettyBody(text: string | undefined): { text: string; json: boolean } {
  if (text === undefined) return { text: '', json: false };
  try {
    return { text: JSON.stringify(JSON.parse(text), null, 2), json: true };
  } catch {
    return { text, json: false };
  }
}

type DeliverySource = DeliveryRow['source'];

/** Where a delivery came from, in a few words for a badge, and in a sentence for the detail pane. */
const SOURCES: Record<DeliverySource, { badge?: string; tone: Tone; words: string }> = {
  webhook: { tone: 'muted', words: 'webhook from Level' },
  rerun: { tone: 'muted', words: 're-run' },
  replay: { badge: 'manual replay', tone: 'info', words: 'edited copy' },
  automation: { badge: 'automation', tone: 'info', words: 'Level automation (HTTP request action)' },
  reconciled: { badge: 'reconciled', tone: 'busy', words: 'reconciliation: found through Level’s API, not by a webhook' },
  test: { badge: 'test', tone: 'warn', words: 'setup test (synthetic, not from Level)' },
  app: { badge: 'Accept in app', tone: 'info', words: 'made by the relay: Accept pressed in the app' },
};

/** The badge a delivery source gets in the list, or undefined for ordinary webhooks and re-runs. */
export function sourceBadge(source: DeliverySource): { label: string; tone: Tone } | undefined {
  const entry = SOURCES[source];
  return entry?.badge ? { label: entry.badge, tone: entry.tone } : undefined;
}

export function sourceWords(source: DeliverySource): string {
  return SOURCES[source]?.words ?? source;
}

/** ilert's own alert states: PENDING pages someone, ACCEPTED is being handled, RESOLVED is over. */
export function ilertStateTone(state: string | undefined): Tone {
  if (state === 'PENDING') return 'bad';
  if (state === 'ACCEPTED') return 'info';
  if (state === 'RESOLVED') return 'ok';
  return 'muted';
}

/** How a group's alerts are routed: its own mapping, an ancestor's, the default target, or not at all. */
export function routeKindTone(kind: 'mapped' | 'inherited' | 'default' | 'skip'): Tone {
  if (kind === 'mapped') return 'ok';
  if (kind === 'inherited') return 'info';
  if (kind === 'skip') return 'warn';
  return 'muted';
}

type Outage = NonNullable<RelayStatusView['outage']>;

/** "4 events delayed, all delivered; 1 pair skipped": what an ilert outage did, in one line. */
export function outageWords(outage: Outage): string {
  const delayed = outage.waiting + outage.delivered + outage.failed;
  const fates =
    outage.waiting === 0 && outage.failed === 0
      ? outage.delivered === 0
        ? ''
        : outage.delivered === 1
          ? ', delivered'
          : ', all delivered'
      : `: ${[outage.delivered && `${outage.delivered} delivered`, outage.failed && `${outage.failed} failed`, outage.waiting && `${outage.waiting} still waiting`]
          .filter(Boolean)
          .join(', ')}`;
  const skipped = outage.skipped ? `${plural(outage.skipped, 'pair')} skipped (resolved before ilert took ${outage.skipped === 1 ? 'it' : 'them'})` : '';
  return [delayed ? `${plural(delayed, 'event')} delayed${fates}` : '', skipped].filter(Boolean).join('; ');
}
