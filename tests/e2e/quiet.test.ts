/**
 * Quiet nights in a real browser (Debian's chromium through playwright-core) against the real
 * headless relay (a child process), a fake Level API and a fake ilert, at 720 and 1600 px: a
 * maintenance window made from a group's row in Routing and one from an alert row, a new alert
 * inside a window shown held with its reason, and "Send now" forwarding it. The renderer must be
 * built first (`npm run build`).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { FakeLevelApi, type FakeDevice, type FakeGroup } from '../fakes/fake-level-api.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { INTEGRATION_KEY, SECRET, tempDataDir, stopChildRelay, type ChildRelay } from '../helpers/relay-harness.ts';
import { openDashboard, startRelayAndBrowser, screenshot } from '../helpers/browser.ts';

const LEVEL_API_KEY = 'level-api-key-for-quiet-e2e';
const WIDTHS = [720, 1600] as const;
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

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

async function openTab(name: 'Alerts' | 'Routing'): Promise<void> {
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

    await alertRow(patched).getByTestId(`alert-send-now-${patched}`).click();
    await ilert.waitFor(() => ilert.eventTypesFor(alertKeyOf(patched)).includes('ALERT'), 5000, 'the held alert sent to ilert');
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
}

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

/** axe-core's WCAG 2.0/2.1 A and AA rules, as in a11y.test.ts: the serious and critical findings. */
async function seriousViolations(axePage: Page, where: string): Promise<string[]> {
  if (!(await axePage.evaluate(() => 'axe' in window))) await axePage.addScriptTag({ path: AXE });
  const violations = (await axePage.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }
    ).axe;
    return (await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] })).violations;
  })) as { id: string; impact: string; nodes: { target: string[] }[] }[];
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${where}: ${violation.id} (${violation.impact}) at ${violation.nodes.map((node) => node.target.join(' ')).join(' | ')}`);
}

for (const scheme of ['light', 'dark'] as const) {
  test(`axe in ${scheme} mode: a held row, the maintenance dialog with a refused field, and the route editor`, async (t) => {
    // axe is injected as a script tag, which the dashboard's CSP refuses: bypassed for this page only.
    const context = await browser.newContext({ viewport: { width: 720, height: 900 }, colorScheme: scheme, bypassCSP: true });
    t.after(() => context.close());
    const axePage = await context.newPage();
    axePage.setDefaultTimeout(10_000);
    await axePage.goto(relay.adminUrl);
    await axePage.getByTestId('app-ready').waitFor();
    const { workstation } = fleet.get(720)!;
    await axePage.locator('[data-testid^="alert-held-"]').filter({ hasText: `maintenance window “Quiet WS 720”` }).first().waitFor();
    const found = await seriousViolations(axePage, 'Alerts with a held row');

    const quiet = axePage.getByRole('button', { name: new RegExp(`^Quiet… .* on ${workstation.hostname}$`) }).first();
    await quiet.click();
    const dialog = axePage.getByTestId('maintenance-dialog').filter({ visible: true });
    await dialog.getByRole('button', { name: 'Create window' }).click();
    await dialog.getByTestId('maintenance-error-name').waitFor();
    found.push(...(await seriousViolations(axePage, 'the maintenance dialog')));
    await axePage.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await axePage.getByRole('tab', { name: 'Routing' }).click();
    await axePage.getByTestId(`route-hold-down-${fleet.get(720)!.flappy.id}`).waitFor();
    found.push(...(await seriousViolations(axePage, 'Routing with a route’s hold-down and grace')));
    assert.deepEqual(found, []);
  });
}

test('no page errors', () => {
  assert.deepEqual(pageErrors, []);
});
