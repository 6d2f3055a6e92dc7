import type { BrowserWindow as BrowserWindowType } from 'electron';
import { IPC_CHANGES_CHANNEL, IPC_NAVIGATE_CHANNEL, type NavigateTarget } from '../../shared/bridge.ts';
import { ChangeBatcher } from '../core/api/change-batcher.ts';
import { createHandlers } from '../core/api/handlers.ts';
import { resolveDataDir } from '../core/data-dir.ts';
import { AlertWatcher } from '../core/desktop/alert-watcher.ts';
import { APP_ORIGIN } from '../core/desktop/app-protocol.ts';
import { planNotifications, type PlannedNotification } from '../core/desktop/notifications.ts';
import { trayState } from '../core/desktop/tray-state.ts';
import { Relay } from '../core/relay.ts';
import { SettingsFile } from '../core/settings-file.ts';
import { SettingsService } from '../core/settings-service.ts';
import type { Settings } from '../core/settings.ts';
import type { ElectronApi } from './electron-api.ts';
import { registerIpcHandlers } from './ipc.ts';
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

const PAUSE_MS = 60 * 60_000;
const TRAY_REFRESH_MS = 15_000;

/** What a running desktop app exposes, for its tests. */
export interface DesktopApp {
  relay: Relay | undefined;
  window: BrowserWindowType | undefined;
  tray: TrayController | undefined;
  quit(): Promise<void>;
}

/**
 * The desktop host: the relay core plus window, tray, notifications and IPC. Everything Electron
 * comes in through `electron`, so tests run it with fakes.
 */
export function startDesktopApp(electron: ElectronApi, paths: DesktopPaths, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): Promise<DesktopApp> {
  const { app } = electron;
  registerAppScheme(electron.protocol);
  const state: DesktopApp = { relay: undefined, window: undefined, tray: undefined, quit: async () => app.quit() };
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return Promise.resolve(state);
  }

  let quitting = false;
  let stopped = false;
  let pausedUntil: number | undefined;
  let batcher: ChangeBatcher | undefined;
  let trayTimer: NodeJS.Timeout | undefined;

  const showWindow = (target?: NavigateTarget) => {
    const window = state.window;
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
    if (target) window.webContents.send(IPC_NAVIGATE_CHANNEL, target);
  };

  const shutdown = async () => {
    if (stopped) return;
    stopped = true;
    quitting = true;
    clearInterval(trayTimer);
    batcher?.close();
    await state.relay?.stop();
  };
  state.quit = async () => {
    await shutdown();
    app.quit();
  };

  app.on('second-instance', () => showWindow());
  app.on('window-all-closed', () => {
    // Stay in the tray: the relay keeps running until Quit.
  });
  app.on('before-quit', (event) => {
    quitting = true;
    if (stopped) return;
    event.preventDefault();
    void state.quit();
  });

  return app.whenReady().then(async () => {
    electron.session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
    const dataDir = resolveDataDir(env);
    const secrets = secretStorage(electron.safeStorage, platform);

    const applyDesktopSettings = (settings: Settings) => app.setLoginItemSettings({ openAtLogin: settings.startAtLogin });
    let service: SettingsService;
    try {
      service = new SettingsService(new SettingsFile(dataDir, secrets.codec), env, (settings) => {
        state.relay?.applySettings(settings);
        applyDesktopSettings(settings);
        refreshTray();
      }, secrets.warning ? [secrets.warning] : []);
    } catch (error) {
      electron.dialog.showErrorBox('Level → ilert Relay: settings problem', (error as Error).message);
      app.quit();
      return state;
    }
    applyDesktopSettings(service.current);

    const relay = new Relay({ dataDir, settings: service.current });
    state.relay = relay;
    try {
      await relay.start();
    } catch (error) {
      // Keep the app up so the user can fix the port in Settings; the tray shows the problem.
      electron.dialog.showErrorBox('Level → ilert Relay: the receiver could not start', `${(error as Error).message}\n\nChange the port in Settings and restart the app.`);
    }

    registerIpcHandlers(electron.ipcMain, createHandlers(relay, service));
    serveRenderer(electron, paths.rendererDir);
    const window = createMainWindow(electron, { preload: paths.preload, icon: paths.appIcon, isQuitting: () => quitting });
    state.window = window;
    void window.loadURL(`${APP_ORIGIN}/`);

    const tray = new TrayController(electron, paths.trayIconDir, {
      open: () => showWindow(),
      pauseNotifications: () => {
        pausedUntil = Date.now() + PAUSE_MS;
        refreshTray();
      },
      resumeNotifications: () => {
        pausedUntil = undefined;
        refreshTray();
      },
      copyWebhookUrl: () => electron.clipboard.writeText(relay.status().publicUrl ?? relay.receiverUrl ?? ''),
      quit: () => void state.quit(),
    });
    state.tray = tray;

    function refreshTray(): void {
      if (stopped) return;
      const now = Date.now();
      const paused = pausedUntil !== undefined && pausedUntil > now;
      tray.update(
        trayState({
          status: relay.status(),
          alerts: relay.read.listAlerts(now),
          integrationConfigured: Boolean(service.current.ilertIntegrationKey),
          notificationsPausedUntil: pausedUntil,
          now,
        }),
        paused,
      );
    }

    // Only macOS shows notification buttons from plain options; elsewhere Accept is in the window.
    const acceptAction = platform === 'darwin';
    const notify = (plan: PlannedNotification) => {
      if (!electron.Notification.isSupported()) return;
      const alertId = plan.acceptAlertId;
      const actions = alertId && acceptAction ? [{ type: 'button' as const, text: 'Accept in ilert' }] : [];
      const notification = new electron.Notification({ title: plan.title, body: plan.body, urgency: plan.urgent ? 'critical' : 'normal', actions });
      notification.on('click', () => showWindow(plan.target));
      notification.on('action', () => {
        if (!alertId) return;
        try {
          relay.store.enqueueAccept(alertId, 'the technician (from a notification)');
        } catch (error) {
          console.error(`accept: ${(error as Error).message}`);
        }
      });
      notification.show();
    };
    electron.powerMonitor.on('resume', () => relay.reconciler.wake());

    const watcher = new AlertWatcher(relay.read, Date.now());
    batcher = new ChangeBatcher(relay.store, (changes) => {
      if (!window.isDestroyed()) window.webContents.send(IPC_CHANGES_CHANNEL, changes);
      const events = watcher.observe(changes);
      const settings = service.current;
      for (const plan of planNotifications(events, { minSeverity: settings.notifyMinSeverity, notifyResolves: settings.notifyResolves, pausedUntil }, Date.now())) notify(plan);
      refreshTray();
    });
    refreshTray();
    trayTimer = setInterval(refreshTray, TRAY_REFRESH_MS);
    trayTimer.unref();
    return state;
  });
}
