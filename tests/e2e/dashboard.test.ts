/**
 * The dashboard in a real browser (Debian's chromium through playwright-core) against the real
 * headless relay (`electron/cli/serve.ts` as a child process) and a fake ilert. The renderer must
 * be built first (`npm test` does it in `pretest`; by hand: `npx vite build`).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { sign } from '../../electron/core/level/signature.ts';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { INTEGRATION_KEY, SECRET, tempDataDir, startChildRelay, stopChildRelay, type ChildRelay } from '../helpers/relay-harness.ts';
import { callAdmin, openDashboard, truncatedPills, startRelayAndBrowser, screenshot } from '../helpers/browser.ts';

const ROW_HEIGHT = 52;

let ilert: FakeIlert;
let relay: ChildRelay;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let sender: LevelSender;
let pageErrors: string[] = [];

before(async () => {
  ilert = await new FakeIlert().start();
  [relay, browser] = await startRelayAndBrowser({
    RELAY_DATA_DIR: tempDataDir('relay-e2e-'),
    LEVEL_WEBHOOK_SECRET: SECRET,
    ILERT_INTEGRATION_KEY: INTEGRATION_KEY,
    ILERT_API_URL: ilert.url,
  });
  sender = new LevelSender({ url: relay.url, secret: SECRET, attempts: 1 });
  ({ context, page, errors: pageErrors } = await openDashboard(browser, relay.adminUrl));
});

after(async () => {
  await browser?.close();
  await stopChildRelay(relay);
  await ilert?.stop();
});

/** An alert that started 12 minutes ago (the fake's default start date is long past). */
function freshAlert(overrides: Parameters<typeof alertEvent>[0] = {}) {
  const event = alertEvent(overrides);
  event.data.started_at = new Date(Date.now() - 12 * 60_000).toISOString();
  return event;
}

async function deliver(event: { event_id: string }): Promise<void> {
  const outcome = await sender.deliver(event);
  assert.ok(outcome.acknowledged, `Level's delivery was not acknowledged: ${JSON.stringify(outcome.attempts)}`);
}

async function openTab(name: 'Alerts' | 'Deliveries' | 'Settings'): Promise<void> {
  await page.getByRole('tab', { name }).click();
  await page.getByTestId(`${name.toLowerCase()}-view`).waitFor();
}

const alertRow = (levelAlertId: string): Locator => page.locator(`[data-testid="alert-row"][data-alert-id="${levelAlertId}"]`);
const deliveryRows = (): Locator => page.getByTestId('delivery-row');
const rowFor = (text: string | RegExp): Locator => deliveryRows().filter({ hasText: text }).first();

/** Waits until the list shows rows, all loaded, all with `text` in them and one of `statuses`. */
async function waitForRows(want: { text?: string; statuses?: string[] }): Promise<void> {
  await page.waitForFunction((wanted) => {
    const rows = [...document.querySelectorAll<HTMLElement>('[data-testid="delivery-row"]')];
    if (rows.length === 0 || document.querySelector('[data-testid="delivery-row-loading"]')) return false;
    return rows.every(
      (row) =>
        (wanted.text === undefined || (row.textContent ?? '').includes(wanted.text)) && (wanted.statuses === undefined || wanted.statuses.includes(row.dataset.status ?? '')),
    );
  }, want);
}

const apiCall = <T>(method: string, input: unknown = {}) => callAdmin<T>(page, method, input);

const disk = freshAlert({ severity: 'critical', name: 'Low disk space', hostname: 'FRONTDESK-01' });
const cpu = freshAlert({ severity: 'warning', name: 'CPU usage >75.0% for 10 minutes', hostname: 'ACME-DC01' });
const backup = freshAlert({ severity: 'emergency', name: 'Backup job failed', hostname: 'NAS-02' });

test('(a) a signed webhook makes an alert row appear within a second', async () => {
  await page.getByTestId('alerts-empty').waitFor();
  const started = performance.now();
  await deliver(disk);
  await page.waitForFunction((id) => document.querySelector(`[data-testid="alert-row"][data-alert-id="${id}"]`), disk.data.id, { polling: 'raf', timeout: 5_000 });
  const elapsed = performance.now() - started;
  console.log(`webhook → alert row visible: ${elapsed.toFixed(0)} ms`);
  assert.ok(elapsed < 1_000, `the alert took ${elapsed.toFixed(0)} ms to appear`);
  const row = alertRow(disk.data.id);
  assert.match(await row.innerText(), /Low disk space[\s\S]*FRONTDESK-01[\s\S]*12 min/);
  await row.getByTestId('forwarding-badge').filter({ hasText: 'delivered' }).waitFor();
  assert.equal(await page.getByTestId('count-critical').locator('.count-number').innerText(), '1');
});

/** The status bar, the Health tab's badge and the Health headline count one list. */
async function problemCounts(): Promise<{ bar: string; badge: string; headline: string }> {
  return page.evaluate(() => ({
    bar: document.querySelector('[data-testid="status-problems"]')?.textContent ?? '',
    badge: document.querySelector('[data-testid="health-badge"]')?.textContent ?? '0',
    headline: document.querySelector('[data-testid="health-summary"] b, [data-testid="health-all-ok"] b')?.textContent ?? '',
  }));
}

