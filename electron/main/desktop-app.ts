import type { BrowserWindow as BrowserWindowType } from 'electron';
import { IPC_CHANGES_CHANNEL, IPC_NAVIGATE_CHANNEL, type ConnectionView, type DesktopHandlers, type NavigateTarget, type StartupProblem } from '../../shared/bridge.ts';
import type { AlertPage, AlertRow, Handlers, PushedEvent, RelayStatusView } from '../../shared/contract.ts';
import { callMethod } from '../core/api/handlers.ts';
import { bootRelay, RelayOpenError } from '../core/boot.ts';
import { rememberDataDir, resolveDataDir } from '../core/data-dir.ts';
import { APP_ORIGIN } from '../core/desktop/app-protocol.ts';
import { planNotifications, type DesktopEvent } from '../core/desktop/notifications.ts';
import { trayState, type TrayState } from '../core/desktop/tray-state.ts';
import { LogFile } from '../core/log-file.ts';
import type { Relay } from '../core/relay.ts';
import { SettingsFile } from '../core/settings-file.ts';
import { SettingsService } from '../core/settings-service.ts';
import { SECRET_SETTINGS, SettingsError, type Settings } from '../core/settings.ts';
import { pairWithTeamRelay, probeCertificate, RemoteRelay, teamRelayOrigin } from '../core/remote/remote-relay.ts';
import { disconnectedTrayState, readConnection, RemoteAlertWatcher, writeConnection, type Connection, type TeamConnection } from '../core/remote/team-connection.ts';
import type { ElectronApi } from './electron-api.ts';
import { registerIpcHandlers, unavailable, type ContractCall } from './ipc.ts';
import { applyStartAtLogin, openedAtLogin } from './login-item.ts';
import { Notifier } from './notifier.ts';
import { registerAppScheme, serveRenderer } from './protocol.ts';
import { secretStorage } from './secrets.ts';
import { TrayController } from './tray.ts';
import { createMainWindow } from './window.ts';

export interface DesktopPaths {
  rendererDir: string;
  preload: string;
  trayIconDir: string;
  appIcon: string;
}

/** electron-builder's appId: Windows shows toasts only for an app with this id set. */
export const APP_USER_MODEL_ID = 'io.github.level-ilert-relay';
const PAUSE_MS = 60 * 60_000;
const TRAY_REFRESH_MS = 15_000;

/** This app's own relay, with what hangs off it; absent while start-up failed. */
interface LocalRunning {
  kind: 'local';
  relay: Relay;
  service: SettingsService;
  handlers: Handlers;
}

/** Attached to a team relay: no local receiver, everything over HTTPS and SSE as this technician. */
interface RemoteRunning {
  kind: 'remote';
  remote: RemoteRelay;
  connection: TeamConnection;
  watcher: RemoteAlertWatcher;
  /** The last the team relay said, for the tray between refreshes. */
  seen: { status?: RelayStatusView; alerts?: AlertPage };
}

type Running = LocalRunning | RemoteRunning;

/**
 * The desktop host: the relay core plus window, tray, notifications and IPC. Runs synchronously
 * up to `whenReady` (scheme registration and the single-instance lock must happen before ready),
 * then starts the relay. If the relay cannot start (unreadable settings, a secret the keychain
 * will not decrypt, a database that cannot be opened) the window and tray still come up and
 * explain it, with a way out; the app never lingers without a window.
 */
