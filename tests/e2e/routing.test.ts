/**
 * Routing by Level group and ilert's alert states, in a real browser (Debian's chromium through
 * playwright-core) against the real headless relay (a child process), a fake Level API and a fake
 * ilert (Events API plus the REST side read with a user API key). The renderer must be built first
 * (`npx vite build && npx vite build --mode cli`; `npm test` does it in `pretest`).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { FakeLevelApi, type FakeDevice, type FakeGroup } from '../fakes/fake-level-api.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { INTEGRATION_KEY, SECRET, startChildRelay, tempDataDir, stopChildRelay, type ChildRelay } from '../helpers/relay-harness.ts';
import { openDashboard, startRelayAndBrowser, screenshot } from '../helpers/browser.ts';

const LEVEL_API_KEY = 'level-api-key-for-routing-e2e';
const ILERT_USER_KEY = 'il-user-api-key-routing-e2e';
const ACME_TARGET = 'Acme Corp';
const ACME_KEY = 'il1apiacme0123456789abcdef';

let ilert: FakeIlert;
let level: FakeLevelApi;
let relay: ChildRelay;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let sender: LevelSender;
let pageErrors: string[] = [];

// Level's tree: Acme Corp › Headquarters › Servers, Globex beside it, and a group whose parent Level no longer lists.
let acme: FakeGroup;
let hq: FakeGroup;
let servers: FakeGroup;
let globex: FakeGroup;
let orphan: FakeGroup;
let dc01: FakeDevice;
let hqPc: FakeDevice;
let fs01: FakeDevice;
let globexWs: FakeDevice;

before(async () => {
  ilert = await new FakeIlert().start();
  ilert.apiKeys.add(ILERT_USER_KEY);
  ilert.addAlertSource({ integrationKey: INTEGRATION_KEY, name: 'Level (default)' });
  ilert.addAlertSource({ integrationKey: ACME_KEY, name: 'Acme Corp' });

  level = await new FakeLevelApi({ apiKey: LEVEL_API_KEY }).start();
  acme = level.addGroup({ name: 'Acme Corp' });
  hq = level.addGroup({ name: 'Headquarters', parent_id: acme.id });
  servers = level.addGroup({ name: 'Servers', parent_id: hq.id });
  globex = level.addGroup({ name: 'Globex' });
  orphan = level.addGroup({ name: 'Zeta Lab', parent_id: 'a-deleted-group' });
  level.addDevice({ hostname: 'ACME-LAPTOP-07', group_id: acme.id });
  hqPc = level.addDevice({ hostname: 'HQ-RECEPTION', group_id: hq.id });
  dc01 = level.addDevice({ hostname: 'ACME-DC01', group_id: servers.id });
  fs01 = level.addDevice({ hostname: 'ACME-FS01', group_id: servers.id });
  globexWs = level.addDevice({ hostname: 'GLOBEX-WS1', group_id: globex.id });

  [relay, browser] = await startRelayAndBrowser({
    RELAY_DATA_DIR: tempDataDir('relay-e2e-routing-'),
    LEVEL_WEBHOOK_SECRET: SECRET,
    ILERT_INTEGRATION_KEY: INTEGRATION_KEY,
    ILERT_API_URL: ilert.url,
    ILERT_API_KEY: ILERT_USER_KEY,
    LEVEL_API_URL: level.url,
    LEVEL_API_KEY: LEVEL_API_KEY,
    RELAY_ILERT_POLL_MS: '500',
    ILERT_ALERT_LINK: 'https://acme.ilert.com/alerts/{id}',
    LEVEL_DEVICE_LINK: 'https://app.level.io/devices/{id}',
  });
  sender = new LevelSender({ url: relay.url, secret: SECRET, attempts: 1 });
  ({ context, page, errors: pageErrors } = await openDashboard(browser, relay.adminUrl));
});

after(async () => {
  await browser?.close();
  await stopChildRelay(relay);
  await Promise.all([ilert?.stop(), level?.stop()]);
});

async function openTab(name: 'Alerts' | 'Deliveries' | 'Routing' | 'Settings' | 'Health'): Promise<void> {
  await page.getByRole('tab', { name }).click();
  await page.getByTestId(`${name.toLowerCase()}-view`).waitFor();
}

const routingRow = (group: FakeGroup, effective?: string): Locator =>
  page.locator(`[data-testid="routing-row"][data-group-id="${group.id}"]${effective ? `[data-effective="${effective}"]` : ''}`);
const alertRow = (levelAlertId: string): Locator => page.locator(`[data-testid="alert-row"][data-alert-id="${levelAlertId}"]`);
const alertKeyOf = (levelAlertId: string) => `level-alert-${levelAlertId}`;

/** An alert raised in Level: in its API (so reconciliation agrees it is active) and as a signed webhook. */
async function raise(device: FakeDevice, name: string, severity: 'critical' | 'warning' = 'critical'): Promise<string> {
  const created = level.addAlert({ device_id: device.id, name, severity, started_at: new Date(Date.now() - 5 * 60_000).toISOString() });
  const event = alertEvent({ alertId: created.id, name, severity, hostname: device.hostname });
  event.data.device_id = device.id;
  event.data.started_at = created.started_at;
  const outcome = await sender.deliver(event);
  assert.ok(outcome.acknowledged, `Level's delivery was not acknowledged: ${JSON.stringify(outcome.attempts)}`);
  return created.id;
}

