/** axe-core in a dashboard page: the accessibility check every e2e file that draws a view runs. */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { reloadDashboard } from './browser.ts';

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface Violation {
  id: string;
  impact: string;
  help: string;
  nodes: { target: string[]; failureSummary: string }[];
}

/**
 * axe-core's WCAG 2.0/2.1 A and AA rules, or only those of them that judge colours; the serious and
 * critical findings, said plainly. axe is evaluated in the page as the test's own script, which the
 * dashboard's CSP does not govern (a script tag would be refused): the page keeps its CSP, and a
 * violation of it is still an error of the page.
 */
export async function seriousViolations(page: Page, where: string, rules: 'all' | 'colour' = 'all'): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const violations = (await page.evaluate(async (colourOnly) => {
    const axe = (
      window as unknown as {
        axe: { run: (context: unknown, options: unknown) => Promise<{ violations: Violation[] }>; getRules: (tags: string[]) => { ruleId: string; tags: string[] }[] };
      }
    ).axe;
    const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
    const colourRules = axe
      .getRules(tags)
      .filter((rule) => rule.tags.includes('cat.color'))
      .map((rule) => rule.ruleId);
    const runOnly = colourOnly ? { type: 'rule', values: colourRules } : { type: 'tag', values: tags };
    const result = await axe.run(document, { runOnly, resultTypes: ['violations'] });
    return result.violations;
  }, rules === 'colour')) as Violation[];
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
 * axe in light and then in dark mode on the page as it stands, each finding naming its scheme. The
 * dashboard's schemes are CSS alone (`prefers-color-scheme` sets colour variables, and no transitions),
 * so switching the emulated scheme recolours the same state at once: a second page that repeats the
 * steps to reach it would cost a page load and every step again, and check nothing more. For the same
 * reason dark mode is judged by axe's colour rules (contrast, links told apart by colour) only: the
 * others read the DOM and layout, which are the same in both schemes. The page is left in light mode.
 */
export async function seriousViolationsInBothSchemes(page: Page, where: string): Promise<string[]> {
  const found: string[] = [];
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const applied = await page.evaluate((wanted) => window.matchMedia(`(prefers-color-scheme: ${wanted})`).matches, scheme);
    if (!applied) throw new Error(`${where}: the page did not switch to ${scheme} mode`);
    found.push(...(await seriousViolations(page, `${where} (${scheme})`, scheme === 'dark' ? 'colour' : 'all')));
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return found;
}

/**
 * A file's dashboard tab loaded afresh at 720 px in light mode, for its axe test: a reload costs a
 * fraction of a new browser context, and leaves nothing of the tests before it on the page.
 */
export function reloadForAxe(page: Page, adminUrl: string): Promise<Page> {
  return reloadDashboard(page, adminUrl, { width: 720, height: 900 });
}
