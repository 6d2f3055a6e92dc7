import type { Diagnosis, RelayStatusView } from '../../../shared/contract.ts';
import type { ApiClients } from '../api-clients.ts';
import { diagnose, ilertSummary, type AnswerScope } from '../diagnosis.ts';
import type { Forwarder } from '../forwarder/forwarder.ts';
import type { TargetPausing } from '../forwarder/target-pausing.ts';
import type { Heartbeat } from '../heartbeat.ts';
import type { Announce } from '../app-events.ts';
import { LAG_SHOWN_AFTER_MS } from '../ingest/processing-health.ts';
import type { Processor, ProcessingState } from '../ingest/processor.ts';
import type { IlertStateSync } from '../reconcile/ilert-state-sync.ts';
import type { Receiver } from '../receiver/receiver.ts';
import type { LevelDirectory } from '../routing/directory.ts';
import { configurationProblems, type Settings } from '../settings.ts';
import type { SetupService } from '../setup/setup-service.ts';
import type { Outbox } from '../store/outbox.ts';
import type { ReadModels } from '../store/read-models.ts';
import type { Store, StoreFacts } from '../store/store.ts';
import { resolveTarget, targetNames } from '../targets.ts';

const STUCK_AFTER_MS = 10 * 60_000;
const STATUS_CACHE_MS = 1000;

export interface RelayStatusParts {
  store: Store;
  read: ReadModels;
  outbox: Outbox;
  receiver: Receiver;
  processor: Processor;
  forwarder: Forwarder;
  pausing: TargetPausing;
  heartbeat: Heartbeat;
  setup: SetupService;
  directory: LevelDirectory;
  ilertState: IlertStateSync;
  clients: ApiClients;
  settings: () => Settings;
  receiverUrl: () => string | undefined;
  /** Moves whenever the status may read differently (the store's version plus the relay's announcements). */
  version: () => number;
  announce: Announce;
}

/**
 * How the relay is doing, read from its parts: the status every dashboard and the tray show, the
 * Health page's findings, the heartbeat's reason to stay silent, and the warnings printed at start.
 */
export class RelayStatus {
  readonly #parts: RelayStatusParts;
  readonly #startedAt = Date.now();
  /** When each target's integration key or URL last changed: ilert's answers from before are about the old one. */
  readonly #targetChangedAt = new Map<string, number>();
  #cache: { version: number; at: number; value: RelayStatusView } | undefined;
  #lagTimer: NodeJS.Timeout | undefined;

  constructor(parts: RelayStatusParts) {
    this.#parts = parts;
  }

  /** Call before new settings apply: a target whose key or URL changes starts counting ilert's answers afresh. */
  settingsChanging(next: Settings, now = Date.now()): void {
    const current = this.#parts.settings();
    for (const target of targetNames(next)) {
      if (JSON.stringify(resolveTarget(current, target) ?? null) !== JSON.stringify(resolveTarget(next, target) ?? null)) this.#targetChangedAt.set(target, now);
    }
  }