export function runDesktopApp(electron: ElectronApi, paths: DesktopPaths, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): void {
  const { app } = electron;
  registerAppScheme(electron.protocol);
  if (platform === 'win32') app.setAppUserModelId(APP_USER_MODEL_ID);
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }

  let running: Running | undefined;
  let problem: StartupProblem | undefined;
  let chosenDataDir: string | undefined;
  let window: BrowserWindowType | undefined;
  let tray: TrayController | undefined;
  let log: LogFile | undefined;
  let pausedUntil: number | undefined;
  let stopping: Promise<void> | undefined;
  let stopped = false;
  let trayTimer: NodeJS.Timeout | undefined;
  const startHidden = process.argv.includes('--hidden') || openedAtLogin(app, platform);

  const setDockVisible = (visible: boolean) => {
    // macOS: a Dock icon only while the window is shown; the tray is the app otherwise.
    if (platform !== 'darwin' || !app.dock) return;
    if (visible) void app.dock.show();
    else app.dock.hide();
  };

  const showWindow = (target?: NavigateTarget) => {
    if (!window || window.isDestroyed()) return;
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
    if (target) window.webContents.send(IPC_NAVIGATE_CHANNEL, target);
  };

  /** Stops the relay once, whoever asks first (tray Quit, the OS quitting, Windows ending the session). */
  const stopRelay = (): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(trayTimer);
      const current = running;
      running = undefined;
      await stopRunning(current);
      console.log('relay stopped');
      stopped = true;
    })();
    return stopping;
  };
  const stopRunning = async (current: Running | undefined) => {
    if (current?.kind === 'local') await current.relay.stop();
    if (current?.kind === 'remote') current.remote.close();
  };
  const quit = async () => {
    await stopRelay();
    app.quit();
  };

  app.on('second-instance', () => showWindow());
  app.on('activate', () => showWindow());
  app.on('window-all-closed', () => {
    // Stay in the tray: the relay keeps running until Quit.
  });
  app.on('before-quit', (event) => {
    // Cmd-Q, logout, shutdown or tray Quit: finish in-flight work first, then quit for real.
    if (stopped) return;
    event.preventDefault();
    void quit();
  });

  const contractCall = (): ContractCall => {
    const current = running;
    if (current?.kind === 'remote') return (name, input) => current.remote.call(name, input);
    if (current) return (name, input) => callMethod(current.handlers, name, input);
    return unavailable(() => `the relay did not start: ${problem?.message ?? 'still starting'}`);
  };

  const notifier = new Notifier(electron, platform, {
    open: (target) => showWindow(target),
    // Through the contract, as the window's Accept: its checks apply and the audit records it
    // (on a team relay as this technician, whose name also goes to ilert).
    accept: (levelAlertId) => void contractCall()('acceptAlert', { levelAlertId }).then((result) => !result.ok && console.error(`accept: ${result.error.message}`)),
  });

  const refreshTray = () => {
    if (!tray || stopped) return;
    const now = Date.now();
    const paused = pausedUntil !== undefined && pausedUntil > now;
    let state: TrayState;
    if (running?.kind === 'remote') {
      const { remote, seen } = running;
      const since = remote.disconnectedSince;
      if (since !== undefined || !seen.status || !seen.alerts) state = disconnectedTrayState(remote.origin, since ?? Date.now(), remote.lastError);
      else state = trayState({ status: seen.status, alerts: seen.alerts, notificationsPausedUntil: pausedUntil, now });
    } else if (running) {
      state = trayState({ ...running.relay.traySnapshot(), notificationsPausedUntil: pausedUntil, now });
    } else {
      state = { icon: 'problem', tooltip: `Level → ilert Relay: not running — ${problem?.message ?? 'starting'}` };
    }
    tray.update(state, paused);
  };

  const notify = (events: DesktopEvent[], preferences: { notifyMinSeverity: Settings['notifyMinSeverity']; notifyResolves: boolean }) => {
    for (const plan of planNotifications(events, { minSeverity: preferences.notifyMinSeverity, notifyResolves: preferences.notifyResolves, pausedUntil }, Date.now()))
      notifier.show(plan);
  };

  /** Re-reads what the tray and notifications need from the team relay, after a change or on the timer. */
  const refreshRemote = async (current: RemoteRunning, changes?: PushedEvent<'changes'>) => {
    const [status, alerts] = await Promise.all([current.remote.call('getStatus', {}), current.remote.call('listAlerts', { groupBy: 'none', limit: 1 })]);
    if (running !== current) return;
    if (status.ok) current.seen.status = status.value as RelayStatusView;
    if (alerts.ok) current.seen.alerts = alerts.value as AlertPage;
    if (!current.watcher.primed) current.watcher.prime(await remoteAlertRows(current.remote));
    else if (changes) notify(current.watcher.observe(changes, await remoteAlertRows(current.remote, changes)), current.connection);
    refreshTray();
  };

  const bootRemote = (connection: TeamConnection) => {
    const remote = new RemoteRelay({ origin: connection.origin, pin: connection.pin, token: connection.token });
    const current: RemoteRunning = { kind: 'remote', remote, connection, watcher: new RemoteAlertWatcher(), seen: {} };
    // Changes are handled one batch at a time, so notifications come in order and none twice.
    let queue = Promise.resolve();
    remote.events.on('changes', (changes) => {
      if (window && !window.isDestroyed()) window.webContents.send(IPC_CHANGES_CHANNEL, changes);
      queue = queue.then(() => refreshRemote(current, changes)).catch((error: unknown) => console.error(`team relay: ${(error as Error).message}`));
    });
    remote.events.on('connection', () => {
      console.log(remote.connected ? `connected to the team relay at ${remote.origin}` : `disconnected from the team relay: ${remote.lastError ?? 'unknown reason'}`);
      refreshTray();
    });
    running = current;
    remote.start();
    console.log(`attached to the team relay at ${connection.origin} as ${connection.name} (${connection.role}); no local receiver`);
  };

  const dataDirNow = () => chosenDataDir ?? resolveDataDir(env);
  const secretCodec = () => secretStorage(electron.safeStorage, platform).codec;

  /** Which relay to run: the team relay this app attached to, or its own. */
  const boot = async (): Promise<void> => {
    let connection: Connection | undefined;
    try {
      connection = readConnection(dataDirNow(), secretCodec());
    } catch (error) {
      console.error(`team relay: ${(error as Error).message}; running the relay here instead`);
    }
    if (connection?.mode === 'remote') {
      problem = undefined;
      bootRemote(connection);
      return;
    }
    await bootLocal();
  };

  /** Starts settings and relay; on failure records why, so the window can say it. */
  const bootLocal = async (): Promise<void> => {
    const dataDir = dataDirNow();
    const secrets = secretStorage(electron.safeStorage, platform);
    let service: SettingsService;
    try {
      const file = new SettingsFile(dataDir, secrets.codec);
      service = new SettingsService(file, env, (settings) => applySettings(settings), secrets.warning ? [secrets.warning] : []);
    } catch (error) {
      problem = describeStartupProblem(error, dataDir, env);
      console.error(`start-up: ${problem.message}`);
      return;
    }
    let booted: Awaited<ReturnType<typeof bootRelay>>;
    try {
      booted = await bootRelay({ dataDir, settings: service, receiverRequired: false });
    } catch (error) {
      if (!(error instanceof RelayOpenError)) throw error;
      problem = { kind: 'database', message: `the database in ${dataDir} cannot be opened: ${error.message}`, dataDir, secrets: [], canChooseDataDir: !env.RELAY_DATA_DIR };
      console.error(`start-up: ${problem.message}`);
      return;
    }
    const { relay, handlers, receiverError } = booted;
    // The relay runs without its receiver; the status, Health and the tray say why.
    if (receiverError) console.error(`the receiver could not start: ${receiverError.message}`);
    problem = undefined;
    relay.events.on('changes', (changes) => {
      if (window && !window.isDestroyed()) window.webContents.send(IPC_CHANGES_CHANNEL, changes);
      refreshTray();
    });
    relay.events.on('notable', (events) => notify(events, service.current));
    running = { kind: 'local', relay, service, handlers };
    applySettings(service.current);
    console.log(`relay started: receiver ${relay.receiverUrl ?? 'not listening'}, data in ${dataDir}`);
  };

  const applySettings = (settings: Settings) => {
    if (running?.kind === 'local') running.relay.applySettings(settings);
    const notice = applyStartAtLogin(electron, settings.startAtLogin, platform, env);
    if (notice) console.warn(notice);
    refreshTray();
  };

  const connectionView = (): ConnectionView => {
    if (running?.kind === 'remote') {
      const { connection, remote } = running;
      return {
        mode: 'remote',
        origin: connection.origin,
        fingerprint256: connection.pin.fingerprint256,
        name: connection.name,
        role: connection.role,
        connected: remote.connected,
        disconnectedSince: remote.disconnectedSince,
        lastError: remote.lastError,
        notifyMinSeverity: connection.notifyMinSeverity,
        notifyResolves: connection.notifyResolves,
      };
    }
    let chosen: Connection | undefined;
    try {
      chosen = readConnection(dataDirNow(), secretCodec());
    } catch {
      chosen = undefined;
    }
    return { mode: chosen ? 'local' : 'unchosen' };
  };

  /** Stops whatever runs now and starts what the connection file says. */
  const switchRelay = async (connection: Connection) => {
    writeConnection(dataDirNow(), connection, secretCodec());
    const current = running;
    running = undefined;
    await stopRunning(current);
    await boot();
    if (window && !window.isDestroyed()) window.webContents.send(IPC_CHANGES_CHANNEL, { deliveries: [], jobs: [], alerts: [], setup: true });
    refreshTray();
  };

  const desktopHandlers: DesktopHandlers = {
    getStartupProblem: () => problem ?? null,
    resolveStartupProblem: async (input) => {
      if (running) return { started: true, problem: null };
      if (input.action === 'quit') {
        void quit();
        return { started: false, problem: problem ?? null };
      }
      if (input.action === 'chooseDataDir') {
        const choice = await electron.dialog.showOpenDialog({ title: 'Choose a data directory for the relay', properties: ['openDirectory', 'createDirectory'] });
        const chosen = choice.filePaths[0];
        if (choice.canceled || !chosen) return { started: false, problem: problem ?? null };
        chosenDataDir = chosen;
        rememberDataDir(chosen, env);
      }
      if (input.action === 'replaceSecrets' && problem) {
        new SettingsFile(problem.dataDir, secretStorage(electron.safeStorage, platform).codec).replaceSecrets(input.values);
      }
      await boot();
      refreshTray();
      return { started: Boolean(running), problem: problem ?? null };
    },
    getConnection: () => connectionView(),
    probeTeamRelay: async ({ url }) => {
      const origin = teamRelayOrigin(url);
      const { fingerprint256 } = await probeCertificate(origin);
      return { origin, fingerprint256 };
    },
    connectTeamRelay: async ({ url, code, fingerprint256 }) => {
      const origin = teamRelayOrigin(url);
      const pin = await probeCertificate(origin);
      if (pin.fingerprint256 !== fingerprint256) {
        throw new Error(`the relay's certificate is not the one you confirmed (now ${pin.fingerprint256}): check again before connecting`);
      }
      const paired = await pairWithTeamRelay(origin, pin, code);
      const notifyFrom = running?.kind === 'local' ? running.service.current : undefined;
      await switchRelay({
        mode: 'remote',
        origin,
        pin,
        token: paired.token,
        name: paired.name,
        role: paired.role,
        notifyMinSeverity: notifyFrom?.notifyMinSeverity ?? 'warning',
        notifyResolves: notifyFrom?.notifyResolves ?? false,
      });
      return connectionView();
    },
    useLocalRelay: async () => {
      if (running?.kind === 'remote' || running === undefined) await switchRelay({ mode: 'local' });
      else writeConnection(dataDirNow(), { mode: 'local' }, secretCodec());
      return connectionView();
    },
    updateTeamNotifications: ({ notifyMinSeverity, notifyResolves }) => {
      if (running?.kind !== 'remote') throw new Error('these preferences are for a team relay; this app runs its own (see Settings → Notifications)');
      running.connection = { ...running.connection, notifyMinSeverity, notifyResolves };
      writeConnection(dataDirNow(), running.connection, secretCodec());
      return connectionView();
    },
    openLogs: async () => {
      const file = log?.path ?? '';
      const failure = file ? await electron.shell.openPath(file) : 'no log file';
      if (failure) throw new Error(failure);
      return { path: file };
    },
  };

  void app.whenReady().then(async () => {
    try {
      log = new LogFile(app.getPath('logs'), { secrets: () => (running?.kind === 'remote' ? [running.remote.token] : secretValues(running?.service.current)) });
      log.captureConsole();
    } catch (error) {
      console.error(`no log file: ${(error as Error).message}`);
    }
    electron.session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
    // No default menu: it offers DevTools and reload. macOS keeps the app and Edit menus for Cmd-Q and copy/paste.
    electron.Menu.setApplicationMenu(platform === 'darwin' ? electron.Menu.buildFromTemplate([{ role: 'appMenu' }, { role: 'editMenu' }]) : null);
    serveRenderer(electron, paths.rendererDir);
    registerIpcHandlers(electron.ipcMain, () => contractCall(), desktopHandlers);

    tray = new TrayController(electron, paths.trayIconDir, platform, {
      open: () => showWindow(),
      pauseNotifications: () => {
        pausedUntil = Date.now() + PAUSE_MS;
        refreshTray();
      },
      resumeNotifications: () => {
        pausedUntil = undefined;
        refreshTray();
      },
      copyWebhookUrl: () => {
        const status = running?.kind === 'local' ? running.relay.status() : running?.seen.status;
        electron.clipboard.writeText(status?.publicUrl ?? status?.receiverUrl ?? '');
      },
      openLogs: () => void desktopHandlers.openLogs({}),
      quit: () => void quit(),
    });

    // The one seam for tests against a real Electron (tests/e2e/electron.test.ts): the tray menu.
    if (env.RELAY_E2E_HOOKS === '1') Object.assign(globalThis, { relayTestHooks: { trayMenu: () => tray?.menu } });

    // Registered once: the relay behind them may change (local ↔ team relay).
    electron.powerMonitor.on('resume', () => {
      if (running?.kind === 'local') running.relay.wake();
      if (running?.kind === 'remote') running.remote.reconnectNow();
    });
    trayTimer = setInterval(() => {
      if (running?.kind === 'remote') void refreshRemote(running).catch((error: unknown) => console.error(`team relay: ${(error as Error).message}`));
      else refreshTray();
    }, TRAY_REFRESH_MS);
    trayTimer.unref();

    await boot();
    window = createMainWindow(electron, { preload: paths.preload, icon: paths.appIcon, isQuitting: () => stopping !== undefined, startHidden: startHidden && !problem });
    window.on('show', () => setDockVisible(true));
    window.on('hide', () => setDockVisible(false));
    // Windows ends the session without before-quit: stop the relay while there is still time.
    window.on('session-end', () => void stopRelay());
    if (startHidden && !problem) setDockVisible(false);
    void window.loadURL(`${APP_ORIGIN}/`);
    refreshTray();
  });
}