test('Settings: an ilert target is added with its key, which is masked once saved; the Level API connection tests fine', async () => {
  await openTab('Settings');
  await page.getByTestId('locked-levelApiUrl').filter({ hasText: 'LEVEL_API_URL' }).waitFor();
  assert.equal(await page.getByTestId('replace-levelApiKey').isDisabled(), true, 'the Level API key is set by the environment');
  assert.equal(await page.getByTestId('replace-ilertApiKey').isDisabled(), true, 'the ilert API key is set by the environment');

  await page.getByTestId('test-level-connection').click();
  await page
    .getByTestId('level-connection-result')
    .filter({ hasText: /^Connected at \d\d:\d\d/ })
    .waitFor();
  await screenshot(page.getByTestId('level-api-settings'), 'settings-level-api');

  await page.getByTestId('add-target').click();
  await page.getByTestId('target-name-0').fill(ACME_TARGET);
  await page.getByTestId('settings-save').click();
  await page.getByTestId('error-ilertTargets.0.integrationKey').waitFor();
  assert.equal(await page.getByTestId('target-name-0').inputValue(), ACME_TARGET, 'what the user typed is kept');

  await page.getByTestId('target-key-0').fill(ACME_KEY);
  await page.getByTestId('settings-save').click();
  await page.getByTestId('settings-saved').filter({ hasText: 'ilert targets' }).waitFor();
  const target = page.locator(`[data-testid="ilert-target"][data-target-name="${ACME_TARGET}"]`);
  const hint = await target.getByTestId('target-hint-0').innerText();
  assert.ok(hint.length > 0 && !hint.includes(ACME_KEY), `the saved key is masked: ${hint}`);
  assert.ok(!(await page.content()).includes(ACME_KEY), 'the key is nowhere in the page once saved');
  await screenshot(page, 'settings-targets');
});

