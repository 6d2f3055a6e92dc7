import { useEffect, useMemo, useState, type KeyboardEvent } from 'react';
import { roleAllows, type Role } from '../../shared/contract.ts';
import { useIsFetching } from '@tanstack/react-query';
import { inElectron, onLiveState, onNavigate, onStaleToken, RelayApiError } from './api/client.ts';
import { onChanges, reload, useRelayQuery } from './api/queries.ts';
import { AlertAnnouncer } from './components/AlertAnnouncer.tsx';
import { StatusBar } from './components/StatusBar.tsx';
import { useChanges } from './hooks.ts';
import { AlertsView } from './views/alerts/AlertsView.tsx';
import { DeliveriesView } from './views/deliveries/DeliveriesView.tsx';
import { HealthView } from './views/health/HealthView.tsx';
import { RoutingView } from './views/routing/RoutingView.tsx';
import { SettingsView } from './views/settings/SettingsView.tsx';
import { SetupView } from './views/setup/SetupView.tsx';
import { StartupProblemView } from './views/desktop/StartupProblemView.tsx';
import { ConnectionPanel } from './views/desktop/ConnectionPanel.tsx';
import { TeamView } from './views/team/TeamView.tsx';
import { ALL_TABS, type View } from './tabs.ts';
import './App.css';

/**
 * The address says which tab, which delivery and which filter are open (`#/deliveries/42?status=failed&q=nas`),
 * so a filtered view can be shared and Back works. In the hash: the query keeps whatever the relay's link carries.
 */
function readAddress(): { view?: View; deliveryId?: number; filter: string } {
  const match = /^#\/([a-z]+)(?:\/(\d+))?(?:\?(.*))?$/.exec(window.location.hash);
  const view = ALL_TABS.find((tab) => tab.view === match?.[1])?.view;
  return { view, deliveryId: view === 'deliveries' && match?.[2] ? Number(match[2]) : undefined, filter: match?.[3] ?? '' };
}

/** The Deliveries filter that shows the ilert events that failed for good. */
const FAILED_FILTER = 'status=failed';

function addressOf(view: View, deliveryId: number | undefined, filter = ''): string {
  const path = view === 'deliveries' && deliveryId !== undefined ? `#/deliveries/${deliveryId}` : `#/${view}`;
  return filter ? `${path}?${filter}` : path;
}

