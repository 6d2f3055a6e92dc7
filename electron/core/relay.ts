import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Forwarder, type ForwarderOptions } from './forwarder/forwarder.ts';
import { BODY_LIMIT_BYTES, Receiver, WEBHOOK_PATH, type ReceiverLimits } from './receiver/receiver.ts';
import { IngestPipeline, type WebhookResult } from './ingest/pipeline.ts';
import { AUTOMATION_PATH } from './ingest/automation.ts';
import { ingestSourceRequest, SOURCE_PATH_PREFIX, type SourceSettings } from './ingest/source-ingest.ts';
import { configurationProblems, sourceTargetProblem, type Settings } from './settings.ts';
import { Outbox } from './store/outbox.ts';
import { Heartbeat } from './heartbeat.ts';
import { ReadModels } from './store/read-models.ts';
import { Store, type StoreFacts, type StoreOptions } from './store/store.ts';
import { internalDelivery } from './store/inbound-delivery.ts';
import { Team, type TeamDoor } from './store/team.ts';
import { TargetPauses } from './store/target-pauses.ts';
import { LevelApi } from './level/level-api.ts';
import { sign } from './level/signature.ts';
import { LevelDirectory } from './routing/directory.ts';
import type { Envelope, LevelAlert } from './level/envelope.ts';
import { Router } from './routing/router.ts';
import { DEFAULT_TARGET, integrationKeyTargets, requireTarget, resolveTarget, targetNames } from './targets.ts';
import { Reconciler } from './reconcile/reconciler.ts';
import { IlertApi } from './ilert/ilert-api.ts';
import { IlertStateSync } from './reconcile/ilert-state-sync.ts';
import { IntegrationTestRunner } from './setup/integration-test.ts';
import { SetupService } from './setup/setup-service.ts';
import { diagnose, ilertSummary, type AnswerScope } from './diagnosis.ts';
import { Periodic } from './periodic.ts';
import type { AppTopic } from './app-events.ts';
import { ChangeBatcher, type RelayChange } from './change-batcher.ts';
import { AlertWatcher } from './desktop/alert-watcher.ts';
import type { DesktopEvent } from './desktop/notifications.ts';
import type { Handlers, PushedEvent, RelayStatusView } from '../../shared/contract.ts';
import { createHandlers, type AdminDoor, type RelayParts } from './api/handlers.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import type { SettingsService } from './settings-service.ts';
import { forTests } from './testing-seam.ts';
import { MaintenanceWindows } from './quiet/maintenance.ts';
import { HoldReleaser } from './quiet/hold-releaser.ts';
import { HeldJobs } from './store/held-jobs.ts';

export { DEFAULT_TARGET };
const STUCK_AFTER_MS = 10 * 60_000;
const STATUS_CACHE_MS = 1000;
const ALERT_SOURCE_CHECK_INTERVAL_MS = 60 * 60_000;

/** Knobs for tests and benchmarks; users configure the relay through Settings. */
export type RelayTuning = Pick<ForwarderOptions, 'backoff' | 'rateWindowMs' | 'rateLimitPauseMs' | 'requestTimeoutMs' | 'maxInFlight' | 'clock' | 'storeRetryMs'> &
  StoreOptions & {
    heartbeatIntervalMs?: number;
    ilertPollMs?: number;
    reconcileIntervalMs?: number;
    /** The integration test's wait per hop, and how often it polls ilert. */
    testHopTimeoutMs?: number;
    testPollMs?: number;
    /** ilert's per-user-key request window (tests shorten it). */
    ilertApiWindowMs?: number;
    receiverLimits?: Partial<ReceiverLimits>;
    /** How long store changes are gathered before one `changes` event carries them all. */
    changeBatchMs?: number;
  };

/**
 * The relay's one event stream. `changes`: what changed, batched (at most every ~300 ms, so a
 * burst of a thousand deliveries is a handful of events). `notable`: the same batches read as a
 * technician would (a new alert, a resolve, a delivery that gave up), for notifications; it is
 * only computed while someone listens.
 */
