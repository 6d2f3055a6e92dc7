/**
 * Pages of the delivery log for a virtual list: only the pages on screen are fetched, all as of
 * one anchor (the newest id when the user started reading), so rows arriving meanwhile never
 * shift what is on screen; the server's `newer` count says how many are waiting above.
 */
import type { DeliveryFilter, DeliveryRow } from '../../../shared/contract.ts';
import { call } from '../api/client.ts';

export const PAGE_SIZE = 100;
const MAX_PAGES = 40;
const MAX_IN_FLIGHT = 3;

export interface Range {
  start: number;
  end: number;
}

export class DeliveryPager {
  filter: DeliveryFilter = {};
  anchorId: number | undefined;
  total = 0;
  newer = 0;
  /** True once the first page for the current filter arrived. */
  loaded = false;
  error: string | undefined;
  readonly #pages = new Map<number, { rows: DeliveryRow[]; usedAt: number }>();
  readonly #inFlight = new Set<number>();
  /** Pages asked to refresh while a fetch of them was already under way: fetched once more after it. */
  readonly #stale = new Set<number>();
  #generation = 0;
  /** The rows on screen, so that pages skipped while requests were busy are fetched afterwards. */
  #wanted: Range = { start: 0, end: 0 };
  readonly #changed: () => void;

  constructor(changed: () => void) {
    this.#changed = changed;
  }

  row(index: number): DeliveryRow | undefined {
    const page = this.#pages.get(Math.floor(index / PAGE_SIZE));
    return page?.rows[index % PAGE_SIZE];
  }

  /** Starts over for a new filter: the newest deliveries, anchored at the newest id. */
  async reset(filter: DeliveryFilter): Promise<void> {
    this.filter = filter;
    this.#generation++;
    this.#pages.clear();
    this.#inFlight.clear();
    this.#stale.clear();
    this.anchorId = undefined;
    this.total = 0;
    this.newer = 0;
    this.loaded = false;
    this.#changed();
    await this.reanchor();
  }

  /**
   * Moves the anchor to the newest delivery ("show N new"). What is on screen stays until the new
   * first page arrives, so nothing flashes.
   */
  async reanchor(): Promise<void> {
    const generation = ++this.#generation;
    this.#inFlight.clear();
    this.#stale.clear();
    try {
      const page = await call('listDeliveries', { filter: this.filter, offset: 0, limit: PAGE_SIZE });
      if (generation !== this.#generation) return;
      this.#pages.clear();
      this.#pages.set(0, { rows: page.rows, usedAt: Date.now() });
      this.anchorId = page.anchorId;
      this.total = page.total;
      this.newer = page.newer;
      this.loaded = true;
      this.error = undefined;
    } catch (error) {
      if (generation !== this.#generation) return;
      this.error = (error as Error).message;
      this.loaded = true;
    }
    this.#changed();
  }

  #pagesIn(range: Range): number[] {
    const pages: number[] = [];
    const last = Math.min(range.end, Math.max(this.total, 1)) - 1;
    for (let page = Math.floor(range.start / PAGE_SIZE); page <= Math.floor(Math.max(last, range.start) / PAGE_SIZE); page++) pages.push(page);
    return pages;
  }

  /** Fetches the pages of `range` that are not loaded yet. */
  ensure(range: Range): void {
    this.#wanted = range;
    if (!this.loaded || this.anchorId === undefined) return;
    for (const page of this.#pagesIn(range)) {
      const cached = this.#pages.get(page);
      if (cached) cached.usedAt = Date.now();
      else if (page * PAGE_SIZE < this.total) void this.#fetch(page);
    }
  }

  /** Fetches the pages of `range` again (statuses change under a fixed anchor), and the `newer` count. */
  async refresh(range: Range): Promise<void> {
    if (!this.loaded || this.anchorId === undefined) return this.reanchor();
    await Promise.all(this.#pagesIn(range).map((page) => this.#fetch(page, true)));
  }

  async #fetch(page: number, force = false): Promise<void> {
    if (this.#inFlight.has(page)) {
      if (force) this.#stale.add(page);
      return;
    }
    if (!force && this.#inFlight.size >= MAX_IN_FLIGHT) return;
    const generation = this.#generation;
    const anchorId = this.anchorId;
    this.#inFlight.add(page);
    let outcome: { rows: DeliveryRow[]; total: number; newer: number } | { error: string };
    try {
      const result = await call('listDeliveries', { filter: this.filter, anchorId, offset: page * PAGE_SIZE, limit: PAGE_SIZE });
      outcome = { rows: result.rows, total: result.total, newer: result.newer };
    } catch (error) {
      outcome = { error: (error as Error).message };
    }
    if (generation !== this.#generation) return;
    this.#inFlight.delete(page);
    // A page read under another anchor would sit at the wrong offsets: it is dropped (and read again below).
    if (anchorId === this.anchorId) {
      if ('error' in outcome) this.error = outcome.error;
      else {
        this.#pages.set(page, { rows: outcome.rows, usedAt: Date.now() });
        this.total = outcome.total;
        this.newer = outcome.newer;
        this.error = undefined;
        this.#evict();
      }
      this.#changed();
    }
    if (this.#stale.delete(page)) await this.#fetch(page, true);
    else if (!('error' in outcome)) this.ensure(this.#wanted);
  }

  #evict(): void {
    if (this.#pages.size <= MAX_PAGES) return;
    const oldest = [...this.#pages.entries()].sort((a, b) => a[1].usedAt - b[1].usedAt).slice(0, this.#pages.size - MAX_PAGES);
    for (const [page] of oldest) this.#pages.delete(page);
  }
}
