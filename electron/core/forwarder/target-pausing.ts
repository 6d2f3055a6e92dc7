import type { Announce } from '../app-events.ts';
import type { Settings } from '../settings.ts';
import type { TargetPause, TargetPauses } from '../store/target-pauses.ts';
import { requireTarget } from '../targets.ts';
import type { Forwarder } from './forwarder.ts';

/**
 * Pausing a target holds its events in the outbox (ilert maintenance) until it is resumed: the
 * stored pause survives a restart, the forwarder's skips its jobs meanwhile.
 */
export class TargetPausing {
  readonly #pauses: TargetPauses;
  readonly #forwarder: Forwarder;
  readonly #settings: () => Settings;
  readonly #announce: Announce;

  constructor(options: { pauses: TargetPauses; forwarder: Forwarder; settings: () => Settings; announce: Announce }) {
    this.#pauses = options.pauses;
    this.#forwarder = options.forwarder;
    this.#settings = options.settings;
    this.#announce = options.announce;
    for (const pause of this.#pauses.all()) this.#forwarder.pause(pause.target);
  }

  all(): TargetPause[] {
    return this.#pauses.all();
  }

  /** The paused targets' names. */
  paused(): Set<string> {
    return new Set(this.all().map((pause) => pause.target));
  }

  /** Only a target the relay knows can be paused, so a typo cannot look like a pause that works. */
  pause(target: string, pausedBy: string): void {
    requireTarget(this.#settings(), target);
    this.#pauses.pause(target, pausedBy, Date.now());
    this.#forwarder.pause(target);
    this.#announce('forwarding');
  }

  /** Sends a paused target's backlog, in the usual order; resuming a target that is not paused does nothing. */
  resume(target: string): boolean {
    const wasPaused = this.#pauses.resume(target);
    this.#forwarder.resume(target);
    if (wasPaused) this.#announce('forwarding');
    return wasPaused;
  }
}
