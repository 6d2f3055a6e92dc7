import { useEffect, useMemo, useState, type KeyboardEvent } from 'react';
import type { RelayStatusView } from '../../shared/contract.ts';
import { call, inElectron, onNavigate, RelayApiError } from './api/client.ts';
import { StatusBar } from './components/StatusBar.tsx';
import { useChanges, useCoalesced, useInterval } from './hooks.ts';
import { AlertsView } from './views/AlertsView.tsx';
import { DeliveriesView } from './views/DeliveriesView.tsx';
import { HealthView } from './views/HealthView.tsx';
import { RoutingView } from './views/RoutingView.tsx';
import { SettingsView } from './views/SettingsView.tsx';
import { SetupView } from './views/SetupView.tsx';
import { StartupProblemView } from './views/StartupProblemView.tsx';

export type View = 'alerts' | 'deliveries' | 'routing' | 'health' | 'setup' | 'settings';

const TABS: { view: View; label: string }[] = [
  { view: 'alerts', label: 'Alerts' },
  { view: 'deliveries', label: 'Deliveries' },
  { view: 'routing', label: 'Routing' },
  { view: 'health', label: 'Health' },
  { view: 'setup', label: 'Setup' },
  { view: 'settings', label: 'Settings' },
];

export function App() {
  const [view, setView] = useState<View>('alerts');
  const [status, setStatus] = useState<RelayStatusView>();
  const [statusError, setStatusError] = useState<RelayApiError>();
  const [loaded, setLoaded] = useState<ReadonlySet<View>>(new Set());
  const [focusAlert, setFocusAlert] = useState<string>();
  const [focusDelivery, setFocusDelivery] = useState<number>();

  const refreshStatus = useCoalesced(async () => {
    try {
      setStatus(await call('getStatus', {}));
      setStatusError(undefined);
    } catch (error) {
      setStatusError(error instanceof RelayApiError ? error : new RelayApiError('internal', String(error)));
    }
  });

  useEffect(refreshStatus, [refreshStatus]);
  useChanges(refreshStatus);
  useInterval(refreshStatus, 10_000);

  useEffect(
    () =>
      onNavigate((target) => {
        setView(target.view);
        if (target.view === 'alerts') setFocusAlert(target.levelAlertId);
        if (target.view === 'deliveries') setFocusDelivery(target.deliveryId);
      }),
    [],
  );

  const loadedCallbacks = useMemo(
    () => Object.fromEntries(TABS.map(({ view: name }) => [name, () => setLoaded((current) => (current.has(name) ? current : new Set([...current, name])))])) as Record<View, () => void>,
    [],
  );
  const ready = status !== undefined && loaded.size === TABS.length;

  const onTabKey = (event: KeyboardEvent<HTMLElement>) => {
    if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
    const index = TABS.findIndex((tab) => tab.view === view);
    const next = TABS[(index + (event.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length]!;
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
            <p>Open the dashboard with the link the relay printed when it started (it ends in <code>?token=…</code>).</p>
          ) : (
            <p>Check that the relay is running (<code>npm run serve</code> or the tray app); this page retries every 10 seconds.</p>
          )}
          <button type="button" onClick={refreshStatus}>
            Try again
          </button>
        </div>
      </div>
    );
  }

  return (
    <div className="app" data-testid={ready ? 'app-ready' : 'app-loading'}>
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
            </button>
          ))}
        </nav>
      </header>
      <StatusBar status={status} error={statusError} onShowSettings={() => setView('settings')} />
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
            {tab.view === 'alerts' &&  <AlertsView status={status} onLoaded={loadedCallbacks.alerts} focusAlertId={focusAlert} onShowDeliveries={() => setView('deliveries')} />}
            {tab.view === 'deliveries' && <DeliveriesView status={status} onLoaded={loadedCallbacks.deliveries} focusDeliveryId={focusDelivery} />}
            {tab.view === 'routing' && <RoutingView active={view === 'routing'} onLoaded={loadedCallbacks.routing} />}
            {tab.view === 'health' && <HealthView status={status} onLoaded={loadedCallbacks.health} onNavigate={setView} />}
            {tab.view === 'setup' && <SetupView active={view === 'setup'} status={status} onLoaded={loadedCallbacks.setup} onDone={() => setView('alerts')} />}
            {tab.view === 'settings' && <SettingsView active={view === 'settings'} onLoaded={loadedCallbacks.settings} onSaved={refreshStatus} />}
          </section>
        ))}
      </main>
    </div>
  );
}
