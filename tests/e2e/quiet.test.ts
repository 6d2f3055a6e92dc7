/**
 * Quiet nights in a real browser (Debian's chromium through playwright-core) against the real
 * headless relay (a child process), a fake Level API and a fake ilert, at 720 and 1600 px: a
 * maintenance window made from a group's row in Routing, one from an alert row and others from
 * "New window…" (weekly, one-off for an ilert target), a new alert inside a window shown held with
 * its reason and under the "held" filters of Alerts and Deliveries, "Send now" forwarding it, and an
 * operator (not only an admin) making windows, also from the address the tray's "Maintenance…" opens.
 * The renderer must be built first (`npm run build`).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { FakeLevelApi, type FakeDevice, type FakeGroup } from '../fakes/fake-level-api.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { INTEGRATION_KEY, SECRET, tempDataDir, stopChildRelay, type ChildRelay } from '../helpers/relay-harness.ts';
import { callAdmin, openDashboard, startRelayAndBrowser, screenshot } from '../helpers/browser.ts';
import { WEEKDAYS } from '../../shared/contract.ts';
import { seriousViolationsInBothSchemes, reloadForAxe } from '../helpers/axe.ts';

const LEVEL_API_KEY = 'level-api-key-for-quiet-e2e';
const WIDTHS = [720, 1600] as const;

let ilert: FakeIlert;
let level: FakeLevelApi;
let relay: ChildRelay;
let browser: Browser;
let page: Page;
let sender: LevelSender;
let pageErrors: string[] = [];
/** Per width: a group patched tonight with its server, a workstation elsewhere quietened from its alert, and a flapping group with its NAS. */
const fleet = new Map<number, { group: FakeGroup; server: FakeDevice; workstation: FakeDevice; flappy: FakeGroup; nas: FakeDevice }>();

before(async () => {
  ilert = await new FakeIlert().start();
  ilert.addAlertSource({ integrationKey: INTEGRATION_KEY, name: 'Level (default)' });
  level = await new FakeLevelApi({ apiKey: LEVEL_API_KEY }).start();
  for (const width of WIDTHS) {
    const group = level.addGroup({ name: `Patched ${width}` });
    const office = level.addGroup({ name: `Office ${width}` });
    const flappy = level.addGroup({ name: `Flappy ${width}` });
    fleet.set(width, {
      group,
      server: level.addDevice({ hostname: `SRV-${width}`, group_id: group.id }),
      workstation: level.addDevice({ hostname: `WS-${width}`, group_id: office.id }),
      flappy,
      nas: level.addDevice({ hostname: `NAS-${width}`, group_id: flappy.id }),
    });
  }
  [relay, browser] = await startRelayAndBrowser({
    RELAY_DATA_DIR: tempDataDir('relay-e2e-quiet-'),
    LEVEL_WEBHOOK_SECRET: SECRET,
    ILERT_INTEGRATION_KEY: INTEGRATION_KEY,
    ILERT_API_URL: ilert.url,
    LEVEL_API_URL: level.url,
    LEVEL_API_KEY: LEVEL_API_KEY,
  });
  sender = new LevelSender({ url: relay.url, secret: SECRET, attempts: 1 });
  ({ page, errors: pageErrors } = await openDashboard(browser, relay.adminUrl));
});

after(async () => {
  await browser?.close();
  await stopChildRelay(relay);
  await Promise.all([ilert?.stop(), level?.stop()]);
});

async function openTab(name: 'Alerts' | 'Routing' | 'Deliveries'): Promise<void> {
  await page.getByRole('tab', { name }).click();
  await page.getByTestId(`${name.toLowerCase()}-view`).waitFor();
}

const alertRow = (levelAlertId: string): Locator => page.locator(`[data-testid="active-alerts"] [data-testid="alert-row"][data-alert-id="${levelAlertId}"]`);
const alertKeyOf = (levelAlertId: string) => `level-alert-${levelAlertId}`;