test('(b) ilert failing shows "retrying", and "delivered" once it recovers', async () => {
  ilert.mode = { kind: 'status', status: 503 };
  await deliver(cpu);
  const badge = alertRow(cpu.data.id).getByTestId('forwarding-badge');
  await badge.filter({ hasText: /^retrying at \d\d:\d\d$/ }).waitFor();
  assert.match((await badge.getAttribute('title')) ?? '', /503/);
  // Never green while ilert answers 503: the status bar says what ilert said.
  await page
    .getByTestId('status-ilert')
    .filter({ hasText: /ilert\s*503, retrying/ })
    .waitFor();
  await page.getByTestId('health-badge').waitFor();
  const counts = await problemCounts();
  const n = Number(counts.badge);
  assert.ok(n >= 1, JSON.stringify(counts));
  assert.equal(counts.bar, n === 1 ? '1 problem' : `${n} problems`, JSON.stringify(counts));
  assert.equal(counts.headline, counts.bar, JSON.stringify(counts));
  ilert.mode = { kind: 'ok' };
  await badge.filter({ hasText: 'delivered' }).waitFor({ timeout: 15_000 });
  assert.equal(ilert.eventsFor(`level-alert-${cpu.data.id}`).length, 1);
  await page
    .getByTestId('status-ilert')
    .filter({ hasText: /ilert\s*reachable/ })
    .waitFor();
  await page.getByTestId('health-badge').waitFor({ state: 'detached' });
  assert.deepEqual(await problemCounts(), { bar: 'No problems', badge: '0', headline: 'All checks pass.' });
});

test('(b2) “Send now” sends a retrying job at once; Deliveries narrow to failed attempts; Health sums up the outage', async () => {
  ilert.mode = { kind: 'status', status: 503 };
  const late = freshAlert({ severity: 'critical', name: 'UPS on battery', hostname: 'UPS-01' });
  await deliver(late);
  await openTab('Deliveries');
  const row = rowFor('UPS on battery');
  await row.click();
  const detail = page.locator(`[data-testid="delivery-detail"][data-delivery-id="${await row.getAttribute('data-delivery-id')}"]`);
  // Three attempts in, the next retry is seconds away: time to press the button before it.
  await detail.getByTestId('attempt').nth(2).waitFor({ timeout: 15_000 });
  // ilert is back; the next retry is 8–16 s away (backoff after three attempts): Send now must not wait for it.
  ilert.mode = { kind: 'ok' };
  await detail.getByTestId('send-now').click();
  await detail.getByTestId('attempt').filter({ hasText: 'manual' }).waitFor();
  await detail.getByTestId('job-status').filter({ hasText: 'delivered' }).waitFor();
  assert.equal(await detail.getByTestId('send-now').count(), 0, 'nothing waits any more');
  await page.keyboard.press('Escape');

  const total = await page.getByTestId('delivery-total').textContent();
  await page.getByTestId('filter-failed-attempts').check();
  await page.getByTestId('delivery-total').filter({ hasNotText: total! }).waitFor();
  await rowFor('UPS on battery').waitFor();
  assert.equal(await rowFor('Low disk space').count(), 0, 'sent at the first attempt: not listed');
  assert.match(page.url(), /attempts=failed/, 'the filter is in the address');
  await page.getByTestId('filter-clear').click();
  await waitForRows({});

  await page.getByRole('tab', { name: 'Health' }).click();
  await page
    .getByTestId('health-outage')
    .filter({ hasText: /1 event delayed, delivered/ })
    .waitFor();
  await page.getByRole('tab', { name: 'Alerts' }).click();
});