/** The rows a change names (at most 50: a storm is one summary anyway), or the active alerts after a reconnect. */
async function remoteAlertRows(remote: RemoteRelay, changes?: PushedEvent<'changes'>): Promise<AlertRow[]> {
  const page = (input: object) => remote.call('listAlerts', { groupBy: 'none', ...input }).then((result) => (result.ok ? (result.value as AlertPage).rows : []));
  const rows = (entries: AlertPage['rows']) => entries.flatMap((entry) => (entry.kind === 'alert' ? [entry.alert] : []));
  if (!changes || (changes.setup === true && changes.alerts.length === 0)) return rows(await page({ state: 'active', limit: 500 }));
  const pages = await Promise.all(changes.alerts.slice(0, 50).map((levelAlertId) => page({ levelAlertId })));
  return rows(pages.flat());
}

function secretValues(settings: Settings | undefined): string[] {
  if (!settings) return [];
  return [...SECRET_SETTINGS.map((key) => settings[key]), ...settings.ilertTargets.map((target) => target.integrationKey)].filter((value): value is string => Boolean(value));
}

function describeStartupProblem(error: unknown, dataDir: string, env: NodeJS.ProcessEnv): StartupProblem {
  const canChooseDataDir = !env.RELAY_DATA_DIR;
  if (error instanceof SettingsError) {
    const secrets = error.issues.filter((issue) => /decrypt|encrypted/.test(issue.message)).map((issue) => issue.key);
    if (secrets.length) {
      return {
        kind: 'secrets',
        message: `the system keychain did not decrypt the saved secrets (${secrets.join(', ')}): enter them again, or forget them and set them later`,
        dataDir,
        secrets,
        canChooseDataDir,
      };
    }
    return { kind: 'settings', message: error.problems.join('; '), dataDir, secrets: [], canChooseDataDir };
  }
  return { kind: 'settings', message: (error as Error).message, dataDir, secrets: [], canChooseDataDir };
}
