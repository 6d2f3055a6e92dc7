import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WEBHOOK_PATH } from './receiver/receiver.ts';
import type { Settings } from './settings.ts';
import type { TeamDoor } from './store/team.ts';
import { DEFAULT_TARGET } from './targets.ts';
import type { RelayChange } from './change-batcher.ts';
import { ChangeBatcher } from './change-batcher.ts';
import { AlertWatcher } from './desktop/alert-watcher.ts';
import type { DesktopEvent } from './desktop/notifications.ts';
import type { Handlers, PushedEvent, RelayStatusView } from '../../shared/contract.ts';
import { createHandlers, type AdminDoor } from './api/handlers.ts';
import type { SettingsService } from './settings-service.ts';
import { forTests } from './testing-seam.ts';
import { buildParts, type Parts, type RelayTuning } from './relay-parts.ts';
import type { RelayStatus } from './status/relay-status.ts';
import type { Logger } from './logger.ts';

export { DEFAULT_TARGET };
export type { RelayTuning };

/** How long a stop waits for the processor to apply what was acknowledged (see #stop). */
const STOP_DRAIN_MS = 5000;

/**
 * The relay's one event stream. `changes`: what changed, batched (at most every ~300 ms, so a
 * burst of a thousand deliveries is a handful of events). `notable`: the same batches read as a
 * technician would (a new alert, a resolve, a delivery that gave up), for notifications; it is
 * only computed while someone listens.
 */
export interface RelayEvents {
  /** Each change as it happens (tests wait on these; a UI wants `changes`). */
  change: [RelayChange];
  changes: [PushedEvent<'changes'>];
  notable: [DesktopEvent[]];
}

export interface RelayOptions {
  dataDir: string;
  /** The host's log (the console headless, the log file in the desktop app). */
  log: Logger;
  settings: Settings;
  tuning?: RelayTuning;
}

/**
 * The relay core, with no Electron in it: it builds the parts, starts and stops them, and hands
 * out the contract (`handlers`) and the event stream (`events`). Behaviour lives in the parts.
 * The desktop app and the headless CLI both host one of these, and see only this face.
 */
export class Relay {
  readonly instanceId = randomUUID();
  readonly events = new EventEmitter<RelayEvents>();
  readonly #parts: Parts;
  readonly #batcher: ChangeBatcher;
  #alertWatcher: AlertWatcher | undefined;
  #settings: Settings;
  #address: AddressInfo | undefined;