test('Routing: the group tree is indented with device counts; a parent mapped to a target is inherited below it', async () => {
  await openTab('Routing');
  await page.getByTestId('sync-level').click();
  await page
    .getByTestId('sync-result')
    .filter({ hasText: /^Synced at \d\d:\d\d/ })
    .waitFor();
  await page.locator('[data-testid="routing-row"]').nth(4).waitFor();

  const rows = await page.locator('[data-testid="routing-row"]').evaluateAll((elements) =>
    elements.map((row) => ({
      id: row.getAttribute('data-group-id'),
      depth: Number(row.getAttribute('data-depth')),
      indent: parseFloat(getComputedStyle(row.querySelector('.r-indent')!).paddingLeft),
      devices: row.querySelector('[data-testid^="route-devices-"]')!.textContent!.replace(/\s+/g, ''),
    })),
  );
  assert.deepEqual(
    rows.map(({ id, depth, devices }) => ({ id, depth, devices })),
    [
      { id: acme.id, depth: 0, devices: '1/4' },
      { id: hq.id, depth: 1, devices: '1/3' },
      { id: servers.id, depth: 2, devices: '2/2' },
      { id: globex.id, depth: 0, devices: '1/1' },
      { id: orphan.id, depth: 0, devices: '0/0' },
    ],
  );
  assert.ok(rows[0]!.indent < rows[1]!.indent && rows[1]!.indent < rows[2]!.indent && rows[3]!.indent === rows[0]!.indent, `indented by depth: ${JSON.stringify(rows)}`);
  await page.getByTestId(`route-flag-${orphan.id}`).filter({ hasText: 'a-deleted-group' }).waitFor();
  assert.equal(await page.getByTestId(`route-flag-${acme.id}`).count(), 0);
  await page
    .getByTestId('routing-summary')
    .filter({ hasText: /5 groups · 0 mapped · 0 of 5 devices routed by a group mapping \(the rest go to the default target\)/ })
    .waitFor();
  assert.equal(await routingRow(servers).getAttribute('data-effective'), 'default');

  await page.getByTestId(`route-target-${acme.id}`).selectOption(ACME_TARGET);
  await page.getByTestId(`route-save-${acme.id}`).click();
  await routingRow(acme, 'mapped').waitFor();
  for (const child of [hq, servers]) {
    const effective = page.getByTestId(`route-effective-${child.id}`);
    await effective.filter({ hasText: `inherited from ‘${acme.name}’ → target ${ACME_TARGET}` }).waitFor();
    assert.match(await effective.innerText(), /Acme Corp/);
  }
  assert.equal(await routingRow(globex).getAttribute('data-effective'), 'default');
  await page
    .getByTestId('routing-summary')
    .filter({ hasText: /1 mapped · 4 of 5 devices routed by a group mapping/ })
    .waitFor();
  assert.equal(await page.getByTestId(`route-save-${acme.id}`).count(), 0, 'nothing left to save on the row');
  await screenshot(page, 'routing');
});

let dcAlert: string;
let hqAlert: string;

test('An alert from a device in a child group goes to the inherited target, and the alert shows its route', async () => {
  dcAlert = await raise(dc01, 'Domain controller unreachable');
  await ilert.waitFor(() => ilert.eventsFor(alertKeyOf(dcAlert)).length > 0, 10_000, 'the ALERT event of the DC01 alert');
  const [sent] = ilert.eventsFor(alertKeyOf(dcAlert));
  assert.equal(sent!.eventType, 'ALERT');
  assert.equal(sent!.integrationKey, ACME_KEY, 'sent with the Acme target’s integration key');

  const globexAlert = await raise(globexWs, 'Low disk space', 'warning');
  await ilert.waitFor(() => ilert.eventsFor(alertKeyOf(globexAlert)).length > 0, 10_000, 'the ALERT event of the Globex alert');
  assert.equal(ilert.eventsFor(alertKeyOf(globexAlert))[0]!.integrationKey, INTEGRATION_KEY, 'an unmapped group goes to the default key');

  await openTab('Alerts');
  const route = alertRow(dcAlert).getByTestId(`alert-route-${dcAlert}`);
  await route.filter({ hasText: `→ ${ACME_TARGET}` }).waitFor();
  assert.match(await route.innerText(), /Servers/);
  assert.match((await route.getAttribute('title')) ?? '', /Acme Corp \/ Headquarters \/ Servers/);
  await page.getByTestId(`alert-route-${globexAlert}`).filter({ hasText: '→ default' }).waitFor();
});

