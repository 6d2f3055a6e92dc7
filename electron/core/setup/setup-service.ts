import type { IlertSourceCheck, Reachability, SetupInfo, TunnelStateView } from '../../../shared/contract.ts';
import type { Announce } from '../app-events.ts';
import { alertSourceProblem, describeAlertSource, IlertApiError, integrationTypeWarning, type IlertApi } from '../ilert/ilert-api.ts';
import { AUTOMATION_PATH, AUTOMATION_SECRET_HEADER, automationTemplate } from '../ingest/automation.ts';
import { WEBHOOK_PATH } from '../receiver/receiver.ts';
import type { Settings } from '../settings.ts';
import { checkReachability, normalisePublicUrl } from './reachability.ts';
import { findCloudflared, Tunnel } from './tunnel.ts';
import { integrationKeyTargets } from '../targets.ts';

export interface SetupServiceOptions {
  settings: () => Settings;
  /** This process's id: a reachability check proves the public URL reaches this very relay. */
  instanceId: string;
  receiverUrl: () => string | undefined;
  ilertApi: (apiKey?: string) => IlertApi | undefined;
  announce: Announce;
}

/**
 * The setup wizard's backend: the tunnel, the public URL and the proof that it reaches this relay,
 * the ilert alert sources looked up for real. What it learns also feeds the Health checks.
 */
export class SetupService {
  readonly #options: SetupServiceOptions;
  /** Per target name, why its ilert alert source cannot be used (from the hourly check). */
  readonly alertSourceProblems = new Map<string, string>();
  lastReachability: Reachability | undefined;
  /** The last check of the public URL in use when it ran (the saved one, or the tunnel's), by its base URL. */
  #standing: { base: string; result: Reachability } | undefined;
  #tunnel: Tunnel | undefined;

  constructor(options: SetupServiceOptions) {
    this.#options = options;
  }

  /** Stops the tunnel with the relay. */
  async stop(): Promise<void> {
    await this.#tunnel?.stop();
  }

  publicUrl(): string | undefined {
    return this.#options.settings().publicUrl ?? (this.#tunnel?.state.status === 'running' ? this.#tunnel.state.publicUrl : undefined);
  }

  webhookUrl(): string | undefined {
    const base = this.publicUrl();
    return base ? `${base}${WEBHOOK_PATH}` : undefined;
  }

  async setupInfo(): Promise<SetupInfo> {
    const settings = this.#options.settings();
    const base = this.publicUrl();
    return {
      localReceiverUrl: this.#options.receiverUrl(),
      publicUrl: base,
      webhookUrl: this.webhookUrl(),
      automationUrl: base ? `${base}${AUTOMATION_PATH}` : undefined,
      automationHeader: AUTOMATION_SECRET_HEADER,
      automationTemplate: automationTemplate(),
      requiredEvents: ['Alert active', 'Alert resolved'],
      recommendedEvents: ['Alert active', 'Alert resolved', 'Device created', 'Device updated', 'Device deleted', 'Group created', 'Group updated', 'Group deleted'],
      cloudflaredVersion: await this.#cloudflaredVersion(settings.cloudflaredPath),
      tunnel: this.tunnelState(),
      lastReachability: this.lastReachability,
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
    if (!/^[A-Za-z0-9_-]{8,200}$/.test(key))
      return { ok: false, message: 'this does not look like an ilert integration key (letters and digits, like il1api…): copy it again from the alert source' };
    const api = this.#options.ilertApi(apiKey?.trim() || undefined);
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
  checkAlertSources(): void {
    const api = this.#options.ilertApi();
    if (!api) return;
    const settings = this.#options.settings();
    for (const target of integrationKeyTargets(settings)) {
      api
        .getAlertSource(target.integrationKey)
        .then((source) => {
          const problem = alertSourceProblem(source);
          if (problem) this.alertSourceProblems.set(target.name, problem);
          else this.alertSourceProblems.delete(target.name);
        })
        .catch((error: unknown) => {
          if (error instanceof IlertApiError && error.kind === 'not-found') this.alertSourceProblems.set(target.name, error.message);
        })
        .finally(() => {
          this.#options.announce('alert-sources');
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
    const receiverUrl = this.#options.receiverUrl();
    if (!receiverUrl) throw new Error('the receiver is not listening');
    const settings = this.#options.settings();
    if (kind === 'named' && (!settings.cloudflaredToken || !settings.publicUrl)) {
      throw new Error('a named tunnel needs its token and its public URL: save both first');
    }
    const previous = this.#tunnel;
    const localUrl = new URL(receiverUrl).origin;
    const tunnel = new Tunnel({
      localUrl,
      command: settings.cloudflaredPath,
      ...(kind === 'named' ? { token: settings.cloudflaredToken, publicUrl: settings.publicUrl } : {}),
    });
    this.#tunnel = tunnel;
    tunnel.on('state', () => {
      this.#options.announce('tunnel');
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
    this.#options.announce('tunnel');
  }

  /** Proves the public URL (given, or saved, or the tunnel's) reaches this very relay. */
  async checkReachability(url?: string): Promise<Reachability & { normalisedUrl?: string }> {
    const checkedAt = Date.now();
    const input = url ?? this.publicUrl();
    if (!input) return { ok: false, message: 'no public URL yet: start a tunnel or paste the URL of yours', checkedUrl: '', notes: [], checkedAt };
    const normalised = normalisePublicUrl(input);
    if (!normalised.url) {
      this.lastReachability = { ok: false, message: normalised.error ?? 'not a URL', checkedUrl: input, notes: normalised.notes, checkedAt };
      return this.lastReachability;
    }
    const receiverUrl = this.#options.receiverUrl();
    const result = await checkReachability(normalised.url, this.#options.instanceId, { localUrl: receiverUrl ? new URL(receiverUrl).host : undefined });
    this.lastReachability = result.ok
      ? { ok: true, message: `reached this relay in ${result.latencyMs} ms`, checkedUrl: result.checkedUrl, latencyMs: result.latencyMs, notes: result.notes, checkedAt }
      : { ok: false, message: result.message, checkedUrl: result.checkedUrl, notes: normalised.notes, checkedAt };
    if (normalised.url === this.#currentBase()) this.#standing = { base: normalised.url, result: this.lastReachability };
    this.#options.announce('reachability');
    return { ...this.lastReachability, normalisedUrl: normalised.url };
  }

  #currentBase(): string | undefined {
    const current = this.publicUrl();
    return current ? normalisePublicUrl(current).url : undefined;
  }

  /**
   * The last check of the public URL in use (saved, or the tunnel's). A URL tried in the wizard and
   * never saved says nothing about where Level posts, so its failure is no standing Health finding.
   */
  standingReachability(): Reachability | undefined {
    const standing = this.#standing;
    return standing && standing.base === this.#currentBase() ? standing.result : undefined;
  }

  /** The setup test's webhook reached this relay through the public URL in use: as good as a passing check of it. */
  reachedThrough(webhookUrl: string): void {
    const base = normalisePublicUrl(webhookUrl).url;
    if (!base || base !== this.#currentBase()) return;
    const result: Reachability = { ok: true, message: 'the setup test’s webhook reached this relay through it', checkedUrl: webhookUrl, notes: [], checkedAt: Date.now() };
    // The wizard shows the last check: replaced only when it was about this same URL.
    if (this.lastReachability === this.#standing?.result) this.lastReachability = result;
    this.#standing = { base, result };
    this.#options.announce('reachability');
  }
}