export function App() {
  const [opened] = useState(readAddress);
  const [view, setView] = useState<View>(opened.view ?? 'alerts');
  const statusQuery = useRelayQuery('getStatus', {}, { pollEvery: () => 10_000 });
  const status = statusQuery.data;
  const statusError = statusQuery.error instanceof RelayApiError ? statusQuery.error : statusQuery.error ? new RelayApiError('internal', String(statusQuery.error)) : undefined;
  // Asked once the relay answers: inside the desktop app it may have started only now.
  const me = useRelayQuery('whoAmI', {}, { enabled: status !== undefined }).data;
  const firstLoads = useIsFetching({ predicate: (query) => query.state.status === 'pending' });
  // The paged lists load outside the query cache, so they say when their first page is in.
  const [alertsLoaded, setAlertsLoaded] = useState(false);
  const [deliveriesLoaded, setDeliveriesLoaded] = useState(false);
  const pagersLoaded = useMemo(() => ({ alerts: () => setAlertsLoaded(true), deliveries: () => setDeliveriesLoaded(true) }), []);
  const [focusAlert, setFocusAlert] = useState<string>();
  const [focusDelivery, setFocusDelivery] = useState<number | undefined>(opened.deliveryId);
  /** Each view's filter as it stands in the address, kept while another tab is open. */
  const [filters, setFilters] = useState<Partial<Record<View, string>>>(opened.view ? { [opened.view]: opened.filter } : {});
  const filterSetters = useMemo(
    () =>
      Object.fromEntries(ALL_TABS.map(({ view: name }) => [name, (filter: string) => setFilters((current) => ({ ...current, [name]: filter }))])) as Record<
        View,
        (filter: string) => void
      >,
    [],
  );
  const [stale, setStale] = useState(false);
  // Until the relay says who this is, show only what everyone may do.
  const role: Role = me?.role ?? 'viewer';
  const TABS = useMemo(() => ALL_TABS.filter((tab) => roleAllows(role, tab.needs)), [role]);

  useEffect(() => onStaleToken(() => setStale(true)), []);
  // The pushed changes stopped: ask for the status now rather than at the next poll, so a relay that
  // stopped answering is said at once instead of its last green status staying up for seconds.
  useEffect(() => onLiveState((state) => state === 'offline' && reload('getStatus')), []);

  const refreshStatus = () => reload('getStatus');
  /** Opens a view with a filter of its own: a link to failures must not land in whatever search was left open. */
  const showFiltered = (target: View, filter: string) => {
    setFilters((current) => ({ ...current, [target]: filter }));
    if (target === 'deliveries') setFocusDelivery(undefined);
    setView(target);
  };
  const showFailed = () => showFiltered('deliveries', FAILED_FILTER);
  /** Opens one delivery, unfiltered: a filter left open might hide it. */
  const openDelivery = (id: number) => {
    setFilters((current) => ({ ...current, deliveries: '' }));
    setFocusDelivery(id);
    setView('deliveries');
  };
  useChanges(onChanges);

  // Opening a tab or a delivery is a step Back can undo; moving from one delivery to the next is not.
  useEffect(() => {
    const address = addressOf(view, focusDelivery, filters[view]);
    if (window.location.hash === address) return;
    const current = readAddress();
    const sameStep = current.view === view && current.deliveryId !== undefined && focusDelivery !== undefined;
    if (!window.location.hash || sameStep) window.history.replaceState(null, '', address);
    else window.history.pushState(null, '', address);
  }, [view, focusDelivery, filters]);
  // At 200 % zoom the tab list scrolls inside its own box: the chosen tab is brought fully into it
  // (scrollIntoView would also scroll the page's clipped containers).
  useEffect(() => {
    const tab = document.getElementById(`tab-${view}`);
    const list = tab?.parentElement;
    if (!tab || !list) return;
    const [shown, box] = [tab.getBoundingClientRect(), list.getBoundingClientRect()];
    if (shown.left < box.left) list.scrollLeft -= box.left - shown.left;
    else if (shown.right > box.right) list.scrollLeft += shown.right - box.right;
  }, [view]);
  useEffect(() => {
    const onPop = () => {
      const address = readAddress();
      setView(address.view ?? 'alerts');
      setFocusDelivery(address.deliveryId);
      if (address.view) setFilters((current) => ({ ...current, [address.view!]: address.filter }));
    };
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  // A first start with nothing configured opens Setup, not an empty Alerts board (once per page,
  // and not when a link named the tab to open).
  const [firstLook, setFirstLook] = useState(opened.view === undefined);
  if (firstLook && status && me) {
    setFirstLook(false);
    if (roleAllows(me.role, 'admin') && status.diagnoses.some((diagnosis) => diagnosis.id === 'ilert-not-configured') && !status.lastDeliveryAt) setView('setup');
  }

  useEffect(
    () =>
      onNavigate((target) => {
        setView(target.view);
        if (target.view === 'alerts') setFocusAlert(target.levelAlertId);
        if (target.view === 'deliveries') setFocusDelivery(target.deliveryId);
        if (target.view === 'routing' && target.newWindow) setFilters((current) => ({ ...current, routing: 'window=new' }));
      }),
    [],
  );

  const ready = status !== undefined && me !== undefined && firstLoads === 0 && alertsLoaded && deliveriesLoaded;

  const onTabKey = (event: KeyboardEvent<HTMLElement>) => {
    if (!['ArrowRight', 'ArrowLeft', 'Home', 'End'].includes(event.key)) return;
    event.preventDefault();
    const index = TABS.findIndex((tab) => tab.view === view);
    const next = event.key === 'Home' ? TABS[0]! : event.key === 'End' ? TABS.at(-1)! : TABS[(index + (event.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length]!;
    setView(next.view);
    document.getElementById(`tab-${next.view}`)?.focus();
  };
  const authProblem = statusError && (statusError.status === 401 || statusError.status === 403 || statusError.status === 421);

  if (!status && statusError?.code === 'unavailable' && inElectron()) return <StartupProblemView onStarted={refreshStatus} />;

  if (!status && statusError) {
    return (
      <div className="app app-fatal" data-testid="app-error">
        <div className="fatal">
          <h1>The dashboard cannot reach the relay</h1>
          <p className="fatal-message">{statusError.message}</p>
          {authProblem ? (
            <p>
              Open the dashboard with the link the relay printed when it started (it ends in <code>?token=…</code>).
            </p>
          ) : (
            <p>
              Check that the relay is running (<code>npm run serve</code> or the tray app); this page retries every 10 seconds.
            </p>
          )}
          <button type="button" onClick={refreshStatus}>
            Try again
          </button>
          <ConnectionPanel />
        </div>
      </div>
    );
  }

  return (
    <div className={stale ? 'app app-stale' : 'app'} data-testid={ready ? 'app-ready' : 'app-loading'} data-role={role}>
      {stale && (
        <div className="stale-token" role="alert" data-testid="stale-token">
          <h1>Open the link the relay printed</h1>
          <p>
            This tab’s access token no longer works: the admin link was rotated, your access was revoked, or the relay was set up again. What this page shows has stopped updating
            and may be out of date.
          </p>
          <p>
            Open the admin link the relay printed (<code>npm run serve -- --print-url</code> prints it again on the relay’s machine), or ask an admin of this relay for a new
            invitation.
          </p>
        </div>
      )}
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            ⇄
          </span>
          Level → ilert Relay
        </div>
        <nav className="tabs" role="tablist" aria-label="Views" onKeyDown={onTabKey}>
          {TABS.map((tab) => (
            <button
              key={tab.view}
              type="button"
              role="tab"
              id={`tab-${tab.view}`}
              aria-selected={view === tab.view}
              tabIndex={view === tab.view ? 0 : -1}
              aria-controls={`panel-${tab.view}`}
              className={view === tab.view ? 'tab tab-active' : 'tab'}
              data-testid={`tab-${tab.view}`}
              onClick={() => setView(tab.view)}
            >
              {tab.label}
              {tab.view === 'health' && status && status.diagnoses.length > 0 && (
                <span
                  className={`tab-badge ${status.diagnoses.some((diagnosis) => diagnosis.level === 'error') ? 'tab-badge-bad' : 'tab-badge-warn'}`}
                  data-testid="health-badge"
                  aria-label={status.diagnoses.length === 1 ? '1 problem' : `${status.diagnoses.length} problems`}
                >
                  {status.diagnoses.length}
                </span>
              )}
            </button>
          ))}
        </nav>
      </header>
      <ConnectionPanel firstStart />
      <AlertAnnouncer />
      <StatusBar
        status={status}
        error={statusError}
        asOf={statusQuery.dataUpdatedAt || undefined}
        onShowHealth={() => setView('health')}
        onShowFailed={showFailed}
        onShowSetup={() => setView(roleAllows(role, 'admin') ? 'setup' : 'health')}
      />
      {/* All views stay mounted (hidden ones are invisible and inert), so switching tabs keeps the
          place in the delivery log, the open detail and unsaved settings, and shows data at once. */}
      <main className="panels">
        {TABS.map((tab) => (
          <section
            key={tab.view}
            className={view === tab.view ? 'panel' : 'panel panel-hidden'}
            id={`panel-${tab.view}`}
            role="tabpanel"
            aria-labelledby={`tab-${tab.view}`}
            aria-hidden={view !== tab.view}
            inert={view !== tab.view}
          >
            {tab.view === 'alerts' && (
              <AlertsView
                status={status}
                onLoaded={pagersLoaded.alerts}
                focusAlertId={focusAlert}
                onShowDeliveries={() => showFiltered('deliveries', '')}
                filter={filters.alerts ?? ''}
                onFilterChange={filterSetters.alerts}
              />
            )}
            {tab.view === 'deliveries' && (
              <DeliveriesView
                status={status}
                onLoaded={pagersLoaded.deliveries}
                focusDeliveryId={focusDelivery}
                onSelectedChange={setFocusDelivery}
                filter={filters.deliveries ?? ''}
                onFilterChange={filterSetters.deliveries}
              />
            )}
            {tab.view === 'routing' && <RoutingView active={view === 'routing'} filter={filters.routing ?? ''} onFilterChange={filterSetters.routing} />}
            {tab.view === 'health' && (
              <HealthView
                status={status}
                onNavigate={setView}
                onShowFailed={showFailed}
                onOpenDelivery={openDelivery}
                unreachable={statusError && status ? { message: statusError.message, asOf: statusQuery.dataUpdatedAt } : undefined}
              />
            )}
            {tab.view === 'setup' && <SetupView active={view === 'setup'} status={status} onDone={() => setView('alerts')} />}
            {tab.view === 'settings' && <SettingsView active={view === 'settings'} />}
            {tab.view === 'team' && <TeamView me={me} active={view === 'team'} />}
          </section>
        ))}
      </main>
    </div>
  );
}