async function raise(device: FakeDevice, name: string): Promise<string> {
  const created = level.addAlert({ device_id: device.id, name, severity: 'critical', started_at: new Date(Date.now() - 60_000).toISOString() });
  const event = alertEvent({ alertId: created.id, name, severity: 'critical', hostname: device.hostname });
  event.data.device_id = device.id;
  event.data.started_at = created.started_at;
  const outcome = await sender.deliver(event);
  assert.ok(outcome.acknowledged, `Level's delivery was not acknowledged: ${JSON.stringify(outcome.attempts)}`);
  return created.id;
}

test('Routing knows the Level groups', async () => {
  await openTab('Routing');
  await page.getByTestId('sync-level').click();
  await page
    .getByTestId('sync-result')
    .filter({ hasText: /^Synced at/ })
    .waitFor();
});

for (const width of WIDTHS) {
  test(`at ${width} px: a window from a group's row holds a new alert with its reason, and Send now sends it to ilert`, async () => {
    const { group, server } = fleet.get(width)!;
    const windowName = `Patch night ${width}`;
    await page.setViewportSize({ width, height: 900 });
    await openTab('Routing');

    await page.getByTestId(`route-maintenance-${group.id}`).click();
    const dialog = page.getByTestId('maintenance-dialog').filter({ hasText: `group Patched ${width}` });
    await dialog.getByTestId('maintenance-name').waitFor();
    // The relay refuses a window without a name: its reason shows beside the field, and nothing is lost.
    await dialog.getByTestId('maintenance-reason').fill('monthly patches');
    await dialog.getByTestId('maintenance-create').click();
    await dialog.getByTestId('maintenance-error-name').waitFor();
    assert.equal(await dialog.getByTestId('maintenance-reason').inputValue(), 'monthly patches');
    assert.deepEqual(pageErrors.splice(0), ['console error: Failed to load resource: the server responded with a status of 400 (Bad Request)']);
    await dialog.getByTestId('maintenance-name').fill(windowName);
    await dialog.getByTestId('maintenance-1h').check();
    await dialog.getByTestId('maintenance-create').click();
    await page.getByTestId('maintenance-windows').filter({ hasText: windowName }).waitFor();
    assert.equal(await dialog.isVisible(), false, 'the dialog closes once the window is made');
    await screenshot(page, `quiet-${width}-routing`);

    const { workstation } = fleet.get(width)!;
    const outside = await raise(workstation, `Printer jam ${width}`);
    await ilert.waitFor(() => ilert.eventTypesFor(alertKeyOf(outside)).includes('ALERT'), 5000, 'an alert outside the window, sent at once');
    const patched = await raise(server, `Reboot pending ${width}`);
    await openTab('Alerts');
    const held = alertRow(patched).getByTestId(`alert-held-${patched}`);
    await held.filter({ hasText: new RegExp(`^held until \\d\\d:\\d\\d: maintenance window “${windowName}”$`) }).waitFor();
    assert.deepEqual(ilert.eventsFor(alertKeyOf(patched)), [], 'a held alert is not sent');
    assert.equal(await alertRow(patched).getByTestId(`alert-held-list-${patched}`).getAttribute('href'), '#/deliveries?status=held');

    await alertRow(patched).getByTestId(`alert-timeline-${patched}`).click();
    const timeline = page.getByTestId('alert-timeline').filter({ visible: true });
    await timeline
      .getByTestId('timeline-step')
      .filter({ hasText: `maintenance window “${windowName}”` })
      .waitFor();
    await page.keyboard.press('Escape');
    await timeline.waitFor({ state: 'hidden' });
    await screenshot(page, `quiet-${width}-held`);

    // The ledger: Alerts filtered on held (in the address, so it can be a link), then Deliveries.
    const heldFilter = page.getByTestId('alert-filter-held');
    await heldFilter.click();
    await page.waitForFunction(() => window.location.hash.includes('held=1'));
    assert.equal(await heldFilter.getAttribute('aria-pressed'), 'true');
    await alertRow(outside).waitFor({ state: 'detached' });
    await alertRow(patched).waitFor();
    await alertRow(patched).getByTestId(`alert-held-list-${patched}`).click();
    await page.getByTestId('deliveries-view').waitFor();
    const heldDelivery = page.locator('[data-testid="delivery-row"][data-status="held"]').filter({ hasText: `Reboot pending ${width}` });
    await heldDelivery.click();
    await page
      .getByTestId('job-held')
      .filter({ hasText: `maintenance window “${windowName}”` })
      .waitFor();
    assert.equal(
      await page
        .locator('[data-testid="delivery-row"]')
        .filter({ hasText: `Printer jam ${width}` })
        .count(),
      0,
      'only the held ones',
    );
    await screenshot(page, `quiet-${width}-deliveries-held`);
    await openTab('Alerts');

    await alertRow(patched).getByTestId(`alert-send-now-${patched}`).click();
    await ilert.waitFor(() => ilert.eventTypesFor(alertKeyOf(patched)).includes('ALERT'), 5000, 'the held alert sent to ilert');
    await alertRow(patched).waitFor({ state: 'detached' });
    await heldFilter.click();
    await page.waitForFunction(() => !window.location.hash.includes('held=1'));
    await alertRow(patched)
      .getByTestId('forwarding-badge')
      .filter({ hasText: /delivered/i })
      .waitFor();
    assert.equal(await alertRow(patched).getByTestId(`alert-held-${patched}`).count(), 0, 'the row no longer says held');
  });

  test(`at ${width} px: “Quiet…” on an alert row makes a window for its device, and the device's next alert is held`, async () => {
    const { workstation } = fleet.get(width)!;
    const windowName = `Quiet WS ${width}`;
    await page.setViewportSize({ width, height: 900 });
    await openTab('Alerts');
    const first = await raise(workstation, `Disk almost full ${width}`);
    await ilert.waitFor(() => ilert.eventTypesFor(alertKeyOf(first)).includes('ALERT'), 5000, 'an alert outside any window is sent');

    await alertRow(first).getByTestId(`alert-quiet-${first}`).click();
    const dialog = page.getByTestId('maintenance-dialog').filter({ visible: true });
    await dialog.getByRole('radio', { name: `this device (${workstation.hostname})` }).check();
    await dialog.getByRole('textbox', { name: 'Name' }).fill(windowName);
    await dialog.getByRole('radio', { name: '2 h' }).check();
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });

    const next = await raise(workstation, `Disk full ${width}`);
    await alertRow(next)
      .getByTestId(`alert-held-${next}`)
      .filter({ hasText: `maintenance window “${windowName}”` })
      .waitFor();
    assert.deepEqual(ilert.eventsFor(alertKeyOf(next)), [], 'held inside the window');
    await openTab('Routing');
    await page.getByTestId('maintenance-windows').filter({ hasText: windowName }).waitFor();
  });

  test(`at ${width} px: “New window…” in Routing makes a ${width === 720 ? 'weekly window crossing midnight' : 'one-off window for an ilert target'}, listed with its schedule and state`, async () => {
    await page.setViewportSize({ width, height: 900 });
    await openTab('Routing');
    await page.getByTestId('maintenance-new').click();
    const dialog = page.getByTestId('maintenance-dialog').filter({ visible: true });
    const windowName = `${width === 720 ? 'Backups' : 'ilert upgrade'} ${width}`;
    await dialog.getByRole('textbox', { name: 'Name' }).fill(windowName);
    let expected: RegExp;
    if (width === 720) {
      await dialog.getByRole('radio', { name: 'a Level group' }).check();
      await dialog.getByTestId('maintenance-pick').selectOption({ label: `Office ${width}` });
      await dialog.getByRole('radio', { name: 'every week' }).check();
      // Two days ahead: scheduled whatever the time of day, in any zone.
      const day = WEEKDAYS[(new Date().getDay() + 2) % 7]!;
      const next = WEEKDAYS[(new Date().getDay() + 3) % 7]!;
      await dialog.getByTestId(`maintenance-day-${day}`).check();
      await dialog.getByTestId('maintenance-start-time').fill('22:00');
      await dialog.getByTestId('maintenance-end-time').fill('22:00');
      await dialog.getByTestId('maintenance-create').click();
      await dialog.getByTestId('maintenance-error-when').filter({ hasText: 'start and end are the same time' }).waitFor();
      await dialog.getByTestId('maintenance-end-time').fill('04:00');
      const zone = dialog.getByRole('combobox', { name: 'Time zone' });
      assert.notEqual(await zone.inputValue(), '', 'the browser’s zone is offered');
      await zone.fill('Mars/Olympus_Mons');
      await dialog.getByTestId('maintenance-create').click();
      await dialog.getByTestId('maintenance-error-zone').filter({ hasText: 'unknown time zone “Mars/Olympus_Mons”' }).waitFor();
      assert.equal(await zone.getAttribute('aria-invalid'), 'true');
      await screenshot(page, `quiet-${width}-new-window-refused`);
      await zone.fill('Europe/Berlin');
      const word = (name: string) => name[0]!.toUpperCase() + name.slice(1);
      expected = new RegExp(`^${word(day)} 22:00–${word(next)} 04:00 Europe/Berlin$`);
    } else {
      await dialog.getByRole('radio', { name: 'an ilert target' }).check();
      await dialog.getByTestId('maintenance-pick').selectOption({ label: 'default' });
      await dialog.getByRole('radio', { name: 'once, from … to …' }).check();
      const tomorrow = new Date(Date.now() + 86_400_000);
      const date = `${tomorrow.getFullYear()}-${String(tomorrow.getMonth() + 1).padStart(2, '0')}-${String(tomorrow.getDate()).padStart(2, '0')}`;
      await dialog.getByTestId('maintenance-from').fill(`${date}T01:00`);
      await dialog.getByTestId('maintenance-to').fill(`${date}T03:00`);
      expected = new RegExp(`^\\w{3} ${tomorrow.getDate()} \\w{3} 01:00–\\w{3} ${tomorrow.getDate()} \\w{3} 03:00$`);
    }
    assert.deepEqual(
      pageErrors.splice(0).filter((error) => !error.includes('400 (Bad Request)')),
      [],
    );
    await dialog.getByTestId('maintenance-create').click();
    await dialog.waitFor({ state: 'hidden' });
    const listed = page.getByTestId('maintenance-windows').locator('li').filter({ hasText: windowName });
    await listed.waitFor();
    assert.equal(await listed.getAttribute('data-state'), 'scheduled');
    assert.match(await listed.locator('[data-testid^="window-schedule-"]').innerText(), expected);
    assert.match(await listed.innerText(), width === 720 ? new RegExp(`group Office ${width} and its subgroups`) : /ilert target “default”/);
    assert.match(await listed.innerText(), /made by .+/);
    await screenshot(page, `quiet-${width}-new-window`);
    if (width === 1600) {
      await listed.getByRole('button', { name: `End now: maintenance window “${windowName}”` }).click();
      await page.getByTestId('maintenance-windows').locator('li[data-state="ended"]').filter({ hasText: windowName }).waitFor();
    }
  });
}

