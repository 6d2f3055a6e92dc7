import type { AlertRow, Diagnosis } from '../../shared/contract.ts';
import type { Relay } from '../../electron/core/relay.ts';
import type { LevelAlert } from '../../electron/core/level/envelope.ts';
import type { ReconcileTrigger } from '../../electron/core/reconcile/reconciler.ts';
import { forTests } from '../../electron/core/testing-seam.ts';

/**
 * The only place tests reach the relay's parts (through the test seam), for what no contract method or
 * event can show or provoke on cue; each helper says why. Everything else goes through the front
 * door: `harness.api`, `relay.events`, `relay.status()`.
 */

/** The Health page's findings as of `now`: the status caches them for a second and reads the clock itself. */
export function diagnosesAt(relay: Relay, now = Date.now()): Diagnosis[] {
  return relay[forTests].status.diagnoses(now);
}

/** Retention as if its hourly run came at `now` (days ahead, to see what ages out): no caller can ask for that. */
export function pruneAsOf(relay: Relay, now = Date.now()): Promise<{ deliveries: number; jobs: number }> {
  return relay[forTests].retention.prune(now);
}

/** Stored alerts by their Level ids: the Alerts list pages and filters, it does not look an alert up by id. */
export function alertsById(relay: Relay, ids: string[]): AlertRow[] {
  return relay[forTests].read.alertsByIds(ids);
}

/**
 * Background jobs run now, as their timers would: a poll of ilert, a reconciliation, a heartbeat,
 * a forwarder pass. No caller can start them (a timer does), and waiting for the timer makes tests slow.
 */
export function runNow(relay: Relay) {
  const { ilertState, reconciler, heartbeat, forwarder } = relay[forTests];
  return {
    ilertPoll: () => ilertState.poll(),
    reconcile: (trigger: ReconcileTrigger) => reconciler.run(trigger),
    heartbeat: () => heartbeat.tick(),
    forwarderPass: () => forwarder.wake(),
  };
}

/**
 * What only a part knows as it happens, and no answer carries: the receiver's buffered body bytes
 * (its memory budget under attack), the store's health emitter (a failing probe write, the integrity
 * check), outcomes the forwarder could not record yet, the jobs it holds in memory, the heartbeat's verdict right after a tick
 * (the status keeps its read for a second), a device in the Level mirror, a source's counters, a routing decision. And one fault no caller can cause: the receiver going down and listening again.
 */
export function probe(relay: Relay) {
  const { receiver, store, forwarder, heartbeat, directory, router } = relay[forTests];
  return {
    bufferedBytes: () => receiver.bufferedBytes,
    storeHealth: store.health,
    unrecordedOutcomes: () => forwarder.unrecordedOutcomes,
    /** The outbox jobs the forwarder holds in memory: a window of a deep backlog, not all of it. */
    heldJobs: () => forwarder.heldJobs,
    heartbeat: () => heartbeat.state,
    device: (id: string) => directory.device(id),
    /** A source's kept counters (last authenticated request, 401s since): what Health reads, before it words them. */
    sourceFacts: (slug: string) => store.facts().sources.get(slug),
    routeFor: (alert: LevelAlert) => router.routeFor(alert),
    /** A write queued now commits after those queued before it. */
    writesDone: () => store.write(() => undefined),
    receiverDown: () => receiver.close(),
    receiverUp: (port: number, host: string) => receiver.listen(port, host),
  };
}

/** Resolves once every delivery acknowledged so far is applied (alert state, routing, ilert work). */
export function processed(relay: Relay): Promise<void> {
  return relay[forTests].processor.idle();
}

/** The relay's own ingest (after authentication) and processor, for tests that append thousands of deliveries without HTTP. */
export function ingestParts(relay: Relay) {
  const { store, ingest, processor } = relay[forTests];
  return { store, ingest, processor };
}
