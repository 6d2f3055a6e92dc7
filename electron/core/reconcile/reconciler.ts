import type { Reconciliation } from '../../../shared/contract.ts';
import type { Envelope, LevelAlert } from '../level/envelope.ts';
import { alertDataSchema } from '../level/envelope.ts';
import type { LevelApi, LevelApiAlert } from '../level/level-api.ts';
import type { WebhookResult } from '../ingest/pipeline.ts';
import { TEST_ALERT_PREFIX, testAlertResolve } from '../setup/integration-test.ts';
import type { Store } from '../store/store.ts';
import { RECONCILED_EVENT_PREFIX } from '../store/alert-ledger.ts';
import type { Reconciliations } from '../store/reconciliations.ts';
import { Periodic } from '../periodic.ts';

export const RECONCILE_INTERVAL_MS = 5 * 60_000;
export type ReconcileTrigger = Reconciliation['trigger'];

/** Ids of alerts that never came from Level's alert list: automations and the setup test. */
const NOT_FROM_LEVEL = /^(automation:|relay-test-)/;

export interface ReconcilerOptions {
  store: Store;
  /** Where each run is recorded (the Reconciliations page). */
  reconciliations: Reconciliations;
  api: () => LevelApi | undefined;
  /** Stores a made-up event through the same pipeline as a webhook (routing, dedup, order). */
  ingest: (envelope: Envelope, alert: LevelAlert) => Promise<WebhookResult>;
  /** Why routing still holds this alert back (its device looked up as the ingest would), or undefined when it may go to ilert. */
  routeHolds: (alert: LevelAlert) => Promise<string | undefined>;
  /** The setup test's synthetic alert while that test runs: not left over, so not resolved. */
  runningTestAlertId?: () => string | undefined;
  intervalMs?: number;
}

type Change = Reconciliation['changes'][number];

/**
 * Heals what webhooks missed (Level tries a delivery only three times in ~6 minutes): an active
 * alert the relay never saw is forwarded, and an alert the relay holds as active that Level has
 * resolved is resolved. Where the relay's verdict and Level's own page for an alert disagree (a
 * webhook whose clock was wrong made it stale), Level's page wins: its events carry the time Level
 * answered and override the stored times (see decideAlert). Alerts routing held back are sent
 * once their route lets them through. The store's dedup and order rules apply to everything
 * made up here as to webhooks, so a run racing a late webhook never sends twice.
 */
export class Reconciler extends Periodic {
  readonly #options: ReconcilerOptions;
  readonly #intervalMs: number;
  readonly #log: Reconciliations;
  #lastTickAt: number | undefined;
  #running: Promise<Reconciliation> | undefined;
  #releasing: Promise<unknown> = Promise.resolve();

  constructor(options: ReconcilerOptions) {
    const intervalMs = options.intervalMs ?? RECONCILE_INTERVAL_MS;
    super(() => this.#tick(), intervalMs);
    this.#intervalMs = intervalMs;
    this.#options = options;
    this.#log = options.reconciliations;
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.#running?.catch(() => undefined);
  }

  /** Runs at start, then on every interval; a tick that comes far too late means the machine slept. */
  #tick(): Promise<void> {
    const now = Date.now();
    const trigger = this.#lastTickAt === undefined ? 'start' : now - this.#lastTickAt > this.#intervalMs * 2 ? 'wake' : 'schedule';
    this.#lastTickAt = now;
    return this.#runQuietly(trigger);
  }

  /** The machine woke up (the desktop app hears it from the OS): catch up at once. */
  wake(): void {
    void this.#runQuietly('wake');
  }

