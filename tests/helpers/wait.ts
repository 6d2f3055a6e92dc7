import type { EventEmitter } from 'node:events';
import type { Relay } from '../../electron/core/relay.ts';
import type { Store } from '../../electron/core/store/store.ts';
import { inspect } from './inspect.ts';

/** Resolves with check()'s first truthy value, re-checked whenever `emitter` emits `event`; rejects after timeoutMs. */
export function waitForEvent<T>(emitter: EventEmitter, event: string, check: () => T | undefined | false | null, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const first = check();
  if (first) return Promise.resolve(first);
  return new Promise((resolve, reject) => {
    const onEvent = () => {
      const value = check();
      if (value) {
        cleanup();
        resolve(value);
      }
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      emitter.off(event, onEvent);
    };
    emitter.on(event, onEvent);
  });
}

/** Resolves with check()'s first truthy value, re-checked after every change the relay reports. */
export function waitForChange<T>(relay: Relay, check: () => T | undefined | false | null, timeoutMs = 5000, what = 'store condition'): Promise<T> {
  return waitForEvent(relay.events as EventEmitter, 'change', check, timeoutMs, what);
}

export interface JobRow {
  id: number;
  alert_key: string;
  event_type: string;
  status: string;
  reason: string | null;
  attempts: number;
  maybe_delivered: number;
  last_status_code: number | null;
  last_error: string | null;
}

export function jobsFor(relay: Relay | Store, alertKey: string): JobRow[] {
  return inspect(relay).rows('SELECT * FROM outbox WHERE alert_key = ? ORDER BY id', alertKey) as unknown as JobRow[];
}

/** The alert's first outbox job, once it has reached `status`. */
export function waitForJob(relay: Relay, alertKey: string, status: string, timeoutMs = 5000): Promise<JobRow> {
  const reached = () => {
    const job = jobsFor(relay, alertKey)[0];
    return job?.status === status && job;
  };
  return waitForChange(relay, reached, timeoutMs, `the job for ${alertKey} to be ${status}`);
}

export function attemptsFor(relay: Relay | Store, jobId: number): Record<string, unknown>[] {
  return inspect(relay).rows('SELECT * FROM attempts WHERE outbox_id = ? ORDER BY id', jobId) as Record<string, unknown>[];
}

/**
 * Polls `check` every 25 ms until it answers something truthy, for what no event announces: a
 * condition of the clock (a stall limit passing) or of another process (a child relay's database).
 */
export async function waitUntil<T>(check: () => T | undefined | false | null | Promise<T | undefined | false | null>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
