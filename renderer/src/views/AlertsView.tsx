import { useEffect, useRef, useState } from 'react';
import type { AlertList, AlertRow, RelayStatusView } from '../../../shared/contract.ts';
import { call } from '../api/client.ts';
import { Badge, SeverityBadge, StatusBadge } from '../components/Badge.tsx';
import { webhookUrl } from '../curl.ts';
import { ago, clock, duration, fullTime, ilertStateTone, parseTime, SEVERITY_LEVELS, severityTone } from '../format.ts';
import { useChanges, useCoalesced, useNow } from '../hooks.ts';

interface AlertsViewProps {
  status: RelayStatusView | undefined;
  onLoaded: () => void;
  focusAlertId?: string | undefined;
  onShowDeliveries: () => void;
}

function Forwarding({ alert }: { alert: AlertRow }) {
  if (!alert.forwarding) return <span className="muted" title="No ilert event was made for this alert">not forwarded</span>;
  const { status, reason, nextAttemptAt } = alert.forwarding;
  return <StatusBadge status={status} nextAttemptAt={nextAttemptAt} reason={reason ?? (status === 'delivered' ? 'sent to ilert' : undefined)} testId="forwarding-badge" />;
}

/** Which ilert target the alert went to, and why (the group mapping that chose it). */
function Route({ alert }: { alert: AlertRow }) {
  if (!alert.route) return null;
  const { target, reason, groupPath } = alert.route;
  return (
    <div className="alert-route small" data-testid={`alert-route-${alert.levelAlertId}`} title={[groupPath && `Level group: ${groupPath}`, `Route: ${reason}`].filter(Boolean).join('\n')}>
      <span className="alert-route-target">→ {target}</span>
      {groupPath && <span className="alert-route-group">{groupPath}</span>}
      <span className="alert-route-reason muted">{reason}</span>
    </div>
  );
}

/** What ilert says about the alert (read back with the user API key): PENDING, ACCEPTED by whom, RESOLVED. */
function IlertState({ alert, now }: { alert: AlertRow; now: number }) {
  const ilert = alert.ilert;
  if (!ilert?.status) return null;
  const acceptedAt = parseTime(ilert.acceptedAt);
  return (
    <div className="ilert-state">
      <Badge tone={ilertStateTone(ilert.status)} title={`ilert says ${ilert.status}, checked ${fullTime(ilert.checkedAt)}`} testId={`alert-ilert-status-${alert.levelAlertId}`}>
        {ilert.status}
      </Badge>
      {(ilert.acceptedBy || acceptedAt !== undefined) && (
        <span className="ilert-accepted small" data-testid={`alert-accepted-by-${alert.levelAlertId}`} title={acceptedAt !== undefined ? fullTime(acceptedAt) : undefined}>
          accepted{ilert.acceptedBy ? <> by <b>{ilert.acceptedBy}</b></> : null}
          {acceptedAt !== undefined ? ` at ${clock(acceptedAt)}` : ''}
        </span>
      )}
      <span className="ilert-checked small muted" title={`Last read from ilert ${fullTime(ilert.checkedAt)}`}>
        checked {ago(ilert.checkedAt, now)}
      </span>
    </div>
  );
}

/** Accept in ilert from here: for active alerts ilert has and nobody accepted yet. */
function AcceptButton({ alert, onAccepted }: { alert: AlertRow; onAccepted: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const status = alert.ilert?.status;
  const sent = alert.forwarding?.status === 'delivered' || status !== undefined;
  if (alert.state !== 'active' || !sent || status === 'ACCEPTED' || status === 'RESOLVED') return null;
  const pending = busy || alert.acceptPending === true;
  const accept = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await call('acceptAlert', { levelAlertId: alert.levelAlertId });
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
      onAccepted();
    }
  };
  return (
    <div className="ilert-accept" data-needs="operator">
      <button
        type="button"
        onClick={() => void accept()}
        disabled={pending}
        title={pending ? 'The ACCEPT event is on its way to ilert' : 'Accept this alert in ilert (as the integration, so the escalation stops)'}
        data-testid={`alert-accept-${alert.levelAlertId}`}
      >
        {pending ? 'Accept sent…' : 'Accept'}
      </button>
      {error && (
        <span className="text-bad small" role="alert" data-testid={`alert-accept-error-${alert.levelAlertId}`}>
          {error}
        </span>
      )}
    </div>
  );
}

