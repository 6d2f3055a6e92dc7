/**
 * The desktop app in a real Electron, driven by Playwright. Electron's binary cannot be
 * downloaded on every machine (ELECTRON_SKIP_BINARY_DOWNLOAD=1 in CI): then these tests are
 * skipped and say why. Everything they cover is also covered under Node with a fake Electron.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { _electron as electron, type ElectronApplication, type Page } from 'playwright-core';
import { ROOT, tempDataDir } from '../helpers/relay-harness.ts';

function electronBinary(): string | undefined {
  const pathFile = path.join(ROOT, 'node_modules/electron/path.txt');
  if (!fs.existsSync(pathFile)) return undefined;
  const binary = path.join(ROOT, 'node_modules/electron/dist', fs.readFileSync(pathFile, 'utf8').trim());
  return fs.existsSync(binary) ? binary : undefined;
}

const binary = electronBinary();
const skip = binary ? false : 'the Electron binary is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD); run `npx install-electron` where downloads are allowed';
if (skip) console.log(`electron e2e skipped: ${skip}`);

let app: ElectronApplication | undefined;
let page: Page | undefined;

before(async () => {
  if (!binary) return;
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--mode', 'main', '--logLevel', 'warn'], { cwd: ROOT });
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--mode', 'preload', '--logLevel', 'warn'], { cwd: ROOT });
  app = await electron.launch({
    executablePath: binary,
    args: [path.join(ROOT, 'dist/electron/main.cjs'), '--no-sandbox', '--disable-gpu'],
    env: { ...process.env, RELAY_DATA_DIR: tempDataDir('electron-e2e-'), RELAY_PORT: '0' },
  });
  page = await app.firstWindow();
  await page.getByTestId('app-ready').waitFor();
});

after(async () => {
  await app?.close();
});

test('the window opens on the dashboard', { skip }, async () => {
  assert.match(page!.url(), /^app:\/\/relay\//);
  assert.equal(await page!.title(), 'Level → ilert Relay');
});

test('window.relay is the only bridge: no Node in the page', { skip }, async () => {
  const exposed = await page!.evaluate(() => ({
    relay: typeof (window as unknown as { relay?: { invoke?: unknown } }).relay?.invoke,
    require: typeof (window as unknown as { require?: unknown }).require,
    process: typeof (window as unknown as { process?: unknown }).process,
  }));
  assert.deepEqual(exposed, { relay: 'function', require: 'undefined', process: 'undefined' });
});

test('navigation away and window.open are denied', { skip }, async () => {
  const before = app!.windows().length;
  await page!.evaluate(() => window.open('https://example.com/'));
  await page!.evaluate(() => {
    window.location.href = 'https://example.com/';
  });
  await page!.getByTestId('app-ready').waitFor();
  assert.match(page!.url(), /^app:\/\/relay\//);
  assert.equal(app!.windows().length, before);
});
