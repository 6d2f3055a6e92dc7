import path from 'node:path';
import type { Tray as TrayType } from 'electron';
import type { TrayState } from '../core/desktop/tray-state.ts';
import type { ElectronApi } from './electron-api.ts';

export interface TrayActions {
  open(): void;
  pauseNotifications(): void;
  resumeNotifications(): void;
  copyWebhookUrl(): void;
  quit(): void;
}

/**
 * The tray icon and its menu. There is always a menu, because Linux trays may not deliver clicks.
 */
export class TrayController {
  readonly tray: TrayType;
  readonly #electron: Pick<ElectronApi, 'Tray' | 'Menu' | 'nativeImage'>;
  readonly #iconDir: string;
  readonly #actions: TrayActions;
  #last: { icon: string; tooltip: string; paused: boolean } | undefined;

  constructor(electron: Pick<ElectronApi, 'Tray' | 'Menu' | 'nativeImage'>, iconDir: string, actions: TrayActions) {
    this.#electron = electron;
    this.#iconDir = iconDir;
    this.#actions = actions;
    this.tray = new electron.Tray(this.#image('clear'));
    this.tray.on('click', () => actions.open());
  }

  #image(icon: string) {
    return this.#electron.nativeImage.createFromPath(path.join(this.#iconDir, `${icon}.png`));
  }

  update(state: TrayState, paused: boolean): void {
    if (this.#last && this.#last.icon === state.icon && this.#last.tooltip === state.tooltip && this.#last.paused === paused) return;
    if (this.#last?.icon !== state.icon) this.tray.setImage(this.#image(state.icon));
    this.tray.setToolTip(state.tooltip);
    this.tray.setContextMenu(
      this.#electron.Menu.buildFromTemplate([
        { label: 'Open', click: () => this.#actions.open() },
        paused
          ? { label: 'Resume notifications', click: () => this.#actions.resumeNotifications() }
          : { label: 'Pause notifications for 1 hour', click: () => this.#actions.pauseNotifications() },
        { label: 'Copy webhook URL', click: () => this.#actions.copyWebhookUrl() },
        { type: 'separator' },
        { label: 'Quit', click: () => this.#actions.quit() },
      ]),
    );
    this.#last = { icon: state.icon, tooltip: state.tooltip, paused };
  }
}
