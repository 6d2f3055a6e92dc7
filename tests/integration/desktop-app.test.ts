/**
 * The desktop app as users install it: the built dist/electron/main.cjs, run in a child process
 * with the strict Electron stand-in in place of `electron` (tests/fakes/electron-standin).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { methods } from '../../shared/contract.ts';
import { desktopMethods } from '../../shared/bridge.ts';
import { APP_USER_MODEL_ID } from '../../electron/main/desktop-app.ts';
import { alertKeyFor } from '../../electron/core/ilert/event-mapping.ts';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { launchDesktop, DesktopProcess, type StandinEvent } from '../helpers/desktop-process.ts';
import { INTEGRATION_KEY, ROOT, SECRET, startChildRelay, tempDataDir } from '../helpers/relay-harness.ts';

type Status = { receiverUrl: string; receiverListening: boolean };
const isEvent = (name: string) => (event: StandinEvent) => event.event === name;

async function receiverUrl(app: DesktopProcess): Promise<string> {
  const status = await app.invoke<Status>('getStatus');
  assert.equal(status.ok, true, JSON.stringify(status.error));
  return status.value!.receiverUrl;
}

/** Quits through the tray, as a user would, and checks the process ends cleanly. */
async function trayQuit(app: DesktopProcess): Promise<void> {
  await app.command('trayClick', { label: 'Quit' });
  assert.equal(await app.exited, 0, app.diagnostics());
}

test('the built app starts: page and assets through app:// with the CSP, hardened window, no menu, no error', async (t) => {
  const app = await launchDesktop({ env: { LEVEL_WEBHOOK_SECRET: SECRET } });
  t.after(() => app.kill());
  const state = await app.state();
  assert.equal(state.ready, true);
  assert.deepEqual(
    state.privilegedSchemes.map((entry) => entry.scheme),
    ['app'],
    'registered before ready',
  );
  const loaded = app.events.find(isEvent('loaded'))!;
  assert.equal(loaded.url, 'app://relay/');
  const resources = loaded.resources as { url: string; status: number; csp: string | null }[];
  assert.ok(
    resources.some((resource) => /\.js$/.test(resource.url)),
    `the page names its script: ${JSON.stringify(resources)}`,
  );
  for (const resource of resources) {
    assert.equal(resource.status, 200, resource.url);
    assert.match(resource.csp ?? '', /default-src 'self'; script-src 'self'/, resource.url);
  }
  const webPreferences = state.windows[0]!.webPreferences;
  assert.deepEqual(
    {
      contextIsolation: webPreferences.contextIsolation,
      sandbox: webPreferences.sandbox,
      nodeIntegration: webPreferences.nodeIntegration,
      webviewTag: webPreferences.webviewTag,
    },
    { contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false },
  );
  assert.match(String(webPreferences.preload), /dist\/electron\/preload\.cjs$/);
  assert.ok(fs.existsSync(String(webPreferences.preload)), 'the preload the window names exists');
  assert.equal(state.applicationMenu, null, 'no default menu (it offers DevTools)');
  assert.equal(state.windows[0]!.menuRemoved, true);
  assert.equal(state.windows[0]!.visible, true);
  assert.equal(state.trays[0]!.empty, false, `the tray icon file exists: ${state.trays[0]!.image}`);
  assert.match(state.trays[0]!.image, /tray\/linux\/clear\.png$|tray\/linux\/problem\.png$/);
  assert.equal(await app.command('permission', { permission: 'media' }), false, 'no permission is ever granted');
  const escape = await app.command<{ status: number }>('protocolFetch', { url: 'app://relay/..%2f..%2fpackage.json' });
  assert.equal(escape.status, 404, 'nothing outside the renderer is served');
  const health = await fetch(`${(await receiverUrl(app)).replace('/webhooks/level', '')}/healthz`);
  assert.equal(health.status, 200, 'the receiver answers /healthz');
  assert.deepEqual(app.uncaught(), []);
  await trayQuit(app);
  assert.deepEqual(app.uncaught(), [], 'no error box and no uncaught exception on the way out');
});

