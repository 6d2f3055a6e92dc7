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

/** Where the desktop app remembers a data directory the user chose when the default one failed. */
function choiceFile(env: NodeJS.ProcessEnv): string {
  return path.join(defaultDataDir(env), 'data-directory.txt');
}

/** RELAY_DATA_DIR, else the directory the user chose, else the OS app-data directory. */
export function resolveDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RELAY_DATA_DIR) return path.resolve(env.RELAY_DATA_DIR);
  try {
    const chosen = fs.readFileSync(choiceFile(env), 'utf8').trim();
    if (chosen) return path.resolve(chosen);
  } catch {
    // No choice made: the default.
  }
  return defaultDataDir(env);
}

export function rememberDataDir(dir: string, env: NodeJS.ProcessEnv = process.env): void {
  const file = choiceFile(env);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, `${dir}\n`, { mode: 0o600 });
}
