import type { Handlers } from '../../shared/contract.ts';
import type { AdminDoor } from './api/handlers.ts';
import { Relay, type RelayTuning } from './relay.ts';
import type { SettingsService } from './settings-service.ts';
import type { Logger } from './logger.ts';

export interface BootOptions {
  dataDir: string;
  /** Where the relay logs: each host passes its own. */
  log: Logger;
  settings: SettingsService;
  tuning?: RelayTuning;
  /** The admin door serving the contract, when there is one (the headless relay). */
  door?: () => AdminDoor | undefined;
  /**
   * Headless, a relay that cannot receive webhooks is useless: start-up fails and the database is
   * closed again. The desktop app keeps running without its receiver, so that its window and tray
   * can say why.
   */
  receiverRequired: boolean;
}

export interface BootedRelay {
  relay: Relay;
  handlers: Handlers;
  /** Why the receiver is not listening, when it was not required. */
  receiverError?: Error;
}

/**
 * How both hosts (the desktop app and `npm run serve`) start the relay core: build it on the
 * settings service, apply every saved change to it, start it, and implement the contract on it. Each host explains failures in its own way: a data directory
 * or database that cannot be opened is a `RelayOpenError`, anything else failed while starting.
 */
export async function bootRelay(options: BootOptions): Promise<BootedRelay> {
  let relay: Relay;
  try {
    relay = new Relay({ dataDir: options.dataDir, log: options.log, settings: options.settings.current, tuning: options.tuning });
  } catch (error) {
    throw new RelayOpenError(error);
  }
  // Every saved change reaches the running relay; a host that reacts too subscribes after this.
  options.settings.onChange((settings) => relay.applySettings(settings));
  const handlers = relay.handlers(options.settings, options.door);
  try {
    await relay.start();
  } catch (error) {
    if (options.receiverRequired) {
      await relay.stop().catch(() => undefined);
      throw error;
    }
    return { relay, handlers, receiverError: error as Error };
  }
  return { relay, handlers };
}

/** The relay could not be built: its data directory is in use, or its database cannot be opened. */
export class RelayOpenError extends Error {
  override readonly name = 'RelayOpenError';
  constructor(cause: unknown) {
    super((cause as Error).message, { cause });
  }
}
