import path from 'node:path';
import type { Menu, Tray as TrayType } from 'electron';
import type { TrayState } from '../core/desktop/tray-state.ts';
import type { NavigateTarget } from '../../shared/bridge.ts';
import type { ElectronApi } from './electron-api.ts';

export interface TrayActions {
  /** Shows the window, at `target` when given. */
  open(target?: NavigateTarget): void;
  pauseNotifications(): void;
  resumeNotifications(): void;
  copyWebhookUrl(): void;
  openLogs(): void;
  restartToUpdate(): void;
  quit(): void;
}

/**
 * The tray icon and its menu. There is always a menu, because Linux trays may not deliver clicks.
 * Icons per platform: macOS gets monochrome template images (the menu bar tints them), Linux
 * 24 px ones as its panels expect, Windows 16 px; each with an @2x version for HiDPI.
 */
export class TrayController {
  readonly tray: TrayType;
  /** The context menu now shown (Electron's Tray has no getter for it). */
  menu: Menu | undefined;
  readonly #electron: Pick<ElectronApi, 'Tray' | 'Menu' | 'nativeImage'>;
  readonly #iconDir: string;
  readonly #platform: NodeJS.Platform;
  readonly #actions: TrayActions;
  #last: { icon: string; tooltip: string; paused: boolean; updateOffer: string | undefined } | undefined;

  constructor(electron: Pick<ElectronApi, 'Tray' | 'Menu' | 'nativeImage'>, iconDir: string, platform: NodeJS.Platform, actions: TrayActions) {
    this.#electron = electron;
    this.#iconDir = iconDir;
    this.#platform = platform;
    this.#actions = actions;
    this.tray = new electron.Tray(this.#image('clear'));
    this.tray.on('click', () => actions.open());
  }

  #image(icon: string) {
    if (this.#platform === 'darwin') {
      const image = this.#electron.nativeImage.createFromPath(path.join(this.#iconDir, 'mac', `${icon}Template.png`));
      image.setTemplateImage(true);
      return image;
    }
    return this.#electron.nativeImage.createFromPath(path.join(this.#iconDir, this.#platform === 'linux' ? 'linux' : 'win', `${icon}.png`));
  }

  /** `updateOffer`: "Version X is available — restart to update", first in the menu while an update waits. */
  update(state: TrayState, paused: boolean, updateOffer?: string): void {
    const last = this.#last;
    if (last && last.icon === state.icon && last.tooltip === state.tooltip && last.paused === paused && last.updateOffer === updateOffer) return;
    if (this.#last?.icon !== state.icon) this.tray.setImage(this.#image(state.icon));
    this.tray.setToolTip(state.tooltip);
    this.menu = this.#electron.Menu.buildFromTemplate([
      ...(updateOffer ? [{ label: updateOffer, click: () => this.#actions.restartToUpdate() }, { type: 'separator' as const }] : []),
      { label: 'Open', click: () => this.#actions.open() },
      // Issue 22: a maintenance window from the tray, for a group or anything else, in the dashboard's form.
      { label: 'Maintenance…', click: () => this.#actions.open({ view: 'routing', newWindow: true }) },
      paused
        ? { label: 'Resume notifications', click: () => this.#actions.resumeNotifications() }
        : { label: 'Pause notifications for 1 hour', click: () => this.#actions.pauseNotifications() },
      { label: 'Copy webhook URL', click: () => this.#actions.copyWebhookUrl() },
      { label: 'Open logs', click: () => this.#actions.openLogs() },
      { type: 'separator' },
      { label: 'Quit', click: () => this.#actions.quit() },
    ]);
    this.tray.setContextMenu(this.menu);
    this.#last = { icon: state.icon, tooltip: state.tooltip, paused, updateOffer };
  }
}
