/**
 * The Electron stand-in must be as strict as Electron, or the desktop tests prove nothing. A small
 * main script does each thing real Electron refuses, under the stand-in, and reports what happened.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DesktopProcess } from '../helpers/desktop-process.ts';
import { tempDataDir } from '../helpers/relay-harness.ts';

const probe = `
import { app, BrowserWindow, Tray, Notification, protocol, ipcMain, safeStorage, session, powerMonitor, nativeImage } from 'electron';
const throws = (fn) => { try { fn(); return false; } catch { return true; } };
const results = {};
results.beforeReady = {
  BrowserWindow: throws(() => new BrowserWindow({})),
  Tray: throws(() => new Tray(nativeImage.createEmpty())),
  Notification: throws(() => new Notification({ title: 'x' })),
  session: throws(() => session.defaultSession),
  powerMonitor: throws(() => powerMonitor.on('resume', () => {})),
  safeStorage: throws(() => safeStorage.isEncryptionAvailable()),
  protocolHandle: throws(() => protocol.handle('app', () => new Response(''))),
};
results.readyWhileMainScriptRuns = app.isReady();
protocol.registerSchemesAsPrivileged([{ scheme: 'app', privileges: { standard: true, secure: true } }]);
ipcMain.handle('channel', () => 1);
results.secondHandler = throws(() => ipcMain.handle('channel', () => 2));
const order = [];
app.on('before-quit', () => order.push('before-quit'));
app.on('will-quit', () => order.push('will-quit'));
app.on('quit', () => order.push('quit'));
app.whenReady().then(() => {
  results.schemesAfterReady = throws(() => protocol.registerSchemesAsPrivileged([{ scheme: 'late' }]));
  const gone = new BrowserWindow({ show: false });
  gone.destroy();
  results.sendToDestroyed = throws(() => gone.webContents.send('channel', 1));
  app.setLoginItemSettings({ openAtLogin: true });
  results.loginItemOnLinux = app.getLoginItemSettings().openAtLogin;
  results.keyring = { available: safeStorage.isEncryptionAvailable(), backend: safeStorage.getSelectedStorageBackend() };
  results.decryptGarbage = throws(() => safeStorage.decryptString(Buffer.from('not sealed')));
  const window = new BrowserWindow({});
  let refuseClose = true;
  window.on('close', (event) => { order.push('close'); if (refuseClose) { refuseClose = false; event.preventDefault(); } });
  app.quit();
  results.quitCancelledByClose = { order: [...order], windowOpen: !window.isDestroyed() };
  order.length = 0;
  new Notification({ title: 'nobody holds me' }).show();
  globalThis.held = new Notification({ title: 'held' });
  globalThis.held.on('click', () => process.send({ event: 'held-clicked' }));
  globalThis.held.show();
  globalThis.quitOrder = order;
  app.on('quit', () => process.send({ event: 'quit-order', order: [...order] }));
  process.send({ event: 'probe', results });
});
`;

test('the stand-in refuses what Electron refuses, and quits and collects like Electron', async (t) => {
  const dir = tempDataDir('standin-probe-');
  const main = path.join(dir, 'main.mjs');
  fs.writeFileSync(main, probe);
  const app = new DesktopProcess({ main });
  t.after(() => app.kill());
  const { results } = (await app.waitFor((event) => event.event === 'probe', 'the probe')) as unknown as { results: Record<string, unknown> };
  assert.deepEqual(results.beforeReady, { BrowserWindow: true, Tray: true, Notification: true, session: true, powerMonitor: true, safeStorage: true, protocolHandle: true });
  assert.equal(results.readyWhileMainScriptRuns, false, 'ready comes after the main script');
  assert.equal(results.secondHandler, true);
  assert.equal(results.schemesAfterReady, true);
  assert.equal(results.sendToDestroyed, true);
  assert.equal(results.loginItemOnLinux, false, 'setLoginItemSettings does nothing on Linux');
  assert.deepEqual(results.keyring, { available: true, backend: 'basic_text' }, 'Linux without a keyring: available, in plain text');
  assert.equal(results.decryptGarbage, true);
  assert.deepEqual(results.quitCancelledByClose, { order: ['before-quit', 'close'], windowOpen: true }, 'a prevented close cancels the quit');

  assert.deepEqual(await app.command('gc'), [false, true], 'an unreferenced notification is collected');
  assert.deepEqual(await app.command('notificationClick', { index: 0 }), { fired: false }, 'its click reaches nobody');
  assert.deepEqual(await app.command('notificationClick', { index: 1 }), { fired: true });
  await app.waitFor((event) => event.event === 'held-clicked', 'the held notification’s click');

  await app.command('osQuit');
  const quit = await app.waitFor((event) => event.event === 'quit-order', 'the quit sequence');
  assert.deepEqual(quit.order, ['before-quit', 'close', 'will-quit', 'quit']);
  assert.equal(await app.exited, 0);
});

test('safeStorage.decryptString can be made to fail, as a denied Keychain or a locked keyring does', async (t) => {
  const dir = tempDataDir('standin-decrypt-');
  const main = path.join(dir, 'main.mjs');
  fs.writeFileSync(
    main,
    `import { app, safeStorage } from 'electron';
app.whenReady().then(() => {
  const sealed = safeStorage.encryptString('secret');
  let failed = false;
  try { safeStorage.decryptString(sealed); } catch { failed = true; }
  process.send({ event: 'probe', failed });
  app.quit();
});`,
  );
  const app = new DesktopProcess({ main, env: { STANDIN_DECRYPT_FAILS: '1' } });
  t.after(() => app.kill());
  assert.equal((await app.waitFor((event) => event.event === 'probe', 'the probe')).failed, true);
});
