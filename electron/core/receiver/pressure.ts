/** What the public port turned away or closed for lack of room lately. */
export interface PressureCounts {
  /** When the first of these happened after a quiet spell. */
  since: number;
  lastAt: number;
  /** Requests answered 503 because the bodies being received filled their memory. */
  bodiesRefused: number;
  /** Requests answered 503 because their connection was one too many for its address. */
  connectionsRefused: number;
  /** Idle keep-alive connections closed to make room for new ones. */
  idleClosed: number;
}

/** Why the public port counts as busy: what it turned away lately, and who holds all the connections one address may have. */
export interface PortPressure extends PressureCounts {
  atConnectionCap: { address: string; since: number }[];
}

type PressureKind = 'bodiesRefused' | 'connectionsRefused' | 'idleClosed';

/**
 * Remembers that the port is under pressure until `quietMs` pass without any, and says when that
 * starts and ends: a monitor on /healthz and the Health page must see an attack while it lasts.
 */
export class PressureRecord {
  readonly #quietMs: number;
  readonly #changed: () => void;
  #current: PressureCounts | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(quietMs: number, changed: () => void) {
    this.#quietMs = quietMs;
    this.#changed = changed;
  }

  note(kind: PressureKind, now = Date.now()): void {
    const started = !this.current(now);
    if (started) this.#current = { since: now, lastAt: now, bodiesRefused: 0, connectionsRefused: 0, idleClosed: 0 };
    const current = this.#current!;
    current[kind]++;
    current.lastAt = now;
    if (started) {
      this.#scheduleEnd(this.#quietMs);
      this.#changed();
    }
  }

  /** Undefined once the port has been quiet for `quietMs`. */
  current(now = Date.now()): PressureCounts | undefined {
    const current = this.#current;
    return current && now - current.lastAt < this.#quietMs ? current : undefined;
  }

  stop(): void {
    clearTimeout(this.#timer);
  }

  #scheduleEnd(afterMs: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      const current = this.#current;
      if (!current) return;
      const quietFor = Date.now() - current.lastAt;
      if (quietFor < this.#quietMs) return this.#scheduleEnd(this.#quietMs - quietFor);
      this.#current = undefined;
      this.#changed();
    }, afterMs);
    this.#timer.unref();
  }
}
