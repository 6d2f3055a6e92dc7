/** Electron entry point: hands the real electron module to the desktop host. */
import path from 'node:path';
import * as electron from 'electron';
import { startDesktopApp } from './desktop-app.ts';

const root = path.join(__dirname, '..', '..');
void startDesktopApp(electron, {
  rendererDir: path.join(root, 'dist', 'renderer'),
  preload: path.join(__dirname, 'preload.cjs'),
  trayIconDir: path.join(root, 'build', 'tray'),
  appIcon: path.join(root, 'build', 'icon.png'),
});
