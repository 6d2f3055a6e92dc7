/**
 * What the desktop app needs of a team relay beyond its contract: the tray while it cannot be
 * reached, and which alerts are new. (Which relay the app uses, with the token, is kept in the
 * desktop app's own store: electron/main/desktop-state.ts.)
 */
import type { AlertRow, PushedEvent } from '../../../shared/contract.ts';
import type { DesktopEvent } from '../desktop/notifications.ts';
import type { TrayState } from '../desktop/tray-state.ts';
import { alertTransitions } from '../desktop/alert-watcher.ts';

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
