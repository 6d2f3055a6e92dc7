import type { AlertPage, RelayStatusView } from '../../../shared/contract.ts';

export type TrayIcon = 'clear' | 'warning' | 'critical' | 'problem' | 'paused';

export interface TrayState {
  icon: TrayIcon;
  tooltip: string;
}

export interface TrayInput {
  status: RelayStatusView;
  alerts: Pick<AlertPage, 'counts'>;
  notificationsPausedUntil: number | undefined;
  now: number;
}

function clock(at: number): string {
  const date = new Date(at);
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}

/**
 * Which icon the tray shows. A broken relay outranks everything (nobody is paged while it is
 * broken), then critical/emergency alerts, then warnings; a pause the user chose shows only when
 * nothing needs attention, and is always named in the tooltip.
 */
export function trayState({ status, alerts, notificationsPausedUntil, now }: TrayInput): TrayState {
  const counts = alerts.counts;
  const critical = (counts.critical ?? 0) + (counts.emergency ?? 0);
  const warning = counts.warning ?? 0;
  const information = counts.information ?? 0;
  const paused = notificationsPausedUntil !== undefined && notificationsPausedUntil > now;

  // The Health page's list, counted the same way as the status bar and the Health tab's badge;
  // only errors (nobody would be paged) turn the icon into "problem", warnings are named.
  const problems = status.diagnoses;
  const broken = problems.some((diagnosis) => diagnosis.level === 'error');

  const parts: string[] = [];
  if (critical + warning + information === 0) parts.push('no active alerts');
  else parts.push([critical && `${critical} critical`, warning && `${warning} warning`, information && `${information} info`].filter(Boolean).join(', '));
  if (status.queueDepth > 0) parts.push(`${status.queueDepth} queued for ilert`);
  if (problems.length) parts.push(`${problems.length === 1 ? '1 problem' : `${problems.length} problems`}: ${problems.map((diagnosis) => diagnosis.title).join(', ')}`);
  if (paused) parts.push(`notifications paused until ${clock(notificationsPausedUntil)}`);
  const tooltip = `Level → ilert Relay: ${parts.join(' · ')}`;

  const icon: TrayIcon = broken ? 'problem' : critical ? 'critical' : warning ? 'warning' : paused ? 'paused' : 'clear';
  return { icon, tooltip };
}
