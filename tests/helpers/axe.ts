/** axe-core in a dashboard page: the accessibility check every e2e file that draws a view runs. */
import { createRequire } from 'node:module';
import type { TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface Violation {
  id: string;
  impact: string;
  help: string;
  nodes: { target: string[]; failureSummary: string }[];
}

/**
 * axe-core's WCAG 2.0/2.1 A and AA rules; the serious and critical findings, said plainly. The page's
 * context must bypass the dashboard's CSP: axe is injected as a script tag.
 */
export async function seriousViolations(page: Page, where: string): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const violations = (await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<{ violations: Violation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] });
    return result.violations;
  })) as Violation[];
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${where}: ${violation.id} (${violation.impact}) ${violation.help} — ${violation.nodes
          .slice(0, 3)
          .map((node) => `${node.target.join(' ')}: ${node.failureSummary.split('\n').slice(1, 2).join('')}`)
          .join(' | ')}`,
    );
}

/**
 * A dashboard page at 720 px in a light or dark scheme, ready for axe: its context bypasses the
 * dashboard's CSP for this page only (axe is injected as a script tag) and is closed after the test.
 */
export async function openAxePage(browser: Browser, adminUrl: string, scheme: 'light' | 'dark', t: Pick<TestContext, 'after'>): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 720, height: 900 }, colorScheme: scheme, bypassCSP: true });
  t.after(() => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await page.goto(adminUrl);
  await page.getByTestId('app-ready').waitFor();
  return page;
}
