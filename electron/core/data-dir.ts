import os from 'node:os';
import path from 'node:path';

export const APP_DIR_NAME = 'Level ilert Relay';

/**
 * The directory Electron's app.getPath('userData') resolves to for this app, computed without
 * Electron so the desktop app and the headless host share one data directory by default.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  const home = os.homedir();
  const appData =
    platform === 'win32'
      ? (env.APPDATA ?? path.join(home, 'AppData', 'Roaming'))
      : platform === 'darwin'
        ? path.join(home, 'Library', 'Application Support')
        : (env.XDG_CONFIG_HOME ?? path.join(home, '.config'));
  return path.join(appData, APP_DIR_NAME);
}

export function resolveDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.RELAY_DATA_DIR || defaultDataDir(env));
}
