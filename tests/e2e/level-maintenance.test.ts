/**
 * Level's own maintenance mode in a real browser (Debian's chromium through playwright-core)
 * against the real headless relay (a child process): a device webhook turns it on, and the open
 * dashboard shows the badge on the device's alert row, in its timeline and in Routing's counts, at
 * 720 and 1600 px, without a reload (the change is pushed); turned off, the badge goes. Axe-clean
 * in light and dark. The renderer must be built first (`npm run build`).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type Browser, type Page } from 'playwright-core';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { FakeLevelApi, type FakeDevice } from '../fakes/fake-level-api.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { INTEGRATION_KEY, SECRET, tempDataDir, stopChildRelay, type ChildRelay } from '../helpers/relay-harness.ts';
import { openDashboard, startRelayAndBrowser, screenshot } from '../helpers/browser.ts';
import { seriousViolationsInBothSchemes, reloadForAxe } from '../helpers/axe.ts';

const LEVEL_API_KEY = 'level-api-key-for-maintenance-e2e';
let ilert: FakeIlert;
let level: FakeLevelApi;
let server: FakeDevice;
let groupId = '';
let relay: ChildRelay;
let browser: Browser;
let page: Page;
let sender: LevelSender;
let pageErrors: string[] = [];
let alertId = '';

const webhook = (eventType: string, data: Record<string, unknown>) => ({ event_type: eventType, event_id: randomUUID(), occurred_at: new Date().toISOString(), data });
/** What Level does when an automation switches maintenance mode: the device changes, and a device_updated webhook says so (the relay then reads the device back). */
function device(maintenanceMode: boolean) {
  server.maintenance_mode = maintenanceMode;
  return webhook('device_updated', { id: server.id, hostname: server.hostname, group_id: groupId, maintenance_mode: maintenanceMode });
}

before(async () => {
  ilert = await new FakeIlert().start();
  level = await new FakeLevelApi({ apiKey: LEVEL_API_KEY }).start();
  groupId = level.addGroup({ name: 'Patched tonight' }).id;
  server = level.addDevice({ hostname: 'PATCH-SRV-01', group_id: groupId });
  [relay, browser] = await startRelayAndBrowser({
    RELAY_DATA_DIR: tempDataDir('relay-e2e-level-maint-'),
    LEVEL_WEBHOOK_SECRET: SECRET,
    ILERT_INTEGRATION_KEY: INTEGRATION_KEY,
    ILERT_API_URL: ilert.url,
    LEVEL_API_URL: level.url,
    LEVEL_API_KEY: LEVEL_API_KEY,
  });
  sender = new LevelSender({ url: relay.url, secret: SECRET, attempts: 1 });
  const event = alertEvent({ name: 'Pending reboot', hostname: 'PATCH-SRV-01' });
  event.data.device_id = server.id;
  alertId = event.data.id;
  await sender.deliver(event);
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

/** This lane's badges on screen that their box cuts off ("maintena…"), with their widths. */
function cutOff(on: Page): Promise<string[]> {
  return on.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('[data-testid*="level-maintenance"] , [data-testid*="devices-maintenance"]')]
      .filter((pill) => pill.checkVisibility() && pill.scrollWidth > pill.clientWidth + 1)
      .map((pill) => `${pill.dataset.testid}: ${pill.scrollWidth} > ${pill.clientWidth}`),
  );
}

const badge = () => page.locator(`[data-testid="active-alerts"] [data-testid="alert-level-maintenance-${alertId}"]`);

test('turned on in Level: the open dashboard shows the badge on the alert, its timeline and Routing, at 720 and 1600 px', async () => {
  await openTab('Alerts');
  await page.locator(`[data-testid="alert-row"][data-alert-id="${alertId}"]`).first().waitFor();
  assert.equal(await badge().count(), 0, 'not in maintenance yet');
  await sender.deliver(device(true));
  for (const width of [720, 1600]) {
    await page.setViewportSize({ width, height: 900 });
    await openTab('Alerts');
    await badge().waitFor();
    assert.match((await badge().textContent()) ?? '', /maint\.in Level’s maintenance mode since/);
    assert.deepEqual(await cutOff(page), [], 'the badge fits the device column');
    await screenshot(page, `level-maintenance-alerts-${width}`);
    await page.getByTestId(`alert-timeline-${alertId}`).first().click();
    const note = page.getByTestId(`timeline-level-maintenance-${alertId}`).filter({ visible: true });
    await note.waitFor();
    assert.match((await note.textContent()) ?? '', /PATCH-SRV-01 is in Level’s maintenance mode since/);
    await page.keyboard.press('Escape');
    await note.waitFor({ state: 'hidden' });
    await openTab('Routing');
    await page.getByTestId(`route-devices-maintenance-${groupId}`).waitFor();
    assert.equal(await page.getByTestId('routing-devices-maintenance').textContent(), '1 in maintenance');
    assert.deepEqual(await cutOff(page), [], 'the counts fit their columns');
  }
  await openTab('Alerts');
  await sender.deliver(device(false));
  await badge().waitFor({ state: 'detached' });
});

test('axe in light and dark mode: the badge on an alert row, in the timeline and in Routing', async () => {
  await sender.deliver(device(true));
  const axePage = await reloadForAxe(page, relay.adminUrl);
  await axePage.locator(`[data-testid="active-alerts"] [data-testid="alert-level-maintenance-${alertId}"]`).waitFor();
  const found = await seriousViolationsInBothSchemes(axePage, 'Alerts with a device in maintenance');
  await axePage.getByTestId(`alert-timeline-${alertId}`).first().click();
  await axePage.getByTestId(`timeline-level-maintenance-${alertId}`).filter({ visible: true }).waitFor();
  found.push(...(await seriousViolationsInBothSchemes(axePage, 'the timeline')));
  await axePage.keyboard.press('Escape');
  await axePage.getByRole('tab', { name: 'Routing' }).click();
  await axePage.getByTestId(`route-devices-maintenance-${groupId}`).waitFor();
  found.push(...(await seriousViolationsInBothSchemes(axePage, 'Routing')));
  assert.deepEqual(found, []);
});

test('no page errors', () => {
  assert.deepEqual(pageErrors, []);
});