test('IPC answers the app’s own frame, refuses any other, validates input, one handler per method', async (t) => {
  const app = await launchDesktop();
  t.after(() => app.kill());
  const trusted = await app.invoke<Status>('getStatus', {}, 'app://relay/index.html');
  assert.equal(trusted.ok, true);
  assert.equal(trusted.value!.receiverListening, true);
  for (const frame of ['https://evil.example/', 'file:///tmp/x.html', 'app://elsewhere/', null]) {
    const refused = await app.invoke('getStatus', {}, frame);
    assert.equal(refused.ok, false, `frame ${frame}`);
    assert.match(refused.error!.message, /did not come from the app/);
  }
  const bad = await app.invoke('rerunJob', { id: -1 });
  assert.equal(bad.error!.code, 'bad_input');
  const state = await app.state();
  assert.equal(state.ipcChannels.length, Object.keys(methods).length + Object.keys(desktopMethods).length);
});

test('window.open and navigation away are denied; https links go to the OS browser', async (t) => {
  const app = await launchDesktop();
  t.after(() => app.kill());
  assert.deepEqual(await app.command('windowOpen', { url: 'https://app.ilert.com/' }), { action: 'deny' });
  assert.deepEqual(await app.command('windowOpen', { url: 'file:///etc/passwd' }), { action: 'deny' });
  assert.deepEqual(
    app.events.filter(isEvent('openExternal')).map((event) => event.url),
    ['https://app.ilert.com/'],
  );
  assert.equal(await app.command('windowAttempt', { event: 'will-navigate', url: 'https://evil.example/' }), true);
  assert.equal(await app.command('windowAttempt', { event: 'will-redirect', url: 'http://127.0.0.1:8788/' }), true);
  assert.equal(await app.command('windowAttempt', { event: 'will-navigate', url: 'app://relay/index.html' }), false);
});

test('a critical alert raises a notification that still opens the alert after garbage collection; a burst is one toast', async (t) => {
  const ilert = await new FakeIlert().start();
  const app = await launchDesktop({ env: { LEVEL_WEBHOOK_SECRET: SECRET, ILERT_INTEGRATION_KEY: INTEGRATION_KEY, ILERT_API_URL: ilert.url } });
  t.after(async () => {
    await app.kill();
    await ilert.stop();
  });
  const sender = new LevelSender({ url: await receiverUrl(app), secret: SECRET });
  const burst = [alertEvent({ severity: 'critical', name: 'Disk full' }), alertEvent({ severity: 'warning' }), alertEvent({ severity: 'critical' })];
  await Promise.all(burst.map((event) => sender.deliver(event)));
  const first = await app.waitFor(isEvent('notification'), 'a notification');
  assert.deepEqual((first.options as { title: string }).title, '3 new alerts, 2 critical');
  assert.equal((first.options as { urgency: string }).urgency, 'critical');
  await app.waitFor((event) => event.event === 'tray' && /critical\.png$/.test(String(event.image)), 'the tray to turn critical');

  const single = alertEvent({ severity: 'emergency', name: 'Server down' });
  await sender.deliver(single);
  const second = await app.next(isEvent('notification'), 'the second notification');
  await app.command('windowClose');
  // Minutes later: nothing but the app holds the toast, and the collector has run.
  const alive = await app.command<boolean[]>('gc');
  assert.equal(alive[Number(second.index)], true, 'the app keeps its notification referenced');
  const navigate = app.next((event) => event.event === 'send' && event.channel === 'relay:navigate', 'navigation to the alert');
  assert.deepEqual(await app.command('notificationClick', { index: second.index }), { fired: true });
  assert.deepEqual((await navigate).value, { view: 'alerts', levelAlertId: single.data.id });
  assert.equal((await app.state()).windows[0]!.visible, true);

  await app.command('trayClick', { label: 'Pause notifications for 1 hour' });
  assert.match((await app.state()).trays[0]!.tooltip, /notifications paused until/);
  const before = app.events.filter(isEvent('notification')).length;
  await sender.deliver(alertEvent({ severity: 'critical' }));
  await app.next((event) => event.event === 'send' && event.channel === 'relay:changes', 'the change to reach the window');
  await app.state(); // its reply comes after anything the app reported before it
  assert.equal(app.events.filter(isEvent('notification')).length, before, 'paused: no new toast');
  await trayQuit(app);
});