test('(c) Retry all failed, Re-run of a delivery and of a job', async () => {
  ilert.mode = { kind: 'status', status: 400, body: JSON.stringify({ status: 400, message: 'Bad request: injected' }) };
  await deliver(backup);
  // The Alerts row says why it failed and offers a Retry there.
  await alertRow(backup.data.id).getByTestId(`alert-failure-${backup.data.id}`).filter({ hasText: /400/ }).waitFor();
  await alertRow(backup.data.id).getByTestId(`alert-retry-${backup.data.id}`).waitFor();
  await openTab('Deliveries');
  const row = rowFor('Backup job failed');
  await row.getByTestId('job-status').filter({ hasText: 'failed' }).waitFor();
  await page.getByTestId('status-failed').filter({ hasText: '1' }).waitFor();

  ilert.mode = { kind: 'ok' };
  const retryAll = page.getByTestId('retry-all-failed');
  await page.waitForFunction(() => !(document.querySelector('[data-testid="retry-all-failed"]') as HTMLButtonElement).disabled);
  await retryAll.click();
  await page.getByTestId('retry-all-result').filter({ hasText: 'Queued 1 failed ilert event to send again' }).waitFor();
  await row.getByTestId('job-status').filter({ hasText: 'delivered' }).waitFor();
  await page.waitForFunction(() => (document.querySelector('[data-testid="retry-all-failed"]') as HTMLButtonElement).disabled);
  assert.match((await retryAll.getAttribute('title')) ?? '', /No ilert events have failed/);

  await row.click();
  const detail = page.getByTestId('delivery-detail');
  await detail.getByTestId('attempt').nth(1).waitFor();
  assert.match(await detail.getByTestId('attempt').first().innerText(), /400[\s\S]*Bad request: injected/);

  const before = ilert.eventsFor(`level-alert-${backup.data.id}`).length;
  await detail.getByTestId('rerun-job').click();
  await detail
    .getByTestId('action-result')
    .filter({ hasText: /queued to send again/ })
    .waitFor();
  await detail.getByTestId('attempt').nth(2).filter({ hasText: 'manual' }).waitFor();
  assert.deepEqual(await truncatedPills(detail.page()), [], 'the attempt log says “manual” in full');
  assert.equal(ilert.eventsFor(`level-alert-${backup.data.id}`).length, before + 1);

  // Focus stays on the button pressed, not on <body>.
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'rerun-job');

  // A received event re-run through the receiver can only be a duplicate: offered for refused ones only.
  assert.equal(await detail.getByTestId('rerun-delivery').isDisabled(), true);
  assert.match((await detail.getByTestId('rerun-delivery').getAttribute('title')) ?? '', /only be recorded as a duplicate/);
  // As Level itself would: the same event twice is recorded as a duplicate.
  await deliver(backup);
  await deliveryRows().first().filter({ hasText: 'duplicate' }).filter({ hasText: 'Backup job failed' }).waitFor();
});

test('(c2) Re-run job of a resolved alert asks first, then sends its ALERT followed by its RESOLVE', async () => {
  const nas = freshAlert({ severity: 'critical', name: 'RAID degraded', hostname: 'NAS-01' });
  await deliver(nas);
  await deliver(freshAlert({ eventType: 'alert_resolved', alertId: nas.data.id, name: nas.data.name, severity: 'critical', hostname: 'NAS-01' }));
  const alertKey = `level-alert-${nas.data.id}`;
  await ilert.waitFor(() => ilert.alertByKey(alertKey)?.status === 'RESOLVED', 5000, 'resolved in ilert');
  const row = deliveryRows().filter({ hasText: 'RAID degraded' }).filter({ hasText: 'alert_active' }).first();
  await row.click();
  const detail = page.locator(`[data-testid="delivery-detail"][data-delivery-id="${await row.getAttribute('data-delivery-id')}"]`);
  await detail.getByTestId('job-status').filter({ hasText: 'delivered' }).waitFor();
  const sent = ilert.eventsFor(alertKey).length;
  await detail.getByTestId('rerun-job').click();
  await detail
    .getByTestId('rerun-confirm')
    .filter({ hasText: /“RAID degraded” is resolved: re-running its ALERT alone would open it again/ })
    .waitFor();
  assert.equal(ilert.eventsFor(alertKey).length, sent, 'nothing sent before the user confirms');
  await detail.getByTestId('rerun-confirm-resolve').click();
  await detail
    .getByTestId('action-result')
    .filter({ hasText: /followed by its RESOLVE/ })
    .waitFor();
  await ilert.waitFor(() => ilert.eventsFor(alertKey).length === sent + 2, 5000, 'ALERT then RESOLVE');
  assert.deepEqual(ilert.eventTypesFor(alertKey).slice(sent), ['ALERT', 'RESOLVE']);
  assert.equal(ilert.alertByKey(alertKey)?.status, 'RESOLVED');
  // The refusal the dashboard turned into a question is the only console error.
  assert.deepEqual(pageErrors.splice(0), ['console error: Failed to load resource: the server responded with a status of 409 (Conflict)']);
  await page.keyboard.press('Escape');
  await page.getByTestId('delivery-detail').waitFor({ state: 'detached' });
  // Escape closed the pane; focus goes back to its row, not to <body>.
  await page.waitForFunction((id) => document.activeElement?.getAttribute('data-delivery-id') === id, await row.getAttribute('data-delivery-id'), { timeout: 2_000 });
});

