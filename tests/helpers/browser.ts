/**
 * Debian's Chromium driven by playwright-core for the dashboard tests (never `npx playwright
 * install`), with the flags this sandboxed, offline machine needs.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { ROOT, startChildRelay, stopChildRelay, type ChildRelay } from './relay-harness.ts';

const SCREENSHOTS = path.join(ROOT, 'test-results/screenshots');

function chromiumExecutable(): string {
  // The hosted CI runners ship Chrome, not Debian's chromium (.github/workflows/ci.yml names it).
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  let found = '';
  try {
    found = execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    // reported below
  }
  if (!found) {
    throw new Error("Debian's chromium is not installed, and the dashboard tests need it: `sudo apt-get install chromium` (CI installs it; never `npx playwright install`).");
  }
  return found;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumExecutable(),
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** The headless relay (a child process) and Chromium, started side by side once the built renderer is there to serve. */
export async function startRelayAndBrowser(env: Record<string, string>): Promise<[ChildRelay, Browser]> {
  assert.ok(fs.existsSync(path.join(ROOT, 'dist/renderer/index.html')), 'the renderer is not built: run `npx vite build` first (npm test does it in pretest)');
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const [relay, browser] = await Promise.allSettled([startChildRelay(env), launchChromium()]);
  if (relay.status === 'fulfilled' && browser.status === 'fulfilled') return [relay.value, browser.value];
  // One of them failed: the other must not outlive the test (a Chromium left open keeps it running).
  if (browser.status === 'fulfilled') await browser.value.close();
  if (relay.status === 'fulfilled') await stopChildRelay(relay.value);
  throw relay.status === 'rejected' ? relay.reason : (browser as PromiseRejectedResult).reason;
}

export async function screenshot(target: Page | Locator, name: string, fullPage = false): Promise<void> {
  await target.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), ...(fullPage && { fullPage }) });
}

export interface Dashboard {
  context: BrowserContext;
  page: Page;
  /** Page errors and console errors, for a test to assert there were none. */
  errors: string[];
}

/** Opens the dashboard at its token URL and waits until it has loaded. */
export async function openDashboard(browser: Browser, adminUrl: string, viewport = { width: 1440, height: 900 }): Promise<Dashboard> {
  const context = await browser.newContext({ viewport, colorScheme: 'light' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(adminUrl).origin });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console error: ${message.text()}`);
  });
  await page.goto(adminUrl);
  await page.getByTestId('app-ready').waitFor();
  return { context, page, errors };
}

/**
 * A dashboard tab loaded afresh, as a new tab would be whatever the last test changed (and a failing
 * one may not have put back): at `viewport`, in light mode.
 */
export async function reloadDashboard(page: Page, adminUrl: string, viewport: { width: number; height: number }): Promise<Page> {
  await page.setViewportSize(viewport);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(adminUrl);
  await page.getByTestId('app-ready').waitFor();
  return page;
}

/**
 * The dashboard loaded afresh for each test of a file, in one tab the tests take in turn. A new browser
 * context per test costs a renderer process and a cold start of the bundle (about 2.5 s, three times a
 * reload); a reload keeps nothing of the last test's page, as the dashboard stores nothing in the
 * browser and starts on the view its address names. Before it, the tab is set to the test's viewport
 * (its layout follows the viewport's width alone) and to light mode. What the tab keeps is its sign-in
 * cookie and its history (behind the reload). Page and console errors are collected per test, and
 * fail the test that had them.
 */
export class DashboardTab {
  #tab: Dashboard | undefined;
  readonly #browser: Browser;
  readonly #adminUrl: string;

  constructor(browser: Browser, adminUrl: string) {
    this.#browser = browser;
    this.#adminUrl = adminUrl;
  }

  async open(t: Pick<TestContext, 'after'>, viewport = { width: 1440, height: 900 }): Promise<Page> {
    let tab = this.#tab;
    if (tab && !tab.page.isClosed()) {
      tab.errors.length = 0;
      await reloadDashboard(tab.page, this.#adminUrl, viewport);
    } else {
      await tab?.context.close();
      tab = this.#tab = await openDashboard(this.#browser, this.#adminUrl, viewport);
    }
    const { errors } = tab;
    t.after(() => assert.deepEqual(errors.splice(0), []));
    return tab.page;
  }

  async close(): Promise<void> {
    await this.#tab?.context.close();
    this.#tab = undefined;
  }
}

/** Calls a contract method over the admin API from inside the page, with the page's cookie. */
export function callAdmin<T>(page: Page, method: string, input: unknown = {}): Promise<T> {
  return page.evaluate(
    async ([name, body]) => {
      const response = await fetch(`/api/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return response.json();
    },
    [method, input] as const,
  ) as Promise<T>;
}

/** The text of every pill on screen cut off by its own box ("rejected: bad si…", "m…"). */
export function truncatedPills(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('.badge, .sev')]
      .filter((pill) => pill.offsetParent !== null && pill.scrollWidth > pill.clientWidth + 1)
      .map((pill) => pill.textContent ?? ''),
  );
}
