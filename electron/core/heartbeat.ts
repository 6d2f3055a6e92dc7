/**
 * The ilert heartbeat: while the relay is healthy it pings the heartbeat URL every minute, so
 * ilert pages someone when the relay dies, hangs, or the laptop it runs on goes to sleep.
 */
import { Periodic } from './periodic.ts';

export const HEARTBEAT_INTERVAL_MS = 60_000;
const PING_TIMEOUT_MS = 10_000;

export interface HeartbeatState {
  lastPingAt?: number;
  lastStatusCode?: number;
  lastError?: string;
  /** Why the last tick did not ping, when it did not. */
  withheld?: string;
}

export interface HeartbeatOptions {
  url: () => string | undefined;
  /** undefined when healthy; otherwise why no ping should go out. */
  unhealthy: () => string | undefined;
  intervalMs?: number;
}

export class Heartbeat extends Periodic {
  readonly state: HeartbeatState = {};
  readonly #options: HeartbeatOptions;
  #inFlight: Promise<void> | undefined;

  constructor(options: HeartbeatOptions) {
    super(() => this.tick(), options.intervalMs ?? HEARTBEAT_INTERVAL_MS);
    this.#options = options;
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.#inFlight;
  }

  /** One beat: ping if configured and healthy; record what happened either way. */
  tick(): Promise<void> {
    const url = this.#options.url();
    if (!url) return Promise.resolve();
    const unhealthy = this.#options.unhealthy();
    if (unhealthy) {
      this.state.withheld = unhealthy;
      return Promise.resolve();
    }
    this.state.withheld = undefined;
    this.#inFlight = (async () => {
      const at = Date.now();
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(PING_TIMEOUT_MS) });
        await response.arrayBuffer();
        this.state.lastPingAt = at;
        this.state.lastStatusCode = response.status;
        this.state.lastError = response.ok ? undefined : `ilert answered ${response.status} to the heartbeat ping`;
      } catch (error) {
        this.state.lastPingAt = at;
        this.state.lastStatusCode = undefined;
        this.state.lastError = `heartbeat ping failed: ${(error as Error).message}`;
      }
    })();
    return this.#inFlight;
  }
}
