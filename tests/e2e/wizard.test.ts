/**
 * The setup wizard in a real browser (Debian's chromium through playwright-core) against the real
 * headless relay, started with nothing configured but its data directory and ilert's address (a fake
 * ilert with one API alert source). A local reverse proxy stands in for the tunnel. The renderer must
 * be built first (`npm test` does it in `pretest`; by hand: `npx vite build`).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { alertEvent, LevelSender } from '../fakes/level-sender.ts';
import { startReverseProxy, type ReverseProxy } from '../fakes/reverse-proxy.ts';
import { freePort, ROOT, startChildRelay, tempDataDir, stopChildRelay, type ChildRelay } from '../helpers/relay-harness.ts';
import { callAdmin, openDashboard, startRelayAndBrowser, screenshot } from '../helpers/browser.ts';

const FAKE_CLOUDFLARED = path.join(ROOT, 'tests/fakes/fake-cloudflared.mjs');

const INTEGRATION_KEY = 'il1api5f3c9e0a7b2d4e6f8a1c3e5b';
const API_KEY = 'wizard-user-api-key-0123456789';
const SOURCE_NAME = 'Level alerts (wizard)';
const POLICY_NAME = 'MSP on-call';

let ilert: FakeIlert;
let relay: ChildRelay;
/** A second relay that can run (fake) cloudflared, for the tunnel part of step 2. */
let tunnelRelay: ChildRelay | undefined;
let proxy: ReverseProxy;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[] = [];
/** The webhook secret the wizard generated, as the user would paste it into Level. */
let webhookSecret = '';

before(async () => {
  ilert = await new FakeIlert().start();
  ilert.addAlertSource({ integrationKey: INTEGRATION_KEY, name: SOURCE_NAME, escalationPolicy: { id: 7, name: POLICY_NAME } });
  ilert.apiKeys.add(API_KEY);
  // ilert answers 404 on the Events API for a key that belongs to no alert source.
  [relay, browser] = await startRelayAndBrowser({ RELAY_DATA_DIR: tempDataDir('relay-wizard-'), ILERT_API_URL: ilert.url });
  proxy = await startReverseProxy(new URL(relay.url).origin);
  ({ context, page, errors: pageErrors } = await openDashboard(browser, relay.adminUrl, { width: 1440, height: 1000 }));
});

after(async () => {
  await browser?.close();
  await Promise.all([stopChildRelay(relay), stopChildRelay(tunnelRelay)]);
  await proxy?.stop();
  await ilert?.stop();
});

const apiCall = <T>(method: string, input: unknown = {}) => callAdmin<T>(page, method, input);

type Setup = { configured: Record<'ilert' | 'publicUrl' | 'levelSecret' | 'heartbeat' | 'ilertApiKey', boolean>; publicUrl?: string; webhookUrl?: string };

async function openSetupStep(step: 'ilert' | 'receiver' | 'level' | 'test'): Promise<void> {
  await page.getByTestId(`setup-step-${step}`).click();
  await page.locator(`[data-testid="setup-step-${step}"][aria-current="step"]`).waitFor();
}

test('before setup, Health says what is missing and "Run setup" opens the wizard at step 1', async () => {
  // A first start with nothing configured lands on Setup, not on an empty Alerts board.
  await page.locator('#tab-setup[aria-selected="true"]').waitFor();
  await page.getByRole('tab', { name: 'Health' }).click();
  await page.getByTestId('health-view').waitFor();
  // Nothing is set up: that is a problem on Health's one list, counted alike in the status bar and the tab's badge.
  await page.getByTestId('diagnosis-ilert-not-configured').filter({ hasText: 'No ilert integration key' }).waitFor();
  assert.equal(await page.getByTestId('health-all-ok').count(), 0);
  const listed = await page.locator('[data-testid="diagnoses"] > li').count();
  assert.equal(await page.getByTestId('health-badge').innerText(), String(listed));
  assert.equal(await page.getByTestId('status-problems').innerText(), listed === 1 ? '1 problem' : `${listed} problems`);
  await page.getByTestId('health-receiver').filter({ hasText: 'listening' }).waitFor();
  await screenshot(page, 'health-before-setup', true);
  await page.getByTestId('run-setup').click();
  await page.getByTestId('setup-view').waitFor();
  assert.equal(await page.getByRole('tab', { name: 'Setup' }).getAttribute('aria-selected'), 'true');
  await page.locator('[data-testid="setup-step-ilert"][aria-current="step"]').waitFor();
  await page.getByTestId('setup-ilert').waitFor();
});

