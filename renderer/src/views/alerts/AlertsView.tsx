import { createContext, useContext, useEffect, useRef, useState } from 'react';
import { ALERT_GROUPINGS, type AlertEntry, type AlertPage, type AlertPageInput, type AlertRow, type RelayStatusView, type Severity } from '../../../../shared/contract.ts';
import { call } from '../../api/client.ts';
import { Badge, SeverityBadge, StatusBadge } from '../../components/Badge.tsx';
import { webhookUrl } from '../../curl.ts';
import { ago, clock, drainTime, duration, fullTime, ilertStateTone, parseTime, SEVERITY_LEVELS, severityTone } from '../../format.ts';
import { useAction, useChanges, useNow } from '../../hooks.ts';
import { reload, useRelayQuery } from '../../api/queries.ts';
import { VirtualList } from '../../components/VirtualList.tsx';
import { AlertLinks } from '../../components/AlertLinks.tsx';
import { usePager, WindowedPager } from '../../components/windowed-pager.ts';
import { AlertTimelineButton } from './AlertTimeline.tsx';
import { HeldForwarding, QuietAlertButton } from '../quiet/held.tsx';
import { LevelMaintenanceBadge } from '../quiet/LevelMaintenance.tsx';
import './AlertsView.css';
import { ErrorBanner, options } from '../../components/controls.tsx';

interface AlertsViewProps {
  status: RelayStatusView | undefined;
  onLoaded: () => void;
  focusAlertId?: string | undefined;
  onShowDeliveries: () => void;
  /** The grouping and the open group as the address carries them (`group=device&open=NAS-01`). */
  filter: string;
  onFilterChange: (filter: string) => void;
}

/** The status's backlog per target, for rows that wait to say why without each reading it. */
const BacklogContext = createContext<RelayStatusView['backlog']>(undefined);

function Forwarding({ alert, onChanged }: { alert: AlertRow; onChanged: () => void }) {
  const [retry, setRetry] = useState<string>();
  const backlog = useContext(BacklogContext);
  if (!alert.forwarding)
    return (
      <span className="muted" title="No ilert event was made for this alert">
        not forwarded
      </span>
    );
  const { status, reason, nextAttemptAt, jobId, held } = alert.forwarding;
  if (status === 'held' && held) return <HeldForwarding alert={alert} held={held} onChanged={onChanged} />;
  const badge = <StatusBadge status={status} nextAttemptAt={nextAttemptAt} reason={reason ?? (status === 'delivered' ? 'sent to ilert' : undefined)} testId="forwarding-badge" />;
  const limited = status === 'queued' ? backlog?.find((row) => row.target === (alert.route?.target ?? 'default') && row.rateLimited) : undefined;
  if (limited) {
    // In a storm a queued row otherwise looks stuck: say what it waits for, for how long at most, and in which order.
    return (
      <div className="forward-waiting">
        {badge}
        <span
          className="small muted"
          data-testid={`alert-waiting-${alert.levelAlertId}`}
          title={`${limited.waiting} events wait for “${limited.target}”; ilert takes ${limited.perMinute} a minute per integration key`}
        >
          waiting for ilert’s rate limit, ~{drainTime(limited.drainMs)}, critical first
        </span>
      </div>
    );
  }
  if (status !== 'failed') return badge;
  const retryNow = async () => {
    setRetry('sending…');
    try {
      await call('rerunJob', { id: jobId });
      setRetry(undefined);
    } catch (failure) {
      setRetry((failure as Error).message);
    } finally {
      onChanged();
    }
  };
  // A failure says why, right here, and can be retried without a trip to Deliveries.
  return (
    <div className="forward-failed">
      {badge}
      <button
        type="button"
        className="small-button"
        onClick={() => void retryNow()}
        data-needs="operator"
        data-testid={`alert-retry-${alert.levelAlertId}`}
        aria-label={`Retry sending ${alert.name ?? 'this alert'} to ilert`}
      >
        Retry
      </button>
      {reason && (
        <span className="text-bad small ellipsis forward-reason" title={reason} data-testid={`alert-failure-${alert.levelAlertId}`}>
          {reason}
        </span>
      )}
      {retry && (
        <span className="small" role="status">
          {retry}
        </span>
      )}
    </div>
  );
}

