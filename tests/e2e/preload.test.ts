/**
 * The built preload in Chromium, wired to the built main process: the page is the real renderer
 * (served byte for byte by the app's app:// handler), `window.relay` is made by the real
 * dist/electron/preload.cjs, and its ipcRenderer is bridged (Playwright's exposeBinding) to the
 * ipcMain handlers of dist/electron/main.cjs running under the Electron stand-in. So contract
 * calls and pushed changes take the path they take in the desktop app.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { openDesktopPage, type DesktopPage } from '../helpers/desktop-page.ts';
import { launchDesktop, type DesktopProcess } from '../helpers/desktop-process.ts';
import { SECRET } from '../helpers/relay-harness.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';

let desktop: DesktopProcess;
let desktopPage: DesktopPage | undefined;
let page: Page;
let pageErrors: string[] = [];

before(async () => {
  desktop = await launchDesktop({ env: { LEVEL_WEBHOOK_SECRET: SECRET } });
  desktopPage = await openDesktopPage(desktop);
  ({ page, pageErrors } = desktopPage);
});

after(async () => {
  await desktopPage?.close();
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
