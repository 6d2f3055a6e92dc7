/**
 * "Replay with edits" on a team relay in a real browser: an operator sees the button disabled with
 * its reason until an admin allows operators to replay in Settings, and nobody may start a replay
 * from a delivery the relay refused. The server enforces the same rule (tests/integration/replay-audit.test.ts).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { callAdmin, startRelayAndBrowser } from '../helpers/browser.ts';
import { SECRET, stopChildRelay, tempDataDir, type ChildRelay } from '../helpers/relay-harness.ts';

let relay: ChildRelay;
let browser: Browser;

before(async () => {
  [relay, browser] = await startRelayAndBrowser({
    RELAY_DATA_DIR: tempDataDir('relay-replay-e2e-'),
    RELAY_ADMIN_HOST: '0.0.0.0',
    RELAY_ADMIN_HOST_NAMES: '127.0.0.1',
    LEVEL_WEBHOOK_SECRET: SECRET,
  });
});

after(async () => {
  await browser?.close();
  await stopChildRelay(relay);
});

const pageErrors: string[] = [];

/** A browser that was shown the relay's self-signed certificate and accepted it, as a person would after comparing the fingerprint. */
async function newPage(url: string): Promise<Page> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (error) => pageErrors.push(`page error: ${error.message}`));
  await page.goto(url);
  return page;
}

async function pairOperator(owner: Page): Promise<Page> {
  const { pairingUrl } = await callAdmin<{ pairingUrl: string }>(owner, 'createMember', { name: 'Olga Operator', role: 'operator' });
  const page = await newPage(pairingUrl);
  await page.getByRole('button', { name: 'Pair and open the dashboard' }).click();
  await page.getByTestId('app-ready').waitFor();
  return page;
}

/** The detail of one delivery, opened from the delivery log. */
async function openDelivery(page: Page, id: number) {
  await page.getByTestId('tab-deliveries').click();
  await page.locator(`[data-testid="delivery-row"][data-delivery-id="${id}"]`).click();
  return page.locator(`[data-testid="delivery-detail"][data-delivery-id="${id}"]`);
}

test('an operator’s Replay with edits is disabled with its reason until an admin allows it; a refused delivery can never be replayed', async () => {
  const sender = new LevelSender({ url: relay.url, secret: SECRET, attempts: 1 });
  assert.equal((await sender.postRaw(JSON.stringify(alertEvent({ name: 'Disk almost full' })))).status, 202);
  assert.equal((await sender.postRaw(JSON.stringify(alertEvent({ name: 'Invented outage' })), { 'x-level-signature': 'sha256=0000' })).status, 401);

  const owner = await newPage(relay.adminUrl);
  await owner.getByTestId('app-ready').waitFor();
  const { rows } = await callAdmin<{ rows: { id: number; outcome: string }[] }>(owner, 'listDeliveries', {});
  const accepted = rows.find((row) => row.outcome === 'accepted')!.id;
  const refused = rows.find((row) => row.outcome === 'rejected')!.id;
  const operator = await pairOperator(owner);

  const replayButton = (await openDelivery(operator, accepted)).getByTestId('replay-with-edits');
  await replayButton.and(operator.locator('[disabled]')).waitFor();
  assert.match((await replayButton.getAttribute('title'))!, /Replay with edits is for admins; an admin can allow it for operators under Settings → Team/);

  await owner.getByTestId('tab-settings').click();
  assert.equal(await owner.getByTestId('setting-auditRetentionDays').inputValue(), '365');
  await owner.getByRole('checkbox', { name: 'operators may use “Replay with edits”' }).check();
  await owner.getByTestId('settings-save').click();
  await owner.getByText('Saved Operators may replay with edits.').waitFor();

  // The operator's open tab follows the change without a reload.
  await replayButton.and(operator.locator(':not([disabled])')).waitFor();
  await replayButton.click();
  await operator.getByTestId('replay-editor').waitFor();

  const refusedButton = (await openDelivery(operator, refused)).getByTestId('replay-with-edits');
  await refusedButton.and(operator.locator('[disabled]')).waitFor();
  assert.match((await refusedButton.getAttribute('title'))!, /^The relay refused this delivery \(HTTP 401\): only one it accepted can be replayed with edits$/);
  assert.deepEqual(pageErrors, []);
});
