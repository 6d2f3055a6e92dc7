/**
 * Work that runs at start and then on every interval, in the background: the timer never keeps
 * the process alive, and stop() waits for a run under way so that nothing writes to a closed store.
 * One run at a time: a tick or a `runNow()` while a run is under way shares that run.
 */
export class Periodic {
  readonly #work: () => Promise<unknown>;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  /** `work` reports its own failures (a tick has nobody to tell); `runNow()` hands them to its caller too. */
  constructor(work: () => Promise<unknown>, intervalMs: number) {
    this.#work = work;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    if (this.#timer) return;
    this.#tick();
    this.#timer = setInterval(() => this.#tick(), this.#intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** Runs the work now, or joins the run under way; resolves when that run is over. */
  runNow(): Promise<unknown> {
    this.#running ??= this.#work().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  #tick(): void {
    this.runNow().catch(() => undefined);
  }
}