test('an unknown integration key gets ilert’s 404 in step 1, and nothing can be saved', async () => {
  await openSetupStep('ilert');
  const save = page.getByTestId('ilert-save');
  assert.equal(await save.isDisabled(), true);
  assert.match(await page.getByTestId('ilert-save-reason').innerText(), /Enter the integration key/);
  await page.getByTestId('ilert-key').fill('  il1apiffffffffffffffffffffff00  ');
  // Without a user API key the check could only fail: it says so, and saving unchecked is offered.
  assert.equal(await page.getByTestId('ilert-check').isDisabled(), true);
  assert.match(await page.getByTestId('ilert-check-reason').innerText(), /needs an ilert user API key/);
  await page.getByTestId('ilert-save-unchecked').waitFor();
  await page.getByTestId('ilert-api-key').fill(API_KEY);
  await page.getByTestId('ilert-check').click();
  const problem = page.getByTestId('ilert-check-error');
  await problem.waitFor();
  const text = await problem.innerText();
  assert.match(text, /404|not found|no alert source/i, `the message names ilert's answer: ${text}`);
  assert.ok(!text.includes(API_KEY), 'the API key is not in the message');
  assert.equal(await save.isDisabled(), true, 'a key ilert does not know cannot be saved');
  assert.match(await page.getByTestId('ilert-save-reason').innerText(), /problem/);
  await screenshot(page, 'setup-ilert-unknown-key', true);
  assert.equal((await apiCall<Setup>('getSetup')).configured.ilert, false);
});

test('an unreachable URL gets the specific reachability message in step 2', async () => {
  await openSetupStep('receiver');
  await page.getByTestId('setup-receiver').waitFor();
  assert.equal(await page.getByTestId('receiver-continue').isDisabled(), true, 'no continuing before the URL is checked');

  const deadUrl = `http://127.0.0.1:${await freePort()}`;
  await page.getByTestId('public-url').fill(deadUrl);
  await page.getByTestId('reachability-check').click();
  const failed = page.getByTestId('reachability-failed');
  await failed.waitFor();
  const message = await failed.getByTestId('reachability-message').innerText();
  assert.match(message, /refused|not running|nothing (is )?listen|connect/i, `a specific message for a closed port: ${message}`);

  // Something answers there, but it is not this relay (the fake ilert's 404).
  await page.getByTestId('public-url').fill(ilert.url);
  await page.getByTestId('reachability-check').click();
  await page
    .getByTestId('reachability-failed')
    .filter({ hasText: ilert.url.replace('http://', '') })
    .waitFor();
  const other = await page.getByTestId('reachability-failed').getByTestId('reachability-message').innerText();
  assert.notEqual(other, message, 'a different problem gets a different message');
  await screenshot(page, 'setup-receiver-unreachable', true);

  const setup = await apiCall<Setup>('getSetup');
  assert.equal(setup.configured.publicUrl, false, 'a URL that does not work is not saved');
  assert.equal(await page.getByTestId('receiver-continue').isDisabled(), true);
});

