import { useRef } from 'react';
import type { AlertRow } from '../../../../shared/contract.ts';
import { fullTime, parseTime, statusLabel } from '../../format.ts';
import { heldWords } from '../quiet/held.tsx';
import './AlertTimeline.css';
import { LevelMaintenanceNote } from '../quiet/LevelMaintenance.tsx';

interface Step {
  label: string;
  at?: number | undefined;
  detail?: string | undefined;
  state: 'done' | 'now' | 'bad' | 'later';
}

/** The alert's way from Level through the relay to ilert and back, from what the row already holds. */
function stepsOf(alert: AlertRow): Step[] {
  const forwarding = alert.forwarding;
  const ilert = alert.ilert;
  const acceptedAt = parseTime(ilert?.acceptedAt);
  const resolvedAt = parseTime(alert.resolvedAt);
  const sent: Step = !forwarding
    ? { label: 'Not sent to ilert', detail: 'No ilert event was made for this alert (routing skipped it, or nothing is configured).', state: 'later' }
    : forwarding.status === 'delivered'
      ? { label: 'Sent to ilert', detail: 'ilert accepted the ALERT event (202).', state: 'done' }
      : forwarding.status === 'held' && forwarding.held
        ? {
            label: heldWords(forwarding.held),
            detail: forwarding.held.pausedTarget
              ? 'Not sent to ilert yet: it goes when the target is resumed (Routing).'
              : 'Not sent to ilert yet: “Send now” on the alert sends it anyway.',
            state: 'now',
          }
        : forwarding.status === 'failed'
          ? { label: 'Sending to ilert failed', detail: forwarding.reason, state: 'bad' }
          : { label: `To ilert: ${statusLabel(forwarding.status, forwarding.nextAttemptAt)}`, detail: forwarding.reason, state: 'now' };
  return [
    { label: 'Active in Level', at: parseTime(alert.startedAt), state: 'done' },
    { label: 'Stored by the relay', at: alert.firstSeenAt, state: 'done' },
    ...(alert.route && alert.route.target !== 'default' ? [{ label: `Routed to “${alert.route.target}”`, detail: alert.route.reason, state: 'done' as const }] : []),
    ...(forwarding?.held && forwarding.status !== 'held' ? [{ label: heldWords(forwarding.held), state: 'done' as const }] : []),
    sent,
    ilert?.status === 'ACCEPTED' || acceptedAt !== undefined
      ? { label: `Accepted in ilert${ilert?.acceptedBy ? ` by ${ilert.acceptedBy}` : ''}`, at: acceptedAt, state: 'done' }
      : alert.acceptPending
        ? { label: 'Accept sent, on its way to ilert', state: 'now' }
        : {
            label: ilert?.status === 'PENDING' ? 'Waiting in ilert for someone to accept' : 'Not accepted (as far as the relay knows)',
            detail: ilert ? undefined : 'With an ilert user API key the relay reads who accepted.',
            state: 'later',
          },
    alert.state === 'resolved'
      ? { label: 'Resolved in Level', at: resolvedAt ?? alert.updatedAt, detail: ilert?.status === 'RESOLVED' ? 'Resolved in ilert too.' : undefined, state: 'done' }
      : { label: 'Still active in Level', state: 'later' },
  ];
}

/**
 * A per-alert timeline in a modal dialog: Level active → stored → sent to ilert → accepted (by
 * whom) → resolved. A native <dialog> closes on Escape and gives focus back to its opener.
 */
export function AlertTimelineButton({ alert }: { alert: AlertRow }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const name = alert.name ?? 'this alert';
  return (
    <>
      <button
        type="button"
        className="link small"
        onClick={() => dialog.current?.showModal()}
        data-testid={`alert-timeline-${alert.levelAlertId}`}
        aria-label={`Timeline of ${name}`}
      >
        timeline
      </button>
      <dialog ref={dialog} className="timeline-dialog" aria-labelledby={`timeline-title-${alert.levelAlertId}`} data-testid="alert-timeline">
        <h2 id={`timeline-title-${alert.levelAlertId}`}>
          {name}
          {alert.deviceHostname && <span className="host"> {alert.deviceHostname}</span>}
        </h2>
        <LevelMaintenanceNote since={alert.deviceMaintenanceSince} device={alert.deviceHostname} testId={`timeline-level-maintenance-${alert.levelAlertId}`} />
        <ol className="timeline">
          {stepsOf(alert).map((step) => (
            <li key={step.label} className={`timeline-step timeline-${step.state}`} data-testid="timeline-step">
              <span className="timeline-label">{step.label}</span>
              {step.at !== undefined && <span className="timeline-at muted small">{fullTime(step.at)}</span>}
              {step.detail && <span className="timeline-detail small">{step.detail}</span>}
            </li>
          ))}
        </ol>
        <form method="dialog">
          <button type="submit" autoFocus>
            Close
          </button>
        </form>
      </dialog>
    </>
  );
}