function AlertTable({ alerts, resolved, now, focusAlertId, onChanged }: { alerts: AlertRow[]; resolved: boolean; now: number; focusAlertId: string | undefined; onChanged: () => void }) {
  return (
    <table className="table alerts-table" data-testid={resolved ? 'resolved-alerts' : 'active-alerts'}>
      <colgroup>
        <col className="col-sev" />
        <col />
        <col className="col-device" />
        <col className="col-age" />
        <col className="col-fwd" />
      </colgroup>
      <thead>
        <tr>
          <th scope="col" className="col-sev">Severity</th>
          <th scope="col">Alert</th>
          <th scope="col">Device</th>
          <th scope="col" className="col-age">{resolved ? 'Resolved' : 'Age'}</th>
          <th scope="col" className="col-fwd">Forwarding · ilert</th>
        </tr>
      </thead>
      <tbody>
        {alerts.map((alert) => {
          const started = parseTime(alert.startedAt) ?? alert.firstSeenAt;
          const resolvedAt = parseTime(alert.resolvedAt) ?? alert.updatedAt;
          return (
            <tr
              key={alert.levelAlertId}
              data-testid="alert-row"
              data-alert-id={alert.levelAlertId}
              data-focused={alert.levelAlertId === focusAlertId || undefined}
              data-ilert-status={alert.ilert?.status}
              className={`sevrow sevrow-${severityTone(alert.severity)}${alert.levelAlertId === focusAlertId ? ' focused' : ''}${alert.ilert?.mismatch ? ' mismatch' : ''}`}
            >
              <td className="col-sev">
                <SeverityBadge severity={alert.severity} />
              </td>
              <td className="alert-main">
                <div className="alert-name ellipsis" title={alert.name}>
                  {alert.name ?? <span className="muted">(no name)</span>}
                </div>
                <Route alert={alert} />
                {alert.ilert?.mismatch && (
                  <div className="alert-mismatch" role="note" data-testid={`alert-mismatch-${alert.levelAlertId}`}>
                    ⚠ {alert.ilert.mismatch}
                  </div>
                )}
              </td>
              <td className="mono ellipsis" title={alert.deviceHostname}>
                {alert.deviceHostname ?? <span className="muted">—</span>}
              </td>
              <td className="col-age" title={resolved ? `resolved ${fullTime(resolvedAt)}` : `started ${fullTime(started)}`}>
                {resolved ? ago(resolvedAt, now) : duration(now - started)}
              </td>
              <td className="col-fwd">
                <Forwarding alert={alert} />
                <IlertState alert={alert} now={now} />
                <AcceptButton alert={alert} onAccepted={onChanged} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function AlertsView({ status, onLoaded, focusAlertId, onShowDeliveries }: AlertsViewProps) {
  const [list, setList] = useState<AlertList>();
  const [error, setError] = useState<string>();
  const now = useNow(15_000);
  const root = useRef<HTMLDivElement>(null);

  const load = useCoalesced(async () => {
    try {
      setList(await call('listAlerts', {}));
      setError(undefined);
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      onLoaded();
    }
  });
  useEffect(load, [load]);
  useChanges((changes) => {
    if (changes.resync || changes.alerts.length > 0 || changes.jobs.length > 0) load();
  });

  useEffect(() => {
    if (!focusAlertId || !list) return;
    root.current?.querySelector(`[data-alert-id="${CSS.escape(focusAlertId)}"]`)?.scrollIntoView({ block: 'center' });
  }, [focusAlertId, list]);

  if (!list) {
    return <div className="view-message">{error ? <p className="error">Could not load alerts: {error}</p> : <p className="muted">Loading alerts…</p>}</div>;
  }

  const url = webhookUrl(status);
  return (
    <div className="alerts-view scroll" ref={root} data-testid="alerts-view">
      {error && (
        <p className="banner banner-bad" role="alert">
          Could not refresh alerts: {error}
        </p>
      )}
      <div className="counts" data-testid="severity-counts" aria-label="Active alerts per severity">
        {SEVERITY_LEVELS.map((severity) => (
          <div key={severity} className={`count count-${severityTone(severity)}${list.counts[severity] ? '' : ' count-zero'}`} data-testid={`count-${severity}`}>
            <span className="count-number">{list.counts[severity] ?? 0}</span>
            <span className="count-label">{severity}</span>
          </div>
        ))}
      </div>

      <section aria-labelledby="active-heading">
        <h2 id="active-heading" className="section-title">
          Active <span className="section-count">{list.active.length}</span>
        </h2>
        {list.active.length > 0 ? (
          <AlertTable alerts={list.active} resolved={false} now={now} focusAlertId={focusAlertId} onChanged={load} />
        ) : (
          <div className="empty" data-testid="alerts-empty">
            <p className="empty-title">No active alerts</p>
            <p>
              When Level raises an alert it appears here within a second and is forwarded to ilert.
              {url ? (
                <>
                  {' '}
                  Level must send its webhooks to <code>{url}</code> (through your public tunnel) with the events <b>Alert active</b> and <b>Alert resolved</b>.
                </>
              ) : null}
            </p>
            <p>
              Expecting an alert that is not here?{' '}
              <button type="button" className="link" onClick={onShowDeliveries}>
                Check what arrived under Deliveries
              </button>
              .
            </p>
          </div>
        )}
      </section>

      <section aria-labelledby="resolved-heading">
        <h2 id="resolved-heading" className="section-title">
          Resolved in the last day <span className="section-count">{list.resolved.length}</span>
        </h2>
        {list.resolved.length > 0 ? (
          <AlertTable alerts={list.resolved} resolved={true} now={now} focusAlertId={focusAlertId} onChanged={load} />
        ) : (
          <p className="muted small">Nothing resolved in the last 24 hours.</p>
        )}
      </section>
    </div>
  );
}
