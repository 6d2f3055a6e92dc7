/**
 * Pages of the alert board for a virtual list: only the pages on screen are fetched and kept, and a
 * change batch refetches just those — so 25,000 active alerts cost the rows a person can see.
 */
import type { AlertEntry, AlertPageInput } from '../../../shared/contract.ts';
import { call } from '../api/client.ts';

export const ALERT_PAGE_SIZE = 100;
const KEEP_PAGES = 8;

export type AlertQuery = Omit<AlertPageInput, 'offset' | 'limit' | 'levelAlertId'>;

export class AlertPager {
  query: AlertQuery;
  total = 0;
  counts: Record<string, number> = {};
  loaded = false;
  error: string | undefined;
  readonly #pages = new Map<number, AlertEntry[]>();
  readonly #inFlight = new Set<number>();
  /** Pages asked for again while a fetch of them was under way: fetched once more after it. */
  readonly #stale = new Set<number>();
  #wanted = { start: 0, end: 0 };
  #generation = 0;
  readonly #changed: () => void;

  constructor(query: AlertQuery, changed: () => void) {
    this.query = query;
    this.#changed = changed;
  }

  entry(index: number): AlertEntry | undefined {
    return this.#pages.get(Math.floor(index / ALERT_PAGE_SIZE))?.[index % ALERT_PAGE_SIZE];
  }

  /** Starts over for another query (grouping, an opened group). */
  async reset(query: AlertQuery): Promise<void> {
    this.query = query;
    this.#generation++;
    this.#pages.clear();
    this.#inFlight.clear();
    this.#stale.clear();
    // `loaded` stays once the first answer came: a changed filter keeps the view, and the focus in its field.
    this.#wanted = { start: 0, end: ALERT_PAGE_SIZE };
    this.#changed();
    await this.refresh();
  }

  /** The rows on screen changed: fetch the pages they need that are not here yet. */
  want(range: { start: number; end: number }): void {
    this.#wanted = range;
    for (const page of this.#visiblePages()) if (!this.#pages.has(page)) void this.#fetch(page);
    // Pages far from the screen are dropped, so scrolling through a storm does not fill the heap.
    const pages = this.#visiblePages();
    for (const page of this.#pages.keys()) {
      if (page < pages[0]! - KEEP_PAGES / 2 || page > pages.at(-1)! + KEEP_PAGES / 2) this.#pages.delete(page);
    }
  }

  /** Something changed: fetch the pages on screen again (the first one always, for the totals). */
  async refresh(): Promise<void> {
    const pages = new Set([0, ...this.#visiblePages()]);
    await Promise.all([...pages].map((page) => this.#fetch(page)));
  }

  #visiblePages(): number[] {
    const first = Math.floor(this.#wanted.start / ALERT_PAGE_SIZE);
    const last = Math.max(first, Math.floor(Math.max(this.#wanted.end - 1, 0) / ALERT_PAGE_SIZE));
    return Array.from({ length: last - first + 1 }, (_, index) => first + index);
  }

  async #fetch(page: number): Promise<void> {
    if (this.#inFlight.has(page)) {
      this.#stale.add(page);
      return;
    }
    this.#inFlight.add(page);
    const generation = this.#generation;
    try {
      const answer = await call('listAlerts', { ...this.query, offset: page * ALERT_PAGE_SIZE, limit: ALERT_PAGE_SIZE });
      if (generation !== this.#generation) return;
      this.#pages.set(page, answer.rows);
      this.total = answer.total;
      this.counts = answer.counts;
      this.error = undefined;
    } catch (error) {
      if (generation !== this.#generation) return;
      this.error = (error as Error).message;
    } finally {
      if (generation === this.#generation) {
        this.#inFlight.delete(page);
        this.loaded = true;
        this.#changed();
        if (this.#stale.delete(page)) void this.#fetch(page);
      }
    }
  }
}