  constructor(options: RelayOptions) {
    this.#settings = options.settings;
    this.#parts = buildParts({
      dataDir: options.dataDir,
      tuning: options.tuning ?? {},
      instanceId: this.instanceId,
      log: options.log,
      settings: () => this.#settings,
      receiverUrl: () => this.receiverUrl,
      changed: (change) => this.events.emit('change', change),
    });
    const { store, announce, processor } = this.#parts;
    store.changes.on('change', (change) => this.events.emit('change', change));
    // The dashboard and tray learn at once that writes fail: no row change would tell them.
    store.health.on('change', () => announce('store-health'));
    const subscribe = (listener: (change: RelayChange) => void) => {
      this.events.on('change', listener);
      return () => this.events.off('change', listener);
    };
    this.#batcher = new ChangeBatcher(subscribe, (changes) => this.#publish(changes), { intervalMs: options.tuning?.changeBatchMs, settling: () => processor.busy });
    // Primed when the first listener comes, so alerts already active then are not announced again.
    (this.events as EventEmitter).on('newListener', (name: string) => {
      if (name === 'notable') this.#alertWatcher ??= new AlertWatcher(this.#parts.read);
    });
  }

  #publish(changes: PushedEvent<'changes'>): void {
    this.events.emit('changes', changes);
    if (this.#alertWatcher && this.events.listenerCount('notable') > 0) {
      const notable = this.#alertWatcher.observe(changes);
      if (notable.length) this.events.emit('notable', notable);
    }
  }

  /**
   * The contract's methods, on this relay's parts. `door` is the admin door serving them, when
   * there is one (the headless relay); the desktop app's own window has none.
   */
  handlers(settings: SettingsService, door?: () => AdminDoor | undefined): Handlers {
    return createHandlers(this.#parts, settings, door);
  }

  /** Test-only: see testing-seam.ts. */
  get [forTests]() {
    return this.#parts;
  }

  get settings(): Settings {
    return this.#settings;
  }

  /** Applies new settings to the running relay (listener address changes need a restart). */
  applySettings(settings: Settings): void {
    const { ilertState, setup, forwarder, receiver, status } = this.#parts;
    const previous = this.#settings;
    const keysChanged = settings.ilertApiKey !== previous.ilertApiKey || settings.ilertIntegrationKey !== previous.ilertIntegrationKey;
    const levelApiChanged = settings.levelApiKey !== previous.levelApiKey || settings.levelApiUrl !== previous.levelApiUrl;
    status.settingsChanging(settings);
    this.#settings = settings;
    if (settings.unmappedGroups !== previous.unmappedGroups) this.#releaseHeld();
    // A Level key just saved: Routing shows the groups now, not "Never synced" until the next restart.
    if (levelApiChanged && receiver.listening) this.#syncDirectory();
    if (keysChanged) {
      ilertState.reset();
      setup.alertSourceProblems.clear();
    }
    forwarder.wake();
    this.#parts.announce('settings');
  }

  /** Alerts routing held back go to ilert if their route lets them through now. */
  #releaseHeld(): void {
    this.#parts.reconciler.releaseHeld().catch((error: unknown) => this.#parts.log.error(`routing: could not send held alerts: ${(error as Error).message}`));
  }

  #syncDirectory(): void {
    if (this.#parts.clients.level()) this.#parts.directory.syncAll().catch((error: unknown) => this.#parts.log.error(`level: sync failed: ${(error as Error).message}`));
  }

  async start(): Promise<AddressInfo> {
    const { retention, forwarder, releaser, receiver, heartbeat, reconciler, ilertState, sourceChecks, setup, processor } = this.#parts;
    retention.start();
    // What a crash left acknowledged and not applied goes first, in order, before anything new.
    processor.start();
    forwarder.start();
    releaser.start();
    try {
      this.#address = await receiver.listen(this.#settings.port, this.#settings.host);
    } catch (error) {
      await releaser.stop();
      await processor.stop();
      await forwarder.stop();
      throw error;
    }
    heartbeat.start();
    reconciler.start();
    ilertState.start();
    sourceChecks.start();
    if (this.#settings.tunnel !== 'off') setup.startTunnel(this.#settings.tunnel);
    this.#syncDirectory();
    return this.#address;
  }

  #stopping: Promise<void> | undefined;

  /** Stop accepting, answer what is in progress, finish in-flight ilert requests, close the database. Once, whoever asks. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const { retention, sourceChecks, releaser, integrationTest, heartbeat, reconciler, ilertState, setup, receiver, processor, forwarder, store } = this.#parts;
    await Promise.all([retention.stop(), sourceChecks.stop(), releaser.stop()]);
    integrationTest.cancel();
    await Promise.all([heartbeat.stop(), reconciler.stop(), ilertState.stop(), setup.stop()]);
    if (receiver.listening) await receiver.close();
    // What was acknowledged is applied before the store closes, so a stopped relay's store (a backup,
    // the dashboard of the next start) holds its alerts and their ilert work, not a log still to apply;
    // bounded, for a processor waiting on Level's API or a store that cannot write: what is left is
    // applied at the next start.
    let drainTimer: NodeJS.Timeout | undefined;
    await Promise.race([processor.idle(), new Promise((resolve) => (drainTimer = setTimeout(resolve, STOP_DRAIN_MS)))]);
    clearTimeout(drainTimer);
    await processor.stop();
    await forwarder.stop();
    this.#batcher.close();
    await store.close();
  }

  get receiverUrl(): string | undefined {
    if (!this.#address) return undefined;
    const host = this.#address.family === 'IPv6' ? `[${this.#address.address}]` : this.#address.address;
    return `http://${host}:${this.#address.port}${WEBHOOK_PATH}`;
  }

  /** What the tray and every dashboard show; see RelayStatus. */
  status(): RelayStatusView {
    return this.#parts.status.status();
  }

  /** The status and the active alerts per severity, for the tray on every change batch. */
  traySnapshot(): ReturnType<RelayStatus['traySnapshot']> {
    return this.#parts.status.traySnapshot();
  }

  /** What a person starting the relay should be told at once. */
  warnings(): string[] {
    return this.#parts.status.warnings();
  }

  /** The machine woke from sleep: Level may have alerted meanwhile, so reconcile now. */
  wake(): void {
    this.#parts.reconciler.wake();
  }

  /** How the admin door tells members by their tokens, and pairs new ones. */
  get teamDoor(): TeamDoor {
    return this.#parts.team;
  }
}