test('(e) the detail pane shows the signature verdict; Copy as cURL leaves the secret out', async () => {
  const tampered = freshAlert({ name: 'Tampered alert', hostname: 'EVIL-01' });
  const raw = JSON.stringify(tampered);
  const answer = await sender.postRaw(raw, { 'x-level-signature': sign('not-the-secret', raw) });
  assert.equal(answer.status, 401);

  const rejected = deliveryRows()
    .filter({ has: page.getByTestId('delivery-outcome').filter({ hasText: 'rejected' }) })
    .filter({ hasText: 'bad signature' })
    .first();
  await rejected.waitFor();
  await rejected.click();
  const detail = page.locator(`[data-testid="delivery-detail"][data-delivery-id="${await rejected.getAttribute('data-delivery-id')}"]`);
  await detail
    .getByTestId('signature-verdict')
    .filter({ hasText: /^invalid/ })
    .waitFor();
  assert.match(await detail.getByTestId('detail-reason').innerText(), /bad signature/);
  assert.match(await detail.getByTestId('no-jobs').innerText(), /Rejected, so nothing was sent/);

  const valid = deliveryRows().filter({ hasText: 'Low disk space' }).last();
  await valid.click();
  const validDetail = page.locator(`[data-testid="delivery-detail"][data-delivery-id="${await valid.getAttribute('data-delivery-id')}"]`);
  await validDetail
    .getByTestId('signature-verdict')
    .filter({ hasText: /^valid$/ })
    .waitFor();
  assert.match(await validDetail.getByTestId('request-headers').innerText(), /x-level-signature/);
  assert.match(await validDetail.getByTestId('request-body').innerText(), /"name": "Low disk space"/);

  await validDetail.getByTestId('copy-curl').click();
  const curl = await validDetail.getByTestId('curl-preview').innerText();
  assert.match(curl, new RegExp(`curl -sS -X POST '${relay.url}'`));
  assert.match(curl, /X-Level-Signature: sha256=<sign with your secret>/);
  assert.match(curl, /Content-Type: application\/json/);
  assert.ok(curl.includes(disk.event_id), 'the stored body is in the command');
  assert.ok(!curl.includes(SECRET) && !/user-agent|\[redacted\]/i.test(curl), 'no secret or redacted header in the command');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), curl);
  await validDetail.getByTestId('action-result').filter({ hasText: 'copied' }).waitFor();
  await screenshot(page, 'deliveries-detail');

  // The arrow keys walk the list from the focused row.
  const index = Number(await valid.getAttribute('data-index'));
  const above = await page.locator(`[data-testid="delivery-row"][data-index="${index - 1}"]`).getAttribute('data-delivery-id');
  await valid.press('ArrowUp');
  await page.locator(`[data-testid="delivery-detail"][data-delivery-id="${above}"]`).waitFor();
  assert.equal(await page.locator(`[data-testid="delivery-row"][data-index="${index - 1}"]`).getAttribute('aria-pressed'), 'true');
});

test('(e2) Replay with edits: an edited copy is checked as you type, Escape leaves it, and it is sent signed and listed as a manual replay', async () => {
  await openTab('Deliveries');
  const original = deliveryRows().filter({ hasText: 'Low disk space' }).last();
  const originalId = await original.getAttribute('data-delivery-id');
  await original.click();
  const detail = page.locator(`[data-testid="delivery-detail"][data-delivery-id="${originalId}"]`);
  await detail.getByTestId('replay-with-edits').click();
  const editor = detail.getByTestId('replay-editor');
  const body = editor.getByTestId('replay-body');
  assert.match(await body.inputValue(), /"name": "Low disk space"/, 'a copy of the stored body');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'replay-body');
  await body.press('Escape');
  await editor.waitFor({ state: 'detached' });
  assert.equal(await detail.count(), 1, 'Escape leaves the editor, not the detail');

  await detail.getByTestId('replay-with-edits').click();
  await body.fill('{"event_id": ');
  await editor.getByTestId('replay-check').filter({ hasText: 'Not valid JSON' }).waitFor();
  assert.equal(await editor.getByTestId('replay-send').isDisabled(), true);
  const levelAlertId = `replayed-${Date.now()}`;
  await body.fill(JSON.stringify({ ...disk, event_id: `${disk.event_id}-edited`, data: { ...disk.data, id: levelAlertId, name: 'Low disk space on C:' } }, null, 2));
  await editor.getByTestId('replay-check').filter({ hasText: 'Valid JSON' }).waitFor();
  await screenshot(page, 'deliveries-replay-editor');
  await editor.getByTestId('replay-send').click();
  await detail.getByTestId('action-result').filter({ hasText: 'Replay answered 202 (accepted)' }).waitFor();
  await editor.waitFor({ state: 'detached' });
  await ilert.waitFor(() => ilert.eventsFor(`level-alert-${levelAlertId}`).length === 1, 5000, 'the edited alert in ilert');

  const replayed = deliveryRows().first();
  await replayed.filter({ hasText: 'Low disk space on C:' }).filter({ hasText: 'manual replay' }).waitFor();
  assert.equal(await replayed.getAttribute('data-source'), 'replay');
  await replayed.click();
  const replayDetail = page.locator(`[data-testid="delivery-detail"][data-delivery-id="${await replayed.getAttribute('data-delivery-id')}"]`);
  await replayDetail
    .getByTestId('signature-verdict')
    .filter({ hasText: /^valid$/ })
    .waitFor();
  await replayDetail
    .getByTestId('detail-source')
    .filter({ hasText: `manual replay edited copy of delivery #${originalId}` })
    .waitFor();
  await replayDetail.getByTestId('detail-original').click();
  await detail.waitFor();
});