test('a new user, starting from nothing and following only the wizard, reaches "test passed" against the fake ilert', async () => {
  // Step 1: ilert.
  await openSetupStep('ilert');
  await page.getByTestId('ilert-key').fill(` ${INTEGRATION_KEY} `);
  await page.getByTestId('ilert-api-key').fill(API_KEY);
  await page.getByTestId('ilert-check').click();
  const checked = page.getByTestId('ilert-check-result');
  await checked.waitFor();
  assert.equal(await checked.getByTestId('ilert-source-name').innerText(), SOURCE_NAME);
  assert.match(await checked.getByTestId('ilert-source-policy').innerText(), new RegExp(POLICY_NAME));
  assert.equal(await checked.getByTestId('ilert-source-type').innerText(), 'API');
  await screenshot(page, 'setup-ilert-checked', true);
  await page.getByTestId('ilert-save').click();

  // Step 2: the reverse proxy plays the tunnel.
  await page.locator('[data-testid="setup-step-receiver"][aria-current="step"]').waitFor();
  await page.locator('[data-testid="setup-step-ilert"][data-done="true"]').waitFor();
  const afterIlert = await apiCall<Setup>('getSetup');
  assert.equal(afterIlert.configured.ilert, true);
  assert.equal(afterIlert.configured.ilertApiKey, true);
  await page.getByTestId('public-url').fill(`  ${proxy.url}  `);
  await page.getByTestId('reachability-check').click();
  const reachable = page.getByTestId('reachability-ok');
  await reachable.waitFor();
  assert.match(await reachable.getByTestId('reachability-message').innerText(), /reached this relay in \d+ ms/);
  // The proxy speaks plain http: fine for this test, and the wizard says Level will want https.
  assert.match(await reachable.getByTestId('reachability-notes').innerText(), /https/);
  await page
    .getByTestId('receiver-webhook-url')
    .filter({ hasText: `${proxy.url}/webhooks/level` })
    .waitFor();
  await screenshot(page, 'setup-receiver-reachable', true);
  await page.getByTestId('receiver-continue').click();

  // Step 3: Level.
  await page.locator('[data-testid="setup-step-level"][aria-current="step"]').waitFor();
  assert.equal(await page.getByTestId('webhook-url').innerText(), `${proxy.url}/webhooks/level`);
  await page.getByTestId('copy-webhook-url').click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `${proxy.url}/webhooks/level`);
  await page.getByTestId('required-event-alert_active').waitFor();
  await page.getByTestId('required-event-alert_resolved').waitFor();
  await page.getByTestId('secret-generate').click();
  const secret = await page.getByTestId('secret-value').innerText();
  assert.match(secret, /^[0-9a-f]{64}$/);
  webhookSecret = secret;
  await page.getByTestId('copy-secret-value').click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
  assert.equal(await page.getByTestId('level-continue').isDisabled(), true, 'a generated secret must be saved (or discarded) before moving on');
  await page.getByTestId('secret-value-save').click();
  await page.getByTestId('secret-value-saved').waitFor();
  assert.equal((await apiCall<Setup>('getSetup')).configured.levelSecret, true);
  await page.getByTestId('automation').locator('summary').click();
  await page.getByTestId('automation-template').waitFor();
  await screenshot(page, 'setup-level', true);
  await page.getByTestId('level-continue').click();

  // Step 4: the synthetic test, followed hop by hop.
  await page.locator('[data-testid="setup-step-test"][aria-current="step"]').waitFor();
  await page.getByTestId('test-synthetic').click();
  await page.getByTestId('test-hops').waitFor();
  await page.getByTestId('test-passed').waitFor({ timeout: 30_000 });
  const hops = await page
    .getByTestId('test-hops')
    .locator('li')
    .evaluateAll((items) => items.map((item) => [item.getAttribute('data-testid'), item.getAttribute('data-status')]));
  assert.deepEqual(
    hops,
    ['received', 'signature', 'sent', 'ilert-alert', 'resolve-sent', 'ilert-resolved'].map((id) => [`test-hop-${id}`, 'ok']),
  );
  await page.locator('[data-testid="setup-step-test"][data-done="true"]').waitFor();
  await screenshot(page, 'setup-test-passed', true);

  // What ilert holds: one alert, from this key, marked as a test, and resolved.
  const run = await apiCall<{ levelAlertId?: string; outcome: string }>('getIntegrationTest');
  assert.equal(run.outcome, 'passed');
  const alert = (run.levelAlertId && ilert.alertByKey(`level-alert-${run.levelAlertId}`)) || ilert.alerts.find((entry) => /test/i.test(entry.summary));
  assert.ok(alert, `ilert holds the test alert (alerts: ${JSON.stringify(ilert.alerts.map((entry) => entry.summary))})`);
  assert.equal(alert.status, 'RESOLVED');
  assert.match(alert.summary, /test/i, `the summary says it is a test: ${alert.summary}`);
  const source = ilert.alertSources.find((entry) => entry.integrationKey === INTEGRATION_KEY)!;
  assert.equal(alert.sourceId, source.id, 'the alert went to the alert source the wizard checked');
  assert.ok(proxy.requests.length > 0 && ilert.events.every((event) => event.integrationKey === INTEGRATION_KEY), 'everything went through the "tunnel" and to the checked key');

  await page.getByTestId('test-done').click();
  await page.getByTestId('alerts-view').waitFor();
  assert.equal(await page.getByRole('tab', { name: 'Alerts' }).getAttribute('aria-selected'), 'true');
});

