import { useCallback, useState } from 'react';
import { roleAllows, type Reconciliation } from '../../../../shared/contract.ts';
import { call } from '../../api/client.ts';
import { ago, clock, fullTime, plural, type Tone } from '../../format.ts';
import { useAction, useNow } from '../../hooks.ts';
import { queryClient, reload, useRelayQuery } from '../../api/queries.ts';
import { AddTarget } from './AddTarget.tsx';
import { GroupRow } from './GroupRow.tsx';
import { Reconciliations } from './Reconciliations.tsx';
import { TargetForwarding } from './TargetForwarding.tsx';
import { MaintenanceWindows } from './MaintenanceWindows.tsx';
import { showSettings, type routeFromDraft } from './route-draft.ts';
import { Rules } from './Rules.tsx';
import './RoutingView.css';
import { ErrorBanner, ReadOnlyNotice, RoleFieldset } from '../../components/controls.tsx';
import { DevicesInMaintenance } from '../quiet/LevelMaintenance.tsx';

type Outcome = { tone: Tone; text: string };

/** Level groups → ilert targets, the way AlgaPSA maps Level groups to clients: subgroups inherit the nearest mapping. */
export function RoutingView({ active, filter = '', onFilterChange }: { active: boolean; filter?: string; onFilterChange?: (filter: string) => void }) {
  const routing = useRelayQuery('getRouting', {}, { active });
  const role = useRelayQuery('whoAmI', {}).data?.role;
  const view = routing.data;
  const error = routing.error?.message;
  const [syncing, setSyncing] = useState(false);
  const [syncResult, setSyncResult] = useState<Outcome>();
  const { busy: policySaving, error: policyError, setError: setPolicyError, run: runPolicy } = useAction();
  const [backfilling, setBackfilling] = useState(false);
  const [backfillResult, setBackfillResult] = useState<Outcome>();
  const now = useNow(30_000);
  // While a run is going, its count of checked alerts moves: follow it.
  const runsQuery = useRelayQuery(
    'listReconciliations',
    {},
    { active, enabled: view?.levelConfigured ?? false, pollEvery: (runs) => (backfilling || runs?.some((run) => run.outcome === 'running') ? 1_000 : false) },
  );
  const load = () => reload('getRouting');
  // `#/routing?window=new` (the tray's "Maintenance…") opens the new maintenance window form.
  const windowsProps = { active, openNew: new URLSearchParams(filter).get('window') === 'new', onNewClosed: () => onFilterChange?.('') };
  const loadRuns = () => reload('listReconciliations');

  const sync = async () => {
    setSyncing(true);
    setSyncResult(undefined);
    try {
      const result = await call('syncLevel', {});
      setSyncResult(result.ok ? { tone: 'ok', text: `Synced at ${clock(result.checkedAt)}${result.detail ? `: ${result.detail}` : ''}` } : { tone: 'bad', text: result.message });
    } catch (failure) {
      setSyncResult({ tone: 'bad', text: (failure as Error).message });
    } finally {
      setSyncing(false);
      load();
    }
  };

  const setPolicy = (unmappedGroups: 'default' | 'skip') =>
    runPolicy(async () => {
      const result = await call('updateSettings', { unmappedGroups });
      if (!result.ok) setPolicyError(Object.values(result.errors).join('; '));
    }, load);

  const saveRoute = useCallback(async (groupId: string, route: ReturnType<typeof routeFromDraft>) => {
    queryClient.setQueryData(['getRouting', {}], await call('setGroupRoute', { groupId, route }));
  }, []);

  const backfill = async () => {
    setBackfilling(true);
    setBackfillResult(undefined);
    loadRuns();
    try {
      const run = await call('backfillAlerts', {});
      const count = (action: Reconciliation['changes'][number]['action']) => run.changes.filter((change) => change.action === action).length;
      const skipped = count('skipped');
      setBackfillResult(
        run.outcome === 'failed'
          ? { tone: 'bad', text: `Backfill failed: ${run.error ?? 'unknown error'}` }
          : {
              tone: 'ok',
              text: `Checked ${plural(run.checked, 'alert')}: ${count('backfilled')} backfilled, ${count('resolved')} resolved${skipped ? `, ${skipped} still held back by routing` : ''}.`,
            },
      );
    } catch (failure) {
      setBackfillResult({ tone: 'bad', text: `Backfill failed: ${(failure as Error).message}` });
    } finally {
      setBackfilling(false);
      loadRuns();
      load();
    }
  };

  if (!view) {
    return <div className="view-message">{error ? <p className="error">Could not load the routing table: {error}</p> : <p className="muted">Loading routing…</p>}</div>;
  }

  if (!view.levelConfigured) {
    return (
      <div className="routing-view scroll" data-testid="routing-view">
        <div className="empty" data-testid="routing-not-configured">
          <p className="empty-title">Connect Level’s API to route alerts by group</p>
          <p>
            Level organises devices into groups. With a <b>Level API key</b>, the relay reads the group tree and the devices, so each group can send its alerts to its own ilert
            alert source (target); subgroups inherit the nearest mapped group, the way AlgaPSA maps Level groups to clients. The key also lets the relay backfill alerts a webhook
            missed.
          </p>
          <ol>
            <li>In Level: Settings → API → create an API key (read access to groups, devices and alerts).</li>
            <li>
              Here:{' '}
              <button type="button" className="link" onClick={showSettings} data-testid="routing-open-settings">
                Settings → Level API
              </button>
              : paste the key, save, then <b>Test connection</b>.
            </li>
            <li>Under Settings → ilert, add the ilert targets (a name and an integration key each) to route to.</li>
          </ol>
          <p className="muted">Until then every alert goes to the default integration key.</p>
        </div>
        {/* Pausing for ilert maintenance needs no Level API key. */}
        <TargetForwarding targets={view.targets} onChanged={load} />
        <MaintenanceWindows groups={[]} targets={view.targets} {...windowsProps} />
        <Rules active={active} role={role} targets={view.targets} groups={[]} />
      </div>
    );
  }

  const { summary } = view;
  const namedTargets = view.targets.filter((target) => target.name !== 'default');

  return (
    <div className="routing-view scroll" data-testid="routing-view">
      <ErrorBanner error={error} prefix="Could not refresh the routing table: " />
      <ReadOnlyNotice role={role} needs="admin" what="how alerts are routed" />
      <div className="routing-head">
        <p className="routing-summary" data-testid="routing-summary">
          <b>{plural(summary.groups, 'group')}</b> · <b>{summary.mappedGroups}</b> mapped · <b>{summary.devicesCovered.toLocaleString()}</b> of {plural(summary.devices, 'device')}{' '}
          routed by a group mapping <span className="muted">({view.unmappedGroups === 'skip' ? 'the rest are not forwarded' : 'the rest go to the default target'})</span> ·{' '}
          <b>{plural(summary.activeAlerts, 'active alert')}</b>
          <DevicesInMaintenance count={summary.devicesInMaintenance} testId="routing-devices-maintenance" />
        </p>
        <span className="spacer" />
        <span className="routing-sync-state small" data-testid="last-sync" title={view.lastSyncAt ? fullTime(view.lastSyncAt) : undefined}>
          {view.lastSyncAt ? (
            <>
              Last sync {clock(view.lastSyncAt)} <span className="muted">({ago(view.lastSyncAt, now)})</span>
            </>
          ) : (
            <span className="muted">Never synced</span>
          )}
        </span>
        <button
          type="button"
          className="primary"
          onClick={() => void sync()}
          disabled={syncing}
          data-testid="sync-level"
          data-needs="operator"
          title="Read Level’s groups and devices again"
        >
          {syncing ? 'Syncing…' : 'Sync from Level'}
        </button>
      </div>
      {syncResult && (
        <p className={`banner banner-${syncResult.tone}`} role="status" data-testid="sync-result">
          {syncResult.text}
        </p>
      )}
      {syncResult?.tone !== 'bad' && <ErrorBanner error={view.lastSyncError} prefix="The last sync failed: " testId="sync-error" />}

      <RoleFieldset role={role} needs="admin">
        <div className="routing-policy">
          <label htmlFor="unmapped-policy" className="routing-policy-label">
            Alerts from devices in unmapped groups
          </label>
          <select
            id="unmapped-policy"
            data-testid="unmapped-policy"
            value={view.unmappedGroups}
            disabled={policySaving}
            onChange={(event) => void setPolicy(event.target.value as 'default' | 'skip')}
          >
            <option value="default">go to the default target</option>
            <option value="skip">are not forwarded (skipped)</option>
          </select>
          {policySaving && <span className="muted small">Saving…</span>}
          {policyError && (
            <span className="text-bad small" role="alert" data-testid="unmapped-policy-error">
              {policyError}
            </span>
          )}
          <span className="help">A group with no mapping of its own uses its nearest mapped ancestor; this applies only when none is mapped.</span>
        </div>
      </RoleFieldset>

      <TargetForwarding targets={view.targets} onChanged={load} />
      <MaintenanceWindows groups={view.rows} targets={view.targets} {...windowsProps} />
      <Rules active={active} role={role} targets={view.targets} groups={view.rows} />

      {namedTargets.length === 0 && (
        <p className="banner banner-info" data-testid="routing-no-targets">
          Only the default target exists. To send some groups elsewhere, add an ilert target below (or under{' '}
          <button type="button" className="link" onClick={showSettings}>
            Settings → ilert targets
          </button>
          ).
        </p>
      )}
      <AddTarget targets={view.targets} onAdded={load} />

      {view.rows.length === 0 ? (
        <div className="empty" data-testid="routing-empty">
          <p className="empty-title">{view.lastSyncAt ? 'Level has no groups' : 'No groups yet'}</p>
          <p>
            {view.lastSyncAt
              ? 'Every device is outside any group, so alerts follow the unmapped-groups setting above.'
              : 'Press “Sync from Level” to read the group tree and the devices.'}
          </p>
        </div>
      ) : (
        <>
          {/* Only the route editors need an admin (each row disables its own): "Maintenance…" on a row is an operator's. */}
          <p className="small muted routing-hint" id="route-own-hint" data-testid="route-own-hint">
            A routing key and a minimum severity belong to a group’s own target: pick one to set them. A group without one inherits its parent’s route, minimum severity included.
            Hold-down and resolve grace (seconds) override the relay’s defaults (the settings holdDownSeconds and resolveGraceSeconds) for flapping alerts; empty keeps the default,
            0 turns it off.
          </p>
          <table className="table routing-table" data-testid="routing-table">
            <colgroup>
              <col className="rt-group" />
              <col className="rt-devices" />
              <col className="rt-route" />
              <col className="rt-effective" />
            </colgroup>
            <thead>
              <tr>
                <th scope="col">Level group</th>
                <th scope="col" title="Devices directly in the group / including its subgroups">
                  Devices
                </th>
                <th scope="col">Own route: ilert target · routing key · minimum severity · flapping</th>
                <th scope="col">Effective route</th>
              </tr>
            </thead>
            <tbody>
              {view.rows.map((row) => (
                <GroupRow
                  key={row.groupId}
                  row={row}
                  targets={view.targets}
                  inheritsFrom={view.rows.find((group) => group.groupId === row.effective.fromGroupId)}
                  onSave={saveRoute}
                  canEdit={role !== undefined && roleAllows(role, 'admin')}
                />
              ))}
            </tbody>
          </table>
        </>
      )}

      <Reconciliations runs={runsQuery.data} error={runsQuery.error?.message} busy={backfilling} result={backfillResult} onBackfill={() => void backfill()} />
    </div>
  );
}
