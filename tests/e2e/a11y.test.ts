/**
 * Accessibility and layout of the dashboard in a real browser (Debian's chromium) against the real
 * headless relay: axe-core's WCAG 2.1 AA rules on every view in light and dark mode (serious and
 * critical violations fail), the keyboard (tabs, Escape, one Tab stop for the delivery list), the
 * live region that announces new alerts, and the layout at 720, 1024, 1280 and 1600 px.
 */
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { type Browser, type Page } from 'playwright-core';
import { sign } from '../../electron/core/level/signature.ts';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { INTEGRATION_KEY, SECRET, tempDataDir, stopChildRelay, type ChildRelay } from '../helpers/relay-harness.ts';
import { DashboardTab, truncatedPills, startRelayAndBrowser, screenshot } from '../helpers/browser.ts';
import { seriousViolations, seriousViolationsInBothSchemes } from '../helpers/axe.ts';

const VIEWS = ['Alerts', 'Deliveries', 'Routing', 'Health', 'Setup', 'Settings', 'Team'] as const;

let ilert: FakeIlert;
let relay: ChildRelay;
let browser: Browser;
let tab: DashboardTab;
let sender: LevelSender;

before(async () => {
  ilert = await new FakeIlert().start();
  [relay, browser] = await startRelayAndBrowser({
    RELAY_DATA_DIR: tempDataDir('relay-a11y-'),
    LEVEL_WEBHOOK_SECRET: SECRET,
    ILERT_INTEGRATION_KEY: INTEGRATION_KEY,
    ILERT_API_URL: ilert.url,
  });
  sender = new LevelSender({ url: relay.url, secret: SECRET, attempts: 1 });
  // Something in every view: each severity, a long name, a refused delivery.
  for (const event of [
    alertEvent({ severity: 'emergency', name: 'Backup job failed', hostname: 'NAS-02' }),
    alertEvent({ severity: 'critical', name: 'RAID degraded on the primary storage array of the main office', hostname: 'NAS-01' }),
    alertEvent({ severity: 'warning', name: 'CPU usage >75.0% for 10 minutes', hostname: 'ACME-DC01' }),
  ]) {
    assert.ok((await sender.deliver(event)).acknowledged);
  }
  // The information alert resolves: a resolved row, and a severity counted zero, both styled apart (contrast).
  const information = alertEvent({ severity: 'information', name: 'Windows update pending reboot', hostname: 'RECEPTION-PC' });
  assert.ok((await sender.deliver(information)).acknowledged);
  const resolved = alertEvent({ eventType: 'alert_resolved', alertId: information.data.id, severity: 'information', name: information.data.name, hostname: 'RECEPTION-PC' });
  assert.ok((await sender.deliver(resolved)).acknowledged);
  const raw = JSON.stringify(alertEvent({ name: 'Tampered alert' }));
  await sender.postRaw(raw, { 'x-level-signature': sign('not-the-secret', raw) });
  await ilert.waitFor(() => ilert.events.length === 5, 5000, 'four alerts and a resolve in ilert');
  // Open maintenance windows, so Routing shows their list (on a device none of the alerts above is on).
  const admin = new URL(relay.adminUrl);
  for (const window of [
    {
      name: 'Server swap at the main office',
      scope: { device: 'dev-a11y' },
      start: new Date(Date.now() - 60_000).toISOString(),
      end: new Date(Date.now() + 3_600_000).toISOString(),
    },
    { name: 'Nightly patching', scope: { target: 'default' }, days: ['sat'], start: '23:00', end: '05:00', timeZone: 'Europe/Berlin' },
  ]) {
    const created = await fetch(`${admin.origin}/api/createMaintenanceWindow`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.searchParams.get('token')}` },
      body: JSON.stringify(window),
    });
    assert.equal(created.status, 200, await created.text());
  }
  tab = new DashboardTab(browser, relay.adminUrl);
});

after(async () => {
  await tab?.close();
  await browser?.close();
  await stopChildRelay(relay);
  await ilert?.stop();
});

/** The dashboard loaded afresh for test `t`, in light mode. */
function open(t: TestContext, width = 1440, height = 900): Promise<Page> {
  return tab.open(t, { width, height });
}

async function showView(page: Page, name: (typeof VIEWS)[number]): Promise<void> {
  await page.getByRole('tab', { name }).click();
  await page.locator(`#panel-${name.toLowerCase()}:not(.panel-hidden)`).waitFor();
}

test('axe: every view in light and dark mode has no serious or critical WCAG 2.1 AA violation', async (t) => {
  const page = await open(t);
  // What the views must pass with: a resolved row, and a severity with no active alert.
  await page.locator('[data-testid="resolved-alerts"] [data-testid="alert-row"]').first().waitFor();
  await page.locator('[data-testid="count-information"].count-zero').waitFor();
  const found: string[] = [];
  for (const view of VIEWS) {
    await showView(page, view);
    found.push(...(await seriousViolationsInBothSchemes(page, view)));
  }
  await showView(page, 'Deliveries');
  await page.getByTestId('delivery-row').first().click();
  await page.getByTestId('delivery-detail').getByTestId('signature-verdict').waitFor();
  found.push(...(await seriousViolationsInBothSchemes(page, 'Deliveries with the detail open')));
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await screenshot(page, `a11y-deliveries-${scheme}`);
  }
  assert.deepEqual(found, []);
});

/** The rendered width of the narrowest element matching `selector` among those on screen. */
function narrowest(page: Page, selector: string): Promise<number> {
  return page.evaluate((css) => {
    const widths = [...document.querySelectorAll<HTMLElement>(css)].filter((element) => element.offsetParent !== null).map((element) => element.getBoundingClientRect().width);
    return widths.length ? Math.min(...widths) : -1;
  }, selector);
}

/** Whether two column headers overlap. */
function headersOverlap(page: Page, selector: string): Promise<string[]> {
  return page.evaluate((css) => {
    const boxes = [...document.querySelectorAll<HTMLElement>(css)]
      .filter((element) => element.offsetParent !== null && element.getBoundingClientRect().width > 0)
      .map((element) => ({ text: element.textContent, box: element.getBoundingClientRect() }));
    const overlaps: string[] = [];
    for (let index = 1; index < boxes.length; index++)
      if (boxes[index]!.box.left < boxes[index - 1]!.box.right - 0.5) overlaps.push(`${boxes[index - 1]!.text} / ${boxes[index]!.text}`);
    return overlaps;
  }, selector);
}

for (const width of [720, 1024, 1280, 1600]) {
  test(`layout at ${width} px: alert names stay readable, and below 1,400 px the detail is a drawer`, async (t) => {
    const page = await open(t, width, 800);
    await showView(page, 'Alerts');
    await page.getByTestId('alert-row').first().waitFor();
    const alertName = await narrowest(page, '[data-testid="active-alerts"] .alert-name');
    assert.ok(alertName >= 120, `alert names are ${alertName} px wide at ${width} px`);
    await screenshot(page, `layout-${width}-alerts`);

    await showView(page, 'Deliveries');
    await page.getByTestId('delivery-row').first().waitFor();
    assert.deepEqual(await headersOverlap(page, '.dhead > span'), [], 'no column header overlaps another');
    assert.ok((await narrowest(page, '.dline .aname')) >= 120, 'delivery alert names have room');
    assert.deepEqual(await truncatedPills(page), [], 'pills show their whole words');
    await page.getByTestId('delivery-row').filter({ hasText: 'RAID degraded' }).click();
    const detail = page.getByTestId('delivery-detail');
    await detail.getByTestId('signature-verdict').waitFor();
    const names = await narrowest(page, '.dline .aname');
    const drawer = await detail.evaluate((element) => getComputedStyle(element).position === 'absolute');
    assert.equal(drawer, width < 1400, `the detail is ${drawer ? 'a drawer' : 'a column'} at ${width} px`);
    // Beside the list (wide windows) or over it (a drawer), names never shrink to a few letters.
    assert.ok(names >= 120, `with the detail open, alert names are ${names} px wide at ${width} px`);
    assert.deepEqual(await truncatedPills(page), [], 'pills show their whole words, the detail’s too');
    await screenshot(page, `layout-${width}-deliveries-detail`);
  });
}

test('at 200 % zoom (640 px) the tabs stay in their own box, each reachable; at 320 px the filters fold behind a “Filters” button', async (t) => {
  const page = await open(t, 640, 800);
  const sideways = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.equal(await sideways(), 0, 'the page does not scroll sideways');
  const tabList = await page.getByRole('tablist').boundingBox();
  assert.ok(tabList && tabList.x + tabList.width <= 640, `the tab list ends at ${tabList && tabList.x + tabList.width} px`);
  await page.getByRole('tab', { name: 'Alerts' }).focus();
  for (const view of VIEWS) {
    if (view !== 'Alerts') await page.keyboard.press('ArrowRight');
    const tab = await page.getByRole('tab', { name: view }).boundingBox();
    assert.ok(tab && tab.x >= 0 && tab.x + tab.width <= 640, `the ${view} tab is on screen when chosen (${JSON.stringify(tab)})`);
  }
  await page.locator('#tab-team[aria-selected="true"]').waitFor();
  await screenshot(page, 'zoom-200-tabs');

  await page.setViewportSize({ width: 320, height: 640 });
  await showView(page, 'Deliveries');
  await page.getByTestId('delivery-row').first().waitFor();
  const toggle = page.getByRole('button', { name: /^Filters/ });
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  assert.equal(await page.getByTestId('filter-severity').isVisible(), false, 'secondary filters are folded away');
  const toolbar = await page.getByRole('search', { name: 'Filter deliveries' }).boundingBox();
  assert.ok(toolbar && toolbar.height <= 640 / 4, `the folded toolbar takes ${toolbar?.height} px of 640`);
  await screenshot(page, 'narrow-320-deliveries');
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  await page.getByTestId('filter-severity').selectOption('critical');
  await page.getByTestId('filter-status-delivered').check();
  await toggle.click();
  await page.getByRole('button', { name: 'Filters (2 set)' }).waitFor();
  await screenshot(page, 'narrow-320-deliveries-filtered');
});

test('keyboard: Home and End in the tabs; the delivery list is one Tab stop walked with the arrows; Escape closes the detail', async (t) => {
  const page = await open(t);
  await page.getByRole('tab', { name: 'Alerts' }).focus();
  await page.keyboard.press('End');
  assert.equal(await page.getByRole('tab', { name: 'Team' }).getAttribute('aria-selected'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'tab-team');
  await page.keyboard.press('Home');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'tab-alerts');

  await showView(page, 'Deliveries');
  await page.getByTestId('delivery-row').first().waitFor();
  assert.equal(await page.locator('[data-testid="delivery-row"]:not([tabindex="-1"])').count(), 0, 'rows are not Tab stops of their own');
  await page.getByTestId('delivery-list').focus();
  await page.keyboard.press('ArrowDown');
  const first = await page.getByTestId('delivery-row').first().getAttribute('data-delivery-id');
  await page.locator(`[data-testid="delivery-detail"][data-delivery-id="${first}"]`).waitFor();
  await page.keyboard.press('End');
  const lastIndex = String((await page.getByTestId('delivery-row').count()) - 1);
  await page.waitForFunction((index) => document.activeElement?.getAttribute('data-index') === index, lastIndex, { timeout: 2_000 });
  await page.keyboard.press('Escape');
  await page.getByTestId('delivery-detail').waitFor({ state: 'detached' });
  await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'delivery-row', undefined, { timeout: 2_000 });
});

