/**
 * Pages of a long list for a virtual list: only the pages on screen are fetched and kept, and a
 * change refetches just those, so 100,000 rows cost the rows a person can see. A list whose server
 * anchors its pages (the delivery log, at the newest id when the user started reading) gets the
 * anchor from the first page and sends it with the others, so rows arriving meanwhile never shift
 * what is on screen. Views read it with `useSyncExternalStore` (see usePager).
 */
import { useSyncExternalStore } from 'react';

export const PAGE_SIZE = 100;
/** Pages further than this from the screen are dropped, so scrolling through a storm does not fill the heap. */
const KEEP_PAGES_AROUND = 4;
/** Pages fetched at once while scrolling; a refresh of the pages on screen is not held back. */
const MAX_IN_FLIGHT = 3;

export interface Range {
  start: number;
  end: number;
}

/** One page as the relay answers it: its rows, the list's total, and whatever else the list shows (counts, `newer`). */
export interface PageAnswer<Row> {
  rows: Row[];
  total: number;
  /** Set by a list whose server anchors its pages; sent back with every later page. */
  anchorId?: number | undefined;
}

export type FetchPage<Query, Answer> = (request: { query: Query; offset: number; limit: number; anchorId: number | undefined }) => Promise<Answer>;

export class WindowedPager<Query, Answer extends PageAnswer<unknown>> {
  query: Query;
  /** The newest page answer (its total, counts, `newer` …); undefined until the first one. */
  answer: Answer | undefined;
  /** True once the first answer (or failure) came; a new query keeps it, so a changed filter keeps the list and the focus. */
  loaded = false;
  error: string | undefined;
  readonly #fetchPage: FetchPage<Query, Answer>;
  readonly #pages = new Map<number, Answer['rows']>();
  readonly #inFlight = new Set<number>();
  /** Pages asked for again while a fetch of them was under way: fetched once more after it. */
  readonly #again = new Set<number>();
  #wanted: Range = { start: 0, end: PAGE_SIZE };
  /** Bumped by every start-over: answers of an older one are dropped. */
  #generation = 0;
  /** Whether the first page of this generation arrived (with its anchor): only then are further pages asked for. */
  #started = false;
  #anchorId: number | undefined;
  #starting = false;
  #version = 0;
  readonly #listeners = new Set<() => void>();

  constructor(query: Query, fetchPage: FetchPage<Query, Answer>) {
    this.query = query;
    this.#fetchPage = fetchPage;
  }

  get total(): number {
    return this.answer?.total ?? 0;
  }

  get anchorId(): number | undefined {
    return this.#anchorId;
  }

  row(index: number): Answer['rows'][number] | undefined {
    return this.#pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
  }

  // ---- for useSyncExternalStore ----

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  /** Changes whenever anything the list shows changed. */
  readonly getSnapshot = (): number => this.#version;

  #changed(): void {
    this.#version++;
    for (const listener of [...this.#listeners]) listener();
  }

  // ---- what the view asks for ----

  /** Starts over for another query (a filter, a grouping), from the top. What is shown stays until the new first page arrives. */
  async reset(query: Query): Promise<void> {
    this.query = query;
    this.#wanted = { start: 0, end: PAGE_SIZE };
    await this.#startOver();
  }

  /** Starts over at the newest rows (a new anchor: "show N new"), keeping the query. */
  reanchor(): Promise<void> {
    return this.#startOver();
  }

  /** The rows on screen changed: fetch the pages they need that are not here yet, and drop those far away. */
  want(range: Range): void {
    this.#wanted = range;
    if (!this.#started) return;
    const pages = this.#pagesIn(range);
    for (const page of pages) if (!this.#pages.has(page)) void this.#fetch(page, false);
    for (const page of this.#pages.keys()) {
      if (page < pages[0]! - KEEP_PAGES_AROUND || page > pages.at(-1)! + KEEP_PAGES_AROUND) this.#pages.delete(page);
    }
  }

  /** Something changed: fetch the pages on screen again, and the first one for the totals. */
  async refresh(): Promise<void> {
    if (!this.#started) {
      // A start-over under way brings fresh pages anyway; one that failed is tried again.
      if (!this.#starting) await this.#startOver();
      return;
    }
    const pages = new Set([0, ...this.#pagesIn(this.#wanted)]);
    await Promise.all([...pages].map((page) => this.#fetch(page, true)));
  }

  // ---- fetching ----

  #pagesIn(range: Range): number[] {
    const end = Math.min(range.end, Math.max(this.total, 1));
    const first = Math.floor(range.start / PAGE_SIZE);
    const last = Math.max(first, Math.floor(Math.max(end - 1, 0) / PAGE_SIZE));
    return Array.from({ length: last - first + 1 }, (_, index) => first + index);
  }

  async #startOver(): Promise<void> {
    const generation = ++this.#generation;
    this.#inFlight.clear();
    this.#again.clear();
    this.#started = false;
    this.#starting = true;
    try {
      const answer = await this.#fetchPage({ query: this.query, offset: 0, limit: PAGE_SIZE, anchorId: undefined });
      if (generation !== this.#generation) return;
      this.#pages.clear();
      this.#pages.set(0, answer.rows);
      this.answer = answer;
      this.#anchorId = answer.anchorId;
      this.error = undefined;
      this.#started = true;
    } catch (error) {
      if (generation !== this.#generation) return;
      this.error = (error as Error).message;
    }
    this.#starting = false;
    this.loaded = true;
    this.#changed();
    this.want(this.#wanted);
  }

  /** `again`: a refresh, which must happen even while scrolling fills the pipe, and once more if the page is loading. */
  async #fetch(page: number, again: boolean): Promise<void> {
    if (this.#inFlight.has(page)) {
      if (again) this.#again.add(page);
      return;
    }
    if (!again && this.#inFlight.size >= MAX_IN_FLIGHT) return;
    const generation = this.#generation;
    this.#inFlight.add(page);
    let failure: string | undefined;
    try {
      const answer = await this.#fetchPage({ query: this.query, offset: page * PAGE_SIZE, limit: PAGE_SIZE, anchorId: this.#anchorId });
      if (generation !== this.#generation) return;
      this.#pages.set(page, answer.rows);
      this.answer = answer;
      this.error = undefined;
    } catch (error) {
      if (generation !== this.#generation) return;
      failure = (error as Error).message;
      this.error = failure;
    }
    this.#inFlight.delete(page);
    this.#changed();
    if (this.#again.delete(page)) await this.#fetch(page, true);
    // Pages skipped while the pipe was full are asked for now.
    else if (failure === undefined) this.want(this.#wanted);
  }
}

/** The pager's state, re-rendering the view whenever it changed. */
export function usePager<Query, Answer extends PageAnswer<unknown>>(pager: WindowedPager<Query, Answer>): WindowedPager<Query, Answer> {
  useSyncExternalStore(pager.subscribe, pager.getSnapshot);
  return pager;
}