test('(d) filters and search narrow the list', async () => {
  await page.getByTestId('detail-close').click();
  const total = page.getByTestId('delivery-total');
  const all = await total.innerText();
  const showsTotal = (text: string) =>
    total
      .filter({ hasText: new RegExp(`^${text}$`) })
      .waitFor({ timeout: 5_000 })
      .catch(async (error: Error) => assert.fail(`wanted ${text}, the page says ${await total.innerText()}: ${error.message.split('\n')[0]}`));

  await page.getByTestId('filter-search').fill('acme-dc');
  await showsTotal('1 delivery');
  await waitForRows({ text: 'ACME-DC01' });

  await page.getByTestId('filter-search').fill('');
  await page.getByTestId('filter-status-rejected').check();
  await showsTotal('1 delivery');
  await waitForRows({ statuses: ['rejected'] });
  await page.getByTestId('filter-status-duplicate').check();
  await showsTotal('2 deliveries');
  await waitForRows({ statuses: ['rejected', 'duplicate'] });

  await page.getByTestId('filter-clear').click();
  await page.getByTestId('filter-severity').selectOption('warning');
  await showsTotal('1 delivery');
  await waitForRows({ text: 'CPU usage' });
  await page.getByTestId('filter-severity').selectOption('');
  await page.getByTestId('filter-event-type').selectOption('device_updated');
  await page.getByTestId('deliveries-empty').filter({ hasText: 'No deliveries match these filters' }).waitFor();
  await page.getByTestId('filter-event-type').selectOption('alert_active');
  await page.getByTestId('filter-time').selectOption('hour');
  const active = await apiCall<{ total: number }>('listDeliveries', { filter: { eventTypes: ['alert_active'] } });
  assert.ok(active.total >= 3);
  await showsTotal(`${active.total} deliveries`);
  await waitForRows({ text: 'alert_active' });

  await page.getByTestId('filter-clear').click();
  await showsTotal(all);
});

/** The first row fully inside the list's viewport: what the user is reading. */
function firstVisibleRow(): Promise<{ id: string | null; top: number; scrollTop: number }> {
  return page.evaluate(() => {
    const list = document.querySelector<HTMLElement>('[data-testid="delivery-list"]')!;
    const listTop = list.getBoundingClientRect().top;
    const rows = [...list.querySelectorAll<HTMLElement>('[data-testid="delivery-row"]')].filter((row) => row.getBoundingClientRect().top >= listTop - 0.5);
    rows.sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top);
    const row = rows[0]!;
    return { id: row.dataset.deliveryId ?? null, top: row.getBoundingClientRect().top, scrollTop: list.scrollTop };
  });
}

function deviceEvent(index: number) {
  return {
    event_type: 'device_updated',
    event_id: randomUUID(),
    occurred_at: new Date().toISOString(),
    data: { id: `dev-${index}`, hostname: `WS-${String(index).padStart(4, '0')}` },
  };
}

async function sendDeviceEvents(from: number, count: number): Promise<void> {
  let next = from;
  const worker = async () => {
    while (next < from + count) await deliver(deviceEvent(next++));
  };
  await Promise.all(Array.from({ length: 12 }, worker));
}

test('(g) rows streaming in while scrolled down do not move what the user reads', async () => {
  const before = Number((await page.getByTestId('delivery-total').innerText()).replace(/\D/g, ''));
  await sendDeviceEvents(0, 300);
  // At the top, new rows are let in as they arrive.
  await page
    .getByTestId('delivery-total')
    .filter({ hasText: `${(before + 300).toLocaleString('en-US')} deliveries` })
    .waitFor();

  const list = page.getByTestId('delivery-list');
  await list.evaluate((element, height) => (element.scrollTop = 150 * height), ROW_HEIGHT);
  await page.locator('[data-testid="delivery-row"][data-index="150"]').waitFor();
  await page.waitForFunction(() => !document.querySelector('[data-testid="delivery-row-loading"]'));
  const reading = await firstVisibleRow();
  assert.ok(reading.scrollTop > 0);

  await openTab('Alerts');
  await openTab('Deliveries');
  assert.deepEqual(await firstVisibleRow(), reading, 'switching tabs keeps the place in the list');

  await sendDeviceEvents(1000, 7);
  await page.getByTestId('new-deliveries').filter({ hasText: '7 new deliveries — show' }).waitFor();
  assert.deepEqual(await firstVisibleRow(), reading, 'the rows on screen did not move');
  await page
    .getByTestId('delivery-total')
    .filter({ hasText: `${(before + 300).toLocaleString('en-US')} deliveries` })
    .waitFor();
  await screenshot(page, 'deliveries-new-rows');

  await page.getByTestId('new-deliveries').click();
  await page
    .getByTestId('delivery-total')
    .filter({ hasText: `${(before + 307).toLocaleString('en-US')} deliveries` })
    .waitFor();
  assert.equal((await firstVisibleRow()).scrollTop, 0);
  await deliveryRows().first().filter({ hasText: 'WS-100' }).waitFor();
  await page.getByTestId('new-deliveries').waitFor({ state: 'detached' });
});

