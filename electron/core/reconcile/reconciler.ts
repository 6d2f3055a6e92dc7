import type { Reconciliation } from '../../../shared/contract.ts';
import type { Envelope, LevelAlert } from '../level/envelope.ts';
import { alertDataSchema } from '../level/envelope.ts';
import type { LevelApi, LevelApiAlert } from '../level/level-api.ts';
import type { WebhookResult } from '../ingest/pipeline.ts';
import { TEST_ALERT_PREFIX, testAlertResolve } from '../setup/integration-test.ts';
import type { Store } from '../store/store.ts';
import { RECONCILED_EVENT_PREFIX } from '../store/alert-ledger.ts';
import { Reconciliations } from '../store/reconciliations.ts';
import { Periodic } from '../periodic.ts';

export const RECONCILE_INTERVAL_MS = 5 * 60_000;
export type ReconcileTrigger = Reconciliation['trigger'];

/** Ids of alerts that never came from Level's alert list: automations and the setup test. */
const NOT_FROM_LEVEL = /^(automation:|relay-test-)/;

export interface ReconcilerOptions {
  store: Store;
  api: () => LevelApi | undefined;
  /** Stores a made-up event through the same pipeline as a webhook (routing, dedup, order). */
  ingest: (envelope: Envelope, alert: LevelAlert) => Promise<WebhookResult>;
  /** The setup test's synthetic alert while that test runs: not left over, so not resolved. */
  runningTestAlertId?: () => string | undefined;
  intervalMs?: number;
}

type Change = Reconciliation['changes'][number];

/**
 * Heals what webhooks missed (Level tries a delivery only three times in ~6 minutes): an active
 * alert the relay never saw is forwarded, and an alert the relay holds as active that Level has
 * resolved is resolved. Event ids are derived from the alert, so a run repeated, or racing the
 * late webhook, never sends twice (the store's dedup and order rules apply to both).
 */
export class Reconciler extends Periodic {
  readonly #options: ReconcilerOptions;
  readonly #intervalMs: number;
  readonly #log: Reconciliations;
  #lastTickAt: number | undefined;
  #running: Promise<Reconciliation> | undefined;

  constructor(options: ReconcilerOptions) {
    const intervalMs = options.intervalMs ?? RECONCILE_INTERVAL_MS;
    super(() => this.#tick(), intervalMs);
    this.#intervalMs = intervalMs;
    this.#options = options;
    this.#log = new Reconciliations(options.store);
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
      // Without Level's API there is nothing to reconcile, but test alerts are the relay's own.
      await this.#resolveLeftoverTests().catch(() => undefined);
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
        if (this.#known(alert.id)) continue;
        const change = await this.#forward(alert, 'alert_active', alert.started_at ?? new Date(startedAt).toISOString(), 'backfilled');
        if (change) changes.push(change);
      }
      for (const held of this.#heldActive()) {
        if (activeIds.has(held.id) || NOT_FROM_LEVEL.test(held.id)) continue;
        // A list can be stale or paged past a change: only Level's answer for this alert resolves it.
        const current = await api.getAlert(held.id);
        checked++;
        const gone = current === undefined;
        if (!gone && !current.is_resolved && !current.resolved_at) continue;
        const resolvedAt = current?.resolved_at ?? new Date().toISOString();
        const data: LevelApiAlert = gone ? { ...held.data, id: held.id, is_resolved: true, resolved_at: resolvedAt } : { ...current, is_resolved: true, resolved_at: resolvedAt };
        const change = await this.#forward(data, 'alert_resolved', resolvedAt, 'resolved');
        if (change) changes.push(change);
      }
      return this.#finish(id, trigger, startedAt, 'ok', checked, changes);
    } catch (error) {
      this.#finish(id, trigger, startedAt, 'failed', checked, changes, (error as Error).message);
      throw error;
    }
  }

  async #forward(data: LevelApiAlert, eventType: 'alert_active' | 'alert_resolved', occurredAt: string, action: Change['action']): Promise<Change | undefined> {
    const alert = alertDataSchema.safeParse(data);
    if (!alert.success) return undefined;
    const occurred = Number.isFinite(Date.parse(occurredAt)) ? new Date(Date.parse(occurredAt)).toISOString() : new Date().toISOString();
    const envelope: Envelope = {
      event_type: eventType,
      event_id: `${RECONCILED_EVENT_PREFIX}${alert.data.id}:${eventType === 'alert_active' ? 'active' : 'resolved'}`,
      occurred_at: occurred,
      data: { ...data, id: alert.data.id },
    };
    const result = await this.#options.ingest(envelope, alert.data);
    if (result.statusCode !== 202) return undefined;
    return { levelAlertId: alert.data.id, action, name: alert.data.name, deliveryId: this.#options.store.ledger.deliveryOfEvent(envelope.event_id) };
  }

  /** Synthetic test alerts still active although no test runs for them (cancelled, crashed) are resolved. */
  async #resolveLeftoverTests(): Promise<Change[]> {
    const running = this.#options.runningTestAlertId?.();
    const changes: Change[] = [];
    for (const held of this.#heldActive()) {
      if (!held.id.startsWith(TEST_ALERT_PREFIX) || held.id === running) continue;
      const { envelope, alert } = testAlertResolve(held.id, held.data.started_at ?? new Date().toISOString());
      const result = await this.#options.ingest(envelope, alert);
      if (result.statusCode !== 202) continue;
      changes.push({ levelAlertId: held.id, action: 'resolved', name: alert.name, deliveryId: this.#options.store.ledger.deliveryOfEvent(envelope.event_id) });
    }
    return changes;
  }

  #known(levelAlertId: string): boolean {
    return this.#options.store.ledger.stateOf(levelAlertId) !== undefined;
  }

  #heldActive(): { id: string; data: LevelApiAlert }[] {
    return this.#options.store.ledger.activeAlerts().map((row) => ({ id: row.levelAlertId, data: JSON.parse(row.data) as LevelApiAlert }));
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
