/** Electron entry point: hands the real electron module to the desktop host. */
import path from 'node:path';
import * as electron from 'electron';
import Store from 'electron-store';
import * as electronUpdater from 'electron-updater';
import { keepHeapSmall } from '../core/heap-footprint.ts';
import { runDesktopApp } from './desktop-app.ts';

keepHeapSmall();

// dist/electron/main.cjs: the app's root (the repo, or app.asar when packaged) is two levels up.
const root = path.join(__dirname, '..', '..');
runDesktopApp(
  electron,
  {
    rendererDir: path.join(root, 'dist', 'renderer'),
    preload: path.join(__dirname, 'preload.cjs'),
    trayIconDir: path.join(root, 'build', 'tray'),
    appIcon: path.join(root, 'build', 'icon.png'),
  },
  Store,
  // A getter: electron-updater makes its platform's updater on first use, which only an installed app reaches.
  () => electronUpdater.autoUpdater,
);
