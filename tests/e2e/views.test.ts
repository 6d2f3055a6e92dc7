/**
 * Views that must show the right thing (issue 19, items 7–13), in Debian's chromium against the real
 * headless relay, a fake ilert (read back with a user API key, so alert rows show ilert's state) and a
 * fake Level API (a group tree with a minimum severity on the parent), at 720, 1280 and 1600 px.
 */
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { type Browser, type Page } from 'playwright-core';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { FakeLevelApi, type FakeDevice, type FakeGroup } from '../fakes/fake-level-api.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { INTEGRATION_KEY, SECRET, tempDataDir, stopChildRelay, type ChildRelay } from '../helpers/relay-harness.ts';
import { callAdmin, DashboardTab, openDashboard, startRelayAndBrowser, screenshot } from '../helpers/browser.ts';

const LEVEL_API_KEY = 'level-api-key-for-views-e2e';
const ILERT_USER_KEY = 'il-user-api-key-views-e2e';
const WIDTHS = [720, 1280, 1600] as const;
const WRONG_PATHS = ['/webhook', '/webhooks/levels'];

let ilert: FakeIlert;
let level: FakeLevelApi;
let relay: ChildRelay;
let browser: Browser;
let tab: DashboardTab;
let sender: LevelSender;
let acme: FakeGroup;
let servers: FakeGroup;
let dc01: FakeDevice;
let pendingAlert: string;
let acceptedAlert: string;
let viewerUrl: string;
/** The viewer's tab, paired once (a pairing code works once). */
let viewerPage: Page | undefined;

const alertKeyOf = (levelAlertId: string) => `level-alert-${levelAlertId}`;

/** An alert raised in Level: in its API and as a signed webhook. */
async function raise(device: FakeDevice, name: string, severity: 'critical' | 'warning' | 'emergency'): Promise<string> {
  const created = level.addAlert({ device_id: device.id, name, severity, started_at: new Date(Date.now() - 5 * 60_000).toISOString() });
  const event = alertEvent({ alertId: created.id, name, severity, hostname: device.hostname });
  event.data.device_id = device.id;
  event.data.started_at = created.started_at;
  assert.ok((await sender.deliver(event)).acknowledged);
  return created.id;
}

