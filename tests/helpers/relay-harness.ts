import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { methods, type Handlers, type MethodName } from '../../shared/contract.ts';
import { bootRelay } from '../../electron/core/boot.ts';
import { consoleLogger } from '../../electron/core/logger.ts';
import type { Relay, RelayTuning } from '../../electron/core/relay.ts';
import { SettingsFile } from '../../electron/core/settings-file.ts';
import { SettingsService } from '../../electron/core/settings-service.ts';
import type { SettingsInput } from '../../electron/core/settings.ts';
import type { InboundDelivery } from '../../electron/core/store/inbound-delivery.ts';
import { LevelSender } from '../fakes/level-sender.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SECRET = 'test-secret-0123456789abcdef0123456789abcdef';
export { INTEGRATION_KEY } from '../fakes/fake-ilert.ts';
export { forTests } from '../../electron/core/testing-seam.ts';
export { OWNER } from '../../electron/core/api/handlers.ts';

/** Fast retries for tests; the defaults (seconds, then minutes) are unit-tested separately. */
export const FAST_TUNING: RelayTuning = {
  backoff: { baseMs: 20, capMs: 200, giveUpAfterMs: 60_000 },
  rateLimitPauseMs: () => 100,
};

/** A port nothing listens on right now, for a relay that must be started on a known port. */
export async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The temp directories this process made, removed as it exits (thousands piled up in /tmp otherwise). */
const madeDirs: string[] = [];
process.once('exit', () => {
  for (const dir of madeDirs) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // A file still open on Windows (a child relay that outlived a failed test): left for the OS.
    }
  }
});

/**
 * A new empty directory under the OS temp directory, removed when this test process exits: not at the
 * end of a test, as tests that restart a relay on the same directory, or read what a child left there,
 * still need it then.
 */
export function tempDataDir(prefix = 'relay-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  madeDirs.push(dir);
  return dir;
}

