import fs from 'node:fs';
import Conf from 'conf';
import { resolveSettings, validateSettings, SettingsError, type Settings, type SettingsInput } from './settings.ts';

/**
 * The settings file in the data directory (`settings.json`), read and written with conf — the
 * library under electron-store — so the desktop app and the headless host share one format.
 * Validation is ours (zod); environment variables override what the file says.
 */
export class SettingsFile {
  readonly path: string;
  readonly #conf: Conf<Record<string, unknown>>;

  constructor(dataDir: string) {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    try {
      this.#conf = new Conf<Record<string, unknown>>({
        cwd: dataDir,
        configName: 'settings',
        configFileMode: 0o600,
        watch: false,
      });
    } catch (error) {
      throw new SettingsError([{ key: '', message: `the settings file in ${dataDir} cannot be read: ${(error as Error).message}` }]);
    }
    this.path = this.#conf.path;
  }

  stored(): Record<string, unknown> {
    return { ...this.#conf.store };
  }

  /** Effective settings: file, then environment overrides, validated. */
  resolve(env: NodeJS.ProcessEnv = process.env): Settings {
    return resolveSettings(this.stored(), env);
  }

  /** Validates a partial update against the whole schema before anything is written. */
  update(patch: Partial<SettingsInput>): Settings {
    const next: Record<string, unknown> = { ...this.stored(), ...patch };
    for (const [key, value] of Object.entries(patch)) if (value === undefined) delete next[key];
    const settings = validateSettings(next);
    this.#conf.store = next;
    return settings;
  }
}
