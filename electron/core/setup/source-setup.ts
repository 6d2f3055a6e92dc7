import { createHmac } from 'node:crypto';
import type { SourceTest } from '../../../shared/contract.ts';
import { SOURCE_PATH_PREFIX } from '../ingest/interpret.ts';
import { deliveryBody, jobOfEvent, type SourceTestJob } from '../store/source-reads.ts';
import type { Store } from '../store/store.ts';
import type { SourceAuth, SourceConfig } from '../sources/source.ts';

type Hop = SourceTest['hops'][number];
type HopId = Hop['id'];

const LABELS: Record<HopId, string> = {
  received: 'Received by the relay',
  queued: 'Queued for ilert',
  ilert: 'Reached ilert',
  resolved: 'Resolve reached ilert',
};

/** The device a test event names: no real Particle device id looks like this. */
export const TEST_DEVICE = 'relay-test-device';

export interface SourceSetupOptions {
  store: Store;
  /** The origin senders post to: the public URL when set, else the local receiver's. */
  origin: () => { url: string; public: boolean } | undefined;
  /** How long each hop may take before the test says so. */
  hopTimeoutMs?: number;
}

/** The headers the source's authentication asks for, made from its saved secret. */
export function authHeaders(auth: SourceAuth, body: string): Record<string, string> {
  switch (auth.type) {
    case 'basic':
      return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
    case 'header':
      return { [auth.header]: auth.secret };
    case 'hmac':
      return { [auth.header]: `${auth.prefix}${createHmac('sha256', auth.secret).update(body).digest('hex')}` };
  }
}

/** Particle's default webhook body (https://docs.particle.io/reference/cloud-apis/webhooks/) for a test event. */
export function particleTestBody(eventName: string, now: Date): Record<string, unknown> {
  return {
    event: `${eventName}-relay-test`,
    data: 'Test from the relay (Settings → Sources → Send a test); it resolves itself',
    published_at: now.toISOString(),
    coreid: TEST_DEVICE,
    userid: 'relay-test',
    fw_version: 1,
    public: false,
  };
}

class HopFailed extends Error {}

/**
 * What Settings → Sources uses to set a source up: the last body it received, for the template
 * preview, and "Send a test", which posts an authenticated sample through the URL senders use and
 * follows it hop by hop to ilert, as the Level wizard's test does.
 */
export class SourceSetup {
  readonly #options: SourceSetupOptions;

  constructor(options: SourceSetupOptions) {
    this.#options = options;
  }

