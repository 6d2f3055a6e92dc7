/**
 * The part of Electron the main-process glue uses. main.ts passes the real module; unit tests
 * pass fakes, so none of the glue imports electron at runtime.
 */
import type * as Electron from 'electron';

export type ElectronApi = Pick<
  typeof Electron,
  | 'app'
  | 'BrowserWindow'
  | 'Tray'
  | 'Menu'
  | 'Notification'
  | 'nativeImage'
  | 'clipboard'
  | 'shell'
  | 'dialog'
  | 'ipcMain'
  | 'protocol'
  | 'net'
  | 'safeStorage'
  | 'session'
  | 'powerMonitor'
>;
