import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import readline from 'node:readline';
import { WEBHOOK_PATH } from '../receiver/receiver.ts';
import { hideSecrets } from '../secret-mask.ts';

export type TunnelStatus = 'stopped' | 'starting' | 'running' | 'restarting' | 'not-installed' | 'failed';
export type TunnelKind = 'quick' | 'named';

export interface TunnelState {
  status: TunnelStatus;
  kind: TunnelKind;
  /** Only while running: a dead quick tunnel's URL answers nobody. */
  publicUrl?: string;
  restarts: number;
  lastError?: string;
  /** When a quick tunnel came back with a different URL than before; cleared by acknowledgeUrlChange(). */
  urlChangedAt?: number;
  /** urlChangeWarning() of this state, for consumers that only see the serialised state. */
  warning?: string;
  pid?: number;
}

export interface TunnelOptions {
  /** The relay's local listener that cloudflared forwards to, e.g. http://127.0.0.1:8787. */
  localUrl: string;
  command?: string;
  /** A named tunnel's token: its public hostname is configured at Cloudflare and stays the same. */
  token?: string;
  /** The named tunnel's hostname URL, which cloudflared does not print. */
  publicUrl?: string;
  /** Wait before each consecutive restart; the last one repeats. */
  restartDelaysMs?: number[];
  /** No URL (quick) or registered connection (named) within this → kill and restart. */
  startTimeoutMs?: number;
  /** After SIGTERM, cloudflared waits out its grace period (30 s by default): SIGKILL after this. */
  stopTimeoutMs?: number;
  /** Added to this process's environment for cloudflared (proxy settings, TUNNEL_* options). */
  env?: Record<string, string>;
}

export const CLOUDFLARED_DOWNLOAD_URL = 'https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/downloads/';
export const NOT_INSTALLED_MESSAGE = `cloudflared is not installed or not on PATH — install it from ${CLOUDFLARED_DOWNLOAD_URL} or paste the URL of another tunnel`;

const DEFAULT_RESTART_DELAYS_MS = [1000, 2000, 5000, 10_000, 30_000];
const DEFAULT_START_TIMEOUT_MS = 30_000;
const DEFAULT_STOP_TIMEOUT_MS = 3000;
/** A process that ran this long counts as healthy: its crash restarts from the shortest delay again. */
const STABLE_AFTER_MS = 60_000;

// At least one hyphen: quick-tunnel names are word lists, and it keeps out api.trycloudflare.com,
// which cloudflared names in its errors when it cannot get a quick tunnel.
const QUICK_TUNNEL_URL = /https:\/\/[a-z0-9]+(?:-[a-z0-9]+)+\.trycloudflare\.com\b/i;
const REGISTERED = /Registered tunnel connection/;
// cloudflared logs with zerolog's levels; FTL is what it prints right before giving up.
const ERROR_LINE = /\b(?:ERR|FTL)\b/;
const LEADING_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\S+\s+/;

export function urlChangeWarning(state: TunnelState): string | undefined {
  if (state.kind !== 'quick' || state.urlChangedAt === undefined || !state.publicUrl) return undefined;
  return `the quick-tunnel URL changed; update the webhook URL in Level (Settings → Webhooks) to ${state.publicUrl}${WEBHOOK_PATH} — a named tunnel keeps its URL`;
}

/** `<command> --version`'s first line, or undefined when it cannot be run. */
export function findCloudflared(command = 'cloudflared'): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(command, ['--version'], { timeout: 10_000, windowsHide: true }, (error, stdout, stderr) => {
      if (error) return resolve(undefined);
      const line = `${stdout}\n${stderr}`
        .split(/\r?\n/)
        .map((text) => text.trim())
        .find(Boolean);
      resolve(line);
    });
  });
}

function withoutUndefined(state: TunnelState): TunnelState {
  return Object.fromEntries(Object.entries(state).filter(([, value]) => value !== undefined)) as unknown as TunnelState;
}

/**
 * Runs cloudflared for the relay's public listener and keeps it running: restarts it with backoff
 * when it dies or never comes up, and reports what happened in a state that the UI can show as is.
 * Emits 'state' on every change and 'log' with every (token-masked) line cloudflared prints.
 */
export class Tunnel extends EventEmitter {
  readonly #command: string;
  readonly #args: string[];
  readonly #token: string | undefined;
  readonly #namedUrl: string | undefined;
  readonly #restartDelaysMs: number[];
  readonly #startTimeoutMs: number;
  readonly #stopTimeoutMs: number;
  readonly #env: NodeJS.ProcessEnv;
  #state: TunnelState;
  #child: ChildProcess | undefined;
  #exited: Promise<void> | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #stopRequested = false;
  /** Consecutive failures, which pick the next restart delay. */
  #failures = 0;
  #lastUrl: string | undefined;

  constructor(options: TunnelOptions) {
    super();
    this.#command = options.command ?? 'cloudflared';
    this.#token = options.token || undefined;
    // The token goes in cloudflared's TUNNEL_TOKEN variable, not the command line other users can read with ps.
    this.#args = this.#token ? ['tunnel', '--no-autoupdate', 'run'] : ['tunnel', '--no-autoupdate', '--url', options.localUrl];
    this.#namedUrl = options.publicUrl;
    this.#restartDelaysMs = options.restartDelaysMs?.length ? options.restartDelaysMs : DEFAULT_RESTART_DELAYS_MS;
    this.#startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    this.#stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    this.#env = { ...process.env, ...options.env, ...(this.#token ? { TUNNEL_TOKEN: this.#token } : {}) };
    this.#state = { status: 'stopped', kind: this.#token ? 'named' : 'quick', restarts: 0 };
  }

