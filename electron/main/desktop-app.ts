import type { BrowserWindow as BrowserWindowType } from 'electron';
import type { AppUpdater } from 'electron-updater';
import { IPC_PUSH_CHANNELS, type DesktopHandlers, type NavigateTarget, type PushName, type PushPayloads, type StartupProblem } from '../../shared/bridge.ts';
import { APP_ORIGIN } from '../core/desktop/app-protocol.ts';
import { planNotifications } from '../core/desktop/notifications.ts';
import { LogFile } from '../core/log-file.ts';
import { consoleLogger, createLogger } from '../core/logger.ts';
import { SettingsFile } from '../core/settings-file.ts';
import { startLocalBackend, type BackendHost, type DesktopBackend } from './backend.ts';
import { connectionHandlers } from './connection-handlers.ts';
import { DesktopState, type Connection, type StoreConstructor } from './desktop-state.ts';
import type { ElectronApi } from './electron-api.ts';
import { registerIpcHandlers, unavailable } from './ipc.ts';
import { applyStartAtLogin, openedAtLogin } from './login-item.ts';
import { Notifier } from './notifier.ts';
import { registerAppScheme, serveRenderer } from './protocol.ts';
import { RemoteBackend } from './remote-backend.ts';
import { secretStorage } from './secrets.ts';
import { TrayController } from './tray.ts';
import { DesktopUpdater } from './updater.ts';
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

/**
 * The desktop host: a relay backend (this app's own relay, or a team relay) plus window, tray,
 * notifications and IPC. Runs synchronously up to `whenReady` (scheme registration and the
 * single-instance lock must happen before ready), then starts the backend. If this app's relay
 * cannot start, the window and tray still come up and explain it, with a way out; the app never
 * lingers without a window. `Store` is electron-store and `loadUpdater` electron-updater's
 * autoUpdater, passed in so nothing here loads electron.
 */