test('a new alert is announced in a polite live region, and “copied” is not in the status bar’s silent region', async (t) => {
  const page = await open(t);
  const region = page.getByTestId('alert-announcer');
  assert.equal(await region.getAttribute('aria-live'), 'polite');
  assert.equal(await region.innerText(), '', 'alerts from before the page opened are not read out');
  assert.ok((await sender.deliver(alertEvent({ severity: 'critical', name: 'Fan failure', hostname: 'SRV-07' }))).acknowledged);
  await region.filter({ hasText: 'New critical alert: Fan failure on SRV-07' }).waitFor();
  assert.equal(await page.getByTestId('copy-flash').getAttribute('aria-live'), 'polite');
  assert.equal(await page.locator('[aria-live="off"]').count(), 0);
});

test('permalinks: the address names the open tab, delivery and filter, Back undoes each step, and a link opens that view', async (t) => {
  const page = await open(t);
  await page.waitForFunction(() => window.location.hash === '#/alerts');
  await showView(page, 'Deliveries');
  await page.waitForFunction(() => window.location.hash === '#/deliveries');
  const row = page.getByTestId('delivery-row').filter({ hasText: 'RAID degraded' }).first();
  const id = await row.getAttribute('data-delivery-id');
  await row.click();
  await page.waitForFunction((wanted) => window.location.hash === `#/deliveries/${wanted}`, id);

  await page.goBack();
  await page.getByTestId('delivery-detail').waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => window.location.hash), '#/deliveries');
  await page.goBack();
  await page.locator('#tab-alerts[aria-selected="true"]').waitFor();
  await page.goForward();
  await page.locator('#tab-deliveries[aria-selected="true"]').waitFor();

  // A shared link (same relay, same sign-in) opens the same delivery in a fresh page.
  const link = page.url().replace(/#.*$/, `#/deliveries/${id}`);
  const other = await page.context().newPage();
  await other.goto(link);
  await other.getByTestId('app-ready').waitFor();
  await other.locator(`[data-testid="delivery-detail"][data-delivery-id="${id}"]`).getByTestId('signature-verdict').waitFor();
  assert.equal(await other.locator('#tab-deliveries').getAttribute('aria-selected'), 'true');
  await other.close();

  // The filter is in the address too: each change is a step Back undoes, and a filtered view can be shared.
  const hash = (wanted: string) => page.waitForFunction((expected) => window.location.hash === expected, wanted);
  await page.getByTestId('filter-status-delivered').check();
  await hash('#/deliveries?status=delivered');
  await page.getByTestId('filter-search').fill('nas');
  await hash('#/deliveries?status=delivered&q=nas');
  await page.getByTestId('delivery-total').filter({ hasText: '2 deliveries' }).waitFor();
  await page.goBack();
  await hash('#/deliveries?status=delivered');
  await page.getByTestId('delivery-row').filter({ hasText: 'ACME-DC01' }).waitFor();
  assert.equal(await page.getByTestId('filter-search').inputValue(), '', 'Back takes the search out of the box too');
  await page.goBack();
  await hash('#/deliveries');
  assert.equal(await page.getByTestId('filter-status-delivered').isChecked(), false);
  await page.goForward();
  await page.goForward();
  await hash('#/deliveries?status=delivered&q=nas');
  assert.equal(await page.getByTestId('filter-search').inputValue(), 'nas');
  await showView(page, 'Alerts');
  await page.getByTestId('alert-grouping').selectOption('device');
  await hash('#/alerts?group=device');

  const filtered = await page.context().newPage();
  await filtered.goto(page.url().replace(/#.*$/, '#/deliveries?status=delivered&q=nas'));
  await filtered.getByTestId('app-ready').waitFor();
  await filtered.getByTestId('delivery-total').filter({ hasText: '2 deliveries' }).waitFor();
  assert.equal(await filtered.getByTestId('filter-status-delivered').isChecked(), true);
  assert.equal(await filtered.getByTestId('filter-search').inputValue(), 'nas');
  assert.deepEqual((await filtered.getByTestId('delivery-row').allInnerTexts()).map((text) => /NAS-0\d/.exec(text)?.[0]).sort(), ['NAS-01', 'NAS-02']);
});

test('per-alert timeline: opened from the alert row, it shows Level active → stored → sent to ilert → accepted → resolved, and Escape closes it', async (t) => {
  const page = await open(t);
  const row = page.getByTestId('alert-row').filter({ hasText: 'RAID degraded' }).first();
  const id = await row.getAttribute('data-alert-id');
  await page.getByTestId(`alert-timeline-${id}`).click();
  const dialog = page.locator('dialog[open]');
  await dialog.waitFor();
  const steps = await dialog.getByTestId('timeline-step').allInnerTexts();
  assert.match(steps[0]!, /^Active in Level/);
  assert.match(steps[1]!, /^Stored by the relay\s+\d{4}-\d\d-\d\d/);
  assert.match(steps[2]!, /^Sent to ilert/);
  assert.match(steps[3]!, /^Not accepted/);
  assert.match(steps[4]!, /^Still active in Level/);
  assert.deepEqual(await seriousViolations(page, 'the timeline dialog'), []);
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), `alert-timeline-${id}`, 'focus is back on the button that opened it');
});

