/**
 * The desktop app's updates: electron-updater against the GitHub release feed that
 * .github/workflows/release.yml publishes (electron-builder's `publish:` writes app-update.yml into
 * the packaged app). It downloads a newer release in the background and never installs one
 * unasked; the decisions are electron/core/desktop/updates.ts. https://www.electron.build/auto-update
 */
import type { AppUpdater } from 'electron-updater';
import type { UpdateView } from '../../shared/bridge.ts';
import { initialUpdateState, nextUpdateState, updateCheckDue, updateOffer, withUpdatesEnabled, type UpdateState, type UpdaterEvent } from '../core/desktop/updates.ts';
import type { Logger } from '../core/logger.ts';

/** Let the relay come up before the first request to the feed. */
const FIRST_CHECK_DELAY_MS = 30_000;
const TICK_MS = 10 * 60_000;

export interface UpdaterOptions {
  isPackaged: boolean;
  currentVersion: string;
  /** electron-updater's autoUpdater; loaded only once checks are on, so a development run never touches it. */
  load: () => AppUpdater;
  /** The offer changed: the tray redraws. */
  onChange: () => void;
  now?: () => number;
  /** The desktop app's log, named for updates: electron-updater says there what it checks and downloads. */
  log: Logger;
}

export class DesktopUpdater {
  #state: UpdateState;
  #updater: AppUpdater | undefined;
  #timers: NodeJS.Timeout[] = [];
  readonly #options: UpdaterOptions;
  readonly #now: () => number;

  constructor(options: UpdaterOptions, enabled = true) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#state = initialUpdateState({ isPackaged: options.isPackaged, enabled });
  }

  start(): void {
    const first = setTimeout(() => this.#tick(), FIRST_CHECK_DELAY_MS);
    const every = setInterval(() => this.#tick(), TICK_MS);
    first.unref();
    every.unref();
    this.#timers.push(first, every);
  }

  stop(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers = [];
  }

  /** Settings → Check for updates. */
  setEnabled(enabled: boolean): void {
    this.#set(withUpdatesEnabled(this.#state, { isPackaged: this.#options.isPackaged, enabled }));
  }

  /** After the machine wakes: a check that came due while it slept runs now. */
  wake(): void {
    this.#tick();
  }

  view(): UpdateView {
    const { phase, version, checkedAt, reason } = this.#state;
    const offer = updateOffer(this.#state);
    return { phase, currentVersion: this.#options.currentVersion, version, checkedAt, reason, offer: offer && { label: offer.label, detail: offer.detail } };
  }

  offerLabel(): string | undefined {
    return updateOffer(this.#state)?.label;
  }

  /** Only on the person's word: the relay stops cleanly first, then electron-updater installs and relaunches. */
  async restartToUpdate(stopRelay: () => Promise<void>): Promise<void> {
    if (!updateOffer(this.#state) || !this.#updater) throw new Error('no update is waiting to be installed');
    this.stop();
    await stopRelay();
    this.#updater.quitAndInstall(false, true);
  }

  #tick(): void {
    if (!updateCheckDue(this.#state, this.#now())) return;
    const updater = this.#loaded();
    updater.checkForUpdates().catch((error: unknown) => this.#event({ type: 'error', message: (error as Error).message }));
  }

  #loaded(): AppUpdater {
    if (this.#updater) return this.#updater;
    const updater = this.#options.load();
    // Download in the background, install only on "Restart to update" (never silently on quit).
    updater.autoDownload = true;
    updater.autoInstallOnAppQuit = false;
    updater.allowPrerelease = false;
    updater.allowDowngrade = false;
    updater.logger = {
      info: (message) => this.#options.log.info(String(message)),
      warn: (message) => this.#options.log.warn(String(message)),
      error: (message) => this.#options.log.error(String(message)),
    };
    updater.on('checking-for-update', () => this.#event({ type: 'checking' }));
    updater.on('update-available', (info) => this.#event({ type: 'available', version: info.version }));
    updater.on('update-not-available', () => this.#event({ type: 'not-available' }));
    updater.on('update-downloaded', (info) => this.#event({ type: 'downloaded', version: info.version }));
    updater.on('error', (error) => this.#event({ type: 'error', message: error.message }));
    this.#updater = updater;
    return updater;
  }

  #event(event: UpdaterEvent): void {
    this.#set(nextUpdateState(this.#state, event, this.#now(), this.#options.currentVersion));
  }

  #set(next: UpdateState): void {
    if (next === this.#state) return;
    const offerBefore = this.offerLabel();
    this.#state = next;
    if (this.offerLabel() !== offerBefore) this.#options.onChange();
  }
}
