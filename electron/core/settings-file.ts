import fs from 'node:fs';
import Conf from 'conf';
import { resolveSettings, validateSettings, SettingsError, SECRET_SETTINGS, type Settings, type SettingsInput } from './settings.ts';

/** Encrypts secrets at rest; the desktop app backs it with Electron's safeStorage. */
export interface SecretCodec {
  encrypt(plain: string): string;
  decrypt(stored: string): string;
}

const ENCRYPTED = 'enc:v1:';

/**
 * The settings file in the data directory (`settings.json`), read and written with conf — the
 * library under electron-store — so the desktop app and the headless host share one format.
 * Validation is ours (zod); environment variables override what the file says.
 */
export class SettingsFile {
  readonly path: string;
  readonly #conf: Conf<Record<string, unknown>>;
  readonly #codec: SecretCodec | undefined;

  constructor(dataDir: string, codec?: SecretCodec) {
    this.#codec = codec;
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

  /** The file's values, secrets decrypted. A secret that cannot be decrypted is reported, not dropped. */
  stored(): Record<string, unknown> {
    return mapSecrets({ ...this.#conf.store }, (value, key) => {
      if (!value.startsWith(ENCRYPTED)) return value;
      if (!this.#codec) throw new SettingsError([{ key, message: 'is encrypted by the desktop app; set it again here or through its environment variable' }]);
      try {
        return this.#codec.decrypt(value.slice(ENCRYPTED.length));
      } catch (error) {
        throw new SettingsError([{ key, message: `cannot be decrypted (${(error as Error).message}); enter it again` }]);
      }
    });
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
    const codec = this.#codec;
    const onDisk = codec ? mapSecrets({ ...next }, (value) => `${ENCRYPTED}${codec.encrypt(value)}`) : next;
    this.#conf.store = onDisk;
    return settings;
  }
}

/** Applies `transform` to every secret in the settings: the secret settings and each target's integration key. */
function mapSecrets(values: Record<string, unknown>, transform: (value: string, key: string) => string): Record<string, unknown> {
  for (const key of SECRET_SETTINGS) {
    const value = values[key];
    if (typeof value === 'string' && value) values[key] = transform(value, key);
  }
  if (Array.isArray(values.ilertTargets)) {
    values.ilertTargets = values.ilertTargets.map((target: unknown, index) => {
      if (!target || typeof target !== 'object') return target;
      const key = (target as { integrationKey?: unknown }).integrationKey;
      return typeof key === 'string' && key ? { ...target, integrationKey: transform(key, `ilertTargets.${index}.integrationKey`) } : target;
    });
  }
  return values;
}
