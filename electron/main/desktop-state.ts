/**
 * The desktop app's own state, in one electron-store file (`desktop.json` in Electron's userData
 * directory): which relay it uses (its own, or a team relay with the pinned certificate and the
 * personal token), this technician's notification preferences for a team relay, and the data
 * directory chosen when the default one failed. The relay's settings are not here: they stay in
 * the data directory's settings.json, which the headless host reads too.
 * https://github.com/sindresorhus/electron-store#readme
 */
import fs from 'node:fs';
import path from 'node:path';
import type ElectronStore from 'electron-store';
import type { Schema } from 'electron-store';
import { SEVERITY_LEVELS, type Severity } from '../../shared/contract.ts';
import { defaultDataDir } from '../core/data-dir.ts';
import type { Logger } from '../core/logger.ts';
import type { Pin } from '../core/remote/remote-relay.ts';
import type { SecretCodec } from '../core/settings-file.ts';

export type StoreConstructor = typeof ElectronStore;

export const DESKTOP_STATE_NAME = 'desktop';
/** The store's own format, which its migrations compare against (not the app's version). */
const FORMAT_VERSION = '1.0.0';
const ENCRYPTED = 'enc:v1:';

export interface TeamConnection {
  mode: 'remote';
  origin: string;
  pin: Pin;
  token: string;
  name: string;
  role: string;
}
export type Connection = { mode: 'local' } | TeamConnection;
export interface TeamNotifications {
  notifyMinSeverity: Severity;
  notifyResolves: boolean;
}

/** What the file holds: the token as the keychain sealed it (`enc:v1:`), or plain where there is no keychain. */
interface StoredState {
  connection?: Connection;
  teamNotifications: TeamNotifications;
  dataDirectory?: string;
}

const text = { type: 'string', minLength: 1 } as const;
const schema: Schema<StoredState> = {
  connection: {
    anyOf: [
      { type: 'object', properties: { mode: { const: 'local' } }, required: ['mode'], additionalProperties: false },
      {
        type: 'object',
        properties: {
          mode: { const: 'remote' },
          origin: text,
          pin: { type: 'object', properties: { fingerprint256: text, certPem: text }, required: ['fingerprint256', 'certPem'], additionalProperties: false },
          token: text,
          name: { type: 'string' },
          role: text,
        },
        required: ['mode', 'origin', 'pin', 'token', 'name', 'role'],
        additionalProperties: false,
      },
    ],
  },
  teamNotifications: {
    type: 'object',
    properties: { notifyMinSeverity: { enum: [...SEVERITY_LEVELS] }, notifyResolves: { type: 'boolean' } },
    required: ['notifyMinSeverity', 'notifyResolves'],
    additionalProperties: false,
  },
  dataDirectory: text,
};
const defaults: StoredState = { teamNotifications: { notifyMinSeverity: 'warning', notifyResolves: false } };