test('(f) the settings form rejects bad values, keeps what was typed, and saves good ones', async () => {
  await openTab('Settings');
  assert.equal(await page.getByTestId('notify-min-severity').count(), 0, 'desktop-only settings are not offered in a browser');
  const perMinute = page.getByTestId('setting-ilertEventsPerMinute');
  assert.equal(await perMinute.inputValue(), '50');
  await page.getByTestId('locked-ilertApiUrl').filter({ hasText: 'ILERT_API_URL' }).waitFor();
  assert.equal(await page.getByTestId('setting-ilertApiUrl').getAttribute('readonly'), '');
  assert.equal(await page.getByTestId('replace-levelWebhookSecret').isDisabled(), true);
  assert.match(await page.getByTestId('secret-hint-levelWebhookSecret').innerText(), /^test••••ef$/);
  assert.match(
    await page.getByTestId('secrets-notice').innerText(),
    /written in plain text to .*settings\.json .*set them as environment variables/,
    'said where secrets are entered',
  );

  await perMinute.fill('0');
  await page.getByTestId('setting-retentionDays').fill('14');
  await page.getByTestId('settings-save').click();
  await page.getByTestId('error-ilertEventsPerMinute').filter({ hasText: 'must be at least 1' }).waitFor();
  await page.getByTestId('settings-invalid').waitFor();
  assert.equal(await perMinute.inputValue(), '0', 'what the user typed is kept');
  assert.equal(await page.getByTestId('setting-retentionDays').inputValue(), '14');
  type Settings = { values: { ilertEventsPerMinute: number; retentionDays: number } };
  assert.deepEqual((await apiCall<Settings>('getSettings')).values.ilertEventsPerMinute, 50, 'nothing saved');
  assert.deepEqual((await apiCall<Settings>('getSettings')).values.retentionDays, 30, 'nothing saved, not even the valid field');

  await perMinute.fill('abc');
  await page.getByTestId('setting-levelDeviceLink').fill('https://app.level.io/devices/');
  await page.getByTestId('settings-save').click();
  await page.getByTestId('error-ilertEventsPerMinute').filter({ hasText: 'must be a whole number' }).waitFor();

  await page.getByTestId('generate-secret').click();
  assert.match(await page.getByTestId('generated-secret').innerText(), /^[0-9a-f]{64}$/);
  assert.equal(await page.getByTestId('use-generated-secret').isDisabled(), true, 'the secret is locked by the environment');
  await page.getByTestId('replace-levelWebhookSecretPrevious').click();
  await page.getByTestId('setting-levelWebhookSecretPrevious').fill('an-old-secret-to-rotate-out');
  await screenshot(page, 'settings-invalid');

  await perMinute.fill('40');
  await page.getByTestId('settings-save').click();
  await page.getByTestId('error-levelDeviceLink').filter({ hasText: 'must be an https link with {id}' }).waitFor();
  await page.getByTestId('setting-levelDeviceLink').fill('https://app.level.io/devices/{id}');
  // cloudflared's path is settable here, not only in the file.
  await page.getByTestId('setting-cloudflaredPath').fill('/opt/cloudflared/bin/cloudflared');
  await page.getByTestId('settings-save').click();
  await page.getByTestId('settings-saved').waitFor();
  const saved = await apiCall<Settings & { secrets: { levelWebhookSecretPrevious: { set: boolean; hint?: string } } }>('getSettings');
  assert.equal(saved.values.ilertEventsPerMinute, 40);
  assert.equal(saved.values.retentionDays, 14);
  assert.equal((saved.values as unknown as { cloudflaredPath: string }).cloudflaredPath, '/opt/cloudflared/bin/cloudflared');
  assert.equal((saved.values as unknown as { levelDeviceLink: string }).levelDeviceLink, 'https://app.level.io/devices/{id}');
  assert.deepEqual(saved.secrets.levelWebhookSecretPrevious, { set: true, hint: 'an-o••••ut' });
  assert.equal(await perMinute.inputValue(), '40');
  assert.equal(await page.getByTestId('settings-save').isDisabled(), true, 'nothing left to save');
  await page.getByTestId('secret-hint-levelWebhookSecretPrevious').filter({ hasText: 'an-o••••ut' }).waitFor();
});

test('(f2) a field’s hint and error are read with it, and the wizard names the variable that fixes a setting as the relay does', async () => {
  await openTab('Settings');
  const retention = page.getByTestId('setting-retentionDays');
  const describedBy = async () =>
    retention.evaluate((input) =>
      (input.getAttribute('aria-describedby') ?? '')
        .split(' ')
        .map((id) => document.getElementById(id)?.textContent ?? `missing ${id}`)
        .join(' | '),
    );
  assert.match(await describedBy(), /^Deliveries, events and attempts older than this are deleted/);
  await retention.fill('soon');
  await page.getByTestId('settings-save').click();
  await page.getByTestId('error-retentionDays').waitFor();
  assert.equal(await retention.getAttribute('aria-invalid'), 'true');
  assert.match(await describedBy(), /deleted.* \| must be a whole number$/, 'the error is read after the hint');
  await page.getByTestId('settings-revert').click();

  // The wizard names the variable as the relay's settings table does (getSettingsMetadata), not as
  // it was once spelled in the wizard: a relay that named it otherwise is followed.
  const renamed = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await renamed.route('**/api/getSettingsMetadata', async (route) => {
    const response = await route.fetch();
    const metadata = (await response.json()) as { key: string; env?: string }[];
    await route.fulfill({ response, json: metadata.map((entry) => (entry.key === 'levelWebhookSecret' ? { ...entry, env: 'RENAMED_WEBHOOK_SECRET' } : entry)) });
  });
  try {
    const wizard = await renamed.newPage();
    await wizard.goto(relay.adminUrl);
    await wizard.getByRole('tab', { name: 'Setup' }).click();
    await wizard.getByTestId('setup-step-level').click();
    await wizard.getByTestId('setup-view').getByTestId('locked-levelWebhookSecret').filter({ hasText: 'Set by the environment variable RENAMED_WEBHOOK_SECRET' }).waitFor();
  } finally {
    // A refetch may still be in the handler: it must not outlive the context it answers for.
    await renamed.unrouteAll({ behavior: 'ignoreErrors' });
    await renamed.close();
  }
});

