import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ElectronApi } from './electron-api.ts';

const HIDDEN_FLAG = '--hidden';

/** Where the XDG autostart entry goes: https://specifications.freedesktop.org/autostart-spec/latest/ */
export function autostartFile(env: NodeJS.ProcessEnv): string {
  return path.join(env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config'), 'autostart', 'level-ilert-relay.desktop');
}

/**
 * Starts the app at login, hidden in the tray, or stops doing so. Electron's login items cover
 * macOS and Windows only, so Linux gets an XDG autostart entry. A development run (not packaged)
 * registers nothing: that would start a bare `electron` binary at every login.
 * Returns a notice when it could not do what was asked.
 */
export function applyStartAtLogin(electron: Pick<ElectronApi, 'app'>, enabled: boolean, platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string | undefined {
  const { app } = electron;
  if (!app.isPackaged) return enabled ? 'start at login: works only in the installed app, not in a development run' : undefined;
  if (platform === 'linux') {
    const file = autostartFile(env);
    if (!enabled) {
      fs.rmSync(file, { force: true });
      return undefined;
    }
    // An AppImage runs from a temporary mount: the entry must start the AppImage file itself.
    const executable = env.APPIMAGE || process.execPath;
    const entry = [
      '[Desktop Entry]',
      'Type=Application',
      `Name=${app.getName()}`,
      `Exec="${executable.replace(/(["\\`$])/g, '\\$1')}" ${HIDDEN_FLAG}`,
      'X-GNOME-Autostart-enabled=true',
      'Terminal=false',
      '',
    ].join('\n');
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, entry, { mode: 0o644 });
    } catch (error) {
      return `start at login: could not write ${file}: ${(error as Error).message}`;
    }
    return undefined;
  }
  app.setLoginItemSettings(platform === 'win32' ? { openAtLogin: enabled, args: [HIDDEN_FLAG] } : { openAtLogin: enabled });
  return undefined;
}

/** True when the OS started the app at login (macOS tells; elsewhere the entry passes --hidden). */
export function openedAtLogin(app: ElectronApi['app'], platform: NodeJS.Platform): boolean {
  return platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin === true;
}
