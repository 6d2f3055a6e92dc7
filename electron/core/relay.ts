import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Forwarder, type ForwarderOptions } from './forwarder/forwarder.ts';
import { processWebhook, Receiver, WEBHOOK_PATH, type ReceiverOptions, type WebhookResult } from './receiver/receiver.ts';
import { configurationProblems, type Settings } from './settings.ts';
import { Outbox } from './store/outbox.ts';
import { Heartbeat } from './heartbeat.ts';
import { ReadModels } from './store/read-models.ts';
import { Store, type IngestPolicy } from './store/store.ts';
import type { RelayStatusView } from '../../shared/contract.ts';

export const DEFAULT_TARGET = 'default';
const STUCK_AFTER_MS = 10 * 60_000;

/** Knobs for tests and benchmarks; users configure the relay through Settings. */
export type RelayTuning = Pick<ForwarderOptions, 'backoff' | 'rateWindowMs' | 'rateLimitPauseMs' | 'requestTimeoutMs' | 'maxInFlight'> & {
  busyTimeoutMs?: number;
  heartbeatIntervalMs?: number;
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
  #settings: Settings;
  #address: AddressInfo | undefined;
  #pruneTimer: NodeJS.Timeout | undefined;
  readonly #receiverOptions: ReceiverOptions;

  constructor(options: RelayOptions) {
    this.#settings = options.settings;
    this.store = new Store(options.dataDir, { busyTimeoutMs: options.tuning?.busyTimeoutMs });
    this.outbox = new Outbox(this.store);
    this.read = new ReadModels(this.store);
    this.forwarder = new Forwarder({
      store: this.store,
      outbox: this.outbox,
      resolveTarget: (target) => {
        const key = target === DEFAULT_TARGET ? this.#settings.ilertIntegrationKey : undefined;
        return key ? { apiUrl: this.#settings.ilertApiUrl, integrationKey: key } : undefined;
      },
      eventsPerMinute: () => this.#settings.ilertEventsPerMinute,
      ...options.tuning,
    });
    this.#receiverOptions = {
      instanceId: this.instanceId,
      store: this.store,
      secrets: () => ({ current: this.#settings.levelWebhookSecret, previous: this.#settings.levelWebhookSecretPrevious }),
      policy: () => this.#ingestPolicy(),
    };
    this.receiver = new Receiver(this.#receiverOptions);
    this.heartbeat = new Heartbeat({
      url: () => this.#settings.ilertHeartbeatUrl,
      unhealthy: () => this.unhealthyReason(),
      ...(options.tuning?.heartbeatIntervalMs ? { intervalMs: options.tuning.heartbeatIntervalMs } : {}),
    });
  }

  /**
   * Why the relay should not tell ilert it is alive: the receiver is down, or work is waiting and
   * nothing has reached ilert for ten minutes (forwarding is stuck).
   */
  unhealthyReason(now = Date.now()): string | undefined {
    if (!this.receiver.listening) return 'the receiver is not listening';
    const stuck = this.store.sql
      .get(
        `SELECT count(*) AS waiting FROM outbox WHERE status IN ('queued', 'in_flight') AND created_at < ?
           AND NOT EXISTS (SELECT 1 FROM attempts WHERE status_code BETWEEN 200 AND 299 AND started_at >= ?)`,
      )
      .get(now - STUCK_AFTER_MS, now - STUCK_AFTER_MS) as { waiting: number };
    if (stuck.waiting > 0) return `forwarding is stuck: ${stuck.waiting} events waiting, none delivered to ilert for 10 minutes`;
    return undefined;
  }

  get settings(): Settings {
    return this.#settings;
  }

  /** Applies new settings to the running relay (listener address changes need a restart). */
  applySettings(settings: Settings): void {
    this.#settings = settings;
    this.forwarder.wake();
  }

  #ingestPolicy(): IngestPolicy {
    return { highPrioritySeverities: this.#settings.highPrioritySeverities, targetFor: () => DEFAULT_TARGET };
  }

  /** Applies the retention setting now and then hourly. */
  prune(now = Date.now()): { deliveries: number; jobs: number } {
    return this.store.prune(now - this.#settings.retentionDays * 86_400_000);
  }

  async start(): Promise<AddressInfo> {
    this.prune();
    this.#pruneTimer = setInterval(() => {
      try {
        this.prune();
      } catch (error) {
        console.error(`retention: ${(error as Error).message}`);
      }
    }, 3_600_000);
    this.#pruneTimer.unref();
    this.forwarder.start();
    try {
      this.#address = await this.receiver.listen(this.#settings.port, this.#settings.host);
    } catch (error) {
      await this.forwarder.stop();
      throw error;
    }
    this.heartbeat.start();
    return this.#address;
  }

  /** Stop accepting, answer what is in progress, finish in-flight ilert requests, close the database. */
  async stop(): Promise<void> {
    clearInterval(this.#pruneTimer);
    await this.heartbeat.stop();
    if (this.receiver.listening) await this.receiver.close();
    await this.forwarder.stop();
    this.store.close();
  }

  get receiverUrl(): string | undefined {
    if (!this.#address) return undefined;
    const host = this.#address.family === 'IPv6' ? `[${this.#address.address}]` : this.#address.address;
    return `http://${host}:${this.#address.port}${WEBHOOK_PATH}`;
  }

  status(): RelayStatusView {
    const sql = this.store.sql;
    const counts = sql.get(`SELECT sum(status IN ('queued', 'in_flight')) AS queued, sum(status = 'failed') AS failed FROM outbox`).get() as {
      queued: number | null;
      failed: number | null;
    };
    const last = sql.get(`SELECT max(received_at) AS at FROM deliveries`).get() as { at: number | null };
    const attempt = sql.get(`SELECT started_at, status_code FROM attempts ORDER BY id DESC LIMIT 1`).get() as
      | { started_at: number; status_code: number | null }
      | undefined;
    return {
      receiverListening: this.receiver.listening,
      receiverUrl: this.receiverUrl,
      queueDepth: counts.queued ?? 0,
      failedJobs: counts.failed ?? 0,
      lastDeliveryAt: last.at ?? undefined,
      ilertReachable: attempt ? attempt.status_code !== null : undefined,
      lastAttemptAt: attempt?.started_at,
      heartbeat: { configured: Boolean(this.#settings.ilertHeartbeatUrl), ...this.heartbeat.state },
      problems: configurationProblems(this.#settings),
    };
  }

  /** Runs a stored inbound delivery through the whole pipeline again; dedup still protects ilert. */
  async rerunDelivery(deliveryId: number): Promise<WebhookResult> {
    const row = this.store.sql.get(`SELECT method, path, headers, body, body_size FROM deliveries WHERE id = ?`).get(deliveryId) as
      | { method: string; path: string; headers: string; body: Uint8Array | null; body_size: number }
      | undefined;
    if (!row) throw new NotFoundError(`no delivery ${deliveryId}`);
    if (!row.body) throw new NotFoundError(`delivery ${deliveryId} has no stored body to run again`);
    const headers = JSON.parse(row.headers) as Record<string, string>;
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