test('Accept on a notification goes through the contract: ilert gets the ACCEPT and the audit has its row', async (t) => {
  const ilert = await new FakeIlert().start();
  // Only macOS shows the Accept button on a toast.
  const app = await launchDesktop({ env: { STANDIN_PLATFORM: 'darwin', LEVEL_WEBHOOK_SECRET: SECRET, ILERT_INTEGRATION_KEY: INTEGRATION_KEY, ILERT_API_URL: ilert.url } });
  t.after(async () => {
    await app.kill();
    await ilert.stop();
  });
  const event = alertEvent({ severity: 'critical', name: 'Printer on fire' });
  await new LevelSender({ url: await receiverUrl(app), secret: SECRET }).deliver(event);
  const toast = await app.waitFor(isEvent('notification'), 'the notification');
  assert.deepEqual((toast.options as { actions: unknown[] }).actions, [{ type: 'button', text: 'Accept in ilert' }]);
  const key = alertKeyFor(event.data.id);
  await ilert.waitFor(() => ilert.eventsFor(key).some((received) => received.eventType === 'ALERT'), 5000, 'the ALERT in ilert');

  assert.deepEqual(await app.command('notificationClick', { index: toast.index, action: true }), { fired: true });
  await ilert.waitFor(() => ilert.eventsFor(key).some((received) => received.eventType === 'ACCEPT'), 5000, 'the ACCEPT in ilert');
  const audit = await app.invoke<{ actor: string; action: string; detail: string }[]>('listAudit', { limit: 20 });
  assert.ok(
    audit.value!.some((entry) => entry.action === 'accept' && entry.detail.includes(event.data.id)),
    `the audit names the Accept: ${JSON.stringify(audit.value)}`,
  );
  assert.deepEqual(app.uncaught(), []);
});

test('quitting from the OS (Cmd-Q, logout) runs before-quit: the relay stops, then the app exits 0', async (t) => {
  const app = await launchDesktop({ env: { LEVEL_WEBHOOK_SECRET: SECRET } });
  t.after(() => app.kill());
  await app.command('osQuit');
  assert.equal(await app.exited, 0, app.diagnostics());
  assert.match(app.readLog(), /relay stopped/);
  // The data directory is free again: a new start works on it.
  const again = await launchDesktop({ dataDir: app.dataDir });
  await trayQuit(again);
});

test('closing the window hides it to the tray; Open shows it; Maintenance… opens the window form; a second instance starts nothing', async () => {
  const app = await launchDesktop();
  try {
    await app.command('windowClose');
    assert.equal((await app.state()).windows[0]!.visible, false, 'hidden, not closed');
    await app.command('trayClick', { label: 'Open' });
    assert.equal((await app.state()).windows[0]!.visible, true);
    assert.deepEqual((await app.state()).trays[0]!.menu, ['Open', 'Maintenance…', 'Pause notifications for 1 hour', 'Copy webhook URL', 'Open logs', 'separator', 'Quit']);
    // "Maintenance…" opens the dashboard at the new maintenance window form (Routing reads it from the address too: #/routing?window=new).
    await app.command('windowClose');
    const navigate = app.next((event) => event.event === 'send' && event.channel === 'relay:navigate', 'navigation to the maintenance form');
    await app.command('trayClick', { label: 'Maintenance…' });
    assert.deepEqual((await navigate).value, { view: 'routing', newWindow: true });
    assert.equal((await app.state()).windows[0]!.visible, true, 'the window shows with the form');
    await app.command('trayClick', { label: 'Copy webhook URL' });
    assert.match(String((await app.waitFor(isEvent('clipboard'), 'the webhook URL on the clipboard')).text), /^http:\/\/127\.0\.0\.1:\d+\/webhooks\/level$/);
    await app.command('trayClick', { label: 'Open logs' });
    assert.equal(app.events.find(isEvent('openPath'))!.path, app.logFile());
  } finally {
    await app.kill();
  }
  const second = new DesktopProcess({ env: { STANDIN_SECOND_INSTANCE: '1' } });
  assert.equal(await second.exited, 0);
  assert.equal(second.events.filter(isEvent('window')).length, 0);
});