export interface InProcessRelay {
  relay: Relay;
  /** The contract, as the dashboard calls it (as the owner: pass a caller for anyone else). */
  api: Handlers;
  url: string;
  /** Level signing with SECRET; one attempt per delivery, as Level's own retries are minutes apart. */
  sender: LevelSender;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * A real relay (real HTTP listener, real SQLite file) in this process, on an ephemeral port, booted
 * as the hosts boot it: `settings` are written to its settings file first.
 */
export async function startRelay(settings: SettingsInput = {}, tuning: RelayTuning = FAST_TUNING, dataDir = tempDataDir()): Promise<InProcessRelay> {
  const file = new SettingsFile(dataDir);
  file.update({ port: 0, levelWebhookSecret: SECRET, ...settings });
  const service = new SettingsService(file, {});
  const { relay, handlers } = await bootRelay({ dataDir, log: consoleLogger(), settings: service, tuning, receiverRequired: true });
  return {
    relay,
    api: checkedAnswers(handlers),
    url: relay.receiverUrl!,
    sender: new LevelSender({ url: relay.receiverUrl!, secret: SECRET, attempts: 1 }),
    dataDir,
    stop: () => relay.stop(),
  };
}

/**
 * The contract as the harness hands it to tests: each handler's answer is parsed with its method's
 * output schema, so an answer the contract does not describe fails the test that got it. A handler
 * that answers at once still does (tests read those inside wait predicates).
 */
export function checkedAnswers(handlers: Handlers): Handlers {
  const check = (name: MethodName, answer: unknown) => {
    const parsed = methods[name].output.safeParse(answer);
    if (!parsed.success) throw new Error(`${name} answered outside its output schema: ${parsed.error.message}`);
    return answer;
  };
  const checked = Object.fromEntries(
    (Object.keys(handlers) as MethodName[]).map((name) => {
      const handler = handlers[name] as (input: unknown, caller: unknown) => unknown;
      return [
        name,
        (input: unknown, caller: unknown) => {
          const answer = handler(input, caller);
          return answer instanceof Promise ? answer.then((value) => check(name, value)) : check(name, answer);
        },
      ];
    }),
  );
  return checked as Handlers;
}

/** A handler's answer that came at once (most reads do); for wait predicates, which cannot await. */
export function answered<T>(answer: T | Promise<T>): T {
  if (answer instanceof Promise) throw new Error('the handler answers later: await it instead');
  return answer;
}

export interface ChildRelay {
  child: ChildProcess;
  url: string;
  adminUrl: string;
  output: () => string;
  exited: Promise<number | null>;
}

export const NODE_FLAGS = ['--experimental-strip-types', '--experimental-sqlite', '--import', path.join(ROOT, 'tests/helpers/forbid-electron.ts')];
export const SERVE_SOURCE = path.join(ROOT, 'electron/cli/serve.ts');
/** What `npm run serve` runs: the same code bundled by `vite build --mode cli`. */
export const SERVE_BUNDLE = path.join(ROOT, 'dist/cli/serve.js');

/** The headless host as a real child process, with the guard that fails on any runtime import of electron. */
export function spawnServe(env: Record<string, string>, entry = SERVE_SOURCE, nodeFlags = NODE_FLAGS, cwd = ROOT): ChildProcess {
  return spawn(process.execPath, [...nodeFlags, entry], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), RELAY_PORT: '0', RELAY_ADMIN_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs the headless relay expecting it to refuse to start; one that starts anyway is killed after `timeoutMs`. */
export async function runToExit(env: Record<string, string>, timeoutMs = 15_000): Promise<{ code: number | null; output: string }> {
  const child = spawnServe(env);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const timer = setTimeout(() => {
    output += `\n[still running after ${timeoutMs} ms: killed]`;
    child.kill('SIGKILL');
  }, timeoutMs);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  return { code: code as number | null, output };
}

/** Starts the headless relay and resolves once it has printed its start-up report. */
export async function startChildRelay(env: Record<string, string>, options: { entry?: string; nodeFlags?: string[]; cwd?: string; timeoutMs?: number } = {}): Promise<ChildRelay> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const child = spawnServe(env, options.entry, options.nodeFlags, options.cwd);
  let output = '';
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const [url, adminUrl] = await new Promise<[string, string]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /receiver listening at (\S+)\n\s*dashboard \([^)]*\): (\S+)[\s\S]*Press Ctrl\+C to stop/.exec(output);
      if (match?.[1] && match[2]) {
        clearTimeout(timer);
        resolve([match[1], match[2]]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`relay exited with ${code} before starting:\n${output}`));
    });
  });
  return { child, url, adminUrl, output: () => output, exited };
}

/** Stops a child relay with SIGTERM (a graceful shutdown) and waits for it to exit; a no-op if it already has. */
export async function stopChildRelay(relay: ChildRelay | undefined): Promise<void> {
  if (!relay || relay.child.exitCode !== null) return;
  relay.child.kill('SIGTERM');
  await relay.exited;
}

/** Another process holding SQLite's write lock on the relay's database, as the sqlite3 shell or a backup tool would. */
export async function holdWriteLock(dataDir: string): Promise<{ release: () => Promise<void> }> {
  const script = `
    const { DatabaseSync } = require('node:sqlite');
    const db = new DatabaseSync(${JSON.stringify(path.join(dataDir, 'relay.sqlite'))});
    db.exec('PRAGMA busy_timeout = 5000');
    db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n');
    process.stdin.on('end', () => { db.exec('ROLLBACK'); db.close(); process.exit(0); });
    process.stdin.resume();`;
  const child = spawn(process.execPath, ['--experimental-sqlite', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the lock holder did not start')), 5000);
    child.stdout!.once('data', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return {
    release: async () => {
      const exited = once(child, 'exit');
      child.stdin!.end();
      await exited;
    },
  };
}

/** A webhook as the HTTP receiver hands it to the ingest, with the signature verdict it reached. */
export function webhookDelivery(body: Buffer, signature: InboundDelivery['signature'], headers: Record<string, string> = {}): InboundDelivery {
  return {
    receivedAt: Date.now(),
    source: 'webhook',
    remoteAddr: '127.0.0.1',
    forwardedFor: undefined,
    method: 'POST',
    path: '/webhooks/level',
    headers,
    body,
    bodySize: body.length,
    signature,
  };
}
