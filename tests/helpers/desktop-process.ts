/**
 * Starts the BUILT desktop app (dist/electron/main.cjs, or a packaged copy of it) in a child Node
 * process with the strict Electron stand-in in place of `electron`, and drives it over the
 * child's IPC channel. What users install is what this runs.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, tempDataDir } from './relay-harness.ts';

export const BUILT_MAIN = path.join(ROOT, 'dist/electron/main.cjs');
const REGISTER = path.join(ROOT, 'tests/fakes/electron-standin/register.ts');

export type StandinEvent = { event: string; [key: string]: unknown };

export interface DesktopOptions {
  /** The main bundle to run; defaults to dist/electron/main.cjs. */
  main?: string;
  /** Command-line arguments, e.g. --hidden as a login item passes. */
  args?: string[];
  env?: Record<string, string>;
  dataDir?: string;
  home?: string;
}

export interface StandinState {
  mainScriptDone: boolean;
  ready: boolean;
  windows: { id: number; visible: boolean; url: string; webPreferences: Record<string, unknown>; menuRemoved: boolean }[];
  trays: { image: string; empty: boolean; template: boolean; tooltip: string; menu: string[] }[];
  ipcChannels: string[];
  privilegedSchemes: { scheme: string; privileges?: Record<string, boolean> }[];
  applicationMenu: null | 'default' | string[];
  loginItem: { openAtLogin: boolean; args?: string[] };
  appUserModelId: string | undefined;
  dockVisible: boolean | undefined;
  notifications: { options: { title: string; body?: string; urgency?: string; actions?: unknown[] }; alive: boolean }[];
}

export class DesktopProcess {
  readonly child: ChildProcess;
  readonly events: StandinEvent[] = [];
  readonly dataDir: string;
  readonly home: string;
  readonly exited: Promise<number | null>;
  stderr = '';
  stdout = '';
  readonly #emitter = new EventEmitter();
  #nextId = 1;

  constructor(options: DesktopOptions = {}) {
    this.dataDir = options.dataDir ?? tempDataDir('desktop-data-');
    this.home = options.home ?? tempDataDir('desktop-home-');
    this.child = fork(options.main ?? BUILT_MAIN, options.args ?? [], {
      execArgv: ['--expose-gc', '--import', REGISTER],
      env: { PATH: process.env.PATH, HOME: this.home, RELAY_DATA_DIR: this.dataDir, RELAY_PORT: '0', STANDIN_HOME: this.home, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.child.on('message', (message: StandinEvent) => {
      this.events.push(message);
      this.#emitter.emit('event', message);
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.exited.then(() => this.#emitter.emit('event', { event: 'process-exit' }));
  }

  /** Resolves with the first event (past or future) that matches, or rejects after timeoutMs. */
  waitFor(match: (event: StandinEvent) => boolean, what: string, timeoutMs = 10_000): Promise<StandinEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const onEvent = (event: StandinEvent) => {
        if (match(event)) {
          cleanup();
          resolve(event);
        } else if (event.event === 'process-exit') {
          cleanup();
          reject(new Error(`the app exited while waiting for ${what}\n${this.diagnostics()}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.diagnostics()}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.#emitter.off('event', onEvent);
      };
      this.#emitter.on('event', onEvent);
    });
  }

  /** Like waitFor, but only for events after this call. */
  next(match: (event: StandinEvent) => boolean, what: string, timeoutMs = 10_000): Promise<StandinEvent> {
    const already = this.events.length;
    return this.waitFor((event) => this.events.indexOf(event) >= already && match(event), what, timeoutMs);
  }

  /** Waits until the window has loaded the app and the tray exists. */
  async started(): Promise<this> {
    await this.waitFor((event) => event.event === 'loaded', 'the window to load');
    await this.waitFor((event) => event.event === 'tray', 'the tray icon');
    return this;
  }

  async command<T = unknown>(command: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.#nextId++;
    const reply = this.waitFor((event) => event.event === 'reply' && event.id === id, `the reply to ${command}`);
    this.child.send({ id, command, args });
    const answer = await reply;
    if (answer.error) throw new Error(String(answer.error));
    return answer.result as T;
  }

  state(): Promise<StandinState> {
    return this.command<StandinState>('state');
  }

  /** Calls a contract method over IPC as the page at `frameUrl` would. */
  invoke<T = unknown>(
    method: string,
    input: unknown = {},
    frameUrl: string | null = 'app://relay/',
  ): Promise<{ ok: boolean; value?: T; error?: { code: string; message: string } }> {
    return this.command('invoke', { channel: `relay:invoke:${method}`, frameUrl, input });
  }

  uncaught(): StandinEvent[] {
    return this.events.filter((event) => event.event === 'uncaught' || event.event === 'errorBox');
  }

  diagnostics(): string {
    const tail = (text: string) => text.split('\n').slice(-15).join('\n');
    return `events: ${this.events.map((event) => event.event).join(', ')}\nstderr: ${tail(this.stderr)}\nstdout: ${tail(this.stdout)}`;
  }

  /** Stops the app however it is, and waits for the process to go. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  logFile(): string {
    return path.join(this.home, 'logs', 'main.log');
  }

  readLog(): string {
    return fs.existsSync(this.logFile()) ? fs.readFileSync(this.logFile(), 'utf8') : '';
  }
}

export async function launchDesktop(options: DesktopOptions = {}): Promise<DesktopProcess> {
  return new DesktopProcess(options).started();
}