test('Accepted by someone in ilert: the Alerts tab shows ACCEPTED and who, after the relay polls', async () => {
  const status = page.getByTestId(`alert-ilert-status-${dcAlert}`);
  await status.filter({ hasText: 'PENDING' }).waitFor();
  await page.getByTestId(`alert-accept-${dcAlert}`).waitFor();

  ilert.acceptAlert(alertKeyOf(dcAlert), 'Dana Ops');
  await status.filter({ hasText: 'ACCEPTED' }).waitFor();
  await page.getByTestId(`alert-accepted-by-${dcAlert}`).filter({ hasText: 'Dana Ops' }).waitFor();
  assert.equal(await page.getByTestId(`alert-accept-${dcAlert}`).count(), 0, 'no Accept button for an accepted alert');
  assert.equal(await page.getByTestId(`alert-mismatch-${dcAlert}`).count(), 0);

  // Links out, from the link settings: ilert's id was read back with the state, Level's device id came with the alert.
  const toIlert = alertRow(dcAlert).getByRole('link', { name: 'Open Domain controller unreachable in ilert' });
  assert.equal(await toIlert.getAttribute('href'), `https://acme.ilert.com/alerts/${ilert.alertByKey(alertKeyOf(dcAlert))!.id}`);
  const [link, row] = [await toIlert.boundingBox(), await alertRow(dcAlert).boundingBox()];
  assert.ok(link && row && link.y >= row.y && link.y + link.height <= row.y + row.height, 'the link is on the row, not cut off');
  assert.equal(await toIlert.getAttribute('target'), '_blank');
  assert.equal(await toIlert.getAttribute('rel'), 'noopener noreferrer');
  assert.equal(await alertRow(dcAlert).getByRole('link', { name: 'Open the device ACME-DC01 in Level' }).getAttribute('href'), `https://app.level.io/devices/${dc01.id}`);
  await screenshot(page, 'alerts-links-out');
});

test('The Accept button sends ilert an ACCEPT event for the alert', async () => {
  hqAlert = await raise(hqPc, 'Printer offline', 'warning');
  const accept = page.getByTestId(`alert-accept-${hqAlert}`);
  await accept.filter({ hasText: /^Accept$/ }).waitFor();
  await accept.click();
  await ilert.waitFor(() => ilert.eventsFor(alertKeyOf(hqAlert)).some((event) => event.eventType === 'ACCEPT'), 10_000, 'the ACCEPT event');
  const acceptEvent = ilert.eventsFor(alertKeyOf(hqAlert)).find((event) => event.eventType === 'ACCEPT')!;
  assert.equal(acceptEvent.integrationKey, ACME_KEY, 'the ACCEPT goes to the source that has the alert');
  await page.getByTestId(`alert-ilert-status-${hqAlert}`).filter({ hasText: 'ACCEPTED' }).waitFor();
  assert.equal(await accept.count(), 0);
  await screenshot(page, 'alerts-ilert-state');
});

