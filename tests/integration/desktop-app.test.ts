import { test } from 'node:test';
import { once, type EventEmitter } from 'node:events';
import assert from 'node:assert/strict';
import { methods } from '../../shared/contract.ts';
import fs from 'node:fs';
import path from 'node:path';
import { startDesktopApp } from '../../electron/main/desktop-app.ts';
import { IPC_CHANGES_CHANNEL, IPC_INVOKE_PREFIX, IPC_NAVIGATE_CHANNEL } from '../../shared/bridge.ts';
import { createFakeElectron } from '../fakes/fake-electron.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { INTEGRATION_KEY, ROOT, SECRET, tempDataDir } from '../helpers/relay-harness.ts';
import { waitForEvent, waitForStore } from '../helpers/wait.ts';

function paths() {
  const rendererDir = tempDataDir('renderer-');
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>relay</title>');
  return { rendererDir, preload: '/app/dist/electron/preload.cjs', trayIconDir: path.join(ROOT, 'build/tray'), appIcon: path.join(ROOT, 'build/icon.png') };
}

async function launch(options: Parameters<typeof createFakeElectron>[0] = {}, extraEnv: Record<string, string> = {}) {
  const fake = createFakeElectron(options);
  const dataDir = tempDataDir('desktop-');
  const env = { RELAY_DATA_DIR: dataDir, RELAY_PORT: '0', LEVEL_WEBHOOK_SECRET: SECRET, ...extraEnv };
  const desktop = await startDesktopApp(fake.electron, paths(), env);
  return { ...fake, desktop, dataDir };
}

test('a second instance quits at once and starts nothing', async () => {
  const { desktop, record } = await launch({ singleInstance: false });
  assert.equal(record.quitCalls, 1);
  assert.equal(desktop.relay, undefined);
  assert.equal(record.windows.length, 0);
});

test('the window is hardened and loads the app from app://relay/', async () => {
  const { desktop, record } = await launch();
  try {
    const [window] = record.windows;
    assert.deepEqual(
      {
        contextIsolation: window!.options.webPreferences.contextIsolation,
        sandbox: window!.options.webPreferences.sandbox,
        nodeIntegration: window!.options.webPreferences.nodeIntegration,
        webviewTag: window!.options.webPreferences.webviewTag,
      },
      { contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false },
    );
    assert.equal(window!.loadedUrl, 'app://relay/');
    let granted: boolean | undefined;
    record.permissionHandler!(undefined, 'media', (value) => (granted = value));
    assert.equal(granted, false, 'no permission is ever granted to the page');
  } finally {
    await desktop.quit();
  }
});

test('window.open and navigation away are denied; https links go to the OS browser, nothing else does', async () => {
  const { desktop, record } = await launch();
  try {
    const contents = record.windows[0]!.webContents;
    assert.deepEqual(contents.windowOpenHandler!({ url: 'https://app.ilert.com/' }), { action: 'deny' });
    assert.deepEqual(contents.windowOpenHandler!({ url: 'http://example.com/' }), { action: 'deny' });
    assert.deepEqual(contents.windowOpenHandler!({ url: 'file:///etc/passwd' }), { action: 'deny' });
    assert.deepEqual(record.openedExternally, ['https://app.ilert.com/']);
    assert.equal(contents.attempt('will-navigate', 'https://evil.example/'), true);
    assert.equal(contents.attempt('will-navigate', 'file:///etc/passwd'), true);
    assert.equal(contents.attempt('will-redirect', 'http://127.0.0.1:8788/'), true);
    assert.equal(contents.attempt('will-navigate', 'app://relay/index.html'), false, 'in-app navigation is fine');
  } finally {
    await desktop.quit();
  }
});

test('the app protocol serves the renderer with the CSP, and nothing outside it', async () => {
  const { desktop, record } = await launch();
  try {
    const page = await record.protocolHandler!(new Request('app://relay/'));
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>relay<\/title>/);
    assert.match(page.headers.get('content-security-policy')!, /default-src 'self'; script-src 'self'/);
    const escape = await record.protocolHandler!(new Request('app://relay/..%2f..%2fetc%2fpasswd'));
    assert.equal(escape.status, 404);
  } finally {
    await desktop.quit();
  }
});

test('IPC handlers answer the app and refuse every other sender', async () => {
  const { desktop, record } = await launch();
  try {
    const getStatus = record.ipcHandlers.get(`${IPC_INVOKE_PREFIX}getStatus`)!;
    const trusted = (await getStatus({ senderFrame: { url: 'app://relay/index.html' } }, {})) as { ok: boolean; value: { receiverListening: boolean } };
    assert.equal(trusted.ok, true);
    assert.equal(trusted.value.receiverListening, true);
    for (const senderFrame of [{ url: 'https://evil.example/' }, { url: 'file:///tmp/x.html' }, null]) {
      const refused = (await getStatus({ senderFrame }, {})) as { ok: boolean; error: { message: string } };
      assert.equal(refused.ok, false);
      assert.match(refused.error.message, /did not come from the app/);
    }
    const bad = (await record.ipcHandlers.get(`${IPC_INVOKE_PREFIX}rerunJob`)!({ senderFrame: { url: 'app://relay/' } }, { id: -1 })) as { ok: boolean; error: { code: string } };
    assert.deepEqual(bad.error.code, 'bad_input', 'inputs are validated with the contract');
    assert.equal(record.ipcHandlers.size, Object.keys(methods).length, 'one handler per contract method');
  } finally {
    await desktop.quit();
  }
});

