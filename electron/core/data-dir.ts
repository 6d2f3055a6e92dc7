import fs from 'node:fs';
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

/**
 * RELAY_DATA_DIR, else the directory the desktop app was told to use when the default one failed
 * (its electron-store, desktop.json in the app-data directory, electron/main/desktop-state.ts),
 * else the OS app-data directory. The headless host reads that choice too, so both keep one directory.
 */
export function resolveDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RELAY_DATA_DIR) return path.resolve(env.RELAY_DATA_DIR);
  try {
    const chosen = (JSON.parse(fs.readFileSync(path.join(defaultDataDir(env), 'desktop.json'), 'utf8')) as { dataDirectory?: unknown }).dataDirectory;
    if (typeof chosen === 'string' && chosen) return path.resolve(chosen);
  } catch {
    // No choice made (or no desktop app here): the default.
  }
  return defaultDataDir(env);
}