/** Which ilert target the alert went to, with which priority, and why (the group mapping that chose it). */
function Route({ alert }: { alert: AlertRow }) {
  if (!alert.route && !alert.ilertPriority) return null;
  // Without group routing every alert goes to the default target: the reason on each row is noise.
  // A rule that matched names itself at the start of the reason ("rule “…”: …"): never noise.
  const plain = !alert.route || (alert.route.target === 'default' && /no group routing/.test(alert.route.reason) && !alert.route.reason.startsWith('rule “'));
  const title = [
    alert.route?.groupPath && `Level group: ${alert.route.groupPath}`,
    alert.route && `Route: ${alert.route.reason}`,
    alert.ilertPriority && `ilert priority ${alert.ilertPriority}`,
  ]
    .filter(Boolean)
    .join('\n');
  return (
    <div className="alert-route small" data-testid={`alert-route-${alert.levelAlertId}`} title={title}>
      {alert.ilertPriority && (
        <span className={`alert-priority alert-priority-${alert.ilertPriority.toLowerCase()}`} data-testid={`alert-priority-${alert.levelAlertId}`}>
          {alert.ilertPriority}
        </span>
      )}
      {alert.route && <span className="alert-route-target">→ {alert.route.target}</span>}
      {!plain && alert.route?.groupPath && <span className="alert-route-group">{alert.route.groupPath}</span>}
      {!plain && <span className="alert-route-reason muted">{alert.route?.reason}</span>}
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
          accepted
          {ilert.acceptedBy ? (
            <>
              {' '}
              by <b>{ilert.acceptedBy}</b>
            </>
          ) : null}
          {acceptedAt !== undefined ? ` at ${clock(acceptedAt)}` : ''}
        </span>
      )}
      {/* Two lines of a row hold the badges and one line of words: who accepted says more than when ilert was read (the badge's title says that). */}
      {!(ilert.acceptedBy || acceptedAt !== undefined) && (
        <span className="ilert-checked small muted" title={`Last read from ilert ${fullTime(ilert.checkedAt)}`}>
          checked {ago(ilert.checkedAt, now)}
        </span>
      )}
    </div>
  );
}

