/**
 * A technician's tray app attached to a team relay: the built desktop app under the strict
 * Electron stand-in, and the headless relay (a child process) with its admin door on 0.0.0.0 over
 * HTTPS. Pairing with the certificate pinned, no local receiver, a notification for an alert sent
 * to the headless relay, an Accept recorded as the technician, "disconnected since" while the relay
 * is down, reconnecting on wake, and a changed certificate refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { alertKeyFor } from '../../electron/core/ilert/event-mapping.ts';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { launchDesktop, type StandinEvent } from '../helpers/desktop-process.ts';
import { freePort, INTEGRATION_KEY, SECRET, startChildRelay, stopChildRelay, tempDataDir, type ChildRelay } from '../helpers/relay-harness.ts';

/** The owner's call over HTTPS, trusting only the certificate in the relay's data directory. */
function ownerCall<T>(relay: ChildRelay, dataDir: string, method: string, input: unknown): Promise<T> {
  const admin = new URL(relay.adminUrl);
  const body = JSON.stringify(input);
  return new Promise((resolve, reject) => {
    const request = https.request(
      {
        host: '127.0.0.1',
        port: admin.port,
        path: `/api/${method}`,
        method: 'POST',
        ca: fs.readFileSync(path.join(dataDir, 'admin-tls.crt')),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.searchParams.get('token')}` },
      },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk));
        response.on('end', () => (response.statusCode === 200 ? resolve(JSON.parse(text) as T) : reject(new Error(`${method}: ${response.statusCode} ${text}`))));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

const trayTooltip = (pattern: RegExp) => (event: StandinEvent) => event.event === 'tray' && pattern.test(String(event.tooltip));

test('the tray app attaches to a team relay: notifications, Accept as the technician, disconnected since, reconnect, a changed certificate refused', async () => {
  const ilert = await new FakeIlert().start();
  const relayDir = tempDataDir('team-relay-');
  const adminPort = String(await freePort());
  const relayEnv = {
    RELAY_DATA_DIR: relayDir,
    RELAY_ADMIN_HOST: '0.0.0.0',
    RELAY_ADMIN_HOST_NAMES: '127.0.0.1',
    RELAY_ADMIN_PORT: adminPort,
    LEVEL_WEBHOOK_SECRET: SECRET,
    ILERT_INTEGRATION_KEY: INTEGRATION_KEY,
    ILERT_API_URL: ilert.url,
  };
  let relay: ChildRelay | undefined;
  let app: Awaited<ReturnType<typeof launchDesktop>> | undefined;
  try {
    relay = await startChildRelay(relayEnv);
    // macOS, where the toast carries "Accept in ilert".
    app = await launchDesktop({ env: { LEVEL_WEBHOOK_SECRET: SECRET, STANDIN_PLATFORM: 'darwin' } });
    const origin = `https://127.0.0.1:${adminPort}`;
    const printed = /certificate SHA-256 fingerprint: (\S+)/.exec(relay.output())![1]!;
    const { pairingCode } = await ownerCall<{ pairingCode: string }>(relay, relayDir, 'createMember', { name: 'Tess Tech', role: 'operator' });

    assert.equal((await app.invoke<{ mode: string }>('getConnection')).value!.mode, 'unchosen', 'first start: the choice is offered');
    const localStatus = await app.invoke<{ receiverUrl: string }>('getStatus');
    const localReceiver = localStatus.value!.receiverUrl;

    const probe = await app.invoke<{ fingerprint256: string }>('probeTeamRelay', { url: `${origin}/` });
    assert.equal(probe.value?.fingerprint256, printed, 'the app shows the fingerprint the relay printed');
    const wrong = await app.invoke('connectTeamRelay', { url: origin, code: pairingCode, fingerprint256: 'AA:BB' });
    assert.equal(wrong.ok, false);
    assert.match(wrong.error!.message, /not the one you confirmed/);

    const connected = await app.invoke<{ mode: string; name: string; role: string }>('connectTeamRelay', { url: origin, code: pairingCode, fingerprint256: printed });
    assert.equal(connected.ok, true, JSON.stringify(connected.error));
    assert.deepEqual({ mode: connected.value!.mode, name: connected.value!.name, role: connected.value!.role }, { mode: 'remote', name: 'Tess Tech', role: 'operator' });
    await assert.rejects(fetch(localReceiver.replace('/webhooks/level', '/healthz')), 'no local receiver once attached');
    const remoteStatus = await app.invoke<{ receiverUrl: string }>('getStatus');
    assert.equal(remoteStatus.value?.receiverUrl, relay.url, 'the window shows the team relay');
    const me = await app.invoke<{ name: string; role: string }>('whoAmI');
    assert.deepEqual({ name: me.value?.name, role: me.value?.role }, { name: 'Tess Tech', role: 'operator' });
    assert.equal((await app.invoke('updateSettings', { retentionDays: 3 })).error?.code, 'forbidden', 'the team relay enforces the role');
    await app.waitFor(trayTooltip(/no active alerts/), 'the tray to show the team relay’s state');

    const event = alertEvent({ severity: 'critical', name: 'Team server down' });
    await new LevelSender({ url: relay.url, secret: SECRET, attempts: 1 }).deliver(event);
    const toast = await app.waitFor(
      (seen) => seen.event === 'notification' && /Team server down/.test(JSON.stringify(seen.options)),
      'a notification for the headless relay’s alert',
    );
    assert.equal((toast.options as { urgency: string }).urgency, 'critical');

    const key = alertKeyFor(event.data.id);
    await ilert.waitFor(() => ilert.eventsFor(key).some((received) => received.eventType === 'ALERT'), 5000, 'the ALERT in ilert');
    assert.deepEqual(await app.command('notificationClick', { index: toast.index, action: true }), { fired: true }, 'Accept on the toast');
    await ilert.waitFor(() => ilert.eventsFor(key).some((received) => received.eventType === 'ACCEPT'), 5000, 'the ACCEPT in ilert');
    assert.match(JSON.stringify(ilert.eventsFor(key).find((received) => received.eventType === 'ACCEPT')!.body.comments), /Tess Tech/);
    const audit = await ownerCall<{ actor: string; action: string }[]>(relay, relayDir, 'listAudit', { limit: 20 });
    assert.ok(
      audit.some((entry) => entry.actor === 'Tess Tech' && entry.action === 'accept'),
      'recorded as that technician',
    );

    await stopChildRelay(relay);
    await app.waitFor(trayTooltip(/disconnected since \d\d:\d\d from https:\/\/127\.0\.0\.1/), 'the tray to say since when it is disconnected');

    relay = await startChildRelay(relayEnv);
    const back = app.next(trayTooltip(/^(?!.*disconnected)/), 'the tray to reconnect');
    await app.command('resume');
    await back;

    await stopChildRelay(relay);
    fs.rmSync(path.join(relayDir, 'admin-tls.crt'));
    fs.rmSync(path.join(relayDir, 'admin-tls.key'));
    relay = await startChildRelay(relayEnv);
    const refused = app.next(trayTooltip(/certificate changed/), 'a changed certificate to be refused');
    await app.command('resume');
    await refused;
    const status = await app.invoke('getStatus');
    assert.equal(status.ok, false);
    assert.match(status.error!.message, /certificate changed \(pinned .*, now .*\): refused/);

    await app.command('trayClick', { label: 'Quit' });
    assert.equal(await app.exited, 0, app.diagnostics());
    assert.deepEqual(app.uncaught(), []);
    assert.doesNotMatch(app.readLog(), new RegExp(pairingCode), 'the pairing code is not logged');
  } finally {
    await app?.kill();
    await stopChildRelay(relay);
    await ilert.stop();
  }
});

test('attached once, the app starts attached: no local receiver, the team relay in the window', async () => {
  const relayDir = tempDataDir('team-relay-');
  const dataDir = tempDataDir('desktop-data-');
  let relay: ChildRelay | undefined;
  let app: Awaited<ReturnType<typeof launchDesktop>> | undefined;
  try {
    relay = await startChildRelay({ RELAY_DATA_DIR: relayDir, RELAY_ADMIN_HOST: '0.0.0.0', RELAY_ADMIN_HOST_NAMES: '127.0.0.1' });
    app = await launchDesktop({ dataDir });
    const origin = new URL(relay.adminUrl).origin;
    const { pairingCode } = await ownerCall<{ pairingCode: string }>(relay, relayDir, 'createMember', { name: 'Vic Viewer', role: 'viewer' });
    const { fingerprint256 } = (await app.invoke<{ fingerprint256: string }>('probeTeamRelay', { url: origin })).value!;
    assert.equal((await app.invoke('connectTeamRelay', { url: origin, code: pairingCode, fingerprint256 })).ok, true);
    await app.command('trayClick', { label: 'Quit' });
    await app.exited;
    const loggedBefore = app.readLog().length;
    const stateFile = path.join(app.home, '.config', 'Level ilert Relay', 'desktop.json');
    assert.equal((fs.statSync(stateFile).mode & 0o777).toString(8), '600', 'the token is readable by this user only');
    assert.equal(fs.existsSync(path.join(dataDir, 'connection.json')), false, 'the desktop state is in its store, not beside the relay’s');

    app = await launchDesktop({ dataDir, home: app.home });
    assert.equal((await app.invoke<{ mode: string }>('getConnection')).value!.mode, 'remote');
    assert.equal((await app.invoke<{ receiverUrl: string }>('getStatus')).value?.receiverUrl, relay.url);
    const logged = app.readLog().slice(loggedBefore);
    assert.match(logged, /info {2}team relay: attached at https:\/\/127\.0\.0\.1:\d+ as Vic Viewer \(viewer\); no local receiver/);
    assert.doesNotMatch(logged, /relay started: receiver/, 'no local relay was started');
    assert.equal((await app.invoke('rerunJob', { id: 1 })).error?.code, 'forbidden', 'a viewer gets 403 from the team relay');

    const local = await app.invoke<{ mode: string }>('useLocalRelay');
    assert.equal(local.value?.mode, 'local', '"Run the relay here" detaches');
    const own = await app.invoke<{ receiverUrl: string }>('getStatus');
    assert.notEqual(own.value?.receiverUrl, relay.url);
    assert.equal((await fetch(own.value!.receiverUrl.replace('/webhooks/level', '/healthz'))).status, 200, 'its own receiver runs again');
  } finally {
    await app?.kill();
    await stopChildRelay(relay);
  }
});
