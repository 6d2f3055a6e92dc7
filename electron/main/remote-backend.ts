import type { ConnectionView } from '../../shared/bridge.ts';
import type { AlertPage, AlertRow, MethodName, PushedEvent, RelayStatusView } from '../../shared/contract.ts';
import type { CallResult } from '../core/api/handlers.ts';
import { trayState, type TrayState } from '../core/desktop/tray-state.ts';
import type { Logger } from '../core/logger.ts';
import { RemoteRelay } from '../core/remote/remote-relay.ts';
import { disconnectedTrayState, RemoteAlertWatcher } from '../core/remote/team-connection.ts';
import type { BackendHost, DesktopBackend } from './backend.ts';
import type { TeamConnection, TeamNotifications } from './desktop-state.ts';

const REFRESH_MS = 15_000;

/** Attached to a team relay: no local receiver, everything over HTTPS and SSE as this technician. */
export class RemoteBackend implements DesktopBackend {
  readonly #remote: RemoteRelay;
  readonly #connection: TeamConnection;
  readonly #preferences: () => TeamNotifications;
  readonly #host: BackendHost;
  readonly #watcher = new RemoteAlertWatcher();
  /** The last the team relay said, for the tray between refreshes. */
  readonly #seen: { status?: RelayStatusView; alerts?: AlertPage } = {};
  readonly #timer: NodeJS.Timeout;
  #stopped = false;

  /** `log`: the desktop app's, named for the team relay. */
  constructor(connection: TeamConnection, preferences: () => TeamNotifications, host: BackendHost, log: Logger) {
    this.#connection = connection;
    this.#preferences = preferences;
    this.#host = host;
    const remote = (this.#remote = new RemoteRelay({ origin: connection.origin, pin: connection.pin, token: connection.token }));
    // Changes are handled one batch at a time, so notifications come in order and none twice.
    let queue = Promise.resolve();
    remote.events.on('changes', (changes) => {
      queue = queue.then(() => this.#refresh(changes)).catch((error: unknown) => log.error((error as Error).message));
    });
    remote.events.on('connection', () => {
      log.info(remote.connected ? `connected at ${remote.origin}` : `disconnected: ${remote.lastError ?? 'unknown reason'}`);
      host.refreshTray();
    });
    this.#timer = setInterval(() => void this.#refresh().catch((error: unknown) => log.error((error as Error).message)), REFRESH_MS);
    this.#timer.unref();
    remote.start();
    log.info(`attached at ${connection.origin} as ${connection.name} (${connection.role}); no local receiver`);
  }

  /** As this technician: the team relay checks the role and records the audit row. */
  readonly call = (name: MethodName, input: unknown): Promise<CallResult> => this.#remote.call(name, input);

  onChanges(listener: (changes: PushedEvent<'changes'>) => void): void {
    this.#remote.events.on('changes', listener);
  }

  traySnapshot(pausedUntil: number | undefined, now: number): TrayState {
    const { status, alerts } = this.#seen;
    const since = this.#remote.disconnectedSince;
    if (since !== undefined || !status || !alerts) return disconnectedTrayState(this.#remote.origin, since ?? now, this.#remote.lastError);
    return trayState({ status, alerts, notificationsPausedUntil: pausedUntil, now });
  }

  wake(): void {
    this.#remote.reconnectNow();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#remote.close();
  }

  describe(): ConnectionView {
    const connection = this.#connection;
    return {
      mode: 'remote',
      origin: connection.origin,
      fingerprint256: connection.pin.fingerprint256,
      name: connection.name,
      role: connection.role,
      connected: this.#remote.connected,
      disconnectedSince: this.#remote.disconnectedSince,
      lastError: this.#remote.lastError,
      ...this.#preferences(),
    };
  }

  secrets(): string[] {
    return [this.#remote.token];
  }

  /** Re-reads what the tray and notifications need from the team relay, after a change or on the timer. */
  async #refresh(changes?: PushedEvent<'changes'>): Promise<void> {
    const [status, alerts] = await Promise.all([this.call('getStatus', {}), this.call('listAlerts', { groupBy: 'none', limit: 1 })]);
    if (this.#stopped) return;
    if (status.ok) this.#seen.status = status.value as RelayStatusView;
    if (alerts.ok) this.#seen.alerts = alerts.value as AlertPage;
    if (!this.#watcher.primed) this.#watcher.prime(await this.#alertRows());
    else if (changes) {
      const { notifyMinSeverity, notifyResolves } = this.#preferences();
      this.#host.notify(this.#watcher.observe(changes, await this.#alertRows(changes)), { minSeverity: notifyMinSeverity, notifyResolves });
    }
    this.#host.refreshTray();
  }

  /** The rows a change names (at most 50: a storm is one summary anyway), or the active alerts after a reconnect. */
  async #alertRows(changes?: PushedEvent<'changes'>): Promise<AlertRow[]> {
    const page = (input: object) => this.call('listAlerts', { groupBy: 'none', ...input }).then((result) => (result.ok ? (result.value as AlertPage).rows : []));
    const rows = (entries: AlertPage['rows']) => entries.flatMap((entry) => (entry.kind === 'alert' ? [entry.alert] : []));
    if (!changes || (changes.setup === true && changes.alerts.length === 0)) return rows(await page({ state: 'active', limit: 500 }));
    const pages = await Promise.all(changes.alerts.slice(0, 50).map((levelAlertId) => page({ levelAlertId })));
    return rows(pages.flat());
  }
}