  async #runQuietly(trigger: ReconcileTrigger): Promise<void> {
    if (!this.#options.api()) {
      // Without Level's API there is nothing to reconcile, but test alerts and routing are the relay's own.
      await this.#resolveLeftoverTests().catch(() => undefined);
      await this.releaseHeld().catch(() => undefined);
      return;
    }
    try {
      await this.run(trigger);
    } catch {
      // Recorded in the reconciliations table; the next run tries again.
    }
  }

  /** One reconciliation; concurrent callers share the run in progress. */
  run(trigger: ReconcileTrigger): Promise<Reconciliation> {
    this.#running ??= this.#run(trigger).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #run(trigger: ReconcileTrigger): Promise<Reconciliation> {
    const api = this.#options.api();
    const startedAt = Date.now();
    const id = this.#log.start(trigger, startedAt);
    const changes: Change[] = [];
    let checked = 0;
    try {
      changes.push(...(await this.#resolveLeftoverTests()));
      if (!api) throw new Error('no Level API key: add one in Settings to reconcile with Level');
      const levelActive = await api.listAlerts('active');
      checked = levelActive.length;
      const activeIds = new Set(levelActive.map((alert) => alert.id));
      for (const alert of levelActive) {
        const state = this.#options.store.ledger.stateOf(alert.id);
        if (state === undefined) {
          const event = { eventType: 'alert_active', eventId: `${alert.id}:active`, occurredAt: alert.started_at ?? new Date(startedAt).toISOString() } as const;
          changes.push(...(await this.#forward(alert, event, 'backfilled')));
          continue;
        }
        if (state === 'active') continue;
        // Held as resolved, listed as active: a resolve since the list was read, or a verdict an
        // event with a wrong clock left. A list can be stale: only Level's answer for this alert decides.
        const current = await api.getAlert(alert.id);
        const answeredAt = Date.now();
        checked++;
        if (!current || current.is_resolved || current.resolved_at) continue;
        const event = { eventType: 'alert_active', eventId: `${alert.id}:reopened:${answeredAt}`, occurredAt: new Date(answeredAt).toISOString() } as const;
        changes.push(...(await this.#forward(current, event, 'backfilled')));
      }
      const reported = new Set(changes.map((change) => change.levelAlertId));
      changes.push(...(await this.releaseHeld((held) => !reported.has(held) && (activeIds.has(held) || NOT_FROM_LEVEL.test(held)))));
      // Only the ids are held for the walk, and an alert's data is read when Level says it is over.
      for (const heldId of this.#options.store.ledger.activeAlertIds()) {
        if (activeIds.has(heldId) || NOT_FROM_LEVEL.test(heldId)) continue;
        // A list can be stale or paged past a change: only Level's answer for this alert resolves it.
        const current = await api.getAlert(heldId);
        const answeredAt = Date.now();
        checked++;
        const gone = current === undefined;
        if (!gone && !current.is_resolved && !current.resolved_at) continue;
        const resolvedAt = current?.resolved_at ?? new Date(answeredAt).toISOString();
        const stored = gone ? this.#options.store.ledger.alertData(heldId) : undefined;
        if (gone && stored === undefined) continue; // resolved and pruned meanwhile
        const data: LevelApiAlert = gone
          ? { ...(JSON.parse(stored!) as LevelApiAlert), id: heldId, is_resolved: true, resolved_at: resolvedAt }
          : { ...current, is_resolved: true, resolved_at: resolvedAt };
        // Dated when Level answered: Level's word as of then, whatever time the relay's last activation claimed.
        const event = { eventType: 'alert_resolved', eventId: `${heldId}:resolved:${answeredAt}`, occurredAt: new Date(answeredAt).toISOString() } as const;
        changes.push(...(await this.#forward(data, event, 'resolved')));
      }
      return this.#finish(id, trigger, startedAt, 'ok', checked, changes);
    } catch (error) {
      this.#finish(id, trigger, startedAt, 'failed', checked, changes, (error as Error).message);
      throw error;
    }
  }

  /**
   * Active alerts routing held back whose route now lets them through go to ilert, as the
   * activation they were; those still held are listed as skipped, with the reason. Runs after a
   * routing change and in every reconciliation (`include` picks the alerts Level still lists).
   */
  releaseHeld(include: (levelAlertId: string) => boolean = () => true): Promise<Change[]> {
    // One release at a time: a routing change during a run would otherwise send the same alert twice.
    const release = this.#releasing.then(() => this.#releaseHeld(include));
    this.#releasing = release.catch(() => undefined);
    return release;
  }

  async #releaseHeld(include: (levelAlertId: string) => boolean): Promise<Change[]> {
    const changes: Change[] = [];
    for (const held of this.#options.store.ledger.heldByRoute()) {
      if (!include(held.levelAlertId)) continue;
      const data = JSON.parse(held.data) as LevelApiAlert;
      const alert = alertDataSchema.safeParse(data);
      if (!alert.success) continue;
      const holds = await this.#options.routeHolds(alert.data);
      if (holds) {
        changes.push({ levelAlertId: held.levelAlertId, action: 'skipped', name: alert.data.name, reason: `skipped: ${holds}` });
        continue;
      }
      const releasedAt = Date.now();
      const occurredAt = new Date(held.lastActiveMs ?? releasedAt).toISOString();
      changes.push(...(await this.#forward(data, { eventType: 'alert_active', eventId: `${held.levelAlertId}:released:${releasedAt}`, occurredAt }, 'backfilled')));
    }
    return changes;
  }

  /** Stores a made-up event; what it did for ilert is the change (`skipped` with the job's reason when it sent nothing). */
  async #forward(
    data: LevelApiAlert,
    event: { eventType: 'alert_active' | 'alert_resolved'; eventId: string; occurredAt: string },
    action: Exclude<Change['action'], 'skipped'>,
  ): Promise<Change[]> {
    const alert = alertDataSchema.safeParse(data);
    if (!alert.success) return [];
    const occurred = Number.isFinite(Date.parse(event.occurredAt)) ? new Date(Date.parse(event.occurredAt)).toISOString() : new Date().toISOString();
    const envelope: Envelope = { event_type: event.eventType, event_id: `${RECONCILED_EVENT_PREFIX}${event.eventId}`, occurred_at: occurred, data: { ...data, id: alert.data.id } };
    const result = await this.#options.ingest(envelope, alert.data);
    if (result.statusCode !== 202) return [];
    const ledger = this.#options.store.ledger;
    const deliveryId = ledger.deliveryOfEvent(envelope.event_id);
    const job = deliveryId === undefined ? undefined : ledger.jobOfDelivery(deliveryId);
    const change = { levelAlertId: alert.data.id, name: alert.data.name, deliveryId };
    return [job?.status === 'skipped' ? { ...change, action: 'skipped', reason: job.reason ?? undefined } : { ...change, action }];
  }

  /** Synthetic test alerts still active although no test runs for them (cancelled, crashed) are resolved. */
  async #resolveLeftoverTests(): Promise<Change[]> {
    const running = this.#options.runningTestAlertId?.();
    const changes: Change[] = [];
    for (const row of this.#options.store.ledger.activeAlertsWithPrefix(TEST_ALERT_PREFIX)) {
      if (row.levelAlertId === running) continue;
      const held = { id: row.levelAlertId, data: JSON.parse(row.data) as LevelApiAlert };
      const { envelope, alert } = testAlertResolve(held.id, held.data.started_at ?? new Date().toISOString());
      const result = await this.#options.ingest(envelope, alert);
      if (result.statusCode !== 202) continue;
      changes.push({ levelAlertId: held.id, action: 'resolved', name: alert.name, deliveryId: this.#options.store.ledger.deliveryOfEvent(envelope.event_id) });
    }
    return changes;
  }

  #finish(id: number, trigger: ReconcileTrigger, startedAt: number, outcome: 'ok' | 'failed', checked: number, changes: Change[], error?: string): Reconciliation {
    const run = { id, trigger, startedAt, finishedAt: Date.now(), outcome, error, checked, changes };
    this.#log.finish(run);
    return run;
  }

  list(limit = 20): Reconciliation[] {
    return this.#log.list(limit);
  }
}