export interface RelayEvents {
  /** Each change as it happens (tests wait on these; a UI wants `changes`). */
  change: [RelayChange];
  changes: [PushedEvent<'changes'>];
  notable: [DesktopEvent[]];
}

export interface RelayOptions {
  dataDir: string;
  settings: Settings;
  tuning?: RelayTuning;
}

/**
 * The relay core, with no Electron in it: store, receiver and forwarder wired together. The
 * desktop app and the headless CLI both host one of these, and see only its face: start/stop, the
 * contract's handlers, `events`, and the few calls below that a tray or a console needs.
 */
export class Relay {
  readonly #store: Store;
  readonly #outbox: Outbox;
  readonly #read: ReadModels;
  readonly #forwarder: Forwarder;
  readonly #receiver: Receiver;
  readonly instanceId = randomUUID();
  readonly #heartbeat: Heartbeat;
  readonly #directory: LevelDirectory;
  readonly #router: Router;
  readonly #reconciler: Reconciler;
  readonly #ilertState: IlertStateSync;
  readonly #integrationTest: IntegrationTestRunner;
  readonly #team: Team;
  readonly #pauses: TargetPauses;
  readonly #windows: MaintenanceWindows;
  readonly #heldJobs: HeldJobs;
  readonly #releaser: HoldReleaser;
  readonly #setup: SetupService;
  readonly #startedAt = Date.now();
  /** When each target's integration key or URL last changed: ilert's answers from before are about the old one. */
  readonly #targetChangedAt = new Map<string, number>();
  #answerScope(): AnswerScope {
    return {
      countFrom: (target) => Math.max(this.#startedAt, this.#targetChangedAt.get(target) ?? 0),
      paused: new Set(this.#pauses.all().map((pause) => pause.target)),
    };
  }
  readonly events = new EventEmitter<RelayEvents>();
  readonly #batcher: ChangeBatcher;
  #alertWatcher: AlertWatcher | undefined;
  #settings: Settings;
  #address: AddressInfo | undefined;
  /** The retention setting, applied at start and then hourly. */
  readonly #retention = new Periodic(() => this.prune().catch((error: unknown) => console.error(`retention: ${(error as Error).message}`)), 3_600_000);
  readonly #sourceChecks = new Periodic(async () => this.#setup.checkAlertSources(), ALERT_SOURCE_CHECK_INTERVAL_MS);
  readonly #ingest: IngestPipeline;
  readonly #tuning: RelayTuning;
  #levelClient: { key: string; api: LevelApi } | undefined;
  #ilertClient: { key: string; api: IlertApi } | undefined;

  constructor(options: RelayOptions) {
    this.#settings = options.settings;
    this.#tuning = options.tuning ?? {};
    this.#store = new Store(options.dataDir, this.#tuning);
    this.#outbox = new Outbox(this.#store);
    this.#read = new ReadModels(this.#store);
    this.#team = new Team(this.#store);
    this.#forwarder = new Forwarder({
      store: this.#store,
      outbox: this.#outbox,
      resolveTarget: (target) => resolveTarget(this.#settings, target),
      eventsPerMinute: () => this.#settings.ilertEventsPerMinute,
      rateLimitChanged: () => this.#announce('forwarding'),
      ...options.tuning,
    });
    this.#pauses = new TargetPauses(this.#store);
    for (const pause of this.#pauses.all()) this.#forwarder.pause(pause.target);
    this.#directory = new LevelDirectory(this.#store, () => this.#levelApi(), this.#announce);
    // A route changed: alerts it held back may go to ilert now.
    this.#router = new Router(
      this.#store,
      this.#directory,
      () => this.#settings,
      () => this.#releaseHeld(),
    );
    this.#windows = new MaintenanceWindows(this.#store);
    this.#heldJobs = new HeldJobs(this.#store);
    this.#releaser = new HoldReleaser({
      store: this.#store,
      held: this.#heldJobs,
      recheck: (job, now) => this.#windows.holdFor({ deviceId: job.deviceId, groupIds: () => this.#router.groupsOf(job.deviceId), target: job.target }, now),
      // With a Level API key, first confirm with Level what is still active: reconciliation resolves the rest.
      beforeRelease: async () => {
        if (this.#levelApi()) await this.#reconciler.run('schedule');
      },
    });
    this.#ingest = new IngestPipeline({
      store: this.#store,
      secrets: () => ({
        current: this.#settings.levelWebhookSecret,
        previous: this.#settings.levelWebhookSecretPrevious,
        automation: this.#settings.levelAutomationSecret,
      }),
      policy: () => ({
        highPrioritySeverities: this.#settings.highPrioritySeverities,
        routeFor: (alert) => this.#router.routeFor(alert),
        // The setup test's alert is a person asking for a page to check the path: no window holds it.
        holdFor: (alert, route, now) =>
          alert.id === this.#integrationTest.runningTestAlertId()
            ? undefined
            : this.#windows.holdFor({ deviceId: alert.device_id, groupIds: () => this.#router.groupsOf(alert.device_id), target: route.target }, now),
      }),
      beforeStore: (alert) => this.#router.lookUpDevice(alert),
      // A device or group changed in Level: the API's current record replaces the mirror's (404 = deleted).
      accepted: (envelope) =>
        void this.#directory.refreshFromWebhook(envelope).catch((error: unknown) => console.error(`level: could not refresh ${envelope.data.id}: ${(error as Error).message}`)),
    });
    this.#receiver = new Receiver({
      instanceId: this.instanceId,
      ingest: this.#ingest,
      unhealthy: () => this.#store.health.problem(),
      limits: this.#tuning.receiverLimits,
      pressureChanged: () => this.#announce('public-port'),
      sources: () => this.#sourceSettings(),
    });
    this.#heartbeat = new Heartbeat({
      url: () => this.#settings.ilertHeartbeatUrl,
      unhealthy: () => this.#unhealthyReason(),
      ...(options.tuning?.heartbeatIntervalMs ? { intervalMs: options.tuning.heartbeatIntervalMs } : {}),
    });
    this.#reconciler = new Reconciler({
      store: this.#store,
      api: () => this.#levelApi(),
      ingest: (envelope, alert) => this.#ingestMadeUp('reconciled', '/reconcile', envelope, alert),
      routeHolds: async (alert) => {
        await this.#router.lookUpDevice(alert);
        return this.#router.routeFor(alert).skip;
      },
      runningTestAlertId: () => this.#integrationTest.runningTestAlertId(),
      ...(this.#tuning.reconcileIntervalMs ? { intervalMs: this.#tuning.reconcileIntervalMs } : {}),
    });
    this.#ilertState = new IlertStateSync({
      store: this.#store,
      announce: this.#announce,
      api: () => this.#ilertApi(),
      integrationKeys: () => integrationKeyTargets(this.#settings).map((target) => target.integrationKey),
      ...(this.#tuning.ilertPollMs ? { intervalMs: this.#tuning.ilertPollMs } : {}),
    });
    this.#setup = new SetupService({
      settings: () => this.#settings,
      instanceId: this.instanceId,
      receiverUrl: () => this.receiverUrl,
      ilertApi: (apiKey) => this.#ilertApi(apiKey),
      announce: this.#announce,
    });
    this.#integrationTest = new IntegrationTestRunner({
      store: this.#store,
      announce: this.#announce,
      webhookUrl: () => {
        if (this.#settings.publicUrl) return { url: `${this.#settings.publicUrl}${WEBHOOK_PATH}`, public: true };
        return this.receiverUrl ? { url: this.receiverUrl, public: false } : undefined;
      },
      secret: () => this.#settings.levelWebhookSecret,
      ilertApi: () => this.#ilertApi(),
      sendsEvents: () => !this.#settings.ilertPassThroughUrl,
      ingest: (envelope, alert) => this.#ingestMadeUp('test', '/setup/test', envelope, alert),
      reachedThrough: (webhookUrl) => this.#setup.reachedThrough(webhookUrl),
      hopTimeoutMs: this.#tuning.testHopTimeoutMs,
      pollMs: this.#tuning.testPollMs,
    });
    this.#store.changes.on('change', (change) => this.events.emit('change', change));
    // The dashboard and tray learn at once that writes fail: no row change would tell them.
    this.#store.health.on('change', () => this.#announce('store-health'));
    const subscribe = (listener: (change: RelayChange) => void) => {
      this.events.on('change', listener);
      return () => this.events.off('change', listener);
    };
    this.#batcher = new ChangeBatcher(subscribe, (changes) => this.#publish(changes), this.#tuning.changeBatchMs);
    // Primed when the first listener comes, so alerts already active then are not announced again.
    (this.events as EventEmitter).on('newListener', (name: string) => {
      if (name === 'notable') this.#alertWatcher ??= new AlertWatcher(this.#read);
    });
  }

  /** Bumped on every announcement; with the store's own version, what the status read is current while both stay the same. */
  #appVersion = 0;

  get #version(): number {
    return this.#store.version + this.#appVersion;
  }

  readonly #announce = (topic: AppTopic): void => {
    if (this.#store.closed) return;
    this.#appVersion++;
    this.events.emit('change', { kind: 'app', topic });
  };

  #publish(changes: PushedEvent<'changes'>): void {
    this.events.emit('changes', changes);
    if (this.#alertWatcher && this.events.listenerCount('notable') > 0) {
      const notable = this.#alertWatcher.observe(changes);
      if (notable.length) this.events.emit('notable', notable);
    }
  }

  /**
   * The contract's methods, on this relay's parts. `door` is the admin door serving them, when
   * there is one (the headless relay); the desktop app's own window has none.
   */
  handlers(settings: SettingsService, door?: () => AdminDoor | undefined): Handlers {
    return createHandlers(this.#parts, settings, door);
  }

  /** Test-only: see testing-seam.ts. */
  get [forTests]() {
    return this.#parts;
  }

  /** What the handlers need, and the rest of the parts for the test seam. */
  get #parts() {
    return {
      store: this.#store,
      read: this.#read,
      outbox: this.#outbox,
      team: this.#team,
      setup: this.#setup,
      integrationTest: this.#integrationTest,
      directory: this.#directory,
      router: this.#router,
      reconciler: this.#reconciler,
      forwarder: this.#forwarder,
      receiver: this.#receiver,
      heartbeat: this.#heartbeat,
      ilertState: this.#ilertState,
      levelApi: () => this.#levelApi(),
      status: () => this.status(),
      acceptAlert: (levelAlertId, acceptedBy) => this.acceptAlert(levelAlertId, acceptedBy),
      rerunDelivery: (id) => this.#rerunDelivery(id),
      replayDelivery: (id, body) => this.#replayDelivery(id, body),
      pauseTarget: (target, pausedBy) => this.#pauseTarget(target, pausedBy),
      resumeTarget: (target) => this.#resumeTarget(target),
      windows: this.#windows,
      endMaintenanceWindow: (id, endedBy) => this.#endMaintenanceWindow(id, endedBy),
      sendHeldNow: (levelAlertId, sentBy) => this.#sendHeldNow(levelAlertId, sentBy),
    } satisfies RelayParts & Record<string, unknown>;
  }

  /** Queues an ilert ACCEPT for the alert, behind its ALERT; returns the job's id. */
  acceptAlert(levelAlertId: string, acceptedBy: string): number {
    return this.#store.enqueueAccept(levelAlertId, acceptedBy);
  }

  /**
   * Holds a target's events in the outbox (ilert maintenance) until resumed, across restarts.
   * Only a target the relay knows can be paused, so a typo cannot look like a pause that works.
   */
  #pauseTarget(target: string, pausedBy: string): void {
    requireTarget(this.#settings, target);
    this.#pauses.pause(target, pausedBy, Date.now());
    this.#forwarder.pause(target);
    this.#announce('forwarding');
  }

  /** Sends a paused target's backlog, in the usual order; resuming a target that is not paused does nothing. */
  #resumeTarget(target: string): boolean {
    const wasPaused = this.#pauses.resume(target);
    this.#forwarder.resume(target);
    if (wasPaused) this.#announce('forwarding');
    return wasPaused;
  }

  /** Ends a maintenance window now and releases what it held at once (what still fires is sent). */
  #endMaintenanceWindow(id: number, endedBy: string) {
    const ended = this.#windows.end(id, endedBy, Date.now());
    if (!ended) throw new NotFoundError(`no maintenance window ${id}`);
    this.#releaser.wake();
    return ended;
  }

  /** Sends an alert's held events now, whatever holds them; returns how many. */
  #sendHeldNow(levelAlertId: string, sentBy: string): number {
    const now = Date.now();
    const ids = this.#heldJobs.ofAlert(levelAlertId);
    return this.#store.transaction(() => ids.filter((id) => this.#heldJobs.release(id, `sent by hand by ${sentBy} at ${new Date(now).toISOString()}`, now)).length);
  }

  /**
   * Per target with work waiting: how long the queue takes to drain at ilert's rate limit (each
   * target is its own integration key, so its own limit), and whether the limit holds work back now.
   */
  #backlog(facts: StoreFacts): NonNullable<RelayStatusView['backlog']> {
    const perMinute = this.#settings.ilertEventsPerMinute;
    return [...facts.jobs.keys()]
      .map((target) => ({ target, waiting: waitingFor(facts, target) }))
      .filter((row) => row.waiting > 0)
      .map((row) => ({ ...row, perMinute, drainMs: Math.round((row.waiting / perMinute) * 60_000), rateLimited: this.#forwarder.waitsForRateLimit(row.target) }));
  }

  /** The machine woke from sleep: Level may have alerted meanwhile, so reconcile now. */
  wake(): void {
    this.#reconciler.wake();
  }

  /** What a person starting the relay should be told at once: a store that cannot write, settings that cannot work. */
  warnings(): string[] {
    const storeProblem = this.#store.health.problem();
    return [...(storeProblem ? [`${storeProblem}: webhooks are answered 503 until it can`] : []), ...configurationProblems(this.#settings)];
  }

  /** How the admin door tells members by their tokens, and pairs new ones. */
  get teamDoor(): TeamDoor {
    return this.#team;
  }

  /** Level's API, when a key is set; one client per URL and key, so its retry state is shared. */
  #levelApi(): LevelApi | undefined {
    const { levelApiKey, levelApiUrl } = this.#settings;
    if (!levelApiKey) return undefined;
    const key = `${levelApiUrl}\n${levelApiKey}`;
    if (this.#levelClient?.key !== key) this.#levelClient = { key, api: new LevelApi({ baseUrl: levelApiUrl, apiKey: levelApiKey }) };
    return this.#levelClient.api;
  }

  /** ilert's REST API with the user API key, when one is set. */
  #ilertApi(apiKey = this.#settings.ilertApiKey): IlertApi | undefined {
    if (!apiKey) return undefined;
    const key = `${this.#settings.ilertApiUrl}\n${apiKey}`;
    if (this.#ilertClient?.key !== key) {
      this.#ilertClient = {
        key,
        api: new IlertApi({ apiUrl: this.#settings.ilertApiUrl, apiKey, ...(this.#tuning.ilertApiWindowMs ? { windowMs: this.#tuning.ilertApiWindowMs } : {}) }),
      };
    }
    return this.#ilertClient.api;
  }

  /** Events the relay makes up itself (reconciliation) go through the same ingest as webhooks. */
  #ingestMadeUp(source: 'reconciled' | 'test', path: string, envelope: Envelope, alert: LevelAlert): Promise<WebhookResult> {
    return this.#ingest.parsed(internalDelivery(source, { path, body: Buffer.from(JSON.stringify(envelope)) }), envelope, alert);
  }

  /**
   * Why the relay should not tell ilert it is alive: the receiver is down, or work is waiting and
   * nothing has reached ilert for ten minutes (forwarding is stuck).
   */
  #unhealthyReason(now = Date.now()): string | undefined {
    if (!this.#receiver.listening) return 'the receiver is not listening';
    const storeProblem = this.#store.health.problem(now);
    if (storeProblem) return storeProblem;
    const busy = this.#receiver.busyReason();
    if (busy) return busy;
    const facts = this.#store.facts();
    // Work held for a paused target is maintenance, not a fault: ilert must not be told the relay is down.
    const paused = new Set(this.#pauses.all().map((pause) => pause.target));
    const waiting = [...facts.jobs].reduce((sum, [target, jobs]) => (paused.has(target) ? sum : sum + jobs.queued + jobs.in_flight), 0);
    if (waiting === 0 || (facts.lastDeliveredAt ?? 0) >= now - STUCK_AFTER_MS) return undefined;
    const oldest = this.#outbox.oldestWaitingSince();
    if (oldest === undefined || oldest >= now - STUCK_AFTER_MS) return undefined;
    return `forwarding is stuck: ${waiting} events waiting, none delivered to ilert for 10 minutes`;
  }

  get settings(): Settings {
    return this.#settings;
  }

  /** Applies new settings to the running relay (listener address changes need a restart). */
  applySettings(settings: Settings): void {
    const keysChanged = settings.ilertApiKey !== this.#settings.ilertApiKey || settings.ilertIntegrationKey !== this.#settings.ilertIntegrationKey;
    const levelApiChanged = settings.levelApiKey !== this.#settings.levelApiKey || settings.levelApiUrl !== this.#settings.levelApiUrl;
    const unmappedChanged = settings.unmappedGroups !== this.#settings.unmappedGroups;
    const targets = targetNames(settings);
    const before = new Map(targets.map((target) => [target, JSON.stringify(resolveTarget(this.#settings, target) ?? null)]));
    this.#settings = settings;
    const now = Date.now();
    for (const target of targets) if (JSON.stringify(resolveTarget(settings, target) ?? null) !== before.get(target)) this.#targetChangedAt.set(target, now);
    if (unmappedChanged) this.#releaseHeld();
    // A Level key just saved: Routing shows the groups now, not "Never synced" until the next restart.
    if (levelApiChanged && this.#receiver.listening) this.#syncDirectory();
    if (keysChanged) {
      this.#ilertState.reset();
      this.#setup.alertSourceProblems.clear();
    }
    this.#forwarder.wake();
    this.#announce('settings');
  }

  /** Alerts routing held back go to ilert if their route lets them through now. */
  #releaseHeld(): void {
    this.#reconciler.releaseHeld().catch((error: unknown) => console.error(`routing: could not send held alerts: ${(error as Error).message}`));
  }

  #syncDirectory(): void {
    if (this.#levelApi()) this.#directory.syncAll().catch((error: unknown) => console.error(`level: sync failed: ${(error as Error).message}`));
  }

  #pruning: Promise<{ deliveries: number; jobs: number }> | undefined;

  /**
   * Applies the retention setting now and then hourly, in small batches with a turn of the event
   * loop between them, so that deleting a day of a storm never holds up an acknowledgement.
   */
  prune(now = Date.now()): Promise<{ deliveries: number; jobs: number }> {
    // One run at a time: a second call waits for the one under way, then runs with its own cut-off.
    const run = (this.#pruning ?? Promise.resolve()).catch(() => undefined).then(() => this.#pruneInBatches(now));
    this.#pruning = run;
    const clear = () => {
      if (this.#pruning === run) this.#pruning = undefined;
    };
    run.then(clear, clear);
    return run;
  }

  async #pruneInBatches(now: number): Promise<{ deliveries: number; jobs: number }> {
    // The audit has its own, longer retention (at least 90 days), so a short history cannot erase it.
    this.#team.prune(now - this.#settings.auditRetentionDays * 86_400_000);
    const before = now - this.#settings.retentionDays * 86_400_000;
    const total = { deliveries: 0, jobs: 0 };
    let cursor = 0;
    while (!this.#store.closed) {
      const batch = this.#store.pruneBatch(before, cursor);
      total.deliveries += batch.deliveries;
      total.jobs += batch.jobs;
      cursor = batch.cursor;
      if (batch.done) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    return total;
  }

  async start(): Promise<AddressInfo> {
    this.#retention.start();
    this.#forwarder.start();
    this.#releaser.start();
    try {
      this.#address = await this.#receiver.listen(this.#settings.port, this.#settings.host);
    } catch (error) {
      await this.#releaser.stop();
      await this.#forwarder.stop();
      throw error;
    }
    this.#heartbeat.start();
    this.#reconciler.start();
    this.#ilertState.start();
    this.#sourceChecks.start();
    if (this.#settings.tunnel !== 'off') this.#setup.startTunnel(this.#settings.tunnel);
    this.#syncDirectory();
    return this.#address;
  }

  #stopping: Promise<void> | undefined;

  /** Stop accepting, answer what is in progress, finish in-flight ilert requests, close the database. Once, whoever asks. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    await Promise.all([this.#retention.stop(), this.#sourceChecks.stop(), this.#releaser.stop()]);
    await this.#pruning?.catch(() => undefined);
    this.#integrationTest.cancel();
    await Promise.all([this.#heartbeat.stop(), this.#reconciler.stop(), this.#ilertState.stop(), this.#setup.stop()]);
    if (this.#receiver.listening) await this.#receiver.close();
    await this.#forwarder.stop();
    this.#batcher.close();
    await this.#store.close();
  }

  get receiverUrl(): string | undefined {
    if (!this.#address) return undefined;
    const host = this.#address.family === 'IPv6' ? `[${this.#address.address}]` : this.#address.address;
    return `http://${host}:${this.#address.port}${WEBHOOK_PATH}`;
  }

  #statusCache: { version: number; at: number; value: RelayStatusView } | undefined;

  /**
   * What the tray and every dashboard show, fetched on each change batch. Built from counters the
   * store keeps (no table scans), and reused until the store changes or a second passes (the
   * time-based checks), so a dozen callers per batch cost one computation.
   */
  status(): RelayStatusView {
    const now = Date.now();
    const cached = this.#statusCache;
    if (cached && cached.version === this.#version && now - cached.at < STATUS_CACHE_MS) return cached.value;
    const version = this.#version;
    const facts = this.#store.facts();
    let queueDepth = 0;
    let failedJobs = 0;
    for (const jobs of facts.jobs.values()) {
      queueDepth += jobs.queued + jobs.in_flight;
      failedJobs += jobs.failed;
    }
    const lastDeliveryAt = this.#read.lastDeliveryAt();
    const attempt = this.#read.lastAttempt();
    const value: RelayStatusView = {
      receiverListening: this.#receiver.listening,
      receiverUrl: this.receiverUrl,
      queueDepth,
      failedJobs,
      lastDeliveryAt,
      ilertReachable: attempt ? attempt.statusCode !== null : undefined,
      lastAttemptAt: attempt?.startedAt,
      heartbeat: { configured: Boolean(this.#settings.ilertHeartbeatUrl), ...this.#heartbeat.state },
      ilert: ilertSummary(facts, this.#answerScope()),
      diagnoses: this.diagnoses(now, facts),
      publicUrl: this.#settings.publicUrl ?? this.#setup.tunnelState()?.publicUrl,
      tunnel: this.#setup.tunnelState(),
      ilertState: this.#ilertApi() ? this.#ilertState.view() : undefined,
      backlog: this.#backlog(facts),
      pausedTargets: this.#pauses.all().map(({ target, pausedAt, pausedBy }) => ({ target, pausedAt, pausedBy, waiting: waitingFor(facts, target) })),
      outage: this.#forwarder.outage,
    };
    this.#statusCache = { version, at: now, value };
    return value;
  }

  /**
   * What the desktop tray needs on every change batch: the status and the active alerts per
   * severity, both from counters — never a listing of the alerts.
   */
  traySnapshot(): { status: RelayStatusView; alerts: { counts: Record<string, number> } } {
    return { status: this.status(), alerts: { counts: this.#store.facts().activeAlerts } };
  }

  diagnoses(now = Date.now(), facts = this.#store.facts()) {
    const settings = this.#settings;
    return diagnose(
      this.#store,
      {
        now,
        settings,
        startedAt: this.#startedAt,
        receiverListening: this.#receiver.listening,
        webhookUrl: this.#setup.webhookUrl(),
        tunnel: this.#setup.tunnelState(),
        reachability: this.#setup.standingReachability(),
        alertSourceProblems: this.#setup.alertSourceProblems,
        heartbeatError: settings.ilertHeartbeatUrl ? this.#heartbeat.state.lastError : undefined,
        levelApiError: this.#levelApi() ? this.#directory.lastSyncError : undefined,
        ilertState: this.#ilertApi() ? this.#ilertState.view() : undefined,
        storeProblem: this.#store.health.problem(now),
        unrecordedOutcomes: this.#forwarder.unrecordedOutcomes,
        publicPortPressure: this.#receiver.pressure,
        answers: this.#answerScope(),
      },
      facts,
    );
  }

  #sourceSettings(): SourceSettings {
    return { sources: this.#settings.sources, targetProblem: (target) => sourceTargetProblem(this.#settings, target) };
  }

  /** Runs a stored inbound delivery through the whole pipeline again; dedup still protects ilert. */
  async #rerunDelivery(deliveryId: number): Promise<WebhookResult> {
    const stored = this.#read.storedRequest(deliveryId);
    if (!stored) throw new NotFoundError(`no delivery ${deliveryId}`);
    if (stored.truncated) throw new NotFoundError(`delivery ${deliveryId} failed authentication, so only its first bytes were kept: there is nothing to run again`);
    if (!stored.body) throw new NotFoundError(`delivery ${deliveryId} has no stored body to run again`);
    const delivery = internalDelivery('rerun', { method: stored.method, path: stored.path, headers: stored.headers, body: Buffer.from(stored.body), rerunOf: deliveryId });
    if (stored.path === AUTOMATION_PATH) return this.#ingest.automation(delivery, undefined);
    if (stored.path.startsWith(SOURCE_PATH_PREFIX))
      return ingestSourceRequest(this.#ingest, this.#sourceSettings(), stored.path.slice(SOURCE_PATH_PREFIX.length), delivery, {}, stored.receivedAt);
    if (stored.source === 'reconciled') throw new NotFoundError(`delivery ${deliveryId} was made by reconciliation; run “Backfill alerts” instead`);
    if (stored.source === 'app') throw new NotFoundError(`delivery ${deliveryId} is an Accept pressed in the app; retry its ilert event instead`);
    return this.#ingest.webhook(delivery, stored.headers['x-level-signature']);
  }

  /**
   * Replay with edits: the technician's copy of a delivery's body, signed with the webhook secret as
   * Level signs, through the receiver's own checks; recorded as a manual replay of the original.
   */
  async #replayDelivery(deliveryId: number, body: Buffer): Promise<WebhookResult> {
    const secret = this.#settings.levelWebhookSecret;
    if (!secret) throw new ConflictError('no webhook secret is set, so the replay cannot be signed as Level would: set one under Settings');
    const original = this.#read.storedRequest(deliveryId);
    if (!original) throw new NotFoundError(`no delivery ${deliveryId}`);
    // A replay is signed with our secret: from a refused delivery it would launder what a stranger sent.
    if (original.refused) {
      const { statusCode, reason } = original.refused;
      throw new ConflictError(
        `delivery ${deliveryId} was refused (HTTP ${statusCode}${reason ? `: ${reason}` : ''}): only a delivery the relay accepted can be replayed with edits`,
      );
    }
    if (body.length > BODY_LIMIT_BYTES) throw new ConflictError(`body too large: ${body.length} bytes, the receiver's limit is ${BODY_LIMIT_BYTES}`);
    try {
      JSON.parse(body.toString('utf8'));
    } catch (error) {
      throw new ConflictError(`the body is not JSON: ${(error as Error).message}`);
    }
    const signature = sign(secret, body);
    const delivery = internalDelivery('replay', { path: WEBHOOK_PATH, headers: { 'content-type': 'application/json' }, body, rerunOf: deliveryId });
    return this.#ingest.webhook(delivery, signature);
  }
}

/** Events waiting to go to one target, from the kept counters. */
function waitingFor(facts: StoreFacts, target: string): number {
  const jobs = facts.jobs.get(target);
  return jobs ? jobs.queued + jobs.in_flight : 0;
}
