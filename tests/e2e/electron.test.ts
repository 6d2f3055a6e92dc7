/**
 * The built desktop app in a REAL Electron, driven by Playwright. It runs wherever an Electron
 * binary is present: ELECTRON_OVERRIDE_DIST_PATH (a directory holding the `electron` binary), or
 * the one `npm install` downloads into node_modules/electron/dist. Where neither exists (here,
 * ELECTRON_SKIP_BINARY_DOWNLOAD=1) the tests are skipped and say why; everything they cover also
 * runs under the strict stand-in in tests/integration/desktop-app.test.ts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Menu, Notification as NotificationType } from 'electron';
import { _electron as electron, type ElectronApplication, type Page } from 'playwright-core';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { BUILT_MAIN } from '../helpers/desktop-process.ts';
import { INTEGRATION_KEY, ROOT, SECRET, tempDataDir } from '../helpers/relay-harness.ts';

function electronBinary(): string | undefined {
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const candidates = [
    ...(override ? [path.join(override, process.platform === 'win32' ? 'electron.exe' : 'electron'), path.join(override, 'Electron.app/Contents/MacOS/Electron')] : []),
    ...(fs.existsSync(path.join(ROOT, 'node_modules/electron/path.txt'))
      ? [path.join(ROOT, 'node_modules/electron/dist', fs.readFileSync(path.join(ROOT, 'node_modules/electron/path.txt'), 'utf8').trim())]
      : []),
  ];
  return candidates.find((candidate) => fs.existsSync(candidate));
}

const binary = electronBinary();
const skip = binary
  ? false
  : 'no Electron binary: it was not downloaded (ELECTRON_SKIP_BINARY_DOWNLOAD=1) and ELECTRON_OVERRIDE_DIST_PATH is not set; run `node node_modules/electron/install.js` where downloads are allowed';
// The hosted CI downloads Electron: there a missing binary is a broken install, not a reason to skip.
if (skip && process.env.RELAY_REQUIRE_ELECTRON === '1') throw new Error(`RELAY_REQUIRE_ELECTRON=1 but ${skip}`);
if (skip) console.log(`electron e2e skipped: ${skip}`);

let app: ElectronApplication | undefined;
let page: Page | undefined;
let ilert: FakeIlert | undefined;

before(async () => {
  if (!binary) return;
  ilert = await new FakeIlert().start();
  app = await electron.launch({
    executablePath: binary,
    args: [BUILT_MAIN, ...(process.platform === 'linux' ? ['--disable-gpu'] : [])],
    env: {
      ...process.env,
      RELAY_DATA_DIR: tempDataDir('electron-e2e-'),
      RELAY_PORT: '0',
      LEVEL_WEBHOOK_SECRET: SECRET,
      ILERT_INTEGRATION_KEY: INTEGRATION_KEY,
      ILERT_API_URL: ilert.url,
      RELAY_E2E_HOOKS: '1',
    },
  });
  page = await app.firstWindow();
  await page.getByTestId('app-ready').waitFor();
});

after(async () => {
  await app?.close().catch(() => undefined);
  await ilert?.stop();
});

test('the window opens on the Alerts view, served from app://', { skip }, async () => {
  assert.match(page!.url(), /^app:\/\/relay\//);
  assert.equal(await page!.title(), 'Level → ilert Relay');
  assert.equal(await page!.getByTestId('tab-alerts').getAttribute('aria-selected'), 'true');
});

test('window.relay is the only bridge, and an IPC round trip reaches the relay', { skip }, async () => {
  const exposed = await page!.evaluate(async () => {
    const relay = (window as unknown as { relay: { invoke(method: string, input: unknown): Promise<{ ok: boolean; value: { receiverListening: boolean } }> } }).relay;
    const status = await relay.invoke('getStatus', {});
    return { require: typeof (window as unknown as { require?: unknown }).require, ok: status.ok, listening: status.value.receiverListening };
  });
  assert.deepEqual(exposed, { require: 'undefined', ok: true, listening: true });
});

test('a critical alert raises a desktop notification', { skip }, async () => {
  await app!.evaluate(({ Notification }) => {
    // Resolves with the first notification's title once the app shows one.
    const first = new Promise<string>((resolve) => {
      const original = Notification.prototype.show;
      Notification.prototype.show = function show(this: NotificationType) {
        resolve(this.title);
        return original.call(this);
      };
    });
    Object.assign(globalThis, { firstNotification: first });
  });
  const receiverUrl = await page!.evaluate(async () => {
    const relay = (window as unknown as { relay: { invoke(method: string, input: unknown): Promise<{ value: { receiverUrl: string } }> } }).relay;
    return (await relay.invoke('getStatus', {})).value.receiverUrl;
  });
  await new LevelSender({ url: receiverUrl, secret: SECRET }).deliver(alertEvent({ severity: 'critical', name: 'RAID degraded' }));
  const title = await app!.evaluate(() =>
    Promise.race([
      (globalThis as unknown as { firstNotification: Promise<string> }).firstNotification,
      new Promise<string>((resolve) => setTimeout(() => resolve('(none within 10 s)'), 10_000)),
    ]),
  );
  assert.match(title, /RAID degraded|critical/i);
});

test('Quit in the tray menu ends the app', { skip }, async () => {
  const closed = new Promise((resolve) => app!.process().once('exit', resolve));
  await app!.evaluate(() => {
    const hooks = (globalThis as unknown as { relayTestHooks: { trayMenu(): Menu } }).relayTestHooks;
    hooks
      .trayMenu()
      .items.find((item) => item.label === 'Quit')!
      .click();
  });
  assert.equal(await closed, 0);
  app = undefined;
});