  /**
   * What the tray and every dashboard show, fetched on each change batch. Built from counters the
   * store keeps (no table scans), and reused until the store changes or a second passes (the
   * time-based checks), so a dozen callers per batch cost one computation.
   */
  status(): RelayStatusView {
    const now = Date.now();
    const { store, read, receiver, heartbeat, setup, ilertState, clients, forwarder, pausing } = this.#parts;
    const version = this.#parts.version();
    const cached = this.#cache;
    if (cached && cached.version === version && now - cached.at < STATUS_CACHE_MS) return cached.value;
    const settings = this.#parts.settings();
    const facts = store.facts();
    let queueDepth = 0;
    let failedJobs = 0;
    for (const jobs of facts.jobs.values()) {
      queueDepth += jobs.queued + jobs.in_flight;
      failedJobs += jobs.failed;
    }
    const attempt = read.lastAttempt();
    const value: RelayStatusView = {
      receiverListening: receiver.listening,
      receiverUrl: this.#parts.receiverUrl(),
      queueDepth,
      failedJobs,
      lastDeliveryAt: read.lastDeliveryAt(),
      ilertReachable: attempt ? attempt.statusCode !== null : undefined,
      lastAttemptAt: attempt?.startedAt,
      heartbeat: { configured: Boolean(settings.ilertHeartbeatUrl), ...heartbeat.state },
      ilert: ilertSummary(facts, this.#answerScope()),
      diagnoses: this.diagnoses(now, facts),
      publicUrl: settings.publicUrl ?? setup.tunnelState()?.publicUrl,
      tunnel: setup.tunnelState(),
      ilertState: clients.ilert() ? ilertState.view() : undefined,
      backlog: this.#backlog(facts),
      pausedTargets: pausing.all().map(({ target, pausedAt, pausedBy }) => ({ target, pausedAt, pausedBy, waiting: waitingFor(facts, target) })),
      outage: forwarder.outage,
    };
    this.#cache = { version, at: now, value };
    return value;
  }

  /**
   * What the desktop tray needs on every change batch: the status and the active alerts per
   * severity, both from counters — never a listing of the alerts.
   */
  traySnapshot(): { status: RelayStatusView; alerts: { counts: Record<string, number> } } {
    return { status: this.status(), alerts: { counts: this.#parts.store.facts().activeAlerts } };
  }

  diagnoses(now = Date.now(), facts = this.#parts.store.facts()): Diagnosis[] {
    const { store, receiver, setup, heartbeat, directory, ilertState, clients, forwarder } = this.#parts;
    const settings = this.#parts.settings();
    return diagnose(
      store,
      {
        now,
        settings,
        startedAt: this.#startedAt,
        receiverListening: receiver.listening,
        webhookUrl: setup.webhookUrl(),
        tunnel: setup.tunnelState(),
        reachability: setup.standingReachability(),
        alertSourceProblems: setup.alertSourceProblems,
        heartbeatError: settings.ilertHeartbeatUrl ? heartbeat.state.lastError : undefined,
        levelApiError: clients.level() ? directory.lastSyncError : undefined,
        ilertState: clients.ilert() ? ilertState.view() : undefined,
        storeProblem: store.health.problem(now),
        unrecordedOutcomes: forwarder.unrecordedOutcomes,
        publicPortPressure: receiver.pressure,
        answers: this.#answerScope(),
        processing: this.#processing(now),
      },
      facts,
    );
  }

  /**
   * Where processing stands. While the processor waits (Level's API hangs on a device look-up),
   * nothing changes, so nothing would make the dashboards or the tray read the status again when
   * the lag passes 1 s: read with deliveries waiting, the status announces that moment itself.
   */
  #processing(now: number): ProcessingState {
    const state = this.#parts.processor.state(now);
    const due = state.oldest ? state.oldest.receivedAt + LAG_SHOWN_AFTER_MS + 1 : undefined;
    if (due !== undefined && due > now && !this.#lagTimer) {
      this.#lagTimer = setTimeout(() => {
        this.#lagTimer = undefined;
        this.#parts.announce('processing');
      }, due - now);
      this.#lagTimer.unref();
    }
    return state;
  }

  /**
   * Why the relay should not tell ilert it is alive: the receiver is down, or work is waiting and
   * nothing has reached ilert for ten minutes (forwarding is stuck).
   */
  unhealthyReason(now = Date.now()): string | undefined {
    const { store, receiver, pausing, outbox } = this.#parts;
    if (!receiver.listening) return 'the receiver is not listening';
    const storeProblem = store.health.problem(now);
    if (storeProblem) return storeProblem;
    const busy = receiver.busyReason();
    if (busy) return busy;
    const stalled = this.#parts.processor.stalledReason(now);
    if (stalled) return stalled;
    const facts = store.facts();
    // Work held for a paused target is maintenance, not a fault: ilert must not be told the relay is down.
    const paused = pausing.paused();
    const waiting = [...facts.jobs].reduce((sum, [target, jobs]) => (paused.has(target) ? sum : sum + jobs.queued + jobs.in_flight), 0);
    if (waiting === 0 || (facts.lastDeliveredAt ?? 0) >= now - STUCK_AFTER_MS) return undefined;
    const oldest = outbox.oldestWaitingSince();
    if (oldest === undefined || oldest >= now - STUCK_AFTER_MS) return undefined;
    return `forwarding is stuck: ${waiting} events waiting, none delivered to ilert for 10 minutes`;
  }

  /** What a person starting the relay should be told at once: a store that cannot write, settings that cannot work. */
  warnings(): string[] {
    const storeProblem = this.#parts.store.health.problem();
    return [...(storeProblem ? [`${storeProblem}: webhooks are answered 503 until it can`] : []), ...configurationProblems(this.#parts.settings())];
  }

  #answerScope(): AnswerScope {
    return {
      countFrom: (target) => Math.max(this.#startedAt, this.#targetChangedAt.get(target) ?? 0),
      paused: this.#parts.pausing.paused(),
    };
  }

  /**
   * Per target with work waiting: how long the queue takes to drain at ilert's rate limit (each
   * target is its own integration key, so its own limit), and whether the limit holds work back now.
   */
  #backlog(facts: StoreFacts): NonNullable<RelayStatusView['backlog']> {
    const perMinute = this.#parts.settings().ilertEventsPerMinute;
    return [...facts.jobs.keys()]
      .map((target) => ({ target, waiting: waitingFor(facts, target) }))
      .filter((row) => row.waiting > 0)
      .map((row) => ({ ...row, perMinute, drainMs: Math.round((row.waiting / perMinute) * 60_000), rateLimited: this.#parts.forwarder.waitsForRateLimit(row.target) }));
  }
}

/** Events waiting to go to one target, from the kept counters. */
function waitingFor(facts: StoreFacts, target: string): number {
  const jobs = facts.jobs.get(target);
  return jobs ? jobs.queued + jobs.in_flight : 0;
}