/** Files the app kept before this store: `data-directory.txt` beside the default data directory, `connection.json` in the data directory. */
function legacyFiles(env: NodeJS.ProcessEnv) {
  const choice = path.join(defaultDataDir(env), 'data-directory.txt');
  const chosen = readText(choice)?.trim();
  const dataDir = env.RELAY_DATA_DIR ? path.resolve(env.RELAY_DATA_DIR) : chosen ? path.resolve(chosen) : defaultDataDir(env);
  return { choice, chosen, connection: path.join(dataDir, 'connection.json') };
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Carries connection.json and data-directory.txt into the store; returns the files it took. */
function importLegacyFiles(store: Pick<ElectronStore<StoredState>, 'set'>, legacy: ReturnType<typeof legacyFiles>, log: Logger): string[] {
  const taken: string[] = [];
  if (legacy.chosen) {
    store.set('dataDirectory', path.resolve(legacy.chosen));
    taken.push(legacy.choice);
  }
  const raw = readText(legacy.connection);
  if (raw === undefined) return taken;
  try {
    const old = JSON.parse(raw) as Record<string, unknown>;
    const connection: Connection =
      old.mode === 'local'
        ? { mode: 'local' }
        : ({ mode: 'remote', origin: old.origin, pin: old.pin, token: old.token, name: old.name ?? '', role: old.role ?? 'viewer' } as TeamConnection);
    store.set('connection', connection);
    if (connection.mode === 'remote') {
      store.set('teamNotifications', {
        notifyMinSeverity: SEVERITY_LEVELS.includes(old.notifyMinSeverity as Severity) ? (old.notifyMinSeverity as Severity) : 'warning',
        notifyResolves: old.notifyResolves === true,
      });
    }
    taken.push(legacy.connection);
  } catch (error) {
    // Left in place: the person is offered the choice again, and the file says what it held.
    log.error(`${legacy.connection} was not carried over (${(error as Error).message}): choose the relay again`);
  }
  return taken;
}

export class DesktopState {
  readonly #store: ElectronStore<StoredState>;
  readonly #codec: () => SecretCodec | undefined;

  /**
   * `dir`: Electron's userData directory. `codec`: asked only when the token is read or written,
   * since the keychain is there only once the app is ready. `log`: where a file that could not be read is reported.
   */
  constructor(Store: StoreConstructor, dir: string, env: NodeJS.ProcessEnv, codec: () => SecretCodec | undefined, log: Logger) {
    this.#codec = codec;
    const legacy = legacyFiles(env);
    let taken: string[] = [];
    const open = () =>
      new Store<StoredState>({
        name: DESKTOP_STATE_NAME,
        cwd: dir,
        // It holds the team relay's token (sealed by the keychain where there is one).
        configFileMode: 0o600,
        schema,
        defaults,
        projectVersion: FORMAT_VERSION,
        migrations: { '1.0.0': (store) => (taken = importLegacyFiles(store, legacy, log)) },
      });
    const file = path.join(dir, `${DESKTOP_STATE_NAME}.json`);
    // Migrations run only for a store file that exists: on the first start with this store, the old files stand for it.
    if (!fs.existsSync(file) && (legacy.chosen || fs.existsSync(legacy.connection))) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(file, '{}\n', { mode: 0o600 });
    }
    try {
      this.#store = open();
    } catch (error) {
      // Edited by hand, or written by a newer version: set aside, not lost and not fatal; the choices are offered again.
      const aside = `${file}.invalid`;
      fs.renameSync(file, aside);
      log.error(`the desktop state in ${file} cannot be read (${(error as Error).message}): starting afresh, the old file is ${aside}`);
      this.#store = open();
    }
    for (const old of taken) fs.rmSync(old, { force: true });
  }

  get path(): string {
    return this.#store.path;
  }

  /** The relay chosen (undefined: never chosen, so the choice is offered), with the token as the keychain opens it. */
  connection(): Connection | undefined {
    const stored = this.#store.get('connection');
    if (stored?.mode !== 'remote' || !stored.token.startsWith(ENCRYPTED)) return stored;
    const codec = this.#codec();
    if (!codec) throw new Error('the team relay token is encrypted and the keychain is not available: connect again');
    try {
      return { ...stored, token: codec.decrypt(stored.token.slice(ENCRYPTED.length)) };
    } catch (error) {
      throw new Error(`the keychain did not decrypt the team relay token (${(error as Error).message}): connect again`, { cause: error });
    }
  }

  /** False on a first start: nobody chose between this app's own relay and a team relay yet. */
  hasChosen(): boolean {
    return this.#store.has('connection');
  }

  setConnection(connection: Connection): void {
    const codec = this.#codec();
    this.#store.set('connection', connection.mode === 'remote' && codec ? { ...connection, token: `${ENCRYPTED}${codec.encrypt(connection.token)}` } : connection);
  }

  get teamNotifications(): TeamNotifications {
    return this.#store.get('teamNotifications');
  }

  set teamNotifications(preferences: TeamNotifications) {
    this.#store.set('teamNotifications', preferences);
  }

  /** RELAY_DATA_DIR, else the directory chosen when the default one failed, else the default. */
  dataDir(env: NodeJS.ProcessEnv): string {
    if (env.RELAY_DATA_DIR) return path.resolve(env.RELAY_DATA_DIR);
    return this.#store.get('dataDirectory') ?? defaultDataDir(env);
  }

  chooseDataDir(dir: string): void {
    this.#store.set('dataDirectory', path.resolve(dir));
  }
}
