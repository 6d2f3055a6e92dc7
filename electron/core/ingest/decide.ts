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
 * `writeAlert: false` leaves the alert as it was; `settle` asks whether a still-waiting
 * ALERT and this RESOLVE can both be dropped.
 */
export type AlertDecision = { writeAlert: false; skip: string } | { writeAlert: true; skip: string | undefined; settle: boolean };

export interface AlertEvent {
  resolved: boolean;
  occurredMs: number;
  history: AlertHistory | undefined;
  /** Why routing does not forward this alert (unmapped group, under the minimum severity). */
  routeSkip: string | undefined;
}

export function decideAlert({ resolved, occurredMs, history, routeSkip }: AlertEvent): AlertDecision {
  // Staleness: a retried alert_active must not reopen an alert whose later resolve was processed,
  // and a resolve older than the latest activation belongs to an earlier episode.
  if (!resolved && history?.lastResolveMs != null && occurredMs <= history.lastResolveMs) {
    return { writeAlert: false, skip: `skipped: stale — the alert was resolved at ${new Date(history.lastResolveMs).toISOString()}` };
  }
  if (resolved && history?.lastActiveMs != null && occurredMs < history.lastActiveMs) {
    return { writeAlert: false, skip: 'skipped: stale — the alert became active again later' };
  }
  if (resolved && history?.state === 'resolved') return { writeAlert: false, skip: 'skipped: the alert is already resolved' };
  // Reconciliation may have backfilled this alert before its late webhook arrived: send it once.
  if (!resolved && history?.state === 'active' && history.backfilled) {
    return { writeAlert: false, skip: 'skipped: already sent to ilert when reconciliation backfilled it' };
  }
  if (routeSkip) return { writeAlert: true, skip: `skipped: ${routeSkip}`, settle: false };
  return { writeAlert: true, skip: undefined, settle: resolved };
}
