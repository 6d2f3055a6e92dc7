/**
 * Work that runs at start and then on every interval, in the background: the timer never keeps
 * the process alive, and stop() waits for a run under way so that nothing writes to a closed store.
 */
export class Periodic {
  readonly #work: () => Promise<unknown>;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  constructor(work: () => Promise<unknown>, intervalMs: number) {
    this.#work = work;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    if (this.#timer) return;
    this.#run();
    this.#timer = setInterval(() => this.#run(), this.#intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  #run(): void {
    const run = this.#work().catch(() => undefined);
    this.#running = run;
  }
}
