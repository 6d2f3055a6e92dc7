import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Tunnel, findCloudflared, urlChangeWarning, NOT_INSTALLED_MESSAGE, type TunnelOptions, type TunnelState } from '../../electron/core/setup/tunnel.ts';
import { waitForEvent } from '../helpers/wait.ts';

const FAKE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fakes/fake-cloudflared.mjs');
const LOCAL_URL = 'http://127.0.0.1:8787';
const QUICK_URL = /^https:\/\/[a-z0-9]+(?:-[a-z0-9]+)+\.trycloudflare\.com$/;
const TOKEN = 'eyJhIjoiNWFiNGU5Z.secret-tunnel-token.eyJ0IjoiZjk1NWUzYjQtMWM2';

interface Harness {
  tunnel: Tunnel;
  states: TunnelState[];
  logs: string[];
  dir: string;
  argsLog: string;
  /** Create it to make the next cloudflared crash once after printing its URL. */
  crashFile: string;
  until(check: (state: TunnelState) => boolean, what: string, timeoutMs?: number): Promise<TunnelState>;
  loggedArgs(): string[][];
}

function harness(t: { after(fn: () => Promise<void> | void): void }, options: Partial<TunnelOptions> = {}, env: Record<string, string> = {}): Harness {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunnel-test-'));
  const argsLog = path.join(dir, 'args.log');
  const crashFile = path.join(dir, 'crash-once');
  const tunnel = new Tunnel({
    localUrl: LOCAL_URL,
    command: FAKE,
    restartDelaysMs: [20],
    env: { FAKE_CLOUDFLARED_ARGS_LOG: argsLog, FAKE_CLOUDFLARED_CRASH_FILE: crashFile, ...env },
    ...options,
  });
  const states: TunnelState[] = [];
  const logs: string[] = [];
  tunnel.on('state', (state: TunnelState) => states.push(state));
  tunnel.on('log', (line: string) => logs.push(line));
  t.after(async () => {
    await tunnel.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    tunnel,
    states,
    logs,
    dir,
    argsLog,
    crashFile,
    until: (check, what, timeoutMs = 5000) => waitForEvent(tunnel, 'state', () => (check(tunnel.state) ? tunnel.state : undefined), timeoutMs, what),
    loggedArgs: () =>
      fs.existsSync(argsLog)
        ? fs
            .readFileSync(argsLog, 'utf8')
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line) as string[])
        : [],
  };
}

function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

test('findCloudflared returns the version line, or undefined when the binary is missing', async () => {
  assert.equal(await findCloudflared(FAKE), 'cloudflared version 2025.8.0 (built 2025-08-05-1200 UTC)');
  assert.equal(await findCloudflared(path.join(os.tmpdir(), 'no-such-dir', 'cloudflared')), undefined);
});

test('a quick tunnel reports the URL from the box cloudflared prints, run with the exact arguments', async (t) => {
  const h = harness(t);
  h.tunnel.start();
  const state = await h.until((s) => s.status === 'running', 'running');
  assert.match(state.publicUrl ?? '', QUICK_URL);
  assert.equal(state.kind, 'quick');
  assert.equal(state.restarts, 0);
  assert.equal(typeof state.pid, 'number');
  assert.equal(state.urlChangedAt, undefined);
  assert.equal(state.warning, undefined);
  assert.deepEqual(h.loggedArgs(), [['tunnel', '--no-autoupdate', '--url', LOCAL_URL]]);
  assert.deepEqual(
    h.states.map((s) => s.status),
    ['starting', 'running'],
  );
  assert.ok(h.logs.some((line) => line.includes('Your quick Tunnel has been created!')));
});