test('(h) screenshots of the Alerts, Deliveries and Settings views', async () => {
  await deliver(freshAlert({ eventType: 'alert_resolved', alertId: cpu.data.id, name: cpu.data.name, severity: 'warning', hostname: 'ACME-DC01' }));
  ilert.mode = { kind: 'status', status: 503 };
  const update = freshAlert({ severity: 'information', name: 'Windows update pending reboot', hostname: 'RECEPTION-PC' });
  await deliver(update);
  await openTab('Alerts');
  await page.getByTestId('resolved-alerts').locator(`[data-alert-id="${cpu.data.id}"]`).waitFor();
  await alertRow(update.data.id).getByTestId('forwarding-badge').filter({ hasText: 'retrying' }).waitFor();
  await screenshot(page, 'alerts-retrying');
  ilert.mode = { kind: 'ok' };
  await alertRow(update.data.id).getByTestId('forwarding-badge').filter({ hasText: 'delivered' }).waitFor({ timeout: 15_000 });
  await page.getByTestId('count-information').filter({ hasText: '1' }).waitFor();
  await screenshot(page, 'alerts');

  await openTab('Deliveries');
  await rowFor('Windows update pending reboot').click();
  await page.getByTestId('delivery-detail').getByTestId('attempt').nth(1).waitFor();
  await screenshot(page, 'deliveries');

  await openTab('Settings');
  assert.equal(await page.getByTestId('generated-secret-panel').count(), 0, 'a generated secret is shown once, not again after leaving the view');
  await screenshot(page, 'settings');
  assert.deepEqual(pageErrors, [], 'no errors in the page (CSP violations included)');
});

test('(h2) an alert row shows its ilert priority and route, and "Accept sent HH:MM" once ilert took the Accept', async () => {
  const printer = freshAlert({ severity: 'critical', name: 'Printer offline', hostname: 'HQ-RECEPTION' });
  const fan = freshAlert({ severity: 'warning', name: 'Fan speed low', hostname: 'HQ-RECEPTION' });
  await deliver(printer);
  await deliver(fan);
  await openTab('Alerts');
  const printerRow = alertRow(printer.data.id);
  await printerRow.getByTestId('forwarding-badge').filter({ hasText: 'delivered' }).waitFor();
  assert.equal(await printerRow.getByTestId(`alert-priority-${printer.data.id}`).innerText(), 'HIGH');
  assert.match(await printerRow.getByTestId(`alert-route-${printer.data.id}`).innerText(), /→ default/);
  await alertRow(fan.data.id).getByTestId(`alert-priority-${fan.data.id}`).filter({ hasText: 'LOW' }).waitFor();

  await printerRow.getByTestId(`alert-accept-${printer.data.id}`).click();
  await ilert.waitFor(() => ilert.eventsFor(`level-alert-${printer.data.id}`).some((event) => event.eventType === 'ACCEPT'), 10_000, 'the ACCEPT event');
  const sent = printerRow.getByTestId(`alert-accept-sent-${printer.data.id}`);
  await sent.filter({ hasText: /^Accept sent \d\d:\d\d$/ }).waitFor();
  assert.equal(await printerRow.getByTestId(`alert-accept-${printer.data.id}`).count(), 0, 'not offered again once ilert took it');
  await screenshot(printerRow, 'alert-row-accept-sent');

  // The Accept is in the delivery log like every event the relay sends, labelled as made in the app.
  await openTab('Deliveries');
  const acceptRow = deliveryRows().filter({ hasText: 'Printer offline' }).and(page.locator('[data-source="app"]'));
  await acceptRow.getByTestId('job-status').filter({ hasText: 'delivered' }).waitFor();
  assert.equal(await acceptRow.getByTestId('delivery-source').innerText(), 'Accept in app');
  await openTab('Alerts');
});

