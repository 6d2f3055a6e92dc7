import type { BrowserWindow as BrowserWindowType } from 'electron';
import { isAllowedExternalUrl, isTrustedSenderUrl } from '../core/desktop/app-protocol.ts';
import type { ElectronApi } from './electron-api.ts';

export interface MainWindowOptions {
  preload: string;
  icon?: string;
  /** True once the user chose Quit: only then does closing the window really close it. */
  isQuitting: () => boolean;
  /** Started at login: stay in the tray until the user opens the window. */
  startHidden?: boolean;
}

/**
 * The dashboard window, hardened: isolated, sandboxed, no Node in the page, no navigation away
 * from the app, no new windows; https links open in the OS browser.
 */
export function createMainWindow(electron: Pick<ElectronApi, 'BrowserWindow' | 'shell'>, options: MainWindowOptions): BrowserWindowType {
  const window = new electron.BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'Level → ilert Relay',
    autoHideMenuBar: true,
    ...(options.icon ? { icon: options.icon } : {}),
    webPreferences: {
      preload: options.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  const contents = window.webContents;
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternalUrl(url)) void electron.shell.openExternal(url);
    return { action: 'deny' };
  });
  const stayInApp = (event: { preventDefault(): void }, url: string) => {
    if (!isTrustedSenderUrl(url)) {
      event.preventDefault();
      if (isAllowedExternalUrl(url)) void electron.shell.openExternal(url);
    }
  };
  contents.on('will-navigate', stayInApp);
  contents.on('will-redirect', stayInApp);
  contents.on('will-attach-webview', (event) => event.preventDefault());
  window.on('close', (event) => {
    if (options.isQuitting()) return;
    event.preventDefault();
    window.hide();
  });
  window.removeMenu();
  if (!options.startHidden) window.once('ready-to-show', () => window.show());
  return window;
}