before(async () => {
  ilert = await new FakeIlert().start();
  ilert.apiKeys.add(ILERT_USER_KEY);
  ilert.addAlertSource({ integrationKey: INTEGRATION_KEY, name: 'Level (default)' });
  level = await new FakeLevelApi({ apiKey: LEVEL_API_KEY }).start();
  acme = level.addGroup({ name: 'Acme Corp' });
  servers = level.addGroup({ name: 'Servers', parent_id: acme.id });
  dc01 = level.addDevice({ hostname: 'ACME-DC01', group_id: servers.id });
  [relay, browser] = await startRelayAndBrowser({
    RELAY_DATA_DIR: tempDataDir('relay-e2e-views-'),
    LEVEL_WEBHOOK_SECRET: SECRET,
    ILERT_INTEGRATION_KEY: INTEGRATION_KEY,
    ILERT_API_URL: ilert.url,
    ILERT_API_KEY: ILERT_USER_KEY,
    LEVEL_API_URL: level.url,
    LEVEL_API_KEY: LEVEL_API_KEY,
    RELAY_ILERT_POLL_MS: '500',
  });
  sender = new LevelSender({ url: relay.url, secret: SECRET, attempts: 1 });

  const { page, context } = await openDashboard(browser, relay.adminUrl);
  await callAdmin(page, 'syncLevel');
  // The parent forwards critical and above; Servers has no route of its own and inherits that.
  const routed = await callAdmin<{ rows?: unknown[]; error?: unknown }>(page, 'setGroupRoute', { groupId: acme.id, route: { target: 'default', minSeverity: 'critical' } });
  assert.ok(routed.rows, JSON.stringify(routed));

  pendingAlert = await raise(dc01, 'Domain controller unreachable', 'critical');
  acceptedAlert = await raise(dc01, 'Replication failing between the domain controllers of the main office', 'emergency');
  await raise(dc01, 'CPU usage >75.0% for 10 minutes', 'warning'); // below the inherited minimum: skipped
  // The fault below is for the next alert only: the two routed ones must have reached ilert first.
  await ilert.waitFor(() => ilert.events.length >= 2, 10_000, 'the two routed alerts in ilert');
  ilert.mode = { kind: 'status', status: 400, body: JSON.stringify({ status: 400, message: 'Bad request: injected' }) };
  await raise(dc01, 'Backup job failed', 'critical');
  await page.getByTestId('status-failed').filter({ hasText: '1' }).waitFor();
  ilert.mode = { kind: 'ok' };
  await ilert.waitFor(() => ilert.alertByKey(alertKeyOf(acceptedAlert)) !== undefined, 10_000, 'the emergency alert in ilert');
  ilert.acceptAlert(alertKeyOf(acceptedAlert), 'Dana Operations');
  // A resolved alert, for the contrast of resolved rows.
  const resolvedId = await raise(dc01, 'Printer offline', 'critical');
  const resolve = alertEvent({ eventType: 'alert_resolved', alertId: resolvedId, name: 'Printer offline', severity: 'critical', hostname: dc01.hostname });
  resolve.data.device_id = dc01.id;
  assert.ok((await sender.deliver(resolve)).acknowledged);
  // An alert no webhook brought, found by reconciliation.
  level.addAlert({ device_id: dc01.id, name: 'Disk failure predicted', severity: 'critical' });
  await callAdmin(page, 'backfillAlerts');
  // Two wrong webhook URLs: two problems, two cards.
  for (const wrong of WRONG_PATHS) await fetch(`${new URL(relay.url).origin}${wrong}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });

  const invited = await callAdmin<{ pairingUrl: string }>(page, 'createMember', { name: 'Vic Viewer', role: 'viewer' });
  viewerUrl = invited.pairingUrl;
  await context.close();
  tab = new DashboardTab(browser, relay.adminUrl);
});

after(async () => {
  await tab?.close();
  await viewerPage?.context().close();
  await browser?.close();
  await stopChildRelay(relay);
  await Promise.all([ilert?.stop(), level?.stop()]);
});

function open(t: TestContext, width: number): Promise<Page> {
  return tab.open(t, { width, height: 800 });
}

async function showView(page: Page, name: string): Promise<void> {
  await page.locator(`#tab-${name.toLowerCase()}`).click();
  await page.locator(`#panel-${name.toLowerCase()}:not(.panel-hidden)`).waitFor();
}

/** Elements of hidden tabs that would still be painted (a `visibility: visible` inside a hidden tab). */
function paintedInHiddenTabs(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('.panel-hidden *')]
      .filter((element) => getComputedStyle(element).visibility === 'visible' && element.getBoundingClientRect().width > 0)
      .slice(0, 5)
      .map((element) => `${element.className}: ${element.textContent?.slice(0, 40)}`),
  );
}

/** Badges, buttons and texts of alert rows that are cut off by, or stick out of, their row or column. */
function clippedInAlertRows(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    for (const row of document.querySelectorAll<HTMLElement>('[data-testid="alert-row"]')) {
      const box = row.getBoundingClientRect();
      for (const part of row.querySelectorAll<HTMLElement>('.badge, .sev, button, .ilert-accepted, .ilert-checked')) {
        if (part.offsetParent === null) continue;
        const inner = part.getBoundingClientRect();
        const column = (part.closest('.col-fwd, .col-sev, .alert-main') as HTMLElement | null)?.getBoundingClientRect() ?? box;
        const outside = inner.top < box.top - 0.5 || inner.bottom > box.bottom + 0.5 || inner.right > column.right + 0.5 || inner.bottom > column.bottom + 0.5;
        const shortened = part.matches('.badge, .sev, button') && part.scrollWidth > part.clientWidth + 1;
        if (outside || shortened) found.push(`${row.dataset.alertId}: “${part.textContent}” ${outside ? 'outside its row' : 'cut short'}`);
      }
    }
    return found;
  });
}