test('a crash mid-run restarts cloudflared, and the new quick-tunnel URL comes with a warning', async (t) => {
  const h = harness(t);
  fs.writeFileSync(h.crashFile, '');
  h.tunnel.start();
  const first = await h.until((s) => s.status === 'running', 'first run');
  const second = await h.until((s) => s.status === 'running' && s.restarts === 1, 'running again after the crash');

  assert.equal(fs.existsSync(h.crashFile), false);
  const restarting = h.states.find((s) => s.status === 'restarting');
  assert.ok(restarting, 'went through restarting');
  assert.equal(restarting.publicUrl, undefined, 'the dead URL is not offered while restarting');
  assert.match(second.lastError ?? '', /^cloudflared exited with code 1: ERR Connection terminated error="control stream encountered a failure while serving"/);
  assert.notEqual(second.pid, first.pid);
  assert.ok(isGone(first.pid!), 'the crashed process is gone');

  assert.match(second.publicUrl ?? '', QUICK_URL);
  assert.notEqual(second.publicUrl, first.publicUrl);
  assert.equal(typeof second.urlChangedAt, 'number');
  assert.equal(
    second.warning,
    `the quick-tunnel URL changed; update the webhook URL in Level (Settings → Webhooks) to ${second.publicUrl}/webhooks/level — a named tunnel keeps its URL`,
  );
  assert.equal(urlChangeWarning(second), second.warning);
  assert.equal(h.loggedArgs().length, 2);

  h.tunnel.acknowledgeUrlChange();
  assert.equal(h.tunnel.state.warning, undefined);
  assert.equal(h.tunnel.state.urlChangedAt, undefined);
});

