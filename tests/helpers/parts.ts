import type { Diagnosis } from '../../shared/contract.ts';
import type { Relay } from '../../electron/core/relay.ts';
import { forTests } from '../../electron/core/testing-seam.ts';

/**
 * What tests ask of the relay's parts that no contract method or event can: each function says
 * why. Everything else goes through the front door (`harness.api`, `relay.events`, `relay.status()`).
 */

/** The Health page's findings as of `now`: the status caches them for a second and reads the clock itself. */
export function diagnosesAt(relay: Relay, now = Date.now()): Diagnosis[] {
  return relay[forTests].status.diagnoses(now);
}

/** Retention as if its hourly run came at `now` (days ahead, to see what ages out): no caller can ask for that. */
export function pruneAsOf(relay: Relay, now = Date.now()): Promise<{ deliveries: number; jobs: number }> {
  return relay[forTests].retention.prune(now);
}
