/**
 * Rules in a real browser (Debian's chromium through playwright-core) against the real headless
 * relay (a child process) and a fake ilert, at 720 px: a rule added in Routing (a bad regex
 * refused on the spot), moved with the keyboard, tried on last week's alerts, saved, and a new alert
 * dropped by it, named on the row and in its timeline. Axe-clean in light and dark. The renderer
 * must be built first (`npm run build`).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { type Browser, type Page } from 'playwright-core';
import { FakeIlert } from '../fakes/fake-ilert.ts';
import { LevelSender, alertEvent } from '../fakes/level-sender.ts';
import { INTEGRATION_KEY, SECRET, tempDataDir, stopChildRelay, type ChildRelay } from '../helpers/relay-harness.ts';
import { openDashboard, startRelayAndBrowser, screenshot } from '../helpers/browser.ts';
import { seriousViolationsInBothSchemes, reloadForAxe } from '../helpers/axe.ts';

let ilert: FakeIlert;
let relay: ChildRelay;
let browser: Browser;
let page: Page;
let sender: LevelSender;
let pageErrors: string[] = [];

before(async () => {
  ilert = await new FakeIlert().start();
  [relay, browser] = await startRelayAndBrowser({
    RELAY_DATA_DIR: tempDataDir('relay-e2e-rules-'),
    LEVEL_WEBHOOK_SECRET: SECRET,
    ILERT_INTEGRATION_KEY: INTEGRATION_KEY,
    ILERT_API_URL: ilert.url,
  });
  sender = new LevelSender({ url: relay.url, secret: SECRET, attempts: 1 });
  ({ page, errors: pageErrors } = await openDashboard(browser, relay.adminUrl, { width: 720, height: 900 }));
});

after(async () => {
  await browser?.close();
  await stopChildRelay(relay);
  await ilert?.stop();
});

async function openTab(name: 'Alerts' | 'Routing'): Promise<void> {
  await page.getByRole('tab', { name }).click();
  await page.getByTestId(`${name.toLowerCase()}-view`).waitFor();
}

async function raise(name: string, severity = 'warning'): Promise<string> {
  const event = alertEvent({ name, severity });
  const outcome = await sender.deliver(event);
  assert.ok(outcome.acknowledged, `Level's delivery was not acknowledged: ${JSON.stringify(outcome.attempts)}`);
  return event.data.id;
}

test('at 720 px: a rule is added, moved with the keyboard, tried on last week’s alerts and saved; the next matching alert is dropped and names it', async () => {
  // Last week, as far as the dry run can tell: two reboots and a disk.
  const before = [await raise('Reboot pending (patches)'), await raise('Reboot pending (driver)'), await raise('Low disk space', 'critical')];
  await ilert.waitFor(() => before.every((id) => ilert.eventsFor(`level-alert-${id}`).length === 1), 5000, 'the alerts from before the rules');

  await openTab('Routing');
  const rules = page.getByTestId('rules');
  await rules.getByTestId('rules-empty').waitFor();

  // A bad regex is refused where it is typed, and the rule is not added.
  await rules.getByTestId('rules-add').click();
  const editor = rules.getByTestId('rule-editor');
  await editor.getByRole('textbox', { name: 'Name', exact: true }).fill('Reboots');
  await editor.getByRole('textbox', { name: /Alert name matches/ }).fill('^reboot (pending');
  await editor
    .getByTestId('rule-regex-error')
    .filter({ hasText: /Unterminated group/ })
    .waitFor();
  await editor.getByTestId('rule-drop').check();
  await editor.getByTestId('rule-done').click();
  await editor
    .getByTestId('rule-editor-error')
    .filter({ hasText: /not a valid regular expression/ })
    .waitFor();
  await editor.getByRole('textbox', { name: /Alert name matches/ }).fill('^reboot (pending|required)');
  await editor.getByTestId('rule-done').click();
  await rules.getByTestId('rule-1').filter({ hasText: 'Reboots' }).waitFor();

  await rules.getByTestId('rules-add').click();
  await editor.getByRole('textbox', { name: 'Name', exact: true }).fill('Critical high');
  await editor.getByRole('checkbox', { name: 'critical' }).check();
  await editor.getByLabel('Priority in ilert').selectOption('HIGH');
  await editor.getByTestId('rule-done').click();
  await rules.getByTestId('rule-2').filter({ hasText: 'Critical high' }).waitFor();

  // Reordered from the keyboard: focus stays on the moved rule's button.
  await rules.getByRole('button', { name: 'Move rule “Critical high” up' }).focus();
  await page.keyboard.press('Enter');
  await rules.getByTestId('rule-1').filter({ hasText: 'Critical high' }).waitFor();
  assert.equal(
    await page.evaluate(() => document.activeElement?.getAttribute('aria-label')),
    'Move rule “Critical high” down',
    'at the top, focus moves to the button still usable',
  );
  await page.keyboard.press('Enter');
  await rules.getByTestId('rule-2').filter({ hasText: 'Critical high' }).waitFor();

  await rules.getByTestId('rules-dry-run-button').click();
  await rules.getByTestId('rule-count-1').filter({ hasText: 'would have been the first match for 2 alerts of the last 7 days' }).waitFor();
  await rules.getByTestId('rule-count-2').filter({ hasText: 'first match for 1 alert ' }).waitFor();
  await rules
    .getByTestId('rules-dry-run')
    .filter({ hasText: /Tried on \d+ alerts first seen since/ })
    .waitFor();
  await screenshot(page, 'rules-720-dry-run', true);

  await rules.getByTestId('rules-save').click();
  await rules.getByTestId('rules-save').waitFor({ state: 'detached' });
  await rules.getByText(/^Last saved .* by owner$/).waitFor();

  const dropped = await raise('Reboot required');
  await openTab('Alerts');
  const row = page.locator(`[data-testid="active-alerts"] [data-testid="alert-row"][data-alert-id="${dropped}"]`);
  await row.getByTestId(`alert-held-${dropped}`).filter({ hasText: 'held: dropped by rule “Reboots”' }).waitFor();
  await row
    .getByTestId(`alert-route-${dropped}`)
    .filter({ hasText: /rule “Reboots”: drop/ })
    .waitFor();
  await row.getByTestId(`alert-timeline-${dropped}`).click();
  const timeline = page.getByTestId('alert-timeline').filter({ visible: true });
  await timeline.getByTestId('timeline-step').filter({ hasText: 'dropped by rule “Reboots”' }).waitFor();
  await page.keyboard.press('Escape');
  await timeline.waitFor({ state: 'hidden' });
  assert.deepEqual(ilert.eventsFor(`level-alert-${dropped}`), [], 'a dropped alert is not sent');
});

test('axe in light and dark mode: the rules with a dry run, and the editor with a refused regex', async () => {
  const axePage = await reloadForAxe(page, relay.adminUrl);
  await axePage.getByRole('tab', { name: 'Routing' }).click();
  const rules = axePage.getByTestId('rules');
  await rules.getByTestId('rule-1').waitFor();
  await rules.getByTestId('rules-dry-run-button').click();
  await rules.getByTestId('rule-count-1').waitFor();
  const found = await seriousViolationsInBothSchemes(axePage, 'Rules after a dry run');
  await rules.getByTestId('rule-edit-1').click();
  await rules.getByRole('textbox', { name: /Alert name matches/ }).fill('(');
  await rules.getByTestId('rule-regex-error').waitFor();
  found.push(...(await seriousViolationsInBothSchemes(axePage, 'the rule editor with a refused regex')));
  assert.deepEqual(found, []);
});

test('no page errors', () => {
  assert.deepEqual(pageErrors, []);
});
