/**
 * Finding alerts by what technicians think in (issue 19, item 19), in Debian's chromium against the
 * real headless relay and a fake Level API with two clients, at 720, 1280 and 1600 px: by client, by
 * a Level alert id, by a severity card (keyboard), and the cards leave out an alert routing skipped.
 */
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { type Browser, type Page } from 'playwright-core';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { FakeLevelApi, type FakeDevice } from '../fakes/fake-level-api.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { INTEGRATION_KEY, SECRET, tempDataDir, stopChildRelay, type ChildRelay } from '../helpers/relay-harness.ts';
import { callAdmin, DashboardTab, openDashboard, startRelayAndBrowser, screenshot } from '../helpers/browser.ts';

const LEVEL_API_KEY = 'level-api-key-for-alert-filters-e2e';
const WIDTHS = [720, 1280, 1600] as const;

let ilert: FakeIlert;
let level: FakeLevelApi;
let relay: ChildRelay;
let browser: Browser;
let tab: DashboardTab;
let sender: LevelSender;
const alerts: Record<'acmeCritical' | 'acmeSkipped' | 'betaWarning', string> = { acmeCritical: '', acmeSkipped: '', betaWarning: '' };

async function raise(device: FakeDevice, name: string, severity: 'critical' | 'warning'): Promise<string> {
  const created = level.addAlert({ device_id: device.id, name, severity });
  const event = alertEvent({ alertId: created.id, name, severity, hostname: device.hostname });
  event.data.device_id = device.id;
  assert.ok((await sender.deliver(event)).acknowledged);
  return created.id;
}

before(async () => {
  ilert = await new FakeIlert().start();
  level = await new FakeLevelApi({ apiKey: LEVEL_API_KEY }).start();
  const acme = level.addGroup({ name: 'Acme Corp' });
  const servers = level.addGroup({ name: 'Servers', parent_id: acme.id });
  const beta = level.addGroup({ name: 'Beta Ltd' });
  const dc01 = level.addDevice({ hostname: 'ACME-DC01', group_id: servers.id });
  const betaPc = level.addDevice({ hostname: 'BETA-PC', group_id: beta.id });
  [relay, browser] = await startRelayAndBrowser({
    RELAY_DATA_DIR: tempDataDir('relay-e2e-alert-filters-'),
    LEVEL_WEBHOOK_SECRET: SECRET,
    ILERT_INTEGRATION_KEY: INTEGRATION_KEY,
    ILERT_API_URL: ilert.url,
    LEVEL_API_URL: level.url,
    LEVEL_API_KEY: LEVEL_API_KEY,
  });
  sender = new LevelSender({ url: relay.url, secret: SECRET, attempts: 1 });
  const { page, context } = await openDashboard(browser, relay.adminUrl);
  await callAdmin(page, 'syncLevel');
  const routed = await callAdmin<{ rows?: unknown[] }>(page, 'setGroupRoute', { groupId: acme.id, route: { target: 'default', minSeverity: 'critical' } });
  assert.ok(routed.rows, JSON.stringify(routed));
  alerts.acmeCritical = await raise(dc01, 'Domain controller unreachable', 'critical');
  alerts.acmeSkipped = await raise(dc01, 'CPU usage >75.0% for 10 minutes', 'warning'); // below Acme's minimum: skipped
  alerts.betaWarning = await raise(betaPc, 'Low disk space', 'warning');
  await ilert.waitFor(() => ilert.events.length === 2, 10_000, 'the two forwarded alerts');
  await context.close();
  tab = new DashboardTab(browser, relay.adminUrl);
});

after(async () => {
  await tab?.close();
  await browser?.close();
  await stopChildRelay(relay);
  await Promise.all([ilert?.stop(), level?.stop()]);
});

async function open(t: TestContext, width: number): Promise<Page> {
  const page = await tab.open(t, { width, height: 800 });
  await page.getByTestId('active-alerts').waitFor();
  return page;
}

/** Waits until the active list shows exactly these alerts. */
async function listed(page: Page, ids: string[]): Promise<void> {
  const want = [...ids].sort().join(',');
  await page.waitForFunction(
    (expected) =>
      [...document.querySelectorAll<HTMLElement>('[data-testid="active-alerts"] [data-testid="alert-row"]')]
        .map((row) => row.dataset.alertId)
        .sort()
        .join(',') === expected,
    want,
    { timeout: 10_000 },
  );
}

for (const width of WIDTHS) {
  test(`${width} px: the severity cards count what went to ilert and filter the list, by keyboard`, async (t) => {
    const page = await open(t, width);
    await listed(page, Object.values(alerts));
    const warningCard = page.getByTestId('count-warning');
    assert.equal(await warningCard.locator('.count-number').innerText(), '1', 'two warnings are active; the skipped one pages nobody');
    assert.equal(await page.getByTestId('count-critical').locator('.count-number').innerText(), '1');
    assert.equal(await warningCard.getAttribute('aria-pressed'), 'false');
    await warningCard.focus();
    await page.keyboard.press('Enter');
    assert.equal(await warningCard.getAttribute('aria-pressed'), 'true');
    await listed(page, [alerts.acmeSkipped, alerts.betaWarning]);
    await screenshot(page, `alert-filters-${width}-severity`);
    await page.keyboard.press('Space');
    assert.equal(await warningCard.getAttribute('aria-pressed'), 'false');
    await listed(page, Object.values(alerts));
  });

  test(`${width} px: a client and a Level alert id narrow the list`, async (t) => {
    const page = await open(t, width);
    await listed(page, Object.values(alerts));
    if (width >= 900) assert.equal(await page.getByTestId(`alert-client-${alerts.betaWarning}`).innerText(), 'Beta Ltd');
    await page.getByTestId('alert-filter-client').fill('Acme Corp');
    await listed(page, [alerts.acmeCritical, alerts.acmeSkipped]);
    await page.getByTestId('alert-filter-id').fill(alerts.acmeCritical);
    await listed(page, [alerts.acmeCritical]);
    await page.getByTestId('alert-filter-client').fill('Beta Ltd');
    await page.getByTestId('alerts-empty').waitFor();
    await page.getByTestId('alert-filters-clear').click();
    await listed(page, Object.values(alerts));
    await page.getByTestId('alert-filter-id').fill(alerts.betaWarning);
    await listed(page, [alerts.betaWarning]);
    await screenshot(page, `alert-filters-${width}-client-id`);
  });
}