test('Windows: toasts carry the appId from electron-builder.yml, and session-end stops the relay', async (t) => {
  const builderConfig = fs.readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8');
  assert.match(builderConfig, new RegExp(`^appId: ${APP_USER_MODEL_ID.replaceAll('.', '\\.')}$`, 'm'));
  const app = await launchDesktop({ env: { STANDIN_PLATFORM: 'win32' } });
  t.after(() => app.kill());
  assert.equal((await app.state()).appUserModelId, APP_USER_MODEL_ID);
  assert.match((await app.state()).trays[0]!.image, /tray\/win\//);
  await app.command('sessionEnd');
  await waitForLog(app, /relay stopped/);
});

test('macOS: template tray icons, a Dock icon only while the window shows, and a Dock click reopens it', async (t) => {
  const app = await launchDesktop({ env: { STANDIN_PLATFORM: 'darwin' } });
  t.after(() => app.kill());
  const tray = (await app.state()).trays[0]!;
  assert.equal(tray.template, true);
  assert.match(tray.image, /tray\/mac\/\w+Template\.png$/);
  assert.equal(tray.empty, false);
  assert.notEqual((await app.state()).applicationMenu, null, 'macOS keeps Cmd-Q and copy/paste');
  await app.command('windowClose');
  assert.equal((await app.state()).dockVisible, false);
  await app.command('activate');
  const state = await app.state();
  assert.equal(state.windows[0]!.visible, true);
  assert.equal(state.dockVisible, true);
});

test('Linux tray icons are 24 px with @2x versions for every state', () => {
  for (const state of ['clear', 'warning', 'critical', 'problem', 'paused']) {
    for (const [suffix, size] of [
      ['', 24],
      ['@2x', 48],
    ] as const) {
      const png = fs.readFileSync(path.join(ROOT, 'build/tray/linux', `${state}${suffix}.png`));
      assert.equal(png.readUInt32BE(16), size, `${state}${suffix}.png`);
    }
  }
  const ico = fs.readFileSync(path.join(ROOT, 'build/icon.ico'));
  assert.equal(ico.readUInt16LE(2), 1, 'an .ico app icon for Windows');
  assert.ok(ico.readUInt16LE(4) >= 4);
});

test('start at login: Linux gets an XDG autostart entry that starts hidden; a development run registers nothing', async (t) => {
  const packaged = await launchDesktop({ env: { STANDIN_PACKAGED: '1' } });
  const entry = path.join(packaged.home, '.config/autostart/level-ilert-relay.desktop');
  try {
    const saved = await packaged.invoke<{ ok: boolean }>('updateSettings', { startAtLogin: true });
    assert.equal(saved.value!.ok, true);
    assert.match(fs.readFileSync(entry, 'utf8'), /^Exec=".+" --hidden$/m);
    assert.deepEqual((await packaged.state()).loginItem, { openAtLogin: false }, "Electron's own setting does nothing on Linux");
    await packaged.invoke('updateSettings', { startAtLogin: false });
    assert.equal(fs.existsSync(entry), false);
  } finally {
    await packaged.kill();
  }

  const development = await launchDesktop();
  try {
    await development.invoke('updateSettings', { startAtLogin: true });
    assert.equal(fs.existsSync(path.join(development.home, '.config/autostart/level-ilert-relay.desktop')), false);
    await waitForLog(development, /start at login: works only in the installed app/);
  } finally {
    await development.kill();
  }

  const windows = await launchDesktop({ env: { STANDIN_PLATFORM: 'win32', STANDIN_PACKAGED: '1' } });
  t.after(() => windows.kill());
  await windows.invoke('updateSettings', { startAtLogin: true });
  assert.deepEqual((await windows.state()).loginItem, { openAtLogin: true, args: ['--hidden'] });
});

test('started at login (--hidden), the app stays in the tray', async (t) => {
  const app = new DesktopProcess({ args: ['--hidden'] });
  t.after(() => app.kill());
  await app.started();
  assert.equal((await app.state()).windows[0]!.visible, false);
  assert.equal(
    app.events.some((event) => event.event === 'window-visible' && event.visible === true),
    false,
  );
});

test('secrets: encrypted with a keyring; Linux without one (basic_text) says they are plain text', async (t) => {
  const withKeyring = await launchDesktop({ env: { STANDIN_KEYRING: 'gnome_libsecret' } });
  try {
    const saved = await withKeyring.invoke<{ ok: boolean }>('updateSettings', { ilertIntegrationKey: 'il1apiSECRETKEY123' });
    assert.equal(saved.value!.ok, true);
    const onDisk = fs.readFileSync(path.join(withKeyring.dataDir, 'settings.json'), 'utf8');
    assert.doesNotMatch(onDisk, /il1apiSECRETKEY123/);
    assert.match(onDisk, /enc:v1:/);
  } finally {
    await withKeyring.kill();
  }
  const basicText = await launchDesktop();
  t.after(() => basicText.kill());
  const view = await basicText.invoke<{ problems: string[] }>('getSettings');
  assert.ok(
    view.value!.problems.some((problem) => /stored in plain text/.test(problem)),
    JSON.stringify(view.value!.problems),
  );
});

test('a secret the keychain will not decrypt: the window explains it, and entering it again starts the relay', async (t) => {
  const dataDir = tempDataDir('desktop-locked-keychain-');
  fs.writeFileSync(path.join(dataDir, 'settings.json'), JSON.stringify({ levelWebhookSecret: 'enc:v1:bm90LXNlYWxlZA==', port: 0 }));
  const app = await launchDesktop({ dataDir, env: { STANDIN_KEYRING: 'gnome_libsecret' } });
  t.after(() => app.kill());
  assert.deepEqual(app.uncaught(), [], 'no error box: the window says it');
  assert.equal((await app.state()).windows[0]!.visible, true);
  assert.match((await app.state()).trays[0]!.image, /problem\.png$/);
  const status = await app.invoke('getStatus');
  assert.equal(status.error!.code, 'unavailable');
  const problem = await app.invoke<{ kind: string; secrets: string[] }>('getStartupProblem');
  assert.equal(problem.value!.kind, 'secrets');
  assert.deepEqual(problem.value!.secrets, ['levelWebhookSecret']);
  const resolved = await app.invoke<{ started: boolean }>('resolveStartupProblem', { action: 'replaceSecrets', values: { levelWebhookSecret: SECRET } });
  assert.equal(resolved.value!.started, true);
  const sender = new LevelSender({ url: await receiverUrl(app), secret: SECRET });
  assert.equal((await sender.deliver(alertEvent({ severity: 'warning' }))).acknowledged, true, 'the re-entered secret verifies Level’s signature');
  await trayQuit(app);
});

test('a database that cannot be opened: choose another data directory, and the choice is remembered', async (t) => {
  const home = tempDataDir('desktop-home-');
  const defaultDir = path.join(home, '.config', 'Level ilert Relay');
  fs.mkdirSync(defaultDir, { recursive: true });
  fs.writeFileSync(path.join(defaultDir, 'relay.sqlite'), 'this is not a database, it is a text file that got in the way');
  const env = { RELAY_DATA_DIR: '', XDG_CONFIG_HOME: path.join(home, '.config') };
  const app = await launchDesktop({ home, env });
  t.after(() => app.kill());
  const problem = await app.invoke<{ kind: string; message: string; canChooseDataDir: boolean }>('getStartupProblem');
  assert.equal(problem.value!.kind, 'database');
  assert.match(problem.value!.message, /cannot be opened/);
  assert.equal(problem.value!.canChooseDataDir, true);
  const elsewhere = tempDataDir('desktop-chosen-');
  await app.command('answerOpenDialog', { paths: [elsewhere] });
  const resolved = await app.invoke<{ started: boolean }>('resolveStartupProblem', { action: 'chooseDataDir' });
  assert.equal(resolved.value!.started, true);
  assert.ok(fs.existsSync(path.join(elsewhere, 'relay.sqlite')));
  await trayQuit(app);
  const again = await launchDesktop({ home, env });
  assert.equal((await again.invoke('getStartupProblem')).value, null, 'the chosen directory is used from then on');
  await trayQuit(again);
});

test('the first start with the desktop store carries connection.json and data-directory.txt into it, and removes them', async (t) => {
  const home = tempDataDir('desktop-upgrade-home-');
  const appDir = path.join(home, '.config', 'Level ilert Relay');
  const chosenDir = tempDataDir('desktop-upgrade-chosen-');
  fs.mkdirSync(appDir, { recursive: true });
  fs.writeFileSync(path.join(appDir, 'data-directory.txt'), `${chosenDir}\n`);
  // As the app before the store wrote it: the token sealed by the keychain (the stand-in's seal).
  const sealed = `enc:v1:${Buffer.from(`sealed:${Buffer.from('rt_PERSONALTOKEN42').toString('base64')}`).toString('base64')}`;
  const pin = { fingerprint256: 'AB:CD', certPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' };
  const old = { mode: 'remote', origin: 'https://127.0.0.1:9', pin, token: sealed, name: 'Tess Tech', role: 'operator', notifyMinSeverity: 'critical', notifyResolves: true };
  fs.writeFileSync(path.join(chosenDir, 'connection.json'), JSON.stringify(old));
  const env = { RELAY_DATA_DIR: '', XDG_CONFIG_HOME: path.join(home, '.config'), STANDIN_KEYRING: 'gnome_libsecret' };

  const app = await launchDesktop({ home, env });
  t.after(() => app.kill());
  const connection = await app.invoke<Record<string, unknown>>('getConnection');
  assert.deepEqual(
    { ...connection.value, connected: undefined, disconnectedSince: undefined, lastError: undefined },
    {
      mode: 'remote',
      origin: 'https://127.0.0.1:9',
      fingerprint256: 'AB:CD',
      name: 'Tess Tech',
      role: 'operator',
      notifyMinSeverity: 'critical',
      notifyResolves: true,
      connected: undefined,
      disconnectedSince: undefined,
      lastError: undefined,
    },
  );
  assert.equal(fs.existsSync(path.join(appDir, 'data-directory.txt')), false, 'the old choice file is gone');
  assert.equal(fs.existsSync(path.join(chosenDir, 'connection.json')), false, 'the old connection file is gone');
  const stored = fs.readFileSync(path.join(appDir, 'desktop.json'), 'utf8');
  assert.doesNotMatch(stored, /rt_PERSONALTOKEN42/, 'the token stays sealed');
  assert.equal(JSON.parse(stored).dataDirectory, chosenDir);
  assert.equal((fs.statSync(path.join(appDir, 'desktop.json')).mode & 0o777).toString(8), '600');

  // The chosen directory is where this app's own relay runs, once it runs one again.
  assert.equal((await app.invoke<{ mode: string }>('useLocalRelay')).value!.mode, 'local');
  assert.ok(fs.existsSync(path.join(chosenDir, 'relay.sqlite')), 'the relay runs in the directory chosen before the upgrade');
  await trayQuit(app);
  assert.doesNotMatch(app.readLog(), /rt_PERSONALTOKEN42/);

  // A store the schema refuses is set aside, not fatal: the choice is offered again.
  fs.writeFileSync(path.join(appDir, 'desktop.json'), JSON.stringify({ connection: { mode: 'sideways' } }));
  const again = await launchDesktop({ home, env });
  assert.equal((await again.invoke<{ mode: string }>('getConnection')).value!.mode, 'unchosen');
  assert.ok(fs.existsSync(path.join(appDir, 'desktop.json.invalid')), 'the refused file is kept beside it');
  assert.deepEqual(again.uncaught(), []);
  await trayQuit(again);
});

test('a data directory another relay is using: the window names the other relay and offers another directory', async (t) => {
  const dataDir = tempDataDir('desktop-shared-dir-');
  const headless = await startChildRelay({ RELAY_DATA_DIR: dataDir, RELAY_ADMIN_PORT: '0' });
  const app = await launchDesktop({ dataDir });
  t.after(async () => {
    await app.kill();
    headless.child.kill('SIGTERM');
    await headless.exited;
  });
  const problem = await app.invoke<{ kind: string; message: string }>('getStartupProblem');
  assert.equal(problem.value!.kind, 'database');
  assert.match(problem.value!.message, /in use by another relay \(pid \d+\)/);
  assert.deepEqual(app.uncaught(), []);
});

test('the log file is in the OS log directory, says what happened, and never holds a secret', async (t) => {
  const ilert = await new FakeIlert().start();
  const app = await launchDesktop({ env: { LEVEL_WEBHOOK_SECRET: SECRET, ILERT_INTEGRATION_KEY: INTEGRATION_KEY, ILERT_API_URL: ilert.url } });
  t.after(async () => {
    await app.kill();
    await ilert.stop();
  });
  const sender = new LevelSender({ url: await receiverUrl(app), secret: SECRET });
  await sender.deliver(alertEvent({ severity: 'critical' }));
  await app.invoke('updateSettings', { ilertApiKey: 'il1usrTOPSECRETKEY42' });
  await trayQuit(app);
  const log = app.readLog();
  assert.match(log, /relay started/);
  assert.match(log, /relay stopped/);
  for (const secret of [SECRET, INTEGRATION_KEY, 'il1usrTOPSECRETKEY42']) assert.ok(!log.includes(secret), `the log holds ${secret}`);
});

/** Waits for the app's log file to match, watching its directory for writes. */
async function waitForLog(app: DesktopProcess, pattern: RegExp, timeoutMs = 5000): Promise<void> {
  if (pattern.test(app.readLog())) return;
  const dir = path.dirname(app.logFile());
  fs.mkdirSync(dir, { recursive: true });
  await new Promise<void>((resolve, reject) => {
    const watcher = fs.watch(dir, () => {
      if (!pattern.test(app.readLog())) return;
      clearTimeout(timer);
      watcher.close();
      resolve();
    });
    const timer = setTimeout(() => {
      watcher.close();
      reject(new Error(`the log never matched ${pattern}:\n${app.readLog()}`));
    }, timeoutMs);
    if (pattern.test(app.readLog())) watcher.emit('change');
  });
}
