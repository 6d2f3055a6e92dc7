/**
 * Sends webhooks the way Level's webhook settings describe (https://docs.level.io): POST with a JSON body, signed with
 * `X-Level-Signature: sha256=HMAC(secret, raw body)`, and on a non-2xx answer or a connection error
 * retried — 3 attempts in total, the same body and event_id each time. Level waits about 2 minutes
 * plus 1–60 s of jitter between attempts; tests replace that wait with `beforeRetry`.
 */
import { randomUUID } from 'node:crypto';
import { sign } from '../../electron/core/level/signature.ts';

export interface SendOutcome {
  eventId: string;
  attempts: { status: number | null; body: string; error?: string }[];
  /** True when some attempt got a 2xx: Level considers the event delivered. */
  acknowledged: boolean;
}

export interface LevelSenderOptions {
  url: string;
  secret?: string | undefined;
  attempts?: number;
  /** Waits between attempts; Level's own wait is about 2 minutes plus jitter. */
  beforeRetry?: () => Promise<void>;
}

let sequence = 0;

export function alertEvent(
  overrides: {
    eventType?: 'alert_active' | 'alert_resolved';
    alertId?: string;
    eventId?: string;
    occurredAt?: string;
    severity?: string;
    name?: string;
    hostname?: string;
  } = {},
) {
  sequence++;
  const eventType = overrides.eventType ?? 'alert_active';
  const resolved = eventType === 'alert_resolved';
  const occurredAt = overrides.occurredAt ?? new Date().toISOString();
  return {
    event_type: eventType,
    event_id: overrides.eventId ?? randomUUID(),
    occurred_at: occurredAt,
    data: {
      id: overrides.alertId ?? `alert-${process.pid}-${sequence}`,
      device_id: 'dev-204',
      device_hostname: overrides.hostname ?? 'FRONTDESK-01',
      name: overrides.name ?? 'Low disk space',
      description: 'Free space on C: below 5%',
      payload: '4.3% remaining',
      severity: overrides.severity ?? 'critical',
      is_resolved: resolved,
      started_at: '2026-03-13T18:29:41Z',
      resolved_at: resolved ? occurredAt : null,
    },
  };
}

export class LevelSender {
  readonly #options: Required<Omit<LevelSenderOptions, 'secret'>> & { secret?: string | undefined };

  constructor(options: LevelSenderOptions) {
    this.#options = { attempts: 3, beforeRetry: () => new Promise((resolve) => setTimeout(resolve, 120_000 + 1_000 + Math.random() * 59_000)), ...options };
  }

  /** Posts raw bytes exactly as given (the signature covers these bytes, not a re-serialisation). */
  async postRaw(raw: string | Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
    const allHeaders: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Level-Webhooks/1.0', ...headers };
    if (this.#options.secret && !('x-level-signature' in headers)) allHeaders['x-level-signature'] = sign(this.#options.secret, raw);
    const response = await fetch(this.#options.url, { method: 'POST', headers: allHeaders, body: raw });
    return { status: response.status, body: await response.text() };
  }

  /** Delivers one event with Level's retry policy. */
  async deliver(event: { event_id: string }, raw = JSON.stringify(event)): Promise<SendOutcome> {
    const outcome: SendOutcome = { eventId: event.event_id, attempts: [], acknowledged: false };
    for (let attempt = 1; attempt <= this.#options.attempts; attempt++) {
      try {
        const { status, body } = await this.postRaw(raw);
        outcome.attempts.push({ status, body });
        if (status >= 200 && status < 300) {
          outcome.acknowledged = true;
          return outcome;
        }
      } catch (error) {
        outcome.attempts.push({ status: null, body: '', error: (error as Error).message });
      }
      if (attempt < this.#options.attempts) await this.#options.beforeRetry();
    }
    return outcome;
  }
}
