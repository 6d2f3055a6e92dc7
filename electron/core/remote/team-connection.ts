/**
 * Which relay the desktop app uses, kept in `connection.json` in its data directory: its own
 * (`local`), or a team relay it attached to (`remote`) with the pinned certificate, the personal
 * token (encrypted with the OS keychain where there is one) and this technician's own notification
 * preferences. No file yet means the choice was never offered.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AlertRow, PushedEvent } from '../../../shared/contract.ts';
import type { DesktopEvent } from '../desktop/notifications.ts';
import type { TrayState } from '../desktop/tray-state.ts';
import { alertTransitions } from '../desktop/alert-watcher.ts';
import { SEVERITY_LEVELS, type Severity } from '../../../shared/contract.ts';
import type { SecretCodec } from '../settings-file.ts';
import type { Pin } from './remote-relay.ts';

export const CONNECTION_FILE = 'connection.json';
const ENCRYPTED = 'enc:v1:';

export interface TeamConnection {
  mode: 'remote';
  origin: string;
  pin: Pin;
  token: string;
  name: string;
  role: string;
  notifyMinSeverity: Severity;
  notifyResolves: boolean;
}
export type Connection = { mode: 'local' } | TeamConnection;

export class ConnectionFileError extends Error {
  override readonly name = 'ConnectionFileError';
}

export function readConnection(dataDir: string, codec: SecretCodec | undefined): Connection | undefined {
  const file = path.join(dataDir, CONNECTION_FILE);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConnectionFileError(`${file} cannot be read (${(error as Error).message}): delete it to choose again`);
  }
  if (raw.mode === 'local') return { mode: 'local' };
  const pin = raw.pin as Pin | undefined;
  if (raw.mode !== 'remote' || typeof raw.origin !== 'string' || typeof raw.token !== 'string' || !pin?.fingerprint256 || !pin.certPem) {
    throw new ConnectionFileError(`${file} is not a connection this app wrote: delete it to choose again`);
  }
  let token = raw.token;
  if (token.startsWith(ENCRYPTED)) {
    if (!codec) throw new ConnectionFileError('the team relay token is encrypted and the keychain is not available: connect again');
    try {
      token = codec.decrypt(token.slice(ENCRYPTED.length));
    } catch (error) {
      throw new ConnectionFileError(`the keychain did not decrypt the team relay token (${(error as Error).message}): connect again`);
    }
  }
  const severity = SEVERITY_LEVELS.includes(raw.notifyMinSeverity as Severity) ? (raw.notifyMinSeverity as Severity) : 'warning';
  return {
    mode: 'remote',
    origin: raw.origin,
    pin: { fingerprint256: pin.fingerprint256, certPem: pin.certPem },
    token,
    name: typeof raw.name === 'string' ? raw.name : '',
    role: typeof raw.role === 'string' ? raw.role : 'viewer',
    notifyMinSeverity: severity,
    notifyResolves: raw.notifyResolves === true,
  };
}

export function writeConnection(dataDir: string, connection: Connection, codec: SecretCodec | undefined): void {
  const file = path.join(dataDir, CONNECTION_FILE);
  const stored = connection.mode === 'remote' ? { ...connection, token: codec ? `${ENCRYPTED}${codec.encrypt(connection.token)}` : connection.token } : connection;
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temporary, file);
}

function clock(at: number): string {
  const date = new Date(at);
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}

/** The tray while the team relay cannot be reached: nothing it shows could be trusted. */
export function disconnectedTrayState(origin: string, since: number, reason: string | undefined): TrayState {
  return { icon: 'problem', tooltip: `Level → ilert Relay: disconnected since ${clock(since)} from ${origin}${reason ? ` — ${reason}` : ''}` };
}

/**
 * New and resolved alerts from the team relay's pushed changes, like AlertWatcher does for the
 * local store. Alerts known when the app attaches are not announced; after a reconnect everything
 * is compared, so an alert that began while cut off is still announced.
 */
export class RemoteAlertWatcher {
  readonly #states = new Map<string, 'active' | 'resolved'>();
  #primed = false;

  get primed(): boolean {
    return this.#primed;
  }

  /** The alerts active when the app attached: known, so not announced. */
  prime(active: readonly AlertRow[]): void {
    this.#primed = true;
    for (const alert of active) this.#states.set(alert.levelAlertId, alert.state);
  }

  /** `rows`: the current state of the alerts `changes` names (or of all active ones after a reconnect). */
  observe(changes: PushedEvent<'changes'>, rows: readonly AlertRow[]): DesktopEvent[] {
    const everything = changes.setup === true && changes.alerts.length === 0;
    const changed = new Set(changes.alerts);
    return alertTransitions(this.#states, everything ? rows : rows.filter((alert) => changed.has(alert.levelAlertId)));
  }
}