  /** The body of the source's last request that passed its authentication; the facts name it, so nothing is scanned. */
  lastBody(slug: string): { body?: string; receivedAt?: number } {
    const last = this.#options.store.facts().sources.get(slug)?.lastPassed;
    if (!last) return {};
    const body = deliveryBody(this.#options.store, last.deliveryId);
    return body ? { body: Buffer.from(body).toString('utf8'), receivedAt: last.at } : { receivedAt: last.at };
  }

  async test(source: SourceConfig, sample: string | undefined): Promise<SourceTest> {
    const hops: Hop[] = (Object.keys(LABELS) as HopId[]).map((id) => ({ id, label: LABELS[id], status: 'waiting' }));
    const hop = (id: HopId, status: Hop['status'], detail?: string) =>
      Object.assign(
        hops.find((entry) => entry.id === id)!,
        { status, detail },
      );
    const fail = (id: HopId, detail: string): never => {
      hop(id, 'failed', detail);
      throw new HopFailed(`${LABELS[id]}: ${detail}`);
    };
    const origin = this.#options.origin();
    const url = origin && `${origin.url}${SOURCE_PATH_PREFIX}${source.slug}`;
    const result = (outcome: SourceTest['outcome'], message: string): SourceTest => {
      for (const entry of hops) if (entry.status === 'waiting') entry.status = 'skipped';
      return { outcome, message, postedTo: url, hops };
    };
    try {
      if (!url) fail('received', 'the receiver is not listening');
      const alertBody = this.#alertBody(source, sample);
      if (typeof alertBody !== 'string') fail('received', alertBody.problem);
      const alert = await this.#post(url!, source, alertBody as string, 'received', fail);
      hop(
        'received',
        'ok',
        `HTTP ${alert.status} ${origin!.public ? 'through the public URL' : 'at the local receiver (no public URL set: senders outside this machine cannot reach it yet)'}`,
      );
      const alertJob = await this.#follow(alert, 'queued', 'ilert', hop, fail);
      if (alertJob === 'held') return result('passed', 'The relay took the test event; a maintenance window holds it, so it did not page anyone.');
      if (source.kind !== 'particle') {
        hop('resolved', 'skipped', 'the relay cannot make a resolve from a generic sample: resolve the test alert in ilert');
        return result('passed', `Test passed: ${source.name} → relay → ilert works`);
      }
      const resolveBody = {
        ...(JSON.parse(alertBody as string) as Record<string, unknown>),
        event: `${source.particle.resolveEvent}-relay-test`,
        published_at: new Date().toISOString(),
      };
      const resolve = await this.#post(url!, source, JSON.stringify(resolveBody), 'resolved', fail);
      await this.#follow(resolve, 'resolved', 'resolved', hop, fail);
      return result('passed', `Test passed: ${source.name} → relay → ilert works, and the test alert is resolved`);
    } catch (error) {
      if (!(error instanceof HopFailed)) throw error;
      return result('failed', error.message);
    }
  }

  /** Particle's test body over the pasted sample's other fields (custom templates may read them); a generic source needs a sample. */
  #alertBody(source: SourceConfig, sample: string | undefined): string | { problem: string } {
    if (source.kind === 'json') {
      return sample?.trim() ? sample : { problem: 'paste a sample body first: only its sender knows what a generic source’s events look like' };
    }
    let fields: Record<string, unknown> = {};
    if (sample?.trim()) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(sample);
      } catch (error) {
        return { problem: `the sample is not JSON: ${(error as Error).message}` };
      }
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) fields = parsed as Record<string, unknown>;
    }
    // The test's own device, event and a fresh publish time: never a real device's alert (its resolve
    // would close that), never a duplicate of the body it was copied from.
    const test = particleTestBody(source.particle.alertEvent, new Date());
    const body = { ...test, ...fields, event: test.event, published_at: test.published_at, coreid: test.coreid };
    return JSON.stringify(body);
  }

  async #post(
    url: string,
    source: SourceConfig,
    body: string,
    id: HopId,
    fail: (id: HopId, detail: string) => never,
  ): Promise<{ status: number; eventId: string | undefined; error: string | undefined; duplicate: boolean }> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'level-ilert-relay-source-test', ...authHeaders(source.auth, body) },
        body,
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      const cause = (error as Error & { cause?: { code?: string } }).cause?.code;
      return fail(id, `could not post to ${url}: ${cause ?? (error as Error).message} — check the tunnel and the public URL (Setup, step 2)`);
    }
    const answer = (await response.json().catch(() => ({}))) as { event_id?: string; error?: string; duplicate?: boolean };
    if (response.status >= 300) fail(id, `HTTP ${response.status}: ${answer.error ?? 'the public URL does not lead to this relay’s receiver'}`);
    return { status: response.status, eventId: answer.event_id, error: answer.error, duplicate: answer.duplicate === true };
  }

  /** From a stored event to its ilert job's outcome; 'held' when a maintenance window holds it. */
  async #follow(
    posted: { eventId: string | undefined; duplicate: boolean },
    queuedHop: HopId,
    ilertHop: HopId,
    hop: (id: HopId, status: Hop['status'], detail?: string) => void,
    fail: (id: HopId, detail: string) => never,
  ): Promise<'delivered' | 'held'> {
    if (posted.duplicate) fail(queuedHop, 'the relay already had an event with this id, so it sent nothing: change the sample (or its event id)');
    const eventId = posted.eventId;
    if (!eventId) return fail(queuedHop, 'the relay did not say which event it stored');
    const queued = jobOfEvent(this.#options.store, eventId);
    if (!queued) fail(queuedHop, 'no ilert event was made: the source ignored it (see Deliveries for why)');
    if (queuedHop !== ilertHop) hop(queuedHop, queued!.status === 'skipped' ? 'failed' : 'ok', `to target “${queued!.target}”`);
    if (queued!.status === 'skipped') fail(queuedHop, queued!.reason ?? 'routing skipped it');
    if (queued!.status === 'held') {
      hop(ilertHop, 'skipped', queued!.held_reason ?? 'held by a maintenance window');
      return 'held';
    }
    const done = await this.#until(() => {
      const job = jobOfEvent(this.#options.store, eventId);
      return job && ['delivered', 'failed', 'skipped', 'held'].includes(job.status) ? job : undefined;
    });
    if (!done) return fail(ilertHop, 'not delivered to ilert in time: see Deliveries for the attempts');
    if (done.status !== 'delivered') return fail(ilertHop, done.last_error ?? done.reason ?? done.status);
    hop(ilertHop, 'ok', `ilert answered ${done.last_status_code ?? 'OK'}`);
    return 'delivered';
  }

  /** Re-checks on every store change until `check` answers or the hop's time is up. */
  #until(check: () => SourceTestJob | undefined): Promise<SourceTestJob | undefined> {
    const { store, hopTimeoutMs = 30_000 } = this.#options;
    const first = check();
    if (first) return Promise.resolve(first);
    return new Promise((resolve) => {
      const finish = (value: SourceTestJob | undefined) => {
        clearTimeout(timer);
        store.changes.off('change', onChange);
        resolve(value);
      };
      const onChange = () => {
        const value = check();
        if (value) finish(value);
      };
      const timer = setTimeout(() => finish(undefined), hopTimeoutMs);
      store.changes.on('change', onChange);
    });
  }
}