for (const width of WIDTHS) {
  test(`${width} px: Health's and the status bar's links to failures set their own filter, and Retry failed finds them`, async (t) => {
    const page = await open(t, width);
    await showView(page, 'Deliveries');
    // A search left over from earlier, which holds no failures.
    await page.getByTestId('filter-search').fill('Printer offline');
    await page.waitForFunction(() => window.location.hash.includes('q=Printer'));
    await showView(page, 'Health');
    await page.getByTestId('health-show-failed').click();
    await page.waitForFunction(() => window.location.hash === '#/deliveries?status=failed');
    assert.equal(await page.getByTestId('filter-search').inputValue(), '');
    await page.locator('[data-testid="delivery-row"][data-status="failed"]').filter({ hasText: 'Backup job failed' }).waitFor();
    assert.equal(await page.locator('[data-testid="delivery-row"]:not([data-status="failed"])').count(), 0, 'only failures are listed');
    assert.equal(await page.getByTestId('retry-all-failed').innerText(), 'Retry failed in this filter');
    assert.equal(await page.getByTestId('retry-all-failed').isDisabled(), false, 'the filter holds the failure, so Retry has something to do');

    // (Not the same words again: the box's debounce would still hold them and not change the address.)
    await page.getByTestId('filter-search').fill('Printer');
    await page.waitForFunction(() => window.location.hash.endsWith('q=Printer'));
    const failed = page.getByRole('button', { name: /^Failed\s*1$/ });
    await failed.click();
    await page
      .waitForFunction(() => window.location.hash === '#/deliveries?status=failed')
      .catch(async (error) => {
        await screenshot(page, `views-${width}-failed-link-missed`);
        throw new Error(`${(error as Error).message} at ${await page.evaluate(() => window.location.hash)}`);
      });
    await page.locator('[data-testid="delivery-row"][data-status="failed"]').first().waitFor();
    await screenshot(page, `views-${width}-failed-filter`);
    if (width === WIDTHS.at(-1)) {
      await page.getByTestId('retry-all-failed').click();
      await page.getByTestId('retry-all-result').filter({ hasText: 'Queued 1 failed ilert event to send again' }).waitFor();
    }
  });

  test(`${width} px: a delivery detail opened, no part of the Deliveries tab paints over the others`, async (t) => {
    const page = await open(t, width);
    await showView(page, 'Deliveries');
    await page.getByTestId('delivery-row').first().click();
    await page.getByTestId('delivery-detail').getByTestId('signature-verdict').waitFor();
    for (const view of ['Alerts', 'Routing', 'Health', 'Settings']) {
      await showView(page, view);
      assert.deepEqual(await paintedInHiddenTabs(page), [], `hidden tabs paint nothing over ${view}`);
    }
    await screenshot(page, `views-${width}-settings-over-deliveries`);
  });

  test(`${width} px: alert rows with ilert's state keep their badges and Accept inside the row`, async (t) => {
    const page = await open(t, width);
    await page.getByTestId(`alert-ilert-status-${pendingAlert}`).filter({ hasText: 'PENDING' }).waitFor();
    await page.getByTestId(`alert-accept-${pendingAlert}`).waitFor();
    await page.getByTestId(`alert-accepted-by-${acceptedAlert}`).filter({ hasText: 'Dana Operations' }).waitFor();
    assert.deepEqual(await clippedInAlertRows(page), []);
    // Column headings stand over their columns.
    const misaligned = await page.evaluate(() => {
      const head = [...document.querySelectorAll<HTMLElement>('[data-testid="active-alerts-head"] > span')].filter((cell) => cell.offsetParent !== null);
      const row = [...(document.querySelector('[data-testid="active-alerts"] [data-testid="alert-row"]')?.children ?? [])].filter(
        (cell) => (cell as HTMLElement).offsetParent !== null,
      );
      if (head.length !== row.length) return [`${head.length} headings for ${row.length} columns`];
      return head.flatMap((cell, index) => (Math.abs(cell.getBoundingClientRect().left - row[index]!.getBoundingClientRect().left) > 1 ? [cell.textContent ?? ''] : []));
    });
    assert.deepEqual(misaligned, []);
    await screenshot(page, `views-${width}-alerts-ilert-state`);
  });

  test(`${width} px: Health shows one card per problem`, async (t) => {
    const page = await open(t, width);
    await showView(page, 'Health');
    const problems = Number(/^(\d+) problems?/.exec(await page.getByTestId('health-summary').locator('b').innerText())?.[1]);
    const cards = await page
      .getByTestId('diagnoses')
      .locator('li')
      .evaluateAll((items) => items.map((item) => item.getAttribute('data-testid')));
    assert.equal(cards.length, problems, `one card per problem: ${cards.join(', ')}`);
    assert.deepEqual(cards, [...new Set(cards)], 'no card twice');
    for (const wrong of WRONG_PATHS) assert.ok(cards.includes(`diagnosis-wrong-path:${wrong}`), `the wrong URL ${wrong} has its own card`);
  });

  test(`${width} px: Routing shows the minimum severity a subgroup inherits, and why its own is disabled`, async (t) => {
    const page = await open(t, width);
    await showView(page, 'Routing');
    const select = page.getByTestId(`route-severity-${servers.id}`);
    await select.waitFor();
    assert.equal(await select.isDisabled(), true);
    assert.equal(await select.locator('option:checked').innerText(), 'critical and above (inherited)');
    const hint = await select.evaluate((element) => document.getElementById(element.getAttribute('aria-describedby') ?? '')?.textContent ?? '');
    assert.match(hint, /pick one to set them/);
    assert.equal(await page.getByTestId('route-own-hint').isVisible(), true, 'the reason is on screen, not only in a tooltip');
    assert.match(await page.getByTestId(`route-effective-${servers.id}`).innerText(), /from ‘Acme Corp’ → target default\s*· critical and above/);
    const cutShort = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('#panel-routing .badge')]
        .filter((element) => element.offsetParent !== null && element.scrollWidth > element.clientWidth + 1)
        .map((element) => element.textContent ?? ''),
    );
    assert.deepEqual(cutShort, [], 'badges show their whole words');
    await screenshot(page, `views-${width}-routing`);
  });

  test(`${width} px: a viewer's Routing and Settings controls are disabled, with the reason shown`, async () => {
    // The viewer's one tab, loaded afresh at each width (as DashboardTab does for the owner).
    if (width === WIDTHS[0]) {
      const context = await browser.newContext({ viewport: { width, height: 800 } });
      viewerPage = await context.newPage();
      viewerPage.setDefaultTimeout(10_000);
      await viewerPage.goto(viewerUrl);
      await viewerPage.getByRole('button', { name: 'Pair and open the dashboard' }).click();
    } else {
      assert.ok(viewerPage, 'the viewer paired at the first width');
      await viewerPage.setViewportSize({ width, height: 800 });
      await viewerPage.goto(new URL('/', relay.adminUrl).href);
    }
    const page = viewerPage;
    await page.getByTestId('app-ready').waitFor();
    assert.equal(await page.locator('.app').getAttribute('data-role'), 'viewer');
    for (const view of ['Routing', 'Settings']) {
      await showView(page, view);
      const panel = page.locator(`#panel-${view.toLowerCase()}`);
      await panel.getByTestId('read-only-notice').filter({ hasText: 'needs an admin of this relay' }).waitFor();
      const editable = await panel.evaluate((element) =>
        [...element.querySelectorAll<HTMLInputElement>('input, select, textarea, button[type="submit"]')]
          .filter((control) => control.offsetParent !== null && !control.matches(':disabled') && !control.readOnly)
          .map((control) => control.getAttribute('data-testid') ?? control.getAttribute('aria-label') ?? control.outerHTML.slice(0, 60)),
      );
      assert.deepEqual(editable, [], `${view}: nothing a viewer cannot change is editable`);
      await screenshot(page, `views-${width}-viewer-${view.toLowerCase()}`);
    }
  });
}