test('(i) inside Electron the preload bridge is used, and navigation requests switch views', async (t) => {
  const electronPage = await context.newPage();
  const errors: string[] = [];
  electronPage.on('pageerror', (error) => errors.push(error.message));
  // A stand-in for the preload's `window.relay`, answering through the admin API.
  await electronPage.addInitScript(() => {
    const seen: string[] = [];
    const hooks: { navigate?: (target: unknown) => void } = {};
    Object.assign(window, {
      __bridge: { seen, hooks },
      relay: {
        invoke: async (method: string, input: unknown) => {
          seen.push(method);
          const response = await fetch(`/api/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input) });
          const body = await response.json();
          return response.ok ? { ok: true, value: body } : { ok: false, error: body.error };
        },
        onChanges: () => () => {},
        onNavigate: (listener: (target: unknown) => void) => {
          hooks.navigate = listener;
          return () => {};
        },
      },
    });
  });
  t.after(() => electronPage.close());
  await electronPage.goto(new URL('/', relay.adminUrl).href);
  await electronPage.getByTestId('app-ready').waitFor();
  const seen = await electronPage.evaluate(() => (window as unknown as { __bridge: { seen: string[] } }).__bridge.seen);
  assert.ok(seen.includes('getStatus') && seen.includes('listAlerts'), `calls went through the bridge: ${seen.join(', ')}`);

  const navigate = (target: unknown) =>
    electronPage.evaluate((value) => (window as unknown as { __bridge: { hooks: { navigate: (target: unknown) => void } } }).__bridge.hooks.navigate(value), target);
  const { rows } = await apiCall<{ rows: { id: number; alertName?: string }[] }>('listDeliveries', { filter: { search: 'Low disk space' } });
  await navigate({ view: 'deliveries', deliveryId: rows[0]!.id });
  await electronPage.locator(`[data-testid="delivery-detail"][data-delivery-id="${rows[0]!.id}"]`).getByTestId('signature-verdict').waitFor();
  assert.equal(await electronPage.getByRole('tab', { name: 'Deliveries' }).getAttribute('aria-selected'), 'true');

  await navigate({ view: 'alerts', levelAlertId: disk.data.id });
  // The opened alert is shown on its own, and marked in the list too when its page is loaded.
  await electronPage.locator(`[data-testid="alert-row"][data-alert-id="${disk.data.id}"][data-focused="true"]`).first().waitFor();

  // A bridge error reaches the UI as the relay's message.
  await navigate({ view: 'deliveries', deliveryId: 987654 });
  await electronPage.getByTestId('delivery-detail').getByRole('alert').filter({ hasText: 'no delivery 987654' }).waitFor();
  assert.deepEqual(errors, []);
});

test('(j) in a storm beyond ilert’s rate limit, a queued row says what it waits for, and Health how long the queue takes', async () => {
  // Events were sent within the last minute, so at one a minute the limit is already used up.
  await apiCall('updateSettings', { ilertEventsPerMinute: 1 });
  const storm = [1, 2, 3].map((index) => freshAlert({ severity: 'warning', name: `Storm alert ${index}`, hostname: `STORM-0${index}` }));
  for (const alert of storm) await deliver(alert);
  await openTab('Alerts');
  const waiting = page.getByTestId(`alert-waiting-${storm[2]!.data.id}`);
  await waiting.filter({ hasText: /^waiting for ilert’s rate limit, ~\d+ (s|min), critical first$/ }).waitFor();
  await screenshot(alertRow(storm[2]!.data.id), 'alert-row-rate-limited');

  await page.getByRole('tab', { name: 'Health' }).click();
  await page
    .getByTestId('health-backlog-default')
    .filter({ hasText: /default: 3 to send, about 3 min to drain at 1 a minute \(waiting for ilert’s rate limit, critical first\)/ })
    .waitFor();
  assert.deepEqual(pageErrors, []);
});

test('(k) a relay that stops answering leaves no green light: the status bar and Health say it, and what they show is marked as last known', async (t) => {
  const own = await startChildRelay({ RELAY_DATA_DIR: tempDataDir('relay-e2e-'), LEVEL_WEBHOOK_SECRET: SECRET, ILERT_INTEGRATION_KEY: INTEGRATION_KEY, ILERT_API_URL: ilert.url });
  t.after(() => stopChildRelay(own));
  const dashboard = await openDashboard(browser, own.adminUrl);
  t.after(() => dashboard.context.close());
  const { page: ownPage } = dashboard;
  await ownPage.getByRole('tab', { name: 'Health' }).click();
  const receiver = ownPage.getByTestId('status-receiver');
  await ownPage.getByTestId('health-receiver').waitFor();
  assert.match((await receiver.getAttribute('class')) ?? '', /sb-ok/);
  assert.equal(await ownPage.getByTestId('health-receiver').getAttribute('data-tone'), 'ok');

  await stopChildRelay(own);
  await ownPage.getByTestId('status-relay').waitFor();
  await ownPage.getByTestId('health-stale').waitFor();
  assert.equal(await receiver.textContent(), 'Receiverunknown');
  assert.deepEqual(await ownPage.locator('[data-testid="status-bar"] .sb-ok').count(), 0, 'no green light in the status bar');
  assert.deepEqual(await ownPage.locator('[data-testid="health-facts"] [data-tone="ok"]').count(), 0, 'no green fact on Health');
  assert.equal(await ownPage.getByTestId('health-all-ok').count(), 0, '“All checks pass” is not claimed');
});