  get state(): TunnelState {
    return withoutUndefined({ ...this.#state, warning: urlChangeWarning(this.#state) });
  }

  /** Starts cloudflared unless it is already running or about to restart; also retries after 'not-installed'. */
  start(): void {
    if (this.#child || this.#restartTimer) return;
    this.#stopRequested = false;
    this.#failures = 0;
    this.#launch('starting');
  }

  /** Ends cloudflared (SIGTERM, then SIGKILL) and resolves once it is gone; nothing restarts it afterwards. */
  async stop(): Promise<void> {
    this.#stopRequested = true;
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    const child = this.#child;
    if (child) {
      this.#terminate(child);
      await this.#exited;
    }
    // Keep telling why it never ran: stopping does not install cloudflared.
    if (this.#state.status !== 'not-installed' && this.#state.status !== 'failed') {
      this.#update({ status: 'stopped', publicUrl: undefined, pid: undefined });
    }
  }

  /** The technician updated Level's webhook URL: drop the warning until the URL changes again. */
  acknowledgeUrlChange(): void {
    this.#update({ urlChangedAt: undefined });
  }

  #update(patch: Partial<TunnelState>): void {
    const next = { ...this.#state, ...patch };
    const changed = (Object.keys(patch) as (keyof TunnelState)[]).some((key) => next[key] !== this.#state[key]);
    this.#state = next;
    if (changed) this.emit('state', this.state);
  }

  #mask(text: string): string {
    return hideSecrets(text.replace(/(--token[=\s]+)\S+/g, '$1***'), [this.#token], '***');
  }

  #terminate(child: ChildProcess): void {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), this.#stopTimeoutMs);
    child.once('close', () => clearTimeout(timer));
  }

  #launch(status: 'starting' | 'restarting'): void {
    const kind = this.#state.kind;
    const child = spawn(this.#command, this.#args, { stdio: ['ignore', 'pipe', 'pipe'], env: this.#env, windowsHide: true });
    this.#child = child;
    let spawnError: NodeJS.ErrnoException | undefined;
    let lastErrorLine: string | undefined;
    let runningSince: number | undefined;
    let timedOut = false;

    child.on('error', (error: NodeJS.ErrnoException) => {
      // Later errors (a failed kill) say nothing about whether cloudflared could be started.
      if (child.pid === undefined) spawnError ??= error;
    });

    const startTimer = setTimeout(() => {
      timedOut = true;
      this.#terminate(child);
    }, this.#startTimeoutMs);

    const onLine = (raw: string) => {
      const line = this.#mask(raw);
      this.emit('log', line);
      if (ERROR_LINE.test(line)) {
        lastErrorLine = line.replace(LEADING_TIMESTAMP, '').trim();
        return;
      }
      if (runningSince !== undefined || timedOut) return;
      let url: string | undefined;
      if (kind === 'quick') {
        url = QUICK_TUNNEL_URL.exec(line)?.[0].toLowerCase();
        if (!url) return;
      } else if (REGISTERED.test(line)) {
        url = this.#namedUrl;
      } else {
        return;
      }
      clearTimeout(startTimer);
      runningSince = Date.now();
      const changed = kind === 'quick' && this.#lastUrl !== undefined && url !== this.#lastUrl;
      this.#lastUrl = url;
      this.#update({ status: 'running', publicUrl: url, ...(changed ? { urlChangedAt: runningSince } : {}) });
    };
    readline.createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', onLine);
    readline.createInterface({ input: child.stderr!, crlfDelay: Infinity }).on('line', onLine);

    // 'close' rather than 'exit': by then every line cloudflared printed has been read.
    this.#exited = new Promise((resolve) => {
      child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(startTimer);
        this.#child = undefined;
        this.#onClose(kind, { code, signal, spawnError, lastErrorLine, runningSince, timedOut });
        resolve();
      });
    });
    this.#update({ status, pid: child.pid, publicUrl: undefined });
  }

  #onClose(
    kind: TunnelKind,
    run: { code: number | null; signal: NodeJS.Signals | null; spawnError?: NodeJS.ErrnoException; lastErrorLine?: string; runningSince?: number; timedOut: boolean },
  ): void {
    const gone = { pid: undefined, publicUrl: undefined };
    if (run.spawnError?.code === 'ENOENT') {
      this.#update({ ...gone, status: 'not-installed', lastError: NOT_INSTALLED_MESSAGE });
      return;
    }
    if (run.spawnError) {
      // EACCES and the like: trying again every few seconds will not fix file permissions.
      this.#update({ ...gone, status: 'failed', lastError: this.#mask(`cloudflared could not be started: ${run.spawnError.message}`) });
      return;
    }
    if (this.#stopRequested) {
      this.#update({ ...gone, status: 'stopped' });
      return;
    }

    const waitedFor = kind === 'quick' ? 'printed no quick-tunnel URL' : 'registered no tunnel connection';
    const how = run.timedOut
      ? `cloudflared ${waitedFor} within ${Math.round(this.#startTimeoutMs / 100) / 10} s and was restarted`
      : run.signal
        ? `cloudflared was killed by ${run.signal}`
        : `cloudflared exited with code ${run.code}`;
    const lastError = this.#mask(run.lastErrorLine ? `${how}: ${run.lastErrorLine}` : how);

    if (run.runningSince !== undefined && Date.now() - run.runningSince >= STABLE_AFTER_MS) this.#failures = 0;
    const delay = this.#restartDelaysMs[Math.min(this.#failures, this.#restartDelaysMs.length - 1)]!;
    this.#failures += 1;
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      this.#launch('restarting');
    }, delay);
    this.#update({ ...gone, status: 'restarting', restarts: this.#state.restarts + 1, lastError });
  }
}
