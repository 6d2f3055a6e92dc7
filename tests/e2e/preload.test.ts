/**
 * The built preload in Chromium, wired to the built main process: the page is the real renderer
 * (served byte for byte by the app's app:// handler), `window.relay` is made by the real
 * dist/electron/preload.cjs, and its ipcRenderer is bridged (Playwright's exposeBinding) to the
 * ipcMain handlers of dist/electron/main.cjs running under the Electron stand-in. So contract
 * calls and pushed changes take the path they take in the desktop app.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.ts';
import { launchDesktop, type DesktopProcess } from '../helpers/desktop-process.ts';
import { ROOT, SECRET } from '../helpers/relay-harness.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';

let desktop: DesktopProcess;
let browser: Browser;
let server: http.Server;
let page: Page;
const pageErrors: string[] = [];

/** What Electron gives a sandboxed preload as `require('electron')`, with IPC crossing to the test. */
const electronInPage = `
(() => {
  const listeners = new Map();
  window.__ipcEmit = (channel, value) => { for (const listener of listeners.get(channel) ?? []) listener({ sender: null }, value); };
  const electron = {
    contextBridge: { exposeInMainWorld: (key, api) => Object.defineProperty(window, key, { value: Object.freeze(api) }) },
    ipcRenderer: {
      invoke: (channel, input) => window.__ipcInvoke(channel, input),
      on: (channel, listener) => { listeners.set(channel, [...(listeners.get(channel) ?? []), listener]); },
      off: (channel, listener) => { listeners.set(channel, (listeners.get(channel) ?? []).filter((entry) => entry !== listener)); },
    },
  };
  const module = { exports: {} };
  const require = (name) => { if (name === 'electron') return electron; throw new Error('a sandboxed preload can require only electron, not ' + name); };
  (function (require, module, exports) {
PRELOAD
  })(require, module, module.exports);
})();
`;

before(async () => {
  desktop = await launchDesktop({ env: { LEVEL_WEBHOOK_SECRET: SECRET } });
  // The renderer exactly as the app:// handler serves it, headers (CSP) included.
  server = http.createServer((request, response) => {
    desktop.command<{ status: number; headers: Record<string, string>; body: string }>('protocolFetch', { url: `app://relay${request.url}` }).then(
      (answer) => {
        response.writeHead(answer.status, answer.headers);
        response.end(answer.body);
      },
      (error: Error) => {
        response.writeHead(500);
        response.end(error.message);
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.exposeBinding('__ipcInvoke', async ({ frame }, channel: string, input: unknown) => {
    // The frame's real address, seen as Electron would see the app's page.
    const frameUrl = frame.url().replace(origin, 'app://relay');
    const result = await desktop.command('invoke', { channel, frameUrl, input });
    return result;
  });
  const preload = fs.readFileSync(path.join(ROOT, 'dist/electron/preload.cjs'), 'utf8');
  await context.addInitScript({ content: electronInPage.replace('PRELOAD', () => preload) });
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // Changes the main process pushes to the window reach the page's ipcRenderer listeners.
  desktop.child.on('message', (message: { event: string; channel?: string; value?: unknown }) => {
    if (message.event === 'send')
      void page
        .evaluate(([channel, value]) => (window as unknown as { __ipcEmit(c: unknown, v: unknown): void }).__ipcEmit(channel, value), [message.channel, message.value] as const)
        .catch(() => undefined);
  });
  await page.goto(`${origin}/`);
  await page.getByTestId('app-ready').waitFor();
});

after(async () => {
  await browser?.close();
  server?.close();
  await desktop?.kill();
});

test('the real preload exposes only window.relay, and the dashboard loads through it over IPC', async () => {
  const exposed = await page.evaluate(() => ({
    relay: Object.keys((window as unknown as { relay: object }).relay).sort(),
    require: typeof (window as unknown as { require?: unknown }).require,
  }));
  assert.deepEqual(exposed, { relay: ['invoke', 'onChanges', 'onNavigate'], require: 'undefined' });
  const unknown = await page.evaluate(() => (window as unknown as { relay: { invoke(m: string, i: unknown): Promise<unknown> } }).relay.invoke('dropDatabase', {}));
  assert.deepEqual(unknown, { ok: false, error: { code: 'not_found', message: 'no method dropDatabase' } }, 'unknown names never reach IPC');
  assert.deepEqual(pageErrors, []);
});

test('a pushed change batch reaches the renderer through the preload: a new alert appears without reloading', async () => {
  const status = await desktop.invoke<{ receiverUrl: string }>('getStatus');
  await new LevelSender({ url: status.value!.receiverUrl, secret: SECRET }).deliver(alertEvent({ severity: 'critical', name: 'Preload round trip' }));
  await page.getByText('Preload round trip').first().waitFor();
  assert.deepEqual(pageErrors, []);
});

test('Health → Open logs opens the desktop log file through the desktop-only IPC method', async () => {
  await page.getByTestId('tab-health').click();
  await page.getByTestId('open-logs').click();
  const opened = await desktop.waitFor((event) => event.event === 'openPath', 'the OS to be asked to open the log');
  assert.equal(opened.path, desktop.logFile());
});

test('at first start the window asks where the relay runs; "Run the relay here" keeps it here and Settings offers the team relay', async () => {
  const choice = page.getByTestId('first-start-choice');
  await choice.waitFor();
  assert.match((await choice.textContent())!, /Run the relay here/);
  await choice.getByTestId('run-here').click();
  await choice.waitFor({ state: 'detached' });
  assert.equal((await desktop.invoke<{ mode: string }>('getConnection')).value?.mode, 'local');
  await page.getByTestId('tab-settings').click();
  await page.getByTestId('connection-panel').getByTestId('connect-form').waitFor();
  assert.deepEqual(pageErrors, []);
});
