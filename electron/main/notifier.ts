import type { Notification as NotificationType } from 'electron';
import type { NavigateTarget } from '../../shared/bridge.ts';
import type { PlannedNotification } from '../core/desktop/notifications.ts';
import type { Logger } from '../core/logger.ts';
import type { ElectronApi } from './electron-api.ts';

export interface NotifierActions {
  open(target: NavigateTarget): void;
  accept(levelAlertId: string): void;
}

/** More than this many toasts nobody has touched: the oldest are let go. */
const MAX_LIVE = 50;

/**
 * Shows desktop notifications and keeps each one referenced until it is clicked, acted on or
 * closed: Electron lets an unreferenced Notification be garbage-collected, and its click then
 * does nothing, so a toast clicked minutes later would be dead.
 * https://www.electronjs.org/docs/latest/api/notification
 */
export class Notifier {
  readonly #electron: Pick<ElectronApi, 'Notification'>;
  readonly #actions: NotifierActions;
  /** Only macOS shows buttons from plain options (and only in the alert style); elsewhere Accept is in the window. */
  readonly #offerAccept: boolean;
  readonly #live = new Set<NotificationType>();
  readonly #log: Logger;

  constructor(electron: Pick<ElectronApi, 'Notification'>, platform: NodeJS.Platform, actions: NotifierActions, log: Logger) {
    this.#electron = electron;
    this.#actions = actions;
    this.#log = log;
    this.#offerAccept = platform === 'darwin';
  }

  show(plan: PlannedNotification): void {
    if (!this.#electron.Notification.isSupported()) return;
    const alertId = plan.acceptAlertId;
    const actions = alertId && this.#offerAccept ? [{ type: 'button' as const, text: 'Accept in ilert' }] : [];
    const notification = new this.#electron.Notification({ title: plan.title, body: plan.body, urgency: plan.urgent ? 'critical' : 'normal', actions });
    const release = () => this.#live.delete(notification);
    notification.on('click', () => {
      release();
      this.#actions.open(plan.target);
    });
    notification.on('action', () => {
      release();
      if (!alertId) return;
      try {
        this.#actions.accept(alertId);
      } catch (error) {
        this.#log.error(`accept: ${(error as Error).message}`);
      }
    });
    notification.on('close', release);
    notification.on('failed', release);
    this.#live.add(notification);
    if (this.#live.size > MAX_LIVE) this.#live.delete(this.#live.values().next().value!);
    notification.show();
  }
}