test('an operator makes windows: from #/routing?window=new (where the tray’s Maintenance… opens) and a group’s row, whose route stays admin-only', async (t) => {
  const { group } = fleet.get(720)!;
  const invited = await callAdmin<{ pairingUrl: string }>(page, 'createMember', { name: 'Otto Operator', role: 'operator' });
  const context = await browser.newContext({ viewport: { width: 720, height: 900 } });
  t.after(() => context.close());
  const operator = await context.newPage();
  operator.setDefaultTimeout(10_000);
  await operator.goto(invited.pairingUrl);
  await operator.getByRole('button', { name: 'Pair and open the dashboard' }).click();
  await operator.getByTestId('app-ready').waitFor();
  assert.equal(await operator.locator('.app').getAttribute('data-role'), 'operator');

  await operator.goto(new URL('/#/routing?window=new', relay.adminUrl).href);
  const dialog = operator.getByTestId('maintenance-dialog').filter({ visible: true });
  await dialog.getByRole('heading', { name: 'Maintenance window: any scope' }).waitFor();
  await dialog.getByRole('radio', { name: 'a Level group' }).check();
  await dialog.getByTestId('maintenance-pick').selectOption({ label: `Patched 1600` });
  await dialog.getByRole('textbox', { name: 'Name' }).fill('Otto’s window');
  await dialog.getByTestId('maintenance-create').click();
  await dialog.waitFor({ state: 'hidden' });
  await operator.waitForFunction(() => window.location.hash === '#/routing');
  const listed = operator.getByTestId('maintenance-windows').locator('li').filter({ hasText: 'Otto’s window' });
  await listed.filter({ hasText: 'made by Otto Operator' }).waitFor();

  const maintenance = operator.getByTestId(`route-maintenance-${group.id}`);
  assert.equal(await maintenance.isEnabled(), true, 'an operator may quiet a group from its row');
  assert.equal(await operator.getByTestId(`route-target-${group.id}`).isDisabled(), true, 'but not change its route');
  await maintenance.click();
  await operator.getByTestId('maintenance-dialog').filter({ visible: true }).getByRole('textbox', { name: 'Name' }).waitFor();
  await operator.keyboard.press('Escape');
  await screenshot(operator, 'quiet-720-operator-routing');
  await listed.getByRole('button', { name: 'End now: maintenance window “Otto’s window”' }).click();
  await operator.getByTestId('maintenance-windows').locator('li[data-state="ended"]').filter({ hasText: 'Otto’s window' }).waitFor();
});