test('Backfill finds an alert no webhook brought, sends it to its route, and lists the run', async () => {
  const missed = level.addAlert({ device_id: fs01.id, name: 'RAID degraded', severity: 'critical' });
  await openTab('Routing');
  await page.getByTestId('backfill-alerts').click();
  const run = page.locator('[data-testid="reconciliation-run"][data-trigger="manual"][data-outcome="ok"]').first();
  await run.waitFor();
  await run.getByTestId('reconciliation-change').filter({ hasText: 'backfilled' }).filter({ hasText: 'RAID degraded' }).waitFor();
  await page
    .getByTestId('backfill-result')
    .filter({ hasText: /1 backfilled/ })
    .waitFor();
  await ilert.waitFor(() => ilert.eventsFor(alertKeyOf(missed.id)).length > 0, 10_000, 'the backfilled alert');
  assert.equal(ilert.eventsFor(alertKeyOf(missed.id))[0]!.integrationKey, ACME_KEY, 'a backfilled alert follows the group routing too');
  await screenshot(page, 'routing-reconciliation');

  await openTab('Deliveries');
  const row = page.locator('[data-testid="delivery-row"][data-source="reconciled"]').filter({ hasText: 'RAID degraded' }).first();
  await row.getByTestId('delivery-source').filter({ hasText: 'reconciled' }).waitFor();
  await row.click();
  const detail = page.getByTestId('delivery-detail');
  await detail.getByTestId('detail-source').filter({ hasText: 'reconciled' }).waitFor();
  await detail.getByTestId('job-target').filter({ hasText: ACME_TARGET }).waitFor();
  assert.match(await detail.getByTestId('job-route-reason').innerText(), /Acme Corp/);
  await screenshot(page, 'deliveries-reconciled');
});

test('An alert resolved in ilert while Level still has it active is shown as a mismatch', async () => {
  await openTab('Alerts');
  ilert.resolveAlert(alertKeyOf(dcAlert));
  await page.getByTestId(`alert-ilert-status-${dcAlert}`).filter({ hasText: 'RESOLVED' }).waitFor();
  const mismatch = page.getByTestId(`alert-mismatch-${dcAlert}`);
  await mismatch.filter({ hasText: /resolved in ilert/ }).waitFor();
  assert.equal(await alertRow(dcAlert).getAttribute('data-ilert-status'), 'RESOLVED');
  assert.equal(await page.getByTestId(`alert-accept-${dcAlert}`).count(), 0, 'nothing to accept in ilert');
  await screenshot(page, 'alerts-mismatch');
});

test('The unmapped-groups policy set under Routing applies to unmapped groups and shows under Settings', async () => {
  await openTab('Routing');
  await page.getByTestId('unmapped-policy').selectOption('skip');
  await routingRow(globex, 'skip').waitFor();
  assert.equal(await routingRow(servers).getAttribute('data-effective'), 'inherited', 'mapped subtrees are not affected');
  await openTab('Settings');
  await page.waitForFunction(() => (document.querySelector('[data-testid="setting-unmappedGroups"]') as HTMLSelectElement | null)?.value === 'skip');
  assert.equal(await page.getByTestId('settings-save').isDisabled(), true, 'shown as saved, not as an edit');
  assert.deepEqual(pageErrors, [], 'no errors in the page (CSP violations included)');
});

test('Forwarding to a target paused under Routing holds its alerts, Health says since when, and Resume there sends them', async () => {
  await openTab('Routing');
  await page.getByTestId(`pause-target-${ACME_TARGET}`).click();
  const acmeTarget = page.locator(`[data-testid="target-${ACME_TARGET}"][data-paused="true"]`);
  await acmeTarget.filter({ hasText: /paused since \d\d:\d\d/ }).waitFor();
  await screenshot(page.getByTestId('target-forwarding'), 'routing-target-paused');

  const held = await raise(fs01, 'Backup job failed');
  await openTab('Health');
  const banner = page.getByTestId(`health-paused-${ACME_TARGET}`);
  await banner
    .filter({ hasText: /Forwarding to Acme Corp paused since \d\d:\d\d/ })
    .filter({ hasText: '1 event held' })
    .waitFor();
  assert.equal(ilert.eventsFor(alertKeyOf(held)).length, 0, 'nothing goes to a paused target');
  await screenshot(page, 'health-target-paused');

  await page.getByTestId(`health-resume-${ACME_TARGET}`).click();
  await ilert.waitFor(() => ilert.eventsFor(alertKeyOf(held)).length > 0, 10_000, 'the held ALERT after resume');
  assert.equal(ilert.eventsFor(alertKeyOf(held))[0]!.integrationKey, ACME_KEY);
  await banner.waitFor({ state: 'detached' });
  assert.deepEqual(pageErrors, [], 'no errors in the page (CSP violations included)');
});

