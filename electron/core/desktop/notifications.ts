import type { AlertRow } from '../../../shared/contract.ts';
import type { NavigateTarget } from '../../../shared/bridge.ts';
import { severityRank, type Severity } from '../../../shared/contract.ts';

/** Something that happened that a technician may want to hear about. */
export type DesktopEvent =
  { kind: 'alert'; alert: AlertRow } | { kind: 'resolved'; alert: AlertRow } | { kind: 'gave-up'; jobId: number; deliveryId: number | undefined; reason: string };

export interface PlannedNotification {
  title: string;
  body: string;
  urgent: boolean;
  target: NavigateTarget;
  /** A single new alert: the notification may offer to accept it in ilert. */
  acceptAlertId?: string;
}

export interface NotificationPreferences {
  minSeverity: Severity;
  notifyResolves: boolean;
  pausedUntil: number | undefined;
}

const rank = (severity: string | undefined) => severityRank(severity ?? 'information');
const isUrgent = (alert: AlertRow) => alert.severity === 'critical' || alert.severity === 'emergency';
const describe = (alert: AlertRow) => `${alert.name ?? 'Level alert'}${alert.deviceHostname ? ` on ${alert.deviceHostname}` : ''}`;

/**
 * Turns a batch of events into at most one notification per kind: a burst becomes one summary
 * ("12 new alerts, 3 critical") instead of twelve toasts. A pause silences everything until it ends.
 */
export function planNotifications(events: readonly DesktopEvent[], preferences: NotificationPreferences, now: number): PlannedNotification[] {
  if (preferences.pausedUntil !== undefined && preferences.pausedUntil > now) return [];
  const plans: PlannedNotification[] = [];

  const alerts = events.flatMap((event) => (event.kind === 'alert' && rank(event.alert.severity) >= rank(preferences.minSeverity) ? [event.alert] : []));
  if (alerts.length === 1) {
    const alert = alerts[0]!;
    plans.push({
      title: `${(alert.severity ?? 'alert').toUpperCase()}: ${alert.name ?? 'Level alert'}`,
      body: describe(alert),
      urgent: isUrgent(alert),
      target: { view: 'alerts', levelAlertId: alert.levelAlertId },
      acceptAlertId: alert.levelAlertId,
    });
  } else if (alerts.length > 1) {
    const urgent = alerts.filter(isUrgent).length;
    plans.push({
      title: `${alerts.length} new alerts${urgent ? `, ${urgent} critical` : ''}`,
      body: alerts.slice(0, 3).map(describe).join('\n') + (alerts.length > 3 ? `\n…and ${alerts.length - 3} more` : ''),
      urgent: urgent > 0,
      target: { view: 'alerts' },
    });
  }

  if (preferences.notifyResolves) {
    const resolved = events.flatMap((event) => (event.kind === 'resolved' ? [event.alert] : []));
    if (resolved.length === 1) {
      plans.push({
        title: `Resolved: ${resolved[0]!.name ?? 'Level alert'}`,
        body: describe(resolved[0]!),
        urgent: false,
        target: { view: 'alerts', levelAlertId: resolved[0]!.levelAlertId },
      });
    } else if (resolved.length > 1) {
      plans.push({ title: `${resolved.length} alerts resolved`, body: resolved.slice(0, 3).map(describe).join('\n'), urgent: false, target: { view: 'alerts' } });
    }
  }

  const gaveUp = events.flatMap((event) => (event.kind === 'gave-up' ? [event] : []));
  if (gaveUp.length > 0) {
    plans.push({
      title: gaveUp.length === 1 ? 'A delivery to ilert failed' : `${gaveUp.length} deliveries to ilert failed`,
      body: `${gaveUp[0]!.reason}${gaveUp.length > 1 ? ` (and ${gaveUp.length - 1} more)` : ''} — open the delivery log to re-run.`,
      urgent: true,
      target: gaveUp.length === 1 && gaveUp[0]!.deliveryId !== undefined ? { view: 'deliveries', deliveryId: gaveUp[0]!.deliveryId } : { view: 'deliveries' },
    });
  }
  return plans;
}