export function runDesktopApp(
  electron: ElectronApi,
  paths: DesktopPaths,
  Store: StoreConstructor,
  loadUpdater: () => AppUpdater,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): void {
  const { app } = electron;
  registerAppScheme(electron.protocol);
  if (platform === 'win32') app.setAppUserModelId(APP_USER_MODEL_ID);
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }

  let backend: DesktopBackend | undefined;
  let problem: StartupProblem | undefined;
  let state: DesktopState;
  let window: BrowserWindowType | undefined;
  let tray: TrayController | undefined;
  let log: LogFile | undefined;
  let pausedUntil: number | undefined;
  let stopping: Promise<void> | undefined;
  let stopped = false;
  let trayTimer: NodeJS.Timeout | undefined;
  let updater: DesktopUpdater | undefined;
  const startHidden = process.argv.includes('--hidden') || openedAtLogin(app, platform);

  // The log file once it is open (it redacts secrets), the console until then or without one.
  const logger = createLogger((level, line) => (log ? log.write(level, line) : consoleLogger()[level](line)));
  const teamLog = logger.child('team relay');
  const updateLog = logger.child('update');

  const push = <K extends PushName>(name: K, payload: PushPayloads[K]) => {
    if (window && !window.isDestroyed()) window.webContents.send(IPC_PUSH_CHANNELS[name], payload);
  };

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
    if (target) push('navigate', target);
  };

  /** Stops the backend once, whoever asks first (tray Quit, the OS quitting, Windows ending the session). */
  const stopRelay = (): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(trayTimer);
      updater?.stop();
      const current = backend;
      backend = undefined;
      await current?.stop();
      logger.info('relay stopped');
      stopped = true;
    })();
    return stopping;
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

  const contractCall = () => backend?.call ?? unavailable(() => `the relay did not start: ${problem?.message ?? 'still starting'}`);

  const notificationLog = logger.child('notifications');
  const notifier = new Notifier(
    electron,
    platform,
    {
      open: (target) => showWindow(target),
      // Through the contract, as the window's Accept: its checks apply and the audit records it
      // (on a team relay as this technician, whose name also goes to ilert).
      accept: (levelAlertId) => void contractCall()('acceptAlert', { levelAlertId }).then((result) => !result.ok && notificationLog.error(`accept: ${result.error.message}`)),
    },
    notificationLog,
  );

  const refreshTray = () => {
    if (!tray || stopped) return;
    const now = Date.now();
    const shown = backend?.traySnapshot(pausedUntil, now) ?? { icon: 'problem' as const, tooltip: `Level → ilert Relay: not running — ${problem?.message ?? 'starting'}` };
    tray.update(shown, pausedUntil !== undefined && pausedUntil > now, updater?.offerLabel());
  };

  const host: BackendHost = {
    notify: (events, preferences) => {
      for (const plan of planNotifications(events, { ...preferences, pausedUntil }, Date.now())) notifier.show(plan);
    },
    refreshTray,
    settingsApplied: (settings) => {
      const notice = applyStartAtLogin(electron, settings.startAtLogin, platform, env);
      if (notice) logger.warn(notice);
      updater?.setEnabled(settings.checkForUpdates);
      refreshTray();
    },
  };

  const secrets = () => secretStorage(electron.safeStorage, platform);

  /** Starts what the desktop state says: the team relay this app attached to, or its own. */
  const boot = async (): Promise<void> => {
    let connection: Connection | undefined;
    try {
      connection = state.connection();
    } catch (error) {
      teamLog.error(`${(error as Error).message}; running the relay here instead`);
    }
    problem = undefined;
    if (connection?.mode === 'remote') backend = new RemoteBackend(connection, () => state.teamNotifications, host, teamLog);
    else {
      const started = await startLocalBackend({ dataDir: state.dataDir(env), env, secrets: secrets(), host, log: logger });
      if ('problem' in started) {
        problem = started.problem;
        logger.error(`start-up: ${problem.message}`);
        return;
      }
      backend = started.backend;
    }
    backend.onChanges((changes) => push('changes', changes));
  };

  /** Stops whatever runs now and starts what the desktop state says now. */
  const switchRelay = async (connection: Connection) => {
    state.setConnection(connection);
    const current = backend;
    backend = undefined;
    await current?.stop();
    await boot();
    push('changes', { deliveries: [], jobs: [], alerts: [], setup: true });
    refreshTray();
  };

  /** Only on the person's word (tray or Health): the relay stops cleanly, then the new version installs. */
  const restartToUpdate = async () => {
    if (!updater) throw new Error('no update is waiting to be installed');
    await updater.restartToUpdate(stopRelay);
  };

  const desktopHandlers: DesktopHandlers = {
    getStartupProblem: () => problem ?? null,
    resolveStartupProblem: async (input) => {
      if (backend) return { started: true, problem: null };
      if (input.action === 'quit') {
        void quit();
        return { started: false, problem: problem ?? null };
      }
      if (input.action === 'chooseDataDir') {
        const choice = await electron.dialog.showOpenDialog({ title: 'Choose a data directory for the relay', properties: ['openDirectory', 'createDirectory'] });
        const chosen = choice.filePaths[0];
        if (choice.canceled || !chosen) return { started: false, problem: problem ?? null };
        state.chooseDataDir(chosen);
      }
      if (input.action === 'replaceSecrets' && problem) new SettingsFile(problem.dataDir, secrets().codec).replaceSecrets(input.values);
      await boot();
      refreshTray();
      return { started: Boolean(backend), problem: problem ?? null };
    },
    ...connectionHandlers({ state: () => state, backend: () => backend, switchRelay }),
    getUpdate: () => updater?.view() ?? { phase: 'off', currentVersion: app.getVersion(), reason: 'the app is still starting' },
    restartToUpdate: async () => {
      await restartToUpdate();
      return { restarting: true };
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
      log = new LogFile(app.getPath('logs'), { secrets: () => backend?.secrets() ?? [] });
    } catch (error) {
      logger.error(`no log file: ${(error as Error).message}`);
    }
    state = new DesktopState(Store, app.getPath('userData'), env, () => secrets().codec, logger.child('desktop state'));
    electron.session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
    // No default menu: it offers DevTools and reload. macOS keeps the app and Edit menus for Cmd-Q and copy/paste.
    electron.Menu.setApplicationMenu(platform === 'darwin' ? electron.Menu.buildFromTemplate([{ role: 'appMenu' }, { role: 'editMenu' }]) : null);
    serveRenderer(electron, paths.rendererDir);
    registerIpcHandlers(electron.ipcMain, contractCall, desktopHandlers, logger.child('desktop'));

    tray = new TrayController(electron, paths.trayIconDir, platform, {
      open: showWindow,
      pauseNotifications: () => {
        pausedUntil = Date.now() + PAUSE_MS;
        refreshTray();
      },
      resumeNotifications: () => {
        pausedUntil = undefined;
        refreshTray();
      },
      copyWebhookUrl: () =>
        void contractCall()('getStatus', {}).then((result) => {
          const status = result.ok ? (result.value as { publicUrl?: string; receiverUrl?: string }) : undefined;
          electron.clipboard.writeText(status?.publicUrl ?? status?.receiverUrl ?? '');
        }),
      openLogs: () => void desktopHandlers.openLogs({}),
      restartToUpdate: () => void restartToUpdate().catch((error: Error) => updateLog.error(error.message)),
      quit: () => void quit(),
    });

    // The one seam for tests against a real Electron (tests/e2e/electron.test.ts): the tray menu.
    if (env.RELAY_E2E_HOOKS === '1') Object.assign(globalThis, { relayTestHooks: { trayMenu: () => tray?.menu } });

    // Registered once: the backend behind it may change (local ↔ team relay).
    electron.powerMonitor.on('resume', () => {
      backend?.wake();
      updater?.wake();
    });
    trayTimer = setInterval(refreshTray, TRAY_REFRESH_MS);
    trayTimer.unref();

    // Before boot: the local relay's settings say whether checks are on (settingsApplied).
    updater = new DesktopUpdater({ isPackaged: app.isPackaged, currentVersion: app.getVersion(), load: loadUpdater, onChange: refreshTray, log: updateLog });
    await boot();
    updater.start();
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