test('closing the window hides it to the tray; Quit in the tray menu really quits and stops the relay', async () => {
  const { desktop, record, app } = await launch();
  const window = record.windows[0]!;
  assert.equal(window.visible, true);
  window.userClose();
  assert.equal(window.visible, false);
  assert.equal(window.destroyed, false, 'hidden, not closed');
  const tray = record.trays[0]!;
  assert.deepEqual(tray.menu.map((item) => item.label ?? item.type), ['Open', 'Pause notifications for 1 hour', 'Copy webhook URL', 'separator', 'Quit']);
  tray.click('Open');
  assert.equal(window.visible, true);
  tray.click('Copy webhook URL');
  assert.match(record.clipboard[0]!, /^http:\/\/127\.0\.0\.1:\d+\/webhooks\/level$/);
  const quit = once(app, 'quit');
  tray.click('Quit');
  await quit;
  assert.equal(desktop.relay!.store.closed, true, 'the relay stopped before the app quit');
  window.userClose();
  assert.equal(window.destroyed, true, 'after Quit the window closes for real');
});

test('a webhook turns the tray critical, pops one notification that opens the alert, and reaches the window batched', async () => {
  const notConfigured = await launch();
  assert.match(notConfigured.record.trays[0]!.image, /problem\.png$/, 'no ilert key configured: a relay problem');
  await notConfigured.desktop.quit();

  const ilert = await new FakeIlert().start();
  const { desktop, record } = await launch({}, { ILERT_INTEGRATION_KEY: INTEGRATION_KEY, ILERT_API_URL: ilert.url });
  try {
    const tray = record.trays[0]!;
    assert.match(tray.image, /clear\.png$/);
    const sender = new LevelSender({ url: desktop.relay!.receiverUrl!, secret: SECRET });
    const burst = [alertEvent({ severity: 'critical', name: 'Disk full' }), alertEvent({ severity: 'warning' }), alertEvent({ severity: 'critical' })];
    await Promise.all(burst.map((event) => sender.deliver(event)));
    await waitFor(record, () => record.notifications.length > 0 && record.windows[0]!.webContents.sent.some((message) => message.channel === IPC_CHANGES_CHANNEL));
    assert.equal(record.notifications.length, 1, 'a burst is one notification');
    assert.equal(record.notifications[0]!.options.title, '3 new alerts, 2 critical');
    assert.equal(record.notifications[0]!.options.urgency, 'critical');
    assert.match(tray.tooltip, /2 critical, 1 warning/);
    assert.match(tray.image, /critical\.png$/);

    const single = alertEvent({ severity: 'emergency', name: 'Server down' });
    await sender.deliver(single);
    await waitFor(record, () => record.notifications.length === 2);
    record.windows[0]!.hide();
    record.notifications[1]!.emit('click');
    assert.equal(record.windows[0]!.visible, true);
    assert.deepEqual(record.windows[0]!.webContents.sent.at(-1), { channel: IPC_NAVIGATE_CHANNEL, value: { view: 'alerts', levelAlertId: single.data.id } });

    tray.click('Pause notifications for 1 hour');
    assert.match(tray.tooltip, /notifications paused until/);
    await sender.deliver(alertEvent({ severity: 'critical' }));
    await waitForStore(desktop.relay!.store, () => desktop.relay!.read.listAlerts(Date.now()).active.length === 5);
    assert.equal(record.notifications.length, 2, 'paused: no new toast');
    assert.ok(tray.menu.some((item) => item.label === 'Resume notifications'));
  } finally {
    await desktop.quit();
    await ilert.stop();
  }
});

test('secrets are encrypted with safeStorage; without a keyring the user is told they are plain text', async () => {
  const withKeyring = await launch();
  try {
    const update = withKeyring.record.ipcHandlers.get(`${IPC_INVOKE_PREFIX}updateSettings`)!;
    const saved = (await update({ senderFrame: { url: 'app://relay/' } }, { ilertIntegrationKey: 'il1apiSECRETKEY123' })) as { ok: boolean; value: { ok: boolean } };
    assert.equal(saved.value.ok, true);
    const onDisk = fs.readFileSync(path.join(withKeyring.dataDir, 'settings.json'), 'utf8');
    assert.doesNotMatch(onDisk, /il1apiSECRETKEY123/);
    assert.match(onDisk, /enc:v1:/);
  } finally {
    await withKeyring.desktop.quit();
  }
  const noKeyring = await launch({ keyring: false });
  try {
    const view = (await noKeyring.record.ipcHandlers.get(`${IPC_INVOKE_PREFIX}getSettings`)!({ senderFrame: { url: 'app://relay/' } }, {})) as { value: { problems: string[] } };
    assert.ok(view.value.problems.some((problem) => /stored in plain text/.test(problem)));
  } finally {
    await noKeyring.desktop.quit();
  }
});

test('start at login follows the setting', async () => {
  const { desktop, record } = await launch();
  try {
    assert.deepEqual(record.loginItem, { openAtLogin: false });
    await record.ipcHandlers.get(`${IPC_INVOKE_PREFIX}updateSettings`)!({ senderFrame: { url: 'app://relay/' } }, { startAtLogin: true });
    assert.deepEqual(record.loginItem, { openAtLogin: true });
  } finally {
    await desktop.quit();
  }
});

/** Resolves once `check` holds, re-checked whenever the fake Electron records something. */
function waitFor(record: { changed: EventEmitter }, check: () => boolean): Promise<boolean> {
  return waitForEvent(record.changed, 'change', check, 5000, 'the desktop app');
}
