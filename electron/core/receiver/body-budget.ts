/**
 * Memory for request bodies being received, shared by everyone who can reach the public port:
 * bodies are buffered before their signature can be checked. Three rules keep one client from
 * taking it all:
 * - the last `smallBodyReserveBytes` are kept for small bodies (Level's are about 1 KB), so large
 *   ones, however many, cannot crowd them out;
 * - a large body may only use what is left of `maxBufferedBytesPerAddress` for its client address;
 * - small bodies skip the per-address rule: behind a tunnel that does not name its clients, Level
 *   shares one address with everybody else.
 */
export interface BodyBudgetLimits {
  maxBufferedBytes: number;
  /** Up to this size a body counts as small. */
  smallBodyBytes: number;
  smallBodyReserveBytes: number;
  maxBufferedBytesPerAddress: number;
}

/** Why bytes were not taken. */
export type NoRoom = 'full' | 'address-share';

export class BodyBudget {
  #used = 0;
  readonly #byAddress = new Map<string, number>();
  readonly #limits: BodyBudgetLimits;

  constructor(limits: BodyBudgetLimits) {
    if (limits.smallBodyReserveBytes >= limits.maxBufferedBytes) throw new Error('the reserve for small bodies must be smaller than the whole body budget');
    this.#limits = limits;
  }

  get used(): number {
    return this.#used;
  }

  get limits(): BodyBudgetLimits {
    return this.#limits;
  }

  /**
   * Whether `bytes` more fit for a body from `address` that is then `size` bytes long (or is
   * declared to be): undefined when they do.
   */
  room(address: string, bytes: number, size: number): NoRoom | undefined {
    const limits = this.#limits;
    if (size <= limits.smallBodyBytes) return this.#used + bytes <= limits.maxBufferedBytes ? undefined : 'full';
    if (this.#used + bytes > limits.maxBufferedBytes - limits.smallBodyReserveBytes) return 'full';
    return (this.#byAddress.get(address) ?? 0) + bytes <= limits.maxBufferedBytesPerAddress ? undefined : 'address-share';
  }

  /** Takes `bytes` when they fit (see room()); otherwise takes nothing and says why. */
  take(address: string, bytes: number, size: number): NoRoom | undefined {
    const noRoom = this.room(address, bytes, size);
    if (noRoom) return noRoom;
    this.#used += bytes;
    this.#byAddress.set(address, (this.#byAddress.get(address) ?? 0) + bytes);
    return undefined;
  }

  give(address: string, bytes: number): void {
    if (bytes === 0) return;
    this.#used -= bytes;
    const left = (this.#byAddress.get(address) ?? 0) - bytes;
    if (left > 0) this.#byAddress.set(address, left);
    else this.#byAddress.delete(address);
  }
}
