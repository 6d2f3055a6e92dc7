/** Electron entry point: hands the real electron module to the desktop host. */
// First: V8's heap settings, before the allocations of every module below (see heap-footprint.ts).
import '../core/heap-footprint.ts';
import path from 'node:path';
import * as electron from 'electron';
import Store from 'electron-store';
import * as electronUpdater from 'electron-updater';
import { runDesktopApp } from './desktop-app.ts';

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
