import type { ConnectionView, StartupProblem } from '../../shared/bridge.ts';
import type { PushedEvent } from '../../shared/contract.ts';
import { callMethod, OWNER } from '../core/api/handlers.ts';
import { bootRelay, RelayOpenError } from '../core/boot.ts';
import type { Logger } from '../core/logger.ts';
import type { DesktopEvent, NotificationPreferences } from '../core/desktop/notifications.ts';
import { trayState, type TrayState } from '../core/desktop/tray-state.ts';
import type { Relay } from '../core/relay.ts';
import { SettingsFile, type SecretCodec } from '../core/settings-file.ts';
import { SettingsService } from '../core/settings-service.ts';
import { SECRET_SETTINGS, SettingsError, type Settings } from '../core/settings.ts';
import type { ContractCall } from './ipc.ts';

/**
 * What the desktop host runs against: this app's own relay, or a team relay it attached to.
 * Both answer the same calls, so the host never asks which one it has.
 */
export interface DesktopBackend {
  /** One contract method, with its checks and its audit row: as the owner here, as this technician on a team relay. */
  call: ContractCall;
  /** Every batch of changes, for the window. */
  onChanges(listener: (changes: PushedEvent<'changes'>) => void): void;
  traySnapshot(pausedUntil: number | undefined, now: number): TrayState;
  /** After sleep: reconcile with Level now, or reconnect to the team relay now. */
  wake(): void;
  stop(): Promise<void>;
  /** For the window's connection panel. */
  describe(): ConnectionView;
  /** Values the log must never hold. */
  secrets(): string[];
}

/** What a backend tells the host: something to announce, or that the tray may show something else. */
export interface BackendHost {
  notify(events: DesktopEvent[], preferences: Omit<NotificationPreferences, 'pausedUntil'>): void;
  refreshTray(): void;
  /** The relay's settings took effect (start at login is the host's part of them). */
  settingsApplied(settings: Settings): void;
}

export class LocalBackend implements DesktopBackend {
  readonly #relay: Relay;
  readonly #service: SettingsService;
  readonly call: ContractCall;

  constructor(relay: Relay, service: SettingsService, call: ContractCall, host: BackendHost) {
    this.#relay = relay;
    this.#service = service;
    this.call = call;
    relay.events.on('changes', () => host.refreshTray());
    relay.events.on('notable', (events) => host.notify(events, { minSeverity: service.current.notifyMinSeverity, notifyResolves: service.current.notifyResolves }));
  }

  /** The relay's own settings, as the Settings view shows them (notification preferences are among them). */
  get settings(): Settings {
    return this.#service.current;
  }

  onChanges(listener: (changes: PushedEvent<'changes'>) => void): void {
    this.#relay.events.on('changes', listener);
  }

  traySnapshot(pausedUntil: number | undefined, now: number): TrayState {
    return trayState({ ...this.#relay.traySnapshot(), notificationsPausedUntil: pausedUntil, now });
  }

  wake(): void {
    this.#relay.wake();
  }

  stop(): Promise<void> {
    return this.#relay.stop();
  }

  describe(): ConnectionView {
    return { mode: 'local' };
  }

  secrets(): string[] {
    const settings = this.#service.current;
    return [...SECRET_SETTINGS.map((key) => settings[key]), ...settings.ilertTargets.map((target) => target.integrationKey)].filter((value): value is string => Boolean(value));
  }
}

/**
 * Starts settings and this app's own relay. When it cannot (unreadable settings, a secret the
 * keychain will not decrypt, a database that cannot be opened) it says why, for the window to show.
 */
export async function startLocalBackend(options: {
  dataDir: string;
  env: NodeJS.ProcessEnv;
  secrets: { codec: SecretCodec | undefined; warning: string | undefined };
  host: BackendHost;
  log: Logger;
}): Promise<{ backend: LocalBackend } | { problem: StartupProblem }> {
  const { dataDir, env, secrets, host, log } = options;
  let service: SettingsService;
  let booted: Awaited<ReturnType<typeof bootRelay>> | undefined;
  try {
    service = new SettingsService(new SettingsFile(dataDir, secrets.codec), env, secrets.warning ? [secrets.warning] : []);
  } catch (error) {
    return { problem: describeStartupProblem(error, dataDir, env) };
  }
  try {
    booted = await bootRelay({ dataDir, log, settings: service, receiverRequired: false });
  } catch (error) {
    if (!(error instanceof RelayOpenError)) throw error;
    return { problem: { kind: 'database', message: `the database in ${dataDir} cannot be opened: ${error.message}`, dataDir, secrets: [], canChooseDataDir: !env.RELAY_DATA_DIR } };
  }
  const { relay, handlers } = booted;
  service.onChange((settings) => host.settingsApplied(settings));
  // The relay runs without its receiver; the status, Health and the tray say why.
  if (booted.receiverError) log.error(`the receiver could not start: ${booted.receiverError.message}`);
  const backend = new LocalBackend(relay, service, (name, input) => callMethod(handlers, name, input, OWNER, log.child('api')), host);
  relay.applySettings(service.current);
  host.settingsApplied(service.current);
  log.info(`relay started: receiver ${relay.receiverUrl ?? 'not listening'}, data in ${dataDir}`);
  return { backend };
}

function describeStartupProblem(error: unknown, dataDir: string, env: NodeJS.ProcessEnv): StartupProblem {
  const canChooseDataDir = !env.RELAY_DATA_DIR;
  if (error instanceof SettingsError) {
    const secrets = error.issues.filter((issue) => /decrypt|encrypted/.test(issue.message)).map((issue) => issue.key);
    if (secrets.length) {
      return {
        kind: 'secrets',
        message: `the system keychain did not decrypt the saved secrets (${secrets.join(', ')}): enter them again, or forget them and set them later`,
        dataDir,
        secrets,
        canChooseDataDir,
      };
    }
    return { kind: 'settings', message: error.problems.join('; '), dataDir, secrets: [], canChooseDataDir };
  }
  return { kind: 'settings', message: (error as Error).message, dataDir, secrets: [], canChooseDataDir };
}
