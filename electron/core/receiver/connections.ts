import type { Socket } from 'node:net';

interface AddressConnections {
  all: Set<Socket>;
  /** Connections with no request in progress, the one idle longest first. */
  idle: Set<Socket>;
}

/**
 * Connections per remote address, capped so that one address cannot take every file descriptor.
 * Behind a tunnel every connection, Level's included, comes from the tunnel: so at the cap a new
 * connection closes the address's longest-idle one (an idle keep-alive costs its owner nothing to
 * hold, and a fresh request must not wait behind it). Only when every connection of the address
 * has a request in progress is the new one refused.
 */
export class ConnectionTable {
  readonly #max: number;
  readonly #capChanged: () => void;
  readonly #byAddress = new Map<string, AddressConnections>();
  /** Addresses holding as many connections as the cap allows, and since when. */
  readonly #atCap = new Map<string, number>();
  readonly #addressOf = new WeakMap<Socket, string>();
  readonly #requestsInProgress = new WeakMap<Socket, number>();
  /** Admitted past the cap when nothing was idle: refused at their first request unless room appears by then. */
  readonly #overCap = new WeakSet<Socket>();

  /** `capChanged`: an address reached the cap, or fell below it. */
  constructor(maxPerAddress: number, capChanged: () => void = () => undefined) {
    this.#max = maxPerAddress;
    this.#capChanged = capChanged;
  }

  /** The addresses at the cap now (an attacker's, or a tunnel's under one), and since when. */
  atCap(): { address: string; since: number }[] {
    return [...this.#atCap].map(([address, since]) => ({ address, since }));
  }

  /** A new connection, and whether an idle one of its address was closed to make room for it. */
  admit(socket: Socket): { closedIdle: boolean } {
    const address = socket.remoteAddress ?? '';
    let group = this.#byAddress.get(address);
    if (!group) {
      group = { all: new Set(), idle: new Set() };
      this.#byAddress.set(address, group);
    }
    this.#addressOf.set(socket, address);
    group.all.add(socket);
    group.idle.add(socket);
    if (group.all.size >= this.#max && !this.#atCap.has(address)) {
      this.#atCap.set(address, Date.now());
      this.#capChanged();
    }
    if (group.all.size <= this.#max) return { closedIdle: false };
    if (this.#closeLongestIdle(group, socket)) return { closedIdle: true };
    this.#overCap.add(socket);
    return { closedIdle: false };
  }

  /**
   * A request begins on `socket`: 'over-cap' when its connection is past the cap with still nothing
   * idle to close, and the request is to be refused; otherwise whether an idle one was closed for it.
   */
  requestStarted(socket: Socket): 'over-cap' | { closedIdle: boolean } {
    this.#requestsInProgress.set(socket, (this.#requestsInProgress.get(socket) ?? 0) + 1);
    const group = this.#groupOf(socket);
    group?.idle.delete(socket);
    if (!this.#overCap.has(socket)) return { closedIdle: false };
    if (group && group.all.size > this.#max && !this.#closeLongestIdle(group, socket)) return 'over-cap';
    this.#overCap.delete(socket);
    return { closedIdle: true };
  }

  requestEnded(socket: Socket): void {
    const left = (this.#requestsInProgress.get(socket) ?? 1) - 1;
    this.#requestsInProgress.set(socket, left);
    const group = this.#groupOf(socket);
    if (left > 0 || socket.destroyed || !group?.all.has(socket)) return;
    // To the back of the line: the longest-idle connection is the first to go.
    group.idle.delete(socket);
    group.idle.add(socket);
  }

  closed(socket: Socket): void {
    const address = this.#addressOf.get(socket);
    const group = address === undefined ? undefined : this.#byAddress.get(address);
    if (!group) return;
    group.all.delete(socket);
    group.idle.delete(socket);
    if (group.all.size === 0) this.#byAddress.delete(address!);
    if (group.all.size < this.#max && this.#atCap.delete(address!)) this.#capChanged();
  }

  #groupOf(socket: Socket): AddressConnections | undefined {
    const address = this.#addressOf.get(socket);
    return address === undefined ? undefined : this.#byAddress.get(address);
  }

  #closeLongestIdle(group: AddressConnections, except: Socket): boolean {
    for (const socket of group.idle) {
      if (socket === except) continue;
      group.all.delete(socket);
      group.idle.delete(socket);
      socket.destroy();
      return true;
    }
    return false;
  }
}