test('"Wait for a test alert from Level" waits live, can be cancelled and tried again, and follows Level’s alert to ilert', async () => {
  assert.ok(webhookSecret, 'the secret the wizard generated (previous test)');
  await page.getByRole('tab', { name: 'Setup' }).click();
  await openSetupStep('test');
  await page.getByTestId('test-wait').click();
  await page
    .getByTestId('test-waiting')
    .filter({ hasText: /waiting for Level/i })
    .waitFor();
  await page.locator('[data-testid="test-hop-received"][data-status="waiting"]').waitFor();
  assert.equal(await page.getByTestId('test-synthetic').isDisabled(), true, 'one test at a time');
  await page.getByTestId('test-cancel').click();
  await page.getByTestId('test-cancelled').waitFor();

  await page.getByTestId('test-retry').click();
  await page.getByTestId('test-waiting').waitFor();
  await screenshot(page, 'setup-test-waiting', true);
  // Level, through the "tunnel", signed with the secret the user pasted into Level.
  const level = new LevelSender({ url: `${proxy.url}/webhooks/level`, secret: webhookSecret, attempts: 1 });
  const active = alertEvent({ name: 'Wizard check: CPU above 95%', hostname: 'LAB-PC-07', severity: 'warning' });
  assert.ok((await level.deliver(active)).acknowledged);
  await page.locator('[data-testid="test-hop-ilert-alert"][data-status="ok"]').waitFor();
  await page
    .getByTestId('test-message')
    .filter({ hasText: /resolve/i })
    .waitFor();
  assert.equal(ilert.alertByKey(`level-alert-${active.data.id}`)?.status, 'PENDING');
  assert.ok(
    (await level.deliver(alertEvent({ eventType: 'alert_resolved', alertId: active.data.id, name: active.data.name, hostname: 'LAB-PC-07', severity: 'warning' }))).acknowledged,
  );
  await page.getByTestId('test-passed').waitFor({ timeout: 30_000 });
  assert.equal(ilert.alertByKey(`level-alert-${active.data.id}`)?.status, 'RESOLVED');
  assert.match(await page.getByTestId('test-hop-signature').getByTestId('hop-detail').innerText(), /valid/);
});

test('after setup, the steps show as configured and Health lists the facts', async () => {
  await page.getByRole('tab', { name: 'Setup' }).click();
  for (const step of ['ilert', 'receiver', 'level', 'test']) await page.locator(`[data-testid="setup-step-${step}"][data-done="true"]`).waitFor();
  // Revisiting step 3 offers to keep or rotate the saved secret rather than generating one blindly.
  await openSetupStep('level');
  await page.getByTestId('secret-existing').waitFor();
  await page.getByTestId('secret-keep').click();
  await page.getByTestId('secret-kept').waitFor();

  await page.getByRole('tab', { name: 'Health' }).click();
  await page.getByTestId('health-public-url').filter({ hasText: proxy.url }).waitFor();
  await page.getByTestId('health-queue').filter({ hasText: 'empty' }).waitFor();
  assert.equal(await page.locator('[data-testid^="diagnosis-"][data-level="error"]').count(), 0, 'no errors left after a passing test');
  await screenshot(page, 'health-after-setup', true);
  assert.deepEqual(pageErrors, [], 'no errors in the page (CSP violations included)');
});