for (const width of WIDTHS) {
  test(`at ${width} px: a group's own hold-down and resolve grace are set in its route editor, and its next alert says it is held down`, async () => {
    const { flappy, nas } = fleet.get(width)!;
    await page.setViewportSize({ width, height: 900 });
    await openTab('Routing');
    await page.getByTestId(`route-target-${flappy.id}`).selectOption('default');
    const holdDown = page.getByRole('spinbutton', { name: `Hold-down in seconds for Flappy ${width}` });
    await holdDown.fill('3600');
    await page.getByRole('spinbutton', { name: `Resolve grace in seconds for Flappy ${width}` }).fill('300');
    await holdDown.press('Enter');
    await page.getByTestId(`route-save-${flappy.id}`).waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId(`route-hold-down-${flappy.id}`).inputValue(), '3600', 'saved, as the relay now has it');
    assert.equal(await page.getByTestId(`route-grace-${flappy.id}`).inputValue(), '300');
    const sideways = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(sideways <= 0, `the Routing tab fits ${width} px (${sideways} px too wide)`);
    await screenshot(page, `quiet-${width}-flapping-route`);

    const flapping = await raise(nas, `Volume degraded ${width}`);
    await openTab('Alerts');
    await alertRow(flapping)
      .getByTestId(`alert-held-${flapping}`)
      .filter({ hasText: /^held until \d\d:\d\d: hold-down 1 h$/ })
      .waitFor();
    assert.deepEqual(ilert.eventsFor(alertKeyOf(flapping)), [], 'held down');
  });
}

