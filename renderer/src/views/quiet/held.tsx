import type { AlertRow, HeldView, WindowScope } from '../../../../shared/contract.ts';
import { call } from '../../api/client.ts';
import { useRelayQuery } from '../../api/queries.ts';
import { clock } from '../../format.ts';
import { useAction } from '../../hooks.ts';
import { MaintenanceButton, type ScopeChoice } from './MaintenanceDialog.tsx';

/** "held until 03:20: maintenance window “Patch night”" — the relay's reason says "held: …" already. */
export function heldWords(held: HeldView): string {
  const why = held.reason.replace(/^held:\s*/, '');
  if (held.released) return `was held (${why}): ${held.released}`;
  return held.until !== undefined ? `held until ${clock(held.until)}: ${why}` : `held: ${why}`;
}

/** A held alert on its row: why and until when, "Send now", and the Deliveries held list. */
export function HeldForwarding({ alert, held, onChanged }: { alert: AlertRow; held: HeldView; onChanged: () => void }) {
  const { busy, error, run } = useAction('Could not send it: ');
  const id = alert.levelAlertId;
  return (
    <div className="forward-held">
      <span className="small ellipsis" data-testid={`alert-held-${id}`} title={heldWords(held)}>
        {heldWords(held)}
      </span>
      <span className="forward-held-actions small">
        {held.pausedTarget ? (
          // Paused by hand for ilert maintenance: it goes when the target is resumed, not one by one.
          <a href="#/routing" data-testid={`alert-held-resume-${id}`}>
            resume in Routing
          </a>
        ) : (
          <SendNow alert={alert} busy={busy} onClick={() => void run(() => call('sendHeldNow', { alertId: id }), onChanged)} />
        )}{' '}
        <a href="#/deliveries?status=held" data-testid={`alert-held-list-${id}`}>
          all held
        </a>
      </span>
      {error && (
        <span className="text-bad small" role="alert" data-testid={`alert-send-now-error-${id}`}>
          {error}
        </span>
      )}
    </div>
  );
}

function SendNow({ alert, busy, onClick }: { alert: AlertRow; busy: boolean; onClick: () => void }) {
  const id = alert.levelAlertId;
  return (
    <button
      type="button"
      className="small-button"
      data-needs="operator"
      disabled={busy}
      onClick={onClick}
      data-testid={`alert-send-now-${id}`}
      aria-label={`Send now: ${alert.name ?? 'this alert'}${alert.deviceHostname ? ` on ${alert.deviceHostname}` : ''}, held`}
    >
      {busy ? 'Sending…' : 'Send now'}
    </button>
  );
}

/**
 * "Quiet…" on an alert row: a window for the alert's device or its Level group, from now. The
 * group is found by the path the route names (the alert row carries no group id).
 */
export function QuietAlertButton({ alert }: { alert: AlertRow }) {
  const groupPath = alert.route?.groupPath;
  const routing = useRelayQuery('getRouting', {}, { enabled: groupPath !== undefined });
  const group = groupPath === undefined ? undefined : routing.data?.rows.find((row) => row.path === groupPath);
  const scopes: ScopeChoice[] = [
    ...(alert.deviceId ? [{ scope: { device: alert.deviceId } satisfies WindowScope, label: `this device (${alert.deviceHostname ?? alert.deviceId})` }] : []),
    ...(group ? [{ scope: { group: group.groupId } satisfies WindowScope, label: `this group (${group.path})` }] : []),
  ];
  if (scopes.length === 0) return null;
  return (
    <MaintenanceButton
      scopes={scopes}
      label="Quiet…"
      what={`${alert.name ?? 'this alert'}${alert.deviceHostname ? ` on ${alert.deviceHostname}` : ''}`}
      testId={`alert-quiet-${alert.levelAlertId}`}
      compact
    />
  );
}
