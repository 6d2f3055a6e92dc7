/**
 * The tray app's updates, end to end under the strict stand-in: the built main.cjs with the real
 * electron-updater (bundled in it), an app-update.yml as electron-builder writes it beside app.asar,
 * and a generic feed (latest-linux.yml plus the release file) served from 127.0.0.1. On Linux
 * electron-updater's AppImage updater runs (APPIMAGE names the installed file). What runs here:
 * the check, the download and its sha512 check, and the offer in the tray and on Health. What
 * cannot: the install itself (it would replace and start the AppImage); the decisions behind it
 * are tests/unit/updates.test.ts.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { once } from 'node:events';
import type { UpdateView } from '../../shared/bridge.ts';
import { openDesktopPage } from '../helpers/desktop-page.ts';
import { launchDesktop, type DesktopProcess, type StandinEvent } from '../helpers/desktop-process.ts';
import { tempDataDir } from '../helpers/relay-harness.ts';

const RELEASE = '1.0.0';
const FILE = `Level-ilert-Relay-${RELEASE}.AppImage`;
const OFFER = `Version ${RELEASE} is available — restart to update`;
// The "new version": electron-updater starts it after installing, so a harmless script.
const release = Buffer.from(`#!/bin/sh\necho relaunched > "$(dirname "$0")/relaunched"\n# ${crypto.randomBytes(32).toString('hex')}\n`);
const feed = [
  `version: ${RELEASE}`,
  'files:',
  `  - url: ${FILE}`,
  `    sha512: ${crypto.createHash('sha512').update(release).digest('base64')}`,
  `    size: ${release.length}`,
  `path: ${FILE}`,
  `releaseDate: '2026-12-01T00:00:00.000Z'`,
  '',
].join('\n');

const requests: string[] = [];
const server = http.createServer((request, response) => {
  requests.push(request.url ?? '');
  server.emit('served', request.url);
  if (request.url?.startsWith('/latest-linux.yml')) response.writeHead(200, { 'content-type': 'text/yaml' }).end(feed);
  else if (request.url === `/${FILE}`) response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': release.length }).end(release);
  else response.writeHead(404).end();
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const feedUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
after(() => server.close());

/** What electron-builder's `publish:` puts beside app.asar, pointed at the test feed. */
function installedApp(): Record<string, string> {
  const resources = tempDataDir('resources-');
  fs.writeFileSync(path.join(resources, 'app-update.yml'), `provider: generic\nurl: ${feedUrl}\nupdaterCacheDirName: level-ilert-relay-updater\n`);
  const appImage = path.join(tempDataDir('appimage-'), 'Level-ilert-Relay-0.0.0.AppImage');
  fs.writeFileSync(appImage, 'the installed version');
  return { STANDIN_RESOURCES_PATH: resources, APPIMAGE: appImage };
}

async function update(app: DesktopProcess): Promise<UpdateView> {
  return (await app.invoke<UpdateView>('getUpdate')).value!;
}

test(
  'an installed app finds the newer release, downloads and verifies it, and offers it in the tray and on Health without installing',
  { skip: process.platform !== 'linux' && 'AppImage updater: Linux only' },
  async () => {
    const env = installedApp();
    const app = await launchDesktop({ env: { STANDIN_PACKAGED: '1', ...env } });
    try {
      assert.equal((await update(app)).phase, 'idle');
      requests.length = 0;
      // A wake checks when a check is due (as the first one is): no waiting for the 30 s start delay.
      await app.command('resume');
      const offered = await app.waitFor((event: StandinEvent) => event.event === 'tray' && (event.menu as string[]).includes(OFFER), 'the tray to offer the update', 20_000);
      assert.equal((offered.menu as string[])[0], OFFER, 'first in the tray menu');
      assert.deepEqual(
        requests.map((url) => url.replace(/\?.*/, '')),
        ['/latest-linux.yml', `/${FILE}`],
      );
      const view = await update(app);
      assert.equal(view.phase, 'ready');
      assert.equal(view.version, RELEASE);
      assert.equal(view.offer?.label, OFFER);
      assert.match(view.offer!.detail, /installs only when you choose Restart to update/);
      // Downloaded into the updater's cache; the installed AppImage is untouched and the app keeps running.
      const cached = path.join(app.home, '.cache/level-ilert-relay-updater/pending', FILE);
      assert.deepEqual(fs.readFileSync(cached), release);
      assert.equal(fs.readFileSync(env.APPIMAGE!, 'utf8'), 'the installed version');
      assert.equal(app.child.exitCode, null);
      assert.deepEqual(app.uncaught(), []);
    } finally {
      await app.kill();
    }
  },
);

test(
  'a development run and an app with updates switched off in Settings never ask the feed',
  { skip: process.platform !== 'linux' && 'AppImage updater: Linux only' },
  async () => {
    const env = installedApp();
    requests.length = 0;
    const development = await launchDesktop({ env });
    try {
      await development.command('resume');
      const view = await update(development);
      assert.deepEqual([view.phase, view.reason], ['off', 'a development run (npm start) never updates itself']);
    } finally {
      await development.kill();
    }

    const switchedOff = await launchDesktop({ env: { STANDIN_PACKAGED: '1', ...env } });
    try {
      const saved = await switchedOff.invoke<{ ok: boolean }>('updateSettings', { checkForUpdates: false });
      assert.equal(saved.value!.ok, true);
      await switchedOff.command('resume');
      const view = await update(switchedOff);
      assert.deepEqual([view.phase, view.reason], ['off', 'switched off in Settings']);
    } finally {
      await switchedOff.kill();
    }
    assert.deepEqual(requests, [], 'no request reached the feed');
  },
);

test(
  'Health offers the downloaded update; only "Restart to update" stops the relay and installs it',
  { skip: process.platform !== 'linux' && 'AppImage updater: Linux only' },
  async () => {
    const env = installedApp();
    const app = await launchDesktop({ env: { STANDIN_PACKAGED: '1', ...env } });
    const window = await openDesktopPage(app);
    try {
      await app.command('resume');
      await app.waitFor((event: StandinEvent) => event.event === 'tray' && (event.menu as string[]).includes(OFFER), 'the tray to offer the update', 20_000);
      const { page } = window;
      // First start asks where the relay runs.
      await page.getByRole('button', { name: 'Run the relay here' }).click();
      await page.getByTestId('tab-health').click();
      // Health asks again every 10 s.
      const banner = page.getByTestId('health-update');
      await banner.waitFor({ timeout: 20_000 });
      assert.equal(await banner.getAttribute('role'), 'status');
      assert.match(await banner.innerText(), new RegExp(`^${OFFER}`));
      assert.equal(app.child.exitCode, null, 'nothing is installed before the person asks');

      const exited = app.exited;
      await page.getByRole('button', { name: 'Restart to update' }).click();
      assert.equal(await exited, 0, app.diagnostics());
      assert.match(app.readLog(), /relay stopped/, 'the relay stopped cleanly before the install');
      const installed = path.join(path.dirname(env.APPIMAGE!), FILE);
      assert.deepEqual(fs.readFileSync(installed), release, 'the new version replaced the installed one');
      assert.equal(fs.existsSync(env.APPIMAGE!), false);
      assert.deepEqual(window.pageErrors, []);
    } finally {
      await window.close();
      await app.kill();
    }
  },
);