test('axe in light and dark mode: a held row, the maintenance dialog with a refused field, and the route editor', async () => {
  const axePage = await reloadForAxe(page, relay.adminUrl);
  const { workstation } = fleet.get(720)!;
  await axePage.locator('[data-testid^="alert-held-"]').filter({ hasText: `maintenance window “Quiet WS 720”` }).first().waitFor();
  const found = await seriousViolationsInBothSchemes(axePage, 'Alerts with a held row');

  const quiet = axePage.getByRole('button', { name: new RegExp(`^Quiet… .* on ${workstation.hostname}$`) }).first();
  await quiet.click();
  const dialog = axePage.getByTestId('maintenance-dialog').filter({ visible: true });
  // The refused field is the relay's 400, which the browser logs: the one error this test provokes.
  const errorsBefore = pageErrors.length;
  const logged = axePage.waitForEvent('console', (message) => message.type() === 'error' && message.text().includes('status of 400 (Bad Request)'));
  await dialog.getByRole('button', { name: 'Create window' }).click();
  await dialog.getByTestId('maintenance-error-name').waitFor();
  await logged;
  assert.deepEqual(
    pageErrors.splice(errorsBefore).filter((error) => !error.includes('status of 400 (Bad Request)')),
    [],
  );
  found.push(...(await seriousViolationsInBothSchemes(axePage, 'the maintenance dialog')));
  await axePage.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  await axePage.getByRole('tab', { name: 'Routing' }).click();
  await axePage.getByTestId(`route-hold-down-${fleet.get(720)!.flappy.id}`).waitFor();
  found.push(...(await seriousViolationsInBothSchemes(axePage, 'Routing with a route’s hold-down and grace')));
  assert.deepEqual(found, []);
});

test('no page errors', () => {
  assert.deepEqual(pageErrors, []);
});
