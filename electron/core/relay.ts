import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Forwarder, type ForwarderOptions, type ResolvedTarget } from './forwarder/forwarder.ts';
import { ingestParsed, processAutomation, processWebhook, Receiver, WEBHOOK_PATH, type ReceiverLimits, type ReceiverOptions, type WebhookResult } from './receiver/receiver.ts';
import type { RejectionLimits } from './store/rejections.ts';
import { AUTOMATION_PATH, AUTOMATION_SECRET_HEADER, automationTemplate } from './receiver/automation.ts';
import type { Settings } from './settings.ts';
import { Outbox } from './store/outbox.ts';
import { Heartbeat } from './heartbeat.ts';
import { ReadModels } from './store/read-models.ts';
import { Store, type IngestPolicy } from './store/store.ts';
import { Team } from './store/team.ts';
import { LevelApi } from './level/level-api.ts';
import { LevelDirectory } from './level/directory.ts';
import { GROUP_EVENT_TYPES, DEVICE_EVENT_TYPES, type Envelope, type LevelAlert } from './level/envelope.ts';
import { Router, DEFAULT_TARGET } from './routing/router.ts';
import { Reconciler } from './reconcile/reconciler.ts';
import { IlertApi, IlertApiError, alertSourceProblem, describeAlertSource, integrationTypeWarning } from './ilert/ilert-api.ts';
import { IlertStateSync } from './ilert/state-sync.ts';
import { Tunnel, findCloudflared } from './setup/tunnel.ts';
import { checkReachability, normalisePublicUrl } from './setup/reachability.ts';
import { IntegrationTestRunner } from './setup/integration-test.ts';
import { diagnose, ilertSummary } from './diagnosis.ts';
import type { IlertSourceCheck, Reachability, RelayStatusView, SetupInfo, TunnelStateView } from '../../shared/contract.ts';

export { DEFAULT_TARGET };
const STUCK_AFTER_MS = 10 * 60_000;
const STATUS_CACHE_MS = 1000;
const ALERT_SOURCE_CHECK_INTERVAL_MS = 60 * 60_000;

/** Knobs for tests and benchmarks; users configure the relay through Settings. */
export type RelayTuning = Pick<ForwarderOptions, 'backoff' | 'rateWindowMs' | 'rateLimitPauseMs' | 'requestTimeoutMs' | 'maxInFlight' | 'clock' | 'storeRetryMs'> & {
  busyTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  ilertPollMs?: number;
  reconcileIntervalMs?: number;
  /** The integration test's wait per hop, and how often it polls ilert. */
  testHopTimeoutMs?: number;
  testPollMs?: number;
  /** ilert's per-user-key request window (tests shorten it). */
  ilertApiWindowMs?: number;
  receiverLimits?: Partial<ReceiverLimits>;
  rejectionLimits?: Partial<RejectionLimits>;
  /** How long a failed commit keeps the relay unhealthy, and how often a failing store tries to write. */
  storeFailureHoldMs?: number;
  storeProbeIntervalMs?: number;
};

export interface RelayOptions {
  dataDir: string;
  settings: Settings;
  tuning?: RelayTuning;
}

/**
 * The relay core, with no Electron in it: store, receiver and forwarder wired together. The
 * desktop app and the headless CLI both host one of these.
 */
export class Relay {
  readonly store: Store;
  readonly outbox: Outbox;
  readonly read: ReadModels;
  readonly forwarder: Forwarder;
  readonly receiver: Receiver;
  readonly instanceId = randomUUID();
  readonly heartbeat: Heartbeat;
  readonly directory: LevelDirectory;
  readonly router: Router;
  readonly reconciler: Reconciler;
  readonly ilertState: IlertStateSync;
  readonly integrationTest: IntegrationTestRunner;
  readonly team: Team;
  readonly startedAt = Date.now();
  #settings: Settings;
  #address: AddressInfo | undefined;
  #pruneTimer: NodeJS.Timeout | undefined;
  #sourceCheckTimer: NodeJS.Timeout | undefined;
  #tunnel: Tunnel | undefined;
  #lastReachability: Reachability | undefined;
  readonly #alertSourceProblems = new Map<string, string>();
  readonly #receiverOptions: ReceiverOptions;
  readonly #tuning: RelayTuning;
  #levelApi: { key: string; api: LevelApi } | undefined;
  #ilertApi: { key: string; api: IlertApi } | undefined;