test('step 2 starts a quick tunnel, shows its URL, and after a crash its new URL with the warning', async (t) => {
  const dataDir = tempDataDir('relay-wizard-tunnel-');
  const crashFile = path.join(dataDir, 'crash-once');
  // The first cloudflared prints its URL, then crashes; the relay starts another with a new URL.
  fs.writeFileSync(crashFile, '');
  tunnelRelay = await startChildRelay({ RELAY_DATA_DIR: dataDir, ILERT_API_URL: ilert.url, CLOUDFLARED_PATH: FAKE_CLOUDFLARED, FAKE_CLOUDFLARED_CRASH_FILE: crashFile });
  const tunnelPage = await context.newPage();
  const errors: string[] = [];
  tunnelPage.on('pageerror', (error) => errors.push(error.message));
  t.after(() => tunnelPage.close());
  await tunnelPage.goto(tunnelRelay.adminUrl);
  await tunnelPage.getByTestId('app-ready').waitFor();
  await tunnelPage.getByRole('tab', { name: 'Setup' }).click();
  await tunnelPage.getByTestId('setup-step-receiver').click();
  assert.match(await tunnelPage.getByTestId('cloudflared-version').innerText(), /cloudflared version 2025\.8\.0/);

  await tunnelPage.getByTestId('tunnel-start-quick').click();
  const state = tunnelPage.getByTestId('tunnel-state');
  const warning = tunnelPage.getByTestId('tunnel-warning');
  await warning.waitFor({ timeout: 15_000 });
  await state.and(tunnelPage.locator('[data-status="running"]')).waitFor({ timeout: 15_000 });
  const url = await state.getByTestId('tunnel-url').innerText();
  assert.match(url, /^https:\/\/[a-z0-9-]+\.trycloudflare\.com$/);
  assert.ok((await warning.innerText()).includes(`${url}/webhooks/level`), 'the warning names the new webhook URL for Level');
  assert.equal(await state.getByTestId('tunnel-restarts').innerText(), '1');
  assert.match(await state.getByTestId('tunnel-error').innerText(), /control stream encountered a failure/);
  assert.equal(await tunnelPage.getByTestId('public-url').inputValue(), url, 'the new URL is the one to check');
  await screenshot(tunnelPage, 'setup-receiver-tunnel', true);

  await tunnelPage.getByTestId('tunnel-stop').click();
  await tunnelPage.getByTestId('tunnel-start-quick').waitFor();
  await state.waitFor({ state: 'detached' });
  assert.deepEqual(errors, []);
});

test('a native Level.io source turns step 1 to pass-through, with the source’s URL from ilert', async (t) => {
  assert.ok(tunnelRelay, 'the second relay (previous test)');
  const levelio = ilert.addAlertSource({
    integrationKey: 'il1lvl0a1b2c3d4e5f6a7b8c9d0e1f',
    name: 'Level.io (native)',
    integrationType: 'LEVELIO',
    escalationPolicy: { id: 8, name: 'Servers' },
  });
  const passPage = await context.newPage();
  t.after(() => passPage.close());
  await passPage.goto(tunnelRelay.adminUrl);
  await passPage.getByTestId('app-ready').waitFor();
  await passPage.getByRole('tab', { name: 'Setup' }).click();
  await passPage.getByTestId('setup-step-ilert').click();
  await passPage.getByTestId('ilert-key').fill(levelio.integrationKey);
  await passPage.getByTestId('ilert-api-key').fill(API_KEY);
  await passPage.getByTestId('ilert-check').click();
  await passPage.getByTestId('ilert-check-result').getByTestId('ilert-source-type').filter({ hasText: 'Level.io' }).waitFor();
  assert.equal(await passPage.getByTestId('ilert-mode-passthrough').isChecked(), true, 'the wizard switched to pass-through by itself');
  const url = `${ilert.url}/api/v1/events/levelio/${levelio.integrationKey}`;
  assert.ok((await passPage.getByTestId('ilert-passthrough-from-check').innerText()).includes(url), 'the URL comes from ilert, nothing to paste');

  // A source of another integration type is flagged before anything is saved.
  const prometheus = ilert.addAlertSource({ integrationKey: 'il1prom0a1b2c3d4e5f6a7b8c9d0e1f', name: 'Cluster alerts', integrationType: 'PROMETHEUS' });
  await passPage.getByTestId('ilert-key').fill(prometheus.integrationKey);
  await passPage.getByTestId('ilert-check').click();
  const warning = passPage.getByTestId('ilert-check-warning');
  await warning.waitFor();
  assert.match(await warning.innerText(), /PROMETHEUS alert source, neither API nor Level\.io/);
  assert.match(await passPage.getByTestId('ilert-source-type').innerText(), /neither API nor Level\.io/);
  await passPage.getByTestId('ilert-key').fill(levelio.integrationKey);
  await passPage.getByTestId('ilert-check').click();
  await passPage.getByTestId('ilert-check-result').getByTestId('ilert-source-type').filter({ hasText: 'Level.io' }).waitFor();
  assert.equal(await warning.count(), 0, 'no warning for a Level.io source');

  await passPage.getByTestId('ilert-save').click();
  await passPage.locator('[data-testid="setup-step-receiver"][aria-current="step"]').waitFor();
  const settings = await passPage.evaluate(async () => (await fetch('/api/getSettings', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json());
  assert.equal(settings.secrets.ilertPassThroughUrl.set, true);
  assert.equal(settings.secrets.ilertIntegrationKey.set, true);
});