test('buttons say what they act on: no two visible buttons of one view share a name', async (t) => {
  const page = await open(t);
  const repeated: string[] = [];
  for (const view of ['Alerts', 'Settings'] as const) {
    await showView(page, view);
    const names = await page
      .locator(`#panel-${view.toLowerCase()}`)
      .getByRole('button')
      .evaluateAll((buttons) =>
        buttons.filter((button) => (button as HTMLElement).offsetParent !== null).map((button) => button.getAttribute('aria-label') ?? button.textContent?.trim() ?? ''),
      );
    const counts = new Map<string, number>();
    for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
    for (const [name, count] of counts) if (count > 1) repeated.push(`${view}: “${name}” ×${count}`);
  }
  assert.deepEqual(repeated, []);
});

test('Routing lists the open maintenance windows; “End now” is reached with Tab and pressed with Enter', async (t) => {
  const page = await open(t, 720, 900);
  await showView(page, 'Routing');
  const windows = page.getByTestId('maintenance-windows');
  await windows.getByText('Server swap at the main office').waitFor();
  assert.match(await windows.innerText(), /Nightly patching/);
  const endNow = windows.getByRole('button', { name: 'End now: maintenance window “Server swap at the main office”' });
  // Walk the page with Tab, as a keyboard user does, until the button has focus.
  for (let presses = 0; presses < 80 && !(await endNow.evaluate((button) => button === document.activeElement)); presses++) await page.keyboard.press('Tab');
  assert.ok(await endNow.evaluate((button) => button === document.activeElement), 'End now is reachable with Tab');
  await page.keyboard.press('Enter');
  // An ended window stays listed, as ended (with who ended it), and has no End now any more.
  await windows.locator('li[data-state="ended"]').filter({ hasText: 'Server swap at the main office' }).waitFor();
  assert.equal(await endNow.count(), 0);
  const admin = new URL(relay.adminUrl);
  const listed = (await (
    await fetch(`${admin.origin}/api/listMaintenanceWindows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.searchParams.get('token')}` },
      body: '{}',
    })
  ).json()) as { name: string; state: string }[];
  const state = (name: string) => listed.find((window) => window.name === name)?.state;
  assert.equal(state('Server swap at the main office'), 'ended');
  assert.notEqual(state('Nightly patching'), 'ended', 'only the window whose button was pressed');
});
