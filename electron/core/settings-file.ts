import fs from 'node:fs';
import path from 'node:path';
import { resolveSettings, validateSettings, SettingsError, SECRET_SETTINGS, type Settings, type SettingsInput } from './settings.ts';

/** Encrypts secrets at rest; the desktop app backs it with Electron's safeStorage. */
export interface SecretCodec {
  encrypt(plain: string): string;
  decrypt(stored: string): string;
}

const ENCRYPTED = 'enc:v1:';

/**
 * The settings file in the data directory (`settings.json`), shared by the desktop app and the
 * headless host. Validation is ours (zod); environment variables override what the file says.
 * Writes are atomic (a temporary file renamed over the old one), so a crash mid-write leaves
 * either the old settings or the new ones, never half a file.
 */
export class SettingsFile {
  readonly path: string;
  readonly #codec: SecretCodec | undefined;
  #values: Record<string, unknown>;

  constructor(dataDir: string, codec?: SecretCodec) {
    this.#codec = codec;
    this.path = path.join(dataDir, 'settings.json');
    try {
      fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      this.#values = readJsonObject(this.path);
    } catch (error) {
      throw new SettingsError([{ key: '', message: `the settings file in ${dataDir} cannot be read: ${(error as Error).message}` }]);
    }
  }

  /** The file's values, secrets decrypted. Secrets that cannot be decrypted are all reported, never dropped. */
  stored(): Record<string, unknown> {
    const issues: { key: string; message: string }[] = [];
    const values = mapSecrets({ ...this.#values }, (value, key) => {
      if (!value.startsWith(ENCRYPTED)) return value;
      if (!this.#codec) {
        issues.push({ key, message: 'is encrypted by the desktop app; set it again here or through its environment variable' });
        return value;
      }
      try {
        return this.#codec.decrypt(value.slice(ENCRYPTED.length));
      } catch (error) {
        issues.push({ key, message: `cannot be decrypted (${(error as Error).message}); enter it again` });
        return value;
      }
    });
    if (issues.length) throw new SettingsError(issues);
    return values;
  }

  /**
   * Replaces stored secrets without reading the others: the way out when the keychain refuses to
   * decrypt them. `values` maps a secret's key (as SettingsError names it) to its new value; an
   * empty value forgets it.
   */
  replaceSecrets(values: Record<string, string>): void {
    const codec = this.#codec;
    const seal = (value: string) => (codec ? `${ENCRYPTED}${codec.encrypt(value)}` : value);
    const next = { ...this.#values };
    const targets = Array.isArray(next.ilertTargets) ? [...(next.ilertTargets as Record<string, unknown>[])] : [];
    for (const [key, value] of Object.entries(values)) {
      const target = /^ilertTargets\.(\d+)\.integrationKey$/.exec(key);
      if (target) {
        const index = Number(target[1]);
        if (!targets[index]) continue;
        // A target without a key is no target: forgetting its key removes it.
        targets[index] = value ? { ...targets[index], integrationKey: seal(value.trim()) } : { ...targets[index], integrationKey: undefined };
      } else if ((SECRET_SETTINGS as readonly string[]).includes(key)) {
        if (value.trim()) next[key] = seal(value.trim());
        else delete next[key];
      }
    }
    if (Array.isArray(next.ilertTargets)) next.ilertTargets = targets.filter((target) => target.integrationKey !== undefined);
    writeJsonAtomically(this.path, next);
    this.#values = next;
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
    writeJsonAtomically(this.path, onDisk);
    this.#values = onDisk;
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

function readJsonObject(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  if (!text.trim()) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not valid JSON (${(error as Error).message}); fix or remove it`, { cause: error });
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${file} must hold a JSON object`);
  return value as Record<string, unknown>;
}

function writeJsonAtomically(file: string, value: unknown): void {
  const temporary = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temporary, 'w', 0o600);
  try {
    fs.writeFileSync(fd, `${JSON.stringify(value, null, '\t')}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, file);
}
