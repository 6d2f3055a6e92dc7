import { DEVICE_EVENT_TYPES, GROUP_EVENT_TYPES } from '../level/envelope.ts';
import type { AlertHistory } from '../store/alert-ledger.ts';

/** What an accepted event does beyond being kept: nothing, change an alert, or change the device and group mirror. */
export type EventDecision = 'duplicate' | 'alert' | 'devices' | 'groups' | 'keep';

export function decideEvent(event: { eventType: string; hasAlert: boolean; alreadyReceived: boolean }): EventDecision {
  if (event.alreadyReceived) return 'duplicate';
  if (event.hasAlert) return 'alert';
  if ((DEVICE_EVENT_TYPES as readonly string[]).includes(event.eventType)) return 'devices';
  if ((GROUP_EVENT_TYPES as readonly string[]).includes(event.eventType)) return 'groups';
  return 'keep';
}

/**
 * The alert's new state and its ilert job: `skip` says why the job is kept but not sent.
 * `writeAlert: false` leaves the alert as it was; otherwise the alert takes the times given (the
 * state machine's memory: the latest activation and resolve Level has said) and `settle` asks
 * whether a still-waiting ALERT and this RESOLVE can both be dropped.
 */
export type AlertDecision =
  { writeAlert: false; skip: string } | { writeAlert: true; skip: string | undefined; settle: boolean; lastActiveMs: number | null; lastResolveMs: number | null };

export interface AlertEvent {
  resolved: boolean;
  occurredMs: number;
  history: AlertHistory | undefined;
  /** Why routing does not forward this alert (unmapped group, under the minimum severity). */
  routeSkip: string | undefined;
  /**
   * Level's API said so at `occurredMs` (reconciliation): its word beats the stored times, which
   * may come from an event whose clock was wrong, so no stored time can make it stale.
   */
  fromLevelApi?: boolean;
}

const ALREADY_RESOLVED = 'skipped: the alert is already resolved';

export function decideAlert(event: AlertEvent): AlertDecision {
  const { resolved, occurredMs, history, routeSkip, fromLevelApi = false } = event;
  // Staleness: a retried alert_active must not reopen an alert whose later resolve was processed,
  // and a resolve older than the latest activation belongs to an earlier episode.
  if (!fromLevelApi && !resolved && history?.lastResolveMs != null && occurredMs <= history.lastResolveMs) {
    return { writeAlert: false, skip: `skipped: stale — the alert was resolved at ${new Date(history.lastResolveMs).toISOString()}` };
  }
  if (!fromLevelApi && resolved && history?.lastActiveMs != null && occurredMs < history.lastActiveMs) {
    return { writeAlert: false, skip: 'skipped: stale — the alert became active again later' };
  }
  if (resolved && history?.state === 'resolved') {
    // Nothing for ilert, but a later resolve is Level's latest word: a retried activation older
    // than it must stay stale, so the resolve time moves on.
    if (history.lastResolveMs != null && occurredMs <= history.lastResolveMs) return { writeAlert: false, skip: ALREADY_RESOLVED };
    return { writeAlert: true, skip: ALREADY_RESOLVED, settle: false, ...timesAfter(event) };
  }
  // Reconciliation may have backfilled this alert before its late webhook arrived: send it once.
  if (!resolved && history?.state === 'active' && history.backfilled) {
    return { writeAlert: false, skip: 'skipped: already sent to ilert when reconciliation backfilled it' };
  }
  if (routeSkip) return { writeAlert: true, skip: `skipped: ${routeSkip}`, settle: false, ...timesAfter(event) };
  return { writeAlert: true, skip: undefined, settle: resolved, ...timesAfter(event) };
}

/** The latest activation and resolve Level has said, once this event counts. */
function timesAfter({ resolved, occurredMs, history, fromLevelApi }: AlertEvent): { lastActiveMs: number | null; lastResolveMs: number | null } {
  const active = history?.lastActiveMs ?? null;
  const resolve = history?.lastResolveMs ?? null;
  if (fromLevelApi) {
    // Level's current word at occurredMs: a stored time after it was wrong and gives way.
    const upTo = (ms: number | null) => (ms === null ? null : Math.min(ms, occurredMs));
    return resolved ? { lastActiveMs: upTo(active), lastResolveMs: occurredMs } : { lastActiveMs: occurredMs, lastResolveMs: upTo(resolve) };
  }
  // Events arrive in any order: a time only ever moves forward.
  const latest = (ms: number | null) => (ms === null ? occurredMs : Math.max(ms, occurredMs));
  return resolved ? { lastActiveMs: active, lastResolveMs: latest(resolve) } : { lastActiveMs: latest(active), lastResolveMs: resolve };
}