test('restarts wait the configured delays, and the last delay repeats', async (t) => {
  const h = harness(t, { restartDelaysMs: [10, 150] }, { FAKE_CLOUDFLARED_EXIT_AFTER_MS: '0', FAKE_CLOUDFLARED_NO_URL: '1' });
  const waits: number[] = [];
  let diedAt = 0;
  h.tunnel.on('state', (state: TunnelState) => {
    if (state.status === 'restarting' && state.pid === undefined) diedAt = performance.now();
    else if (state.pid !== undefined && diedAt) {
      waits.push(performance.now() - diedAt);
      diedAt = 0;
    }
  });
  h.tunnel.start();
  await h.until(() => waits.length >= 3, 'three restarts');
  assert.ok(waits[0]! >= 9, `first wait ${waits[0]} ms`);
  assert.ok(waits[1]! >= 149 && waits[2]! >= 149, `later waits ${waits.join(', ')} ms`);
  assert.match(h.tunnel.state.lastError ?? '', /^cloudflared exited with code 1: ERR failed to connect to the edge error="DialContext error/);
});

test('no URL within startTimeoutMs: cloudflared is killed and started again', async (t) => {
  const h = harness(t, { startTimeoutMs: 300 }, { FAKE_CLOUDFLARED_NO_URL: '1' });
  h.tunnel.start();
  const firstPid = (await h.until((s) => s.pid !== undefined, 'started')).pid!;
  const restarting = await h.until((s) => s.status === 'restarting', 'restarting', 3000);
  assert.equal(restarting.lastError, 'cloudflared printed no quick-tunnel URL within 0.3 s and was restarted');
  assert.equal(restarting.restarts, 1);
  assert.ok(isGone(firstPid), 'the silent process was killed');
  const next = await h.until((s) => s.pid !== undefined && s.pid !== firstPid, 'started again');
  assert.equal(next.status, 'restarting', 'still restarting until a URL appears');
  await waitForEvent(h.tunnel, 'log', () => h.logs.filter((line) => line.includes('Requesting new quick Tunnel')).length === 2, 3000, "the second run's output");
  assert.equal(h.loggedArgs().length, 2);
});

test('a missing binary is reported as not-installed, without a restart loop', async (t) => {
  const h = harness(t, { command: path.join(os.tmpdir(), 'no-such-dir', 'cloudflared'), restartDelaysMs: [10] });
  h.tunnel.start();
  const state = await h.until((s) => s.status === 'not-installed', 'not-installed');
  assert.equal(state.lastError, NOT_INSTALLED_MESSAGE);
  assert.equal(state.restarts, 0);
  assert.equal(state.pid, undefined);
  const seen = h.states.length;
  // Nothing to await here: this proves that nothing happens across many restart delays.
  await delay(200);
  assert.equal(h.states.length, seen);
  await h.tunnel.stop();
  assert.equal(h.tunnel.state.status, 'not-installed', 'stopping does not hide why it never ran');
});

test('a named tunnel runs with its token, reports the configured URL and never shows the token', async (t) => {
  const h = harness(t, { token: TOKEN, publicUrl: 'https://relay.example.com' });
  h.tunnel.start();
  const state = await h.until((s) => s.status === 'running', 'running');
  assert.equal(state.kind, 'named');
  assert.equal(state.publicUrl, 'https://relay.example.com');
  assert.equal(state.warning, undefined);
  assert.deepEqual(h.loggedArgs(), [['tunnel', '--no-autoupdate', 'run']], 'the token is passed in TUNNEL_TOKEN, never on the command line');
  assert.ok(!JSON.stringify(h.states).includes(TOKEN));
  assert.ok(!h.logs.join('\n').includes(TOKEN));
});

test("a token in cloudflared's error output is masked in lastError and in the log", async (t) => {
  const h = harness(t, { token: TOKEN, publicUrl: 'https://relay.example.com' }, { FAKE_CLOUDFLARED_ERR_WITH_TOKEN: '1' });
  h.tunnel.start();
  const state = await h.until((s) => s.status === 'restarting', 'restarting');
  assert.equal(state.lastError, 'cloudflared exited with code 1: ERR Provided Tunnel token is not valid token=***');
  await h.tunnel.stop();
  assert.ok(!JSON.stringify(h.states).includes(TOKEN));
  assert.ok(!h.logs.join('\n').includes(TOKEN));
  assert.ok(!JSON.stringify(h.tunnel.state).includes(TOKEN));
});

test('stop() ends cloudflared and nothing restarts it', async (t) => {
  const h = harness(t);
  h.tunnel.start();
  const { pid } = await h.until((s) => s.status === 'running', 'running');
  await h.tunnel.stop();
  assert.ok(isGone(pid!), 'the process is gone once stop() resolves');
  assert.deepEqual(h.tunnel.state, { status: 'stopped', kind: 'quick', restarts: 0 });
  const seen = h.states.length;
  // Nothing to await: this proves that no restart follows across several restart delays.
  await delay(150);
  assert.equal(h.states.length, seen);
  assert.equal(h.loggedArgs().length, 1);
});

test('stop() while waiting to restart cancels the restart', async (t) => {
  const h = harness(t, { restartDelaysMs: [100] }, { FAKE_CLOUDFLARED_EXIT_AFTER_MS: '0' });
  h.tunnel.start();
  await h.until((s) => s.status === 'restarting' && s.pid === undefined, 'waiting to restart');
  await h.tunnel.stop();
  assert.equal(h.tunnel.state.status, 'stopped');
  await delay(250);
  assert.equal(h.loggedArgs().length, 1);
  assert.equal(h.tunnel.state.status, 'stopped');
});

test('stop() kills cloudflared when it ignores SIGTERM', async (t) => {
  const h = harness(t, { stopTimeoutMs: 200 }, { FAKE_CLOUDFLARED_IGNORE_SIGTERM: '1' });
  h.tunnel.start();
  const { pid } = await h.until((s) => s.status === 'running', 'running');
  const started = performance.now();
  await h.tunnel.stop();
  assert.ok(performance.now() - started >= 190, 'waited for the grace period first');
  assert.ok(isGone(pid!));
  assert.ok(
    h.logs.some((line) => line.includes('Initiating graceful shutdown')),
    'SIGTERM came first',
  );
  assert.equal(h.tunnel.state.status, 'stopped');
});