test('A target whose queue grows while ilert fails can be paused from Health, where its queue shows', async () => {
  ilert.mode = { kind: 'status', status: 503 };
  try {
    const stuck = await raise(fs01, 'File share offline');
    await openTab('Health');
    await page.getByRole('button', { name: `Pause forwarding to ${ACME_TARGET}` }).click();
    await page.getByTestId(`health-paused-${ACME_TARGET}`).filter({ hasText: '1 event held' }).waitFor();
    assert.equal(await page.getByTestId(`health-pause-${ACME_TARGET}`).count(), 0, 'a paused target offers Resume, not Pause');
    ilert.mode = { kind: 'ok' };
    await page.getByRole('button', { name: `Resume forwarding to ${ACME_TARGET}` }).click();
    await ilert.waitFor(() => ilert.eventsFor(alertKeyOf(stuck)).length > 0, 10_000, 'the held ALERT after resume');
  } finally {
    ilert.mode = { kind: 'ok' };
  }
  assert.deepEqual(pageErrors, [], 'no errors in the page (CSP violations included)');
});

test('A target is added from the Routing tab, and a group is mapped to it right there', async () => {
  await openTab('Routing');
  const form = page.getByTestId('routing-add-target');
  await form.getByTestId('routing-add-target-name').fill('Globex');
  await form.getByTestId('routing-add-target-key').fill('il1apiglobex0123456789abcd');
  await form.getByTestId('routing-add-target-save').click();
  await page.getByTestId('target-Globex').waitFor();
  assert.equal(await form.getByTestId('routing-add-target-name').inputValue(), '', 'the form is ready for the next one');
  await page.getByTestId(`route-target-${globex.id}`).selectOption('Globex');
  await page.getByTestId(`route-save-${globex.id}`).click();
  await routingRow(globex, 'mapped').waitFor();

  await form.getByTestId('routing-add-target-name').fill('Globex');
  await form.getByTestId('routing-add-target-key').fill('il1apiglobex0123456789abce');
  await form.getByTestId('routing-add-target-save').click();
  await form.getByTestId('routing-add-target-error').filter({ hasText: 'unique' }).waitFor();
  assert.equal(await form.getByTestId('routing-add-target-name').inputValue(), 'Globex', 'what was typed is kept');
  assert.deepEqual(pageErrors, [], 'no errors in the page (CSP violations included)');
});

test('Without a Level API key the Routing tab says what is missing and leads to Settings', async (t) => {
  const bare = await startChildRelay({
    RELAY_DATA_DIR: tempDataDir('relay-e2e-routing-bare-'),
    LEVEL_WEBHOOK_SECRET: SECRET,
    ILERT_INTEGRATION_KEY: INTEGRATION_KEY,
    ILERT_API_URL: ilert.url,
  });
  const other = await context.newPage();
  t.after(async () => {
    await other.close();
    await stopChildRelay(bare);
  });
  await other.goto(bare.adminUrl);
  await other.getByTestId('app-ready').waitFor();
  await other.getByRole('tab', { name: 'Routing' }).click();
  const notice = other.getByTestId('routing-not-configured');
  await notice.filter({ hasText: 'Level API key' }).waitFor();
  assert.equal(await other.getByTestId('routing-table').count(), 0);
  await other.getByTestId('pause-target-default').waitFor();
  await screenshot(other, 'routing-not-configured');
  await other.getByTestId('routing-open-settings').click();
  await other.getByTestId('settings-view').waitFor();
  assert.equal(await other.getByRole('tab', { name: 'Settings' }).getAttribute('aria-selected'), 'true');
  await other.getByTestId('replace-levelApiKey').waitFor();
  assert.equal(await other.getByTestId('test-level-connection').isDisabled(), true, 'nothing to test without a key');
});