  constructor(options: RelayOptions) {
    this.#settings = options.settings;
    this.#tuning = options.tuning ?? {};
    this.store = new Store(options.dataDir, {
      busyTimeoutMs: this.#tuning.busyTimeoutMs,
      failureHoldMs: this.#tuning.storeFailureHoldMs,
      probeIntervalMs: this.#tuning.storeProbeIntervalMs,
      rejectionLimits: this.#tuning.rejectionLimits,
    });
    this.outbox = new Outbox(this.store);
    this.read = new ReadModels(this.store);
    this.team = new Team(this.store);
    this.forwarder = new Forwarder({
      store: this.store,
      outbox: this.outbox,
      resolveTarget: (target) => this.#resolveTarget(target),
      eventsPerMinute: () => this.#settings.ilertEventsPerMinute,
      ...options.tuning,
    });
    this.directory = new LevelDirectory(this.store, () => this.levelApi());
    this.router = new Router(this.store, this.directory, () => this.#settings);
    this.#receiverOptions = {
      instanceId: this.instanceId,
      store: this.store,
      secrets: () => ({
        current: this.#settings.levelWebhookSecret,
        previous: this.#settings.levelWebhookSecretPrevious,
        automation: this.#settings.levelAutomationSecret,
      }),
      policy: () => this.#ingestPolicy(),
      prepare: (alert) => this.router.prepare(alert),
      accepted: (envelope) => this.#refreshDirectory(envelope),
      unhealthy: () => this.store.health.problem(),
      limits: this.#tuning.receiverLimits,
    };
    this.receiver = new Receiver(this.#receiverOptions);
    this.heartbeat = new Heartbeat({
      url: () => this.#settings.ilertHeartbeatUrl,
      unhealthy: () => this.unhealthyReason(),
      ...(options.tuning?.heartbeatIntervalMs ? { intervalMs: options.tuning.heartbeatIntervalMs } : {}),
    });
    this.reconciler = new Reconciler({
      store: this.store,
      api: () => this.levelApi(),
      ingest: (envelope, alert) => this.#ingestMadeUp('reconciled', '/reconcile', envelope, alert),
      runningTestAlertId: () => this.integrationTest.runningTestAlertId(),
      ...(this.#tuning.reconcileIntervalMs ? { intervalMs: this.#tuning.reconcileIntervalMs } : {}),
    });
    this.ilertState = new IlertStateSync({
      store: this.store,
      api: () => this.ilertApi(),
      integrationKeys: () => [this.#settings.ilertIntegrationKey, ...this.#settings.ilertTargets.map((target) => target.integrationKey)].filter((key): key is string => Boolean(key)),
      ...(this.#tuning.ilertPollMs ? { intervalMs: this.#tuning.ilertPollMs } : {}),
    });
    this.integrationTest = new IntegrationTestRunner({
      store: this.store,
      webhookUrl: () => {
        if (this.#settings.publicUrl) return { url: `${this.#settings.publicUrl}${WEBHOOK_PATH}`, public: true };
        return this.receiverUrl ? { url: this.receiverUrl, public: false } : undefined;
      },
      secret: () => this.#settings.levelWebhookSecret,
      ilertApi: () => this.ilertApi(),
      sendsEvents: () => !this.#settings.ilertPassThroughUrl,
      ingest: (envelope, alert) => this.#ingestMadeUp('test', '/setup/test', envelope, alert),
      hopTimeoutMs: this.#tuning.testHopTimeoutMs,
      pollMs: this.#tuning.testPollMs,
    });
  }

  /** Level's API, when a key is set; one client per URL and key, so its retry state is shared. */
  levelApi(): LevelApi | undefined {
    const { levelApiKey, levelApiUrl } = this.#settings;
    if (!levelApiKey) return undefined;
    const key = `${levelApiUrl}\n${levelApiKey}`;
    if (this.#levelApi?.key !== key) this.#levelApi = { key, api: new LevelApi({ baseUrl: levelApiUrl, apiKey: levelApiKey }) };
    return this.#levelApi.api;
  }

  /** ilert's REST API with the user API key, when one is set. */
  ilertApi(apiKey = this.#settings.ilertApiKey): IlertApi | undefined {
    if (!apiKey) return undefined;
    const key = `${this.#settings.ilertApiUrl}\n${apiKey}`;
    if (this.#ilertApi?.key !== key) {
      this.#ilertApi = {
        key,
        api: new IlertApi({ apiUrl: this.#settings.ilertApiUrl, apiKey, ...(this.#tuning.ilertApiWindowMs ? { windowMs: this.#tuning.ilertApiWindowMs } : {}) }),
      };
    }
    return this.#ilertApi.api;
  }

  #resolveTarget(target: string): ResolvedTarget | undefined {
    const settings = this.#settings;
    if (target === DEFAULT_TARGET) {
      if (settings.ilertPassThroughUrl) return { kind: 'pass-through', url: settings.ilertPassThroughUrl };
      return settings.ilertIntegrationKey ? { kind: 'events', apiUrl: settings.ilertApiUrl, integrationKey: settings.ilertIntegrationKey } : undefined;
    }
    const named = settings.ilertTargets.find((entry) => entry.name === target);
    return named ? { kind: 'events', apiUrl: settings.ilertApiUrl, integrationKey: named.integrationKey } : undefined;
  }

  /** A device or group changed in Level: the API's current record replaces the mirror's (404 = deleted). */
  #refreshDirectory(envelope: Envelope): void {
    const type = envelope.event_type;
    if (!(GROUP_EVENT_TYPES as readonly string[]).includes(type) && !(DEVICE_EVENT_TYPES as readonly string[]).includes(type)) return;
    this.directory.refreshFromWebhook(envelope).catch((error: unknown) => console.error(`level: could not refresh ${envelope.data.id}: ${(error as Error).message}`));
  }

  /** Events the relay makes up itself (reconciliation) go through the same ingest as webhooks. */
  #ingestMadeUp(source: 'reconciled' | 'test', path: string, envelope: Envelope, alert: LevelAlert): Promise<WebhookResult> {
    const body = Buffer.from(JSON.stringify(envelope));
    return ingestParsed(
      this.#receiverOptions,
      {
        receivedAt: Date.now(),
        source,
        remoteAddr: undefined,
        forwardedFor: undefined,
        method: 'POST',
        path,
        headers: {},
        body,
        bodySize: body.length,
        signature: 'not-checked',
      },
      envelope,
      alert,
    );
  }

  /**
   * Why the relay should not tell ilert it is alive: the receiver is down, or work is waiting and
   * nothing has reached ilert for ten minutes (forwarding is stuck).
   */
  unhealthyReason(now = Date.now()): string | undefined {
    if (!this.receiver.listening) return 'the receiver is not listening';
    const storeProblem = this.store.health.problem(now);
    if (storeProblem) return storeProblem;
    const facts = this.store.facts();
    const waiting = [...facts.jobs.values()].reduce((sum, jobs) => sum + jobs.queued + jobs.in_flight, 0);
    if (waiting === 0 || (facts.lastDeliveredAt ?? 0) >= now - STUCK_AFTER_MS) return undefined;
    // The oldest waiting job, through the partial index of waiting jobs: one row, not the backlog.
    const oldest = this.store.sql
      .get(`SELECT created_at AS at FROM outbox INDEXED BY outbox_waiting_since WHERE status IN ('queued', 'in_flight') ORDER BY created_at LIMIT 1`)
      .get() as { at: number } | undefined;
    if (!oldest || oldest.at >= now - STUCK_AFTER_MS) return undefined;
    return `forwarding is stuck: ${waiting} events waiting, none delivered to ilert for 10 minutes`;
  }

  get settings(): Settings {
    return this.#settings;
  }

  /** Applies new settings to the running relay (listener address changes need a restart). */
  applySettings(settings: Settings): void {
    const keysChanged = settings.ilertApiKey !== this.#settings.ilertApiKey || settings.ilertIntegrationKey !== this.#settings.ilertIntegrationKey;
    this.#settings = settings;
    if (keysChanged) {
      this.ilertState.reset();
      this.#alertSourceProblems.clear();
    }
    this.forwarder.wake();
    this.store.emit({ kind: 'setup' });
  }

  #ingestPolicy(): IngestPolicy {
    return { highPrioritySeverities: this.#settings.highPrioritySeverities, routeFor: (alert) => this.router.routeFor(alert) };
  }

  #pruning: Promise<{ deliveries: number; jobs: number }> | undefined;

  /**
   * Applies the retention setting now and then hourly, in small batches with a turn of the event
   * loop between them, so that deleting a day of a storm never holds up an acknowledgement.
   */
  prune(now = Date.now()): Promise<{ deliveries: number; jobs: number }> {
    // One run at a time: a second call waits for the one under way, then runs with its own cut-off.
    const run = (this.#pruning ?? Promise.resolve()).catch(() => undefined).then(() => this.#pruneInBatches(now - this.#settings.retentionDays * 86_400_000));
    this.#pruning = run;
    const clear = () => {
      if (this.#pruning === run) this.#pruning = undefined;
    };
    run.then(clear, clear);
    return run;
  }

  async #pruneInBatches(before: number): Promise<{ deliveries: number; jobs: number }> {
    this.team.prune(before);
    const total = { deliveries: 0, jobs: 0 };
    let cursor = 0;
    while (!this.store.closed) {
      const batch = this.store.pruneBatch(before, cursor);
      total.deliveries += batch.deliveries;
      total.jobs += batch.jobs;
      cursor = batch.cursor;
      if (batch.done) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    return total;
  }

  async start(): Promise<AddressInfo> {
    const prune = () => this.prune().catch((error: unknown) => console.error(`retention: ${(error as Error).message}`));
    void prune();
    this.#pruneTimer = setInterval(prune, 3_600_000);
    this.#pruneTimer.unref();
    this.forwarder.start();
    try {
      this.#address = await this.receiver.listen(this.#settings.port, this.#settings.host);
    } catch (error) {
      await this.forwarder.stop();
      throw error;
    }
    this.heartbeat.start();
    this.reconciler.start();
    this.ilertState.start();
    this.#checkAlertSources();
    this.#sourceCheckTimer = setInterval(() => this.#checkAlertSources(), ALERT_SOURCE_CHECK_INTERVAL_MS);
    this.#sourceCheckTimer.unref();
    if (this.#settings.tunnel !== 'off') this.startTunnel(this.#settings.tunnel);
    if (this.levelApi()) this.directory.syncAll().catch((error: unknown) => console.error(`level: sync failed: ${(error as Error).message}`));
    return this.#address;
  }

  /** Stop accepting, answer what is in progress, finish in-flight ilert requests, close the database. */
  async stop(): Promise<void> {
    clearInterval(this.#pruneTimer);
    clearInterval(this.#sourceCheckTimer);
    await this.#pruning?.catch(() => undefined);
    this.integrationTest.cancel();
    await Promise.all([this.heartbeat.stop(), this.reconciler.stop(), this.ilertState.stop(), this.#tunnel?.stop()]);
    if (this.receiver.listening) await this.receiver.close();
    await this.forwarder.stop();
    this.store.close();
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
    if (cached && cached.version === this.store.version && now - cached.at < STATUS_CACHE_MS) return cached.value;
    const version = this.store.version;
    const sql = this.store.sql;
    const facts = this.store.facts();
    let queueDepth = 0;
    let failedJobs = 0;
    for (const jobs of facts.jobs.values()) {
      queueDepth += jobs.queued + jobs.in_flight;
      failedJobs += jobs.failed;
    }
    const last = sql.get(`SELECT received_at FROM deliveries ORDER BY id DESC LIMIT 1`).get() as { received_at: number } | undefined;
    const attempt = sql.get(`SELECT started_at, status_code FROM attempts ORDER BY id DESC LIMIT 1`).get() as
      | { started_at: number; status_code: number | null }
      | undefined;
    const value: RelayStatusView = {
      receiverListening: this.receiver.listening,
      receiverUrl: this.receiverUrl,
      queueDepth,
      failedJobs,
      lastDeliveryAt: last?.received_at,
      ilertReachable: attempt ? attempt.status_code !== null : undefined,
      lastAttemptAt: attempt?.started_at,
      heartbeat: { configured: Boolean(this.#settings.ilertHeartbeatUrl), ...this.heartbeat.state },
      ilert: ilertSummary(facts),
      diagnoses: this.diagnoses(now, facts),
      publicUrl: this.#settings.publicUrl ?? this.#tunnel?.state.publicUrl,
      tunnel: this.tunnelState(),
      ilertState: this.ilertApi() ? this.ilertState.view() : undefined,
    };
    this.#statusCache = { version, at: now, value };
    return value;
  }

  /**
   * What the desktop tray needs on every change batch: the status and the active alerts per
   * severity, both from counters — never a listing of the alerts.
   */
  traySnapshot(): { status: RelayStatusView; alerts: { counts: Record<string, number> } } {
    return { status: this.status(), alerts: { counts: this.store.facts().activeAlerts } };
  }

  diagnoses(now = Date.now(), facts = this.store.facts()) {
    const settings = this.#settings;
    const configuredTargets = new Set(settings.ilertTargets.map((target) => target.name));
    if (settings.ilertIntegrationKey || settings.ilertPassThroughUrl) configuredTargets.add(DEFAULT_TARGET);
    return diagnose(this.store, {
      now,
      settings,
      startedAt: this.startedAt,
      receiverListening: this.receiver.listening,
      webhookUrl: this.#webhookUrl(),
      tunnel: this.tunnelState(),
      reachability: this.#lastReachability,
      alertSourceProblems: this.#alertSourceProblems,
      configuredTargets,
      heartbeatError: settings.ilertHeartbeatUrl ? this.heartbeat.state.lastError : undefined,
      levelApiError: this.levelApi() ? this.directory.lastSyncError : undefined,
      ilertState: this.ilertApi() ? this.ilertState.view() : undefined,
      storeProblem: this.store.health.problem(now),
      unrecordedOutcomes: this.forwarder.unrecordedOutcomes,
    }, facts);
  }

  // ── Setup ────────────────────────────────────────────────────────────────

  #publicUrl(): string | undefined {
    return this.#settings.publicUrl ?? (this.#tunnel?.state.status === 'running' ? this.#tunnel.state.publicUrl : undefined);
  }

  #webhookUrl(): string | undefined {
    const base = this.#publicUrl();
    return base ? `${base}${WEBHOOK_PATH}` : undefined;
  }

  async setupInfo(): Promise<SetupInfo> {
    const settings = this.#settings;
    const base = this.#publicUrl();
    return {
      localReceiverUrl: this.receiverUrl,
      publicUrl: base,
      webhookUrl: this.#webhookUrl(),
      automationUrl: base ? `${base}${AUTOMATION_PATH}` : undefined,
      automationHeader: AUTOMATION_SECRET_HEADER,
      automationTemplate: automationTemplate(),
      requiredEvents: ['Alert active', 'Alert resolved'],
      recommendedEvents: ['Alert active', 'Alert resolved', 'Device created', 'Device updated', 'Device deleted', 'Group created', 'Group updated', 'Group deleted'],
      cloudflaredVersion: await this.#cloudflaredVersion(settings.cloudflaredPath),
      tunnel: this.tunnelState(),
      lastReachability: this.#lastReachability,
      configured: {
        ilert: Boolean(settings.ilertIntegrationKey || settings.ilertPassThroughUrl),
        publicUrl: Boolean(base),
        levelSecret: Boolean(settings.levelWebhookSecret),
        heartbeat: Boolean(settings.ilertHeartbeatUrl),
        ilertApiKey: Boolean(settings.ilertApiKey),
      },
    };
  }

  /** `cloudflared --version` is a process spawn: asked once a minute at most, not on every refresh. */
  #cloudflared: { path: string; at: number; version: Promise<string | undefined> } | undefined;
  #cloudflaredVersion(path: string): Promise<string | undefined> {
    const now = Date.now();
    if (this.#cloudflared?.path !== path || now - this.#cloudflared.at > 60_000) this.#cloudflared = { path, at: now, version: findCloudflared(path) };
    return this.#cloudflared.version;
  }

  /** The wizard's ilert step: the key looked up for real with the user API key, when one is given. */
  async checkIlertSource(integrationKey: string, apiKey: string | undefined): Promise<IlertSourceCheck> {
    const key = integrationKey.trim();
    if (!/^[A-Za-z0-9_-]{8,200}$/.test(key)) return { ok: false, message: 'this does not look like an ilert integration key (letters and digits, like il1api…): copy it again from the alert source' };
    const api = this.ilertApi(apiKey?.trim() || undefined);
    if (!api) return { ok: false, message: 'add an ilert user API key to check the alert source (or save the key without checking)' };
    try {
      const source = await api.getAlertSource(key);
      const problem = alertSourceProblem(source);
      if (problem && !source.active) return { ok: false, message: problem };
      return {
        ok: true,
        source: {
          id: source.id,
          name: source.name,
          integrationType: source.integrationType,
          integrationUrl: source.integrationUrl,
          active: source.active,
          escalationPolicy: source.escalationPolicy?.name,
        },
        summary: describeAlertSource(source),
        warning: [problem, integrationTypeWarning(source)].filter(Boolean).join(' ') || undefined,
      };
    } catch (error) {
      return { ok: false, message: (error as Error).message };
    }
  }

  /** Hourly with a user API key: a disabled or deleted alert source shows on the Health page. */
  #checkAlertSources(): void {
    const api = this.ilertApi();
    if (!api) return;
    const targets = [
      ...(this.#settings.ilertIntegrationKey ? [{ name: DEFAULT_TARGET, integrationKey: this.#settings.ilertIntegrationKey }] : []),
      ...this.#settings.ilertTargets,
    ];
    for (const target of targets) {
      api
        .getAlertSource(target.integrationKey)
        .then((source) => {
          const problem = alertSourceProblem(source);
          if (problem) this.#alertSourceProblems.set(target.name, problem);
          else this.#alertSourceProblems.delete(target.name);
        })
        .catch((error: unknown) => {
          if (error instanceof IlertApiError && error.kind === 'not-found') this.#alertSourceProblems.set(target.name, error.message);
        })
        .finally(() => {
          if (!this.store.closed) this.store.emit({ kind: 'setup' });
        });
    }
  }

  tunnelState(): TunnelStateView | undefined {
    if (!this.#tunnel) return undefined;
    const { pid: _pid, ...state } = this.#tunnel.state;
    return state;
  }

  /** Starts (or restarts) cloudflared in front of the receiver. */
  startTunnel(kind: 'quick' | 'named'): TunnelStateView {
    if (!this.receiverUrl) throw new Error('the receiver is not listening');
    const settings = this.#settings;
    if (kind === 'named' && (!settings.cloudflaredToken || !settings.publicUrl)) {
      throw new Error('a named tunnel needs its token and its public URL: save both first');
    }
    const previous = this.#tunnel;
    const localUrl = new URL(this.receiverUrl).origin;
    const tunnel = new Tunnel({
      localUrl,
      command: settings.cloudflaredPath,
      ...(kind === 'named' ? { token: settings.cloudflaredToken, publicUrl: settings.publicUrl } : {}),
    });
    this.#tunnel = tunnel;
    tunnel.on('state', () => {
      if (!this.store.closed) this.store.emit({ kind: 'setup' });
    });
    void (previous ? previous.stop() : Promise.resolve()).then(() => {
      if (this.#tunnel === tunnel) tunnel.start();
    });
    return this.tunnelState()!;
  }

  async stopTunnel(): Promise<void> {
    const tunnel = this.#tunnel;
    this.#tunnel = undefined;
    await tunnel?.stop();
    this.store.emit({ kind: 'setup' });
  }

  /** Proves the public URL (given, or saved, or the tunnel's) reaches this very relay. */
  async checkReachability(url?: string): Promise<Reachability & { normalisedUrl?: string }> {
    const checkedAt = Date.now();
    const input = url ?? this.#publicUrl();
    if (!input) return { ok: false, message: 'no public URL yet: start a tunnel or paste the URL of yours', checkedUrl: '', notes: [], checkedAt };
    const normalised = normalisePublicUrl(input);
    if (!normalised.url) {
      this.#lastReachability = { ok: false, message: normalised.error ?? 'not a URL', checkedUrl: input, notes: normalised.notes, checkedAt };
      return this.#lastReachability;
    }
    const result = await checkReachability(normalised.url, this.instanceId, { localUrl: this.receiverUrl ? new URL(this.receiverUrl).host : undefined });
    this.#lastReachability = result.ok
      ? { ok: true, message: `reached this relay in ${result.latencyMs} ms`, checkedUrl: result.checkedUrl, latencyMs: result.latencyMs, notes: result.notes, checkedAt }
      : { ok: false, message: result.message, checkedUrl: result.checkedUrl, notes: normalised.notes, checkedAt };
    this.store.emit({ kind: 'setup' });
    return { ...this.#lastReachability, normalisedUrl: normalised.url };
  }

  /** Runs a stored inbound delivery through the whole pipeline again; dedup still protects ilert. */
  async rerunDelivery(deliveryId: number): Promise<WebhookResult> {
    const row = this.store.sql
      .get(`SELECT method, path, headers, b.body, body_size, body_sha256, source FROM deliveries d LEFT JOIN delivery_bodies b ON b.delivery_id = d.id WHERE d.id = ?`)
      .get(deliveryId) as
      | { method: string; path: string; headers: string; body: Uint8Array | null; body_size: number; body_sha256: string | null; source: string }
      | undefined;
    if (!row) throw new NotFoundError(`no delivery ${deliveryId}`);
    if (row.body_sha256 !== null) throw new NotFoundError(`delivery ${deliveryId} failed authentication, so only its first bytes were kept: there is nothing to run again`);
    if (!row.body) throw new NotFoundError(`delivery ${deliveryId} has no stored body to run again`);
    const headers = JSON.parse(row.headers) as Record<string, string>;
    if (row.path === AUTOMATION_PATH) {
      const body = Buffer.from(row.body);
      return processAutomation(
        this.#receiverOptions,
        { receivedAt: Date.now(), source: 'rerun', remoteAddr: undefined, forwardedFor: undefined, method: row.method, path: row.path, headers, body, bodySize: row.body_size, signature: 'not-checked', rerunOf: deliveryId },
        undefined,
      );
    }
    if (row.source === 'reconciled') throw new NotFoundError(`delivery ${deliveryId} was made by reconciliation; run “Backfill alerts” instead`);
    return processWebhook(
      this.#receiverOptions,
      {
        receivedAt: Date.now(),
        source: 'rerun',
        remoteAddr: undefined,
        forwardedFor: undefined,
        method: row.method,
        path: row.path,
        headers,
        body: row.body,
        bodySize: row.body_size,
        signature: 'not-checked',
        rerunOf: deliveryId,
      },
      headers['x-level-signature'],
    );
  }

  /** Sends one outbound job again, whatever its state (recorded as a manual attempt). */
  rerunJob(jobId: number): void {
    if (!this.outbox.rerun(jobId, Date.now())) throw new NotFoundError(`no job ${jobId} that can be re-run (unknown, or in flight right now)`);
  }

  retryAllFailed(): number {
    const ids = this.outbox.failedJobIds();
    for (const id of ids) this.outbox.rerun(id, Date.now());
    return ids.length;
  }
}

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}