test('wording: a skipped job says skipped and why, a reconciled delivery where it came from, and the HIGH-priority setting what it does', async (t) => {
  const page = await open(t, 1280);
  await showView(page, 'Deliveries');
  const skipped = page.getByTestId('delivery-row').filter({ hasText: 'CPU usage >75.0%' }).first();
  await skipped.filter({ hasText: /skipped: warning is below the route’s minimum severity \(critical\)/ }).waitFor();
  assert.doesNotMatch(await skipped.innerText(), /not sent yet/);

  await page.locator('[data-testid="delivery-row"][data-source="reconciled"]').filter({ hasText: 'Disk failure predicted' }).first().click();
  const detail = page.getByTestId('delivery-detail');
  await detail.getByTestId('detail-source').filter({ hasText: 'reconciled' }).waitFor();
  const labels = await detail.locator('dt').allInnerTexts();
  assert.ok(!labels.includes('Answer to Level'), `nothing was answered to Level: ${labels.join(', ')}`);
  assert.match(await detail.locator('dt:has-text("Came from") + dd').innerText(), /^reconciliation \(read from Level’s API, not a webhook\)/);

  await showView(page, 'Settings');
  const field = page.getByRole('group', { name: 'ilert priority HIGH for' });
  assert.match(await field.innerText(), /sent to ilert with priority HIGH/);
});
