/**
 * A team's relay in a real browser: the headless relay with its admin door on 0.0.0.0 over HTTPS
 * (reached through 127.0.0.1), the owner inviting a viewer, the viewer pairing a browser by the
 * link, seeing only what a viewer may do, and being shown the "open the link" page once revoked.
 * Only here is the self-signed certificate waved through, as a person would after comparing its
 * fingerprint.
 */
import { test, before, after } from 'node:test';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startRelayAndBrowser } from '../helpers/browser.ts';
import { startChildRelay, stopChildRelay, tempDataDir, type ChildRelay } from '../helpers/relay-harness.ts';

let relay: ChildRelay;
let browser: Browser;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];

before(async () => {
  [relay, browser] = await startRelayAndBrowser({ RELAY_DATA_DIR: tempDataDir('relay-team-e2e-'), RELAY_ADMIN_HOST: '0.0.0.0', RELAY_ADMIN_HOST_NAMES: '127.0.0.1' });
});

after(async () => {
  await browser?.close();
  await stopChildRelay(relay);
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1440, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (error) => pageErrors.push(`page error: ${error.message}`));
  return page;
}

test('over HTTPS: the owner invites a viewer, who pairs a browser by the link, sees a viewer’s dashboard, and is shut out when revoked', async () => {
  assert.match(relay.adminUrl, /^https:\/\/127\.0\.0\.1:\d+\//);
  const printedFingerprint = /certificate SHA-256 fingerprint: (\S+)/.exec(relay.output())?.[1];

  const owner = await newPage();
  await owner.goto(relay.adminUrl);
  await owner.getByTestId('app-ready').waitFor();
  assert.equal(await owner.getByTestId('tab-setup').count(), 1, 'the owner is an admin');
  await owner.getByTestId('tab-settings').click();
  assert.equal(await owner.getByTestId('door-fingerprint').textContent(), printedFingerprint, 'Settings shows the printed fingerprint');
  await owner.getByTestId('tab-team').click();

  await owner.getByTestId('invite-name').fill('Vic Viewer');
  await owner.getByTestId('invite-role').selectOption('viewer');
  await owner.getByTestId('invite-submit').click();
  const pairingUrl = (await owner.getByTestId('pairing-url').textContent())!;
  assert.match(pairingUrl, /^https:\/\/127\.0\.0\.1:\d+\/pair\?code=[A-Z2-9-]{19}$/);

  const viewer = await newPage();
  await viewer.goto(pairingUrl);
  await viewer.getByRole('button', { name: 'Pair and open the dashboard' }).click();
  await viewer.getByTestId('app-ready').waitFor();
  assert.equal(await viewer.locator('.app').getAttribute('data-role'), 'viewer');
  assert.equal(await viewer.getByTestId('tab-setup').count(), 0, 'a viewer is not offered setup');
  await viewer.getByTestId('tab-deliveries').click();
  assert.equal(await viewer.getByTestId('retry-all-failed').isVisible(), false, 'a viewer is not offered retries');
  await viewer.getByTestId('tab-team').click();
  assert.equal(await viewer.getByTestId('invite-form').count(), 0, 'a viewer does not manage the team');
  await viewer.getByTestId('audit-entry').filter({ hasText: 'invited Vic Viewer as viewer' }).waitFor();
  assert.match((await viewer.getByTestId('signed-in-as').textContent())!, /^Signed in as Vic Viewer \(viewer: /);

  // A new role without a new invitation: the viewer's next look says operator.
  await owner.getByTestId('tab-team').click();
  await owner.getByRole('combobox', { name: 'Role of Vic Viewer' }).selectOption('operator');
  await owner.getByTestId('audit-entry').filter({ hasText: 'changed Vic Viewer’s role from viewer to operator' }).waitFor();
  await viewer.reload();
  await viewer.getByTestId('app-ready').waitFor();
  assert.equal(await viewer.locator('.app').getAttribute('data-role'), 'operator');

  const row = owner.locator('[data-testid="member"][data-member="Vic Viewer"]');
  await row.waitFor();
  owner.once('dialog', (dialog) => void dialog.accept());
  await row.getByRole('button', { name: 'Revoke' }).click();
  await owner.locator('[data-testid="member"][data-member="Vic Viewer"][data-state="revoked"]').waitFor();

  // The open tab: its live stream ends, the next check finds the token revoked.
  await viewer.getByTestId('stale-token').waitFor();
  assert.match((await viewer.getByTestId('stale-token').textContent())!, /Open the link the relay printed/);
  assert.equal(await viewer.locator('.app.app-stale').count(), 1, 'the stale indicators are greyed out');

  // The same browser opening the dashboard afresh gets the page, not JSON.
  const fresh = await viewer.context().newPage();
  const response = await fresh.goto(new URL('/', relay.adminUrl).href);
  assert.equal(response?.status(), 401);
  assert.match(response?.headers()['content-type'] ?? '', /text\/html/);
  await fresh.getByRole('heading', { name: 'Open the link the relay printed' }).waitFor();
  assert.deepEqual(pageErrors, []);
});

test('the owner rotates the admin link from Settings: this tab moves to the new link, the old link gets the "open the link" page', async () => {
  const owner = await newPage();
  await owner.goto(relay.adminUrl);
  await owner.getByTestId('app-ready').waitFor();
  await owner.getByTestId('tab-settings').click();
  owner.once('dialog', (dialog) => void dialog.accept());
  // The page's URL already matches before it moves (it carries only a #/settings address): wait for the new document.
  const reloaded = owner.waitForEvent('load');
  await owner.getByTestId('rotate-admin-link').click();
  await reloaded;
  await owner.waitForURL((url) => url.pathname === '/' && url.search === '');
  await owner.getByTestId('app-ready').waitFor();
  assert.equal(await owner.getByTestId('stale-token').count(), 0, 'the rotating tab keeps working with the new link');

  const old = await newPage();
  const response = await old.goto(relay.adminUrl);
  assert.equal(response?.status(), 401, 'the old link no longer opens the dashboard');
  await old.getByRole('heading', { name: 'Open the link the relay printed' }).waitFor();
  assert.deepEqual(pageErrors, []);
});

test('the pairing page and the “open the link” page are styled like the dashboard and axe-clean in light and dark', async () => {
  const axeScript = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
  const found: string[] = [];
  for (const colorScheme of ['light', 'dark'] as const) {
    // axe is injected as a script tag, which the pages' CSP refuses: bypassed for this context only.
    const context = await browser.newContext({ ignoreHTTPSErrors: true, colorScheme, bypassCSP: true, viewport: { width: 720, height: 800 } });
    contexts.push(context);
    const page = await context.newPage();
    for (const [where, pathname] of [
      ['pairing page', '/pair?code=ABCD-EFGH-JKMN-PQRS'],
      ['open-the-link page', '/'],
    ] as const) {
      await page.goto(new URL(pathname, relay.adminUrl).href);
      await page.addScriptTag({ path: axeScript });
      const violations = (await page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<{ violations: { id: string; impact: string }[] }> } }).axe;
        return (await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] })).violations;
      })) as { id: string; impact: string }[];
      found.push(
        ...violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical').map((violation) => `${where} (${colorScheme}): ${violation.id}`),
      );
      const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
      assert.ok(fits, `${where} fits 720 px`);
    }
    const pair = page;
    await pair.goto(new URL('/pair?code=ABCD-EFGH-JKMN-PQRS', relay.adminUrl).href);
    const background = await pair.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(background, colorScheme === 'dark' ? 'rgb(15, 20, 27)' : 'rgb(238, 241, 245)', 'the dashboard’s background colour');
    assert.equal(await pair.getByLabel('Pairing code').inputValue(), 'ABCD-EFGH-JKMN-PQRS');
  }
  assert.deepEqual(found, []);
});

test('an invitation made while the door is loopback-only shows why its link reaches nobody else, and how to open the door', async (t) => {
  const loopback = await startChildRelay({ RELAY_DATA_DIR: tempDataDir('relay-team-loopback-') });
  t.after(() => stopChildRelay(loopback));
  const owner = await newPage();
  await owner.goto(loopback.adminUrl);
  await owner.getByTestId('app-ready').waitFor();
  await owner.getByTestId('tab-team').click();
  await owner.getByTestId('invite-name').fill('Lou Loopback');
  await owner.getByTestId('invite-submit').click();
  const warning = owner.getByTestId('invitation-warning');
  await warning.waitFor();
  assert.match(
    (await warning.textContent())!,
    /listens on this machine only \(127\.0\.0\.1:\d+\), so nobody else can open this link yet\. To share the relay, restart it with RELAY_ADMIN_HOST=0\.0\.0\.0/,
  );
  assert.equal(await warning.getAttribute('role'), 'alert', 'read out when it appears');
  assert.deepEqual(pageErrors, []);
});
