/**
 * The Electron host: app lifecycle and the window around the relay core. Thin on purpose; the
 * tray, notifications and IPC arrive with the desktop-app issue.
 */
import path from 'node:path';
import { app, BrowserWindow, dialog, shell } from 'electron';
import { resolveDataDir } from '../core/data-dir.ts';
import { Relay } from '../core/relay.ts';
import { SettingsFile } from '../core/settings-file.ts';

let relay: Relay | undefined;

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1200,
    height: 800,
    show: false,
    webPreferences: {
      preload: path.join(__dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  window.once('ready-to-show', () => window.show());
  void window.loadFile(path.join(__dirname, '../renderer/index.html'));
  return window;
}

async function start(): Promise<void> {
  const dataDir = resolveDataDir();
  try {
    const settings = new SettingsFile(dataDir).resolve();
    relay = new Relay({ dataDir, settings });
    await relay.start();
  } catch (error) {
    dialog.showErrorBox('Level → ilert Relay could not start', (error as Error).message);
  }
  createWindow();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => BrowserWindow.getAllWindows()[0]?.show());
  app.on('before-quit', (event) => {
    if (!relay) return;
    event.preventDefault();
    const stopping = relay;
    relay = undefined;
    void stopping.stop().finally(() => app.quit());
  });
  void app.whenReady().then(start);
}