/** Accept in ilert from here: for active alerts ilert has and nobody accepted yet. */
function AcceptButton({ alert, onAccepted }: { alert: AlertRow; onAccepted: () => void }) {
  const { busy, error, run } = useAction();
  const status = alert.ilert?.status;
  const sent = alert.forwarding?.status === 'delivered' || status !== undefined;
  if (alert.state !== 'active' || !sent || status === 'ACCEPTED' || status === 'RESOLVED') return null;
  const pending = busy || alert.acceptPending === true;
  // ilert took the Accept; until its state is read back, say when rather than offering it again.
  if (!pending && alert.acceptSent) {
    return (
      <span
        className="ilert-accept-sent small"
        data-testid={`alert-accept-sent-${alert.levelAlertId}`}
        title={`ilert took the ACCEPT ${fullTime(alert.acceptSent.at)}${alert.acceptSent.by ? `, pressed by ${alert.acceptSent.by}` : ''}`}
      >
        Accept sent {clock(alert.acceptSent.at)}
      </span>
    );
  }
  const accept = () => run(() => call('acceptAlert', { levelAlertId: alert.levelAlertId }), onAccepted);
  return (
    <div className="ilert-accept" data-needs="operator">
      <button
        type="button"
        onClick={() => void accept()}
        disabled={pending}
        title={pending ? 'The ACCEPT event is on its way to ilert' : 'Accept this alert in ilert (as the integration, so the escalation stops)'}
        data-testid={`alert-accept-${alert.levelAlertId}`}
        aria-label={`${pending ? 'Accept sent for' : 'Accept'} ${alert.name ?? 'this alert'}${alert.deviceHostname ? ` on ${alert.deviceHostname}` : ''} in ilert`}
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

const ROW_HEIGHT = 68;
const GROUPING_LABELS = { name: 'by alert name', device: 'by device', none: 'none' } as const;

function AlertLine({ alert, now, focused, onChanged }: { alert: AlertRow; now: number; focused: boolean; onChanged: () => void }) {
  const resolved = alert.state === 'resolved';
  const started = parseTime(alert.startedAt) ?? alert.firstSeenAt;
  const resolvedAt = parseTime(alert.resolvedAt) ?? alert.updatedAt;
  return (
    <div
      data-testid="alert-row"
      data-alert-id={alert.levelAlertId}
      data-focused={focused || undefined}
      data-ilert-status={alert.ilert?.status}
      className={`arow sevrow-${severityTone(alert.severity)}${focused ? ' focused' : ''}${alert.ilert?.mismatch ? ' mismatch' : ''}`}
    >
      <div className="col-sev">
        <SeverityBadge severity={alert.severity} />
        <AlertTimelineButton alert={alert} />
        {!resolved && alert.forwarding?.status !== 'held' && <QuietAlertButton alert={alert} />}
      </div>
      <div className="alert-main">
        <div className="alert-name ellipsis" title={alert.name}>
          {alert.name ?? <span className="muted">(no name)</span>}
        </div>
        <Route alert={alert} />
        {alert.ilert?.mismatch && (
          <div className="alert-mismatch ellipsis" role="note" data-testid={`alert-mismatch-${alert.levelAlertId}`} title={alert.ilert.mismatch}>
            ⚠ {alert.ilert.mismatch}
          </div>
        )}
      </div>
      <div className="ellipsis">
        <div className="mono ellipsis" title={alert.deviceHostname}>
          {alert.deviceHostname ?? <span className="muted">—</span>}
        </div>
        <LevelMaintenanceBadge since={alert.deviceMaintenanceSince} testId={`alert-level-maintenance-${alert.levelAlertId}`} /> <AlertLinks alert={alert} />
      </div>
      <div
        className="col-client ellipsis small"
        title={alert.route?.groupPath ? `Level group: ${alert.route.groupPath}` : undefined}
        data-testid={`alert-client-${alert.levelAlertId}`}
      >
        {alert.route?.groupPath ?? <span className="muted">—</span>}
      </div>
      <div className="col-age" title={resolved ? `resolved ${fullTime(resolvedAt)}` : `started ${fullTime(started)}`}>
        {resolved ? ago(resolvedAt, now) : duration(now - started)}
      </div>
      <div className="col-fwd">
        <Forwarding alert={alert} onChanged={onChanged} />
        <IlertState alert={alert} now={now} />
        <AcceptButton alert={alert} onAccepted={onChanged} />
      </div>
    </div>
  );
}

/** A storm collapsed: alerts with one name (or on one device) as one row with a count; opening it lists them. */
function GroupLine({ entry, now, onOpen }: { entry: Extract<AlertEntry, { kind: 'group' }>; now: number; onOpen: (key: string) => void }) {
  const label = entry.key || (entry.by === 'name' ? '(no name)' : '(no device)');
  const spread = entry.by === 'name' ? `on ${entry.devices} device${entry.devices === 1 ? '' : 's'}` : `${entry.names} different alert${entry.names === 1 ? '' : 's'}`;
  return (
    <button
      type="button"
      className={`arow agroup sevrow-${severityTone(entry.severity)}`}
      data-testid="alert-group"
      data-group-key={entry.key}
      onClick={() => onOpen(entry.key)}
      title={`Show the ${entry.count} alerts of this group`}
    >
      <span className="col-sev">
        <SeverityBadge severity={entry.severity} />
      </span>
      <span className="alert-main">
        <span className={`alert-name ellipsis${entry.by === 'device' ? ' mono' : ''}`}>{label}</span>
        <span className="small muted">{spread}</span>
      </span>
      <span className="agroup-count" data-testid="alert-group-count">
        × {entry.count.toLocaleString('en-US')}
      </span>
      <span className="col-client" />
      <span className="col-age" title={`latest change ${fullTime(entry.newestAt)}`}>
        {ago(entry.newestAt, now)}
      </span>
      <span className="col-fwd small muted">open ›</span>
    </button>
  );
}

/** What the board asks for, besides the page: the filter plumbing is the contract's own input. */
type AlertQuery = Omit<AlertPageInput, 'offset' | 'limit' | 'levelAlertId'>;
type AlertPager = WindowedPager<AlertQuery, AlertPage>;

function useAlertPager(query: AlertQuery): AlertPager {
  const [pager] = useState(() => new WindowedPager(query, ({ query: input, offset, limit }) => call('listAlerts', { ...input, offset, limit })));
  const key = JSON.stringify(query);
  useEffect(() => {
    void pager.reset(JSON.parse(key) as AlertQuery);
  }, [pager, key]);
  return usePager(pager);
}

function AlertList({
  kind,
  pager,
  now,
  focusAlertId,
  label,
  onChanged,
  onOpenGroup,
}: {
  kind: 'active' | 'resolved';
  pager: AlertPager;
  now: number;
  focusAlertId: string | undefined;
  label: string;
  onChanged: () => void;
  onOpenGroup: (key: string) => void;
}) {
  return (
    <>
      {/* Headings for the eye; each row's text already says what each part is to a screen reader. */}
      <div className="arow ahead" aria-hidden="true" data-testid={`${kind}-alerts-head`}>
        <span>Severity</span>
        <span>Alert · route</span>
        <span>Device</span>
        <span className="col-client">Client</span>
        <span className="col-age">{kind === 'resolved' ? 'Resolved' : 'Active for'}</span>
        <span>ilert</span>
      </div>
      <div className={`alert-list alert-list-${kind}`} data-testid={`${kind}-alerts`} style={{ height: Math.min(Math.max(pager.total, 1), 10) * ROW_HEIGHT + 2 }}>
        <VirtualList
          count={pager.total}
          rowHeight={ROW_HEIGHT}
          label={label}
          onRangeChange={(range) => pager.want(range)}
          renderRow={(index) => {
            const entry = pager.row(index);
            if (!entry) return <div className="arow arow-loading muted small">Loading…</div>;
            if (entry.kind === 'group') return <GroupLine entry={entry} now={now} onOpen={onOpenGroup} />;
            return <AlertLine alert={entry.alert} now={now} focused={entry.alert.levelAlertId === focusAlertId} onChanged={onChanged} />;
          }}
        />
      </div>
    </>
  );
}

export function AlertsView({ status, onLoaded, focusAlertId, onShowDeliveries, filter, onFilterChange }: AlertsViewProps) {
  const params = new URLSearchParams(filter);
  const groupBy = ALERT_GROUPINGS.find((grouping) => grouping === params.get('group')) ?? 'name';
  const openGroup = params.get('open') ?? undefined;
  // Held (in a window, or waiting for a paused target) is in the address, so "all held" can be a link: #/alerts?held=1.
  const held = params.get('held') === '1';
  const show = (grouping: AlertQuery['groupBy'], group: string | undefined, onlyHeld = held) =>
    onFilterChange(
      new URLSearchParams({ ...(grouping !== 'name' ? { group: grouping } : {}), ...(group !== undefined ? { open: group } : {}), ...(onlyHeld ? { held: '1' } : {}) }).toString(),
    );
  const setOpenGroup = (group: string | undefined) => show(groupBy, group);
  const focusedEntry = useRelayQuery('listAlerts', { levelAlertId: focusAlertId }, { enabled: focusAlertId !== undefined }).data?.rows[0];
  const focused = focusAlertId !== undefined && focusedEntry?.kind === 'alert' ? focusedEntry.alert : undefined;
  const now = useNow(15_000);
  const [client, setClient] = useState('');
  const [find, setFind] = useState('');
  const [severity, setSeverity] = useState<Severity>();
  const filters = {
    ...(client.trim() ? { client: client.trim() } : {}),
    ...(find.trim() ? { find: find.trim() } : {}),
    ...(severity ? { severity } : {}),
    ...(held ? { held } : {}),
  };
  const filtered = Object.keys(filters).length > 0;
  const active = useAlertPager({ state: 'active', groupBy, ...(openGroup !== undefined ? { group: openGroup } : {}), ...filters });
  const resolved = useAlertPager({ state: 'resolved', groupBy: 'none' });
  const loadedOnce = useRef(false);

  useEffect(() => {
    if (active.loaded && !loadedOnce.current) {
      loadedOnce.current = true;
      onLoaded();
    }
  }, [active.loaded, onLoaded]);

  const refreshPages = () => {
    void active.refresh();
    void resolved.refresh();
  };
  // The focused alert is in the query cache, which follows pushed changes by itself.
  useChanges((changes) => {
    if (changes.resync || changes.alerts.length > 0 || changes.jobs.length > 0) refreshPages();
  });
  const refresh = () => {
    refreshPages();
    reload('listAlerts');
  };

  if (!active.loaded) {
    return <div className="view-message">{active.error ? <p className="error">Could not load alerts: {active.error}</p> : <p className="muted">Loading alerts…</p>}</div>;
  }

  const counts = active.answer?.counts ?? {};
  const activeTotal = SEVERITY_LEVELS.reduce((sum, severity) => sum + (counts[severity] ?? 0), 0);
  const url = webhookUrl(status);
  const rowProps = { now, focusAlertId, onChanged: refresh };
  return (
    <BacklogContext.Provider value={status?.backlog}>
      <div className="alerts-view scroll" data-testid="alerts-view">
        <ErrorBanner error={active.error} prefix="Could not refresh alerts: " />
        {/* Each card filters the active list to its severity; the counts leave out alerts routing skipped, which page nobody. */}
        <div className="counts" role="group" data-testid="severity-counts" aria-label="Active alerts sent to ilert, per severity: press one to list only that severity">
          {SEVERITY_LEVELS.map((level) => (
            <button
              type="button"
              key={level}
              className={`count count-${severityTone(level)}${counts[level] ? '' : ' count-zero'}`}
              data-testid={`count-${level}`}
              aria-pressed={severity === level}
              onClick={() => setSeverity(severity === level ? undefined : level)}
            >
              <span className="count-number">{counts[level] ?? 0}</span>
              <span className="count-label">{level}</span>
            </button>
          ))}
        </div>

        {focused && (
          <section aria-label="The alert you opened" className="alert-focused">
            <AlertLine alert={focused} now={now} focused={true} onChanged={refresh} />
          </section>
        )}

        <section aria-labelledby="active-heading">
          <div className="alerts-toolbar">
            <h2 id="active-heading" className="section-title">
              Active <span className="section-count">{activeTotal.toLocaleString('en-US')}</span>
            </h2>
            {openGroup !== undefined ? (
              <span className="alerts-open-group">
                <button type="button" className="link" onClick={() => setOpenGroup(undefined)} data-testid="alert-group-back">
                  ‹ all groups
                </button>{' '}
                <b>{openGroup || '(none)'}</b> <span className="muted">({active.total.toLocaleString('en-US')})</span>
              </span>
            ) : null}
            <span className="alerts-filters">
              <label className="small">
                Client{' '}
                <input
                  type="search"
                  value={client}
                  onChange={(event) => setClient(event.target.value)}
                  placeholder="Level group, e.g. Acme"
                  maxLength={1000}
                  data-testid="alert-filter-client"
                />
              </label>
              <label className="small">
                Alert or device id{' '}
                <input
                  type="search"
                  value={find}
                  onChange={(event) => setFind(event.target.value)}
                  placeholder="exact id from Level"
                  maxLength={1000}
                  spellCheck={false}
                  data-testid="alert-filter-id"
                />
              </label>
              <button
                type="button"
                className="small-button"
                aria-pressed={held}
                onClick={() => show(groupBy, openGroup, !held)}
                aria-label="held alerts only"
                title="Only alerts not sent at once: in a maintenance window, or waiting for a paused ilert target"
                data-testid="alert-filter-held"
              >
                held
              </button>
              {filtered && (
                <button
                  type="button"
                  className="link small"
                  onClick={() => {
                    setClient('');
                    setFind('');
                    setSeverity(undefined);
                    if (held) show(groupBy, openGroup, false);
                  }}
                  data-testid="alert-filters-clear"
                >
                  clear filters
                </button>
              )}
            </span>
            <label className="alerts-grouping small">
              Group{' '}
              <select value={groupBy} onChange={(event) => show(event.target.value as AlertQuery['groupBy'], undefined)} data-testid="alert-grouping">
                {options(ALERT_GROUPINGS, (grouping) => GROUPING_LABELS[grouping])}
              </select>
            </label>
          </div>
          {active.total > 0 ? (
            <AlertList kind="active" pager={active} label="Active alerts, most severe first" onOpenGroup={setOpenGroup} {...rowProps} />
          ) : (
            <div className="empty" data-testid="alerts-empty">
              <p className="empty-title">{filtered ? 'No active alerts match these filters' : 'No active alerts'}</p>
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
            Resolved in the last day <span className="section-count">{resolved.total.toLocaleString('en-US')}</span>
          </h2>
          {resolved.total > 0 ? (
            <AlertList kind="resolved" pager={resolved} label="Alerts resolved in the last day" onOpenGroup={() => undefined} {...rowProps} />
          ) : (
            <p className="muted small">Nothing resolved in the last 24 hours.</p>
          )}
        </section>
      </div>
    </BacklogContext.Provider>
  );
}
