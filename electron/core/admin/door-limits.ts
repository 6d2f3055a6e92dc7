/**
 * What the admin door lets anyone hold, so that it can never take what the public webhook port
 * needs. Every connection is a file descriptor, and the process has one budget of them for both
 * doors: a stranger who opened thousands of TLS connections to the admin door and then said
 * nothing used to exhaust it, and Level's webhooks failed on the public port. So the door holds
 * at most a share of the process's descriptors, at most so many per address, closes a connection
 * that has not sent a request in time, and says on the Health page when it turns connections away.
 */
import fs from 'node:fs';
import type net from 'node:net';
import type { Diagnosis } from '../../../shared/contract.ts';
import type { Logger } from '../logger.ts';
import { ThrottledLog } from '../receiver/receiver.ts';

export interface DoorLimits {
  /** Connections held at once, in all: see `doorConnectionCap`. */
  maxConnections: number;
  /** Connections held at once from one address. A team behind one NAT shares it: a browser holds about six. */
  maxConnectionsPerAddress: number;
  /** A connection that has not finished its TLS handshake and sent a whole request head by then is closed. */
  firstRequestTimeoutMs: number;
  /** Live-update streams one person (a member, or the owner) may hold open: a few tabs and a tray app. */
  maxStreamsPerCaller: number;
  /** A live-update stream whose unsent bytes pass this is dropped: its reader stopped reading. It reconnects and refetches. */
  maxStreamBufferBytes: number;
}

/** The process's limit on open files (the soft limit), where the system says; undefined elsewhere. */
export function openFileLimit(): number | undefined {
  try {
    const match = /^Max open files\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The admin door's share of the process's file descriptors: a quarter, so the public port, the
 * database and the outbound connections keep three quarters however the door is used. Where the
 * limit cannot be read, Node has raised it to the hard limit at start (at least 1024 anywhere it runs).
 */
export function doorConnectionCap(fileLimit: number | undefined): number {
  return Math.min(4096, Math.max(32, Math.floor((fileLimit ?? 1024) / 4)));
}

export function defaultDoorLimits(): DoorLimits {
  return {
    maxConnections: doorConnectionCap(openFileLimit()),
    maxConnectionsPerAddress: 256,
    firstRequestTimeoutMs: 10_000,
    maxStreamsPerCaller: 8,
    maxStreamBufferBytes: 1024 * 1024,
  };
}

/** How long a refused connection keeps the door's saturation on the Health page. */
const SATURATION_SHOWN_MS = 10 * 60_000;

/** Counts the door's connections and refuses those past its caps, before any TLS work is spent on them. */
export class ConnectionGuard {
  readonly limits: DoorLimits;
  readonly #perAddress = new Map<string, number>();
  #open = 0;
  readonly #awaitingRequest = new WeakMap<net.Socket, NodeJS.Timeout>();
  #refused = { count: 0, since: 0, lastAt: 0, lastReason: '' };
  readonly #log: ThrottledLog;

  constructor(limits: DoorLimits, log: Logger) {
    this.limits = limits;
    this.#log = new ThrottledLog((line) => log.error(line));
  }

  /** A new TCP connection: counted, or closed at once when it is one too many. */
  admit(socket: net.Socket, now = Date.now()): void {
    const address = socket.remoteAddress ?? '';
    const fromAddress = this.#perAddress.get(address) ?? 0;
    let reason: string | undefined;
    if (fromAddress >= this.limits.maxConnectionsPerAddress) reason = `${address} holds ${fromAddress} connections, the most one address may`;
    else if (this.#open >= this.limits.maxConnections) reason = `the door holds ${this.#open} connections, the most it may (a quarter of this process’s file descriptors)`;
    if (reason) {
      if (now - this.#refused.lastAt > SATURATION_SHOWN_MS) this.#refused = { count: 0, since: now, lastAt: now, lastReason: reason };
      this.#refused.count++;
      this.#refused.lastAt = now;
      this.#refused.lastReason = reason;
      this.#log.note('refused', `refusing connections: ${reason}`, now);
      socket.destroy();
      return;
    }
    this.#open++;
    this.#perAddress.set(address, fromAddress + 1);
    socket.once('close', () => {
      this.#open--;
      const left = (this.#perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.#perAddress.set(address, left);
      else this.#perAddress.delete(address);
    });
  }

  /**
   * A connection ready to speak HTTP (for TLS: once the handshake is done) must send a request
   * head in time. Node's own header timeout starts only with the first byte, so a connection
   * that says nothing at all would otherwise be kept for ever.
   */
  awaitRequest(socket: net.Socket): void {
    const timer = setTimeout(() => socket.destroy(), this.limits.firstRequestTimeoutMs);
    timer.unref();
    this.#awaitingRequest.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  }

  /** A request head arrived: from now on Node's header, request and keep-alive timeouts apply. */
  requested(socket: net.Socket): void {
    clearTimeout(this.#awaitingRequest.get(socket));
    this.#awaitingRequest.delete(socket);
  }

  get openConnections(): number {
    return this.#open;
  }

  /** The Health page's line while the door turns connections away, and for a while after. */
  diagnoses(now = Date.now()): Diagnosis[] {
    const refused = this.#refused;
    if (refused.count === 0 || now - refused.lastAt > SATURATION_SHOWN_MS) return [];
    const busiest = [...this.#perAddress].reduce<[string, number] | undefined>((top, entry) => (top && top[1] >= entry[1] ? top : entry), undefined);
    const minutes = Math.max(1, Math.round((now - refused.since) / 60_000));
    return [
      {
        id: 'admin-door-saturated',
        level: 'warning',
        title: 'The admin door is turning connections away',
        detail:
          `${refused.count} ${refused.count === 1 ? 'connection was' : 'connections were'} refused in the last ${minutes} min: ${refused.lastReason}. ` +
          `${this.#open} open now${busiest ? `, ${busiest[1]} of them from ${busiest[0]}` : ''}. ` +
          'Webhooks on the public port are not affected: the door keeps within its share of file descriptors.',
        fix: 'If those connections are not your team’s, block the address at the firewall or VPN; the door closes connections that send nothing within a few seconds.',
      },
    ];
  }
}
