/**
 * Level webhook bodies for the benchmark, signed the way Level signs them. Bodies are generated and
 * signed before a run starts, so the load generator spends its time sending, not hashing.
 */
import { randomUUID } from 'node:crypto';
import { sign } from '../electron/core/level/signature.ts';

export interface SignedBody {
  body: Buffer;
  signature: string;
  eventId: string;
}

const PLATFORMS = ['Windows', 'Mac', 'Linux'] as const;

/** A `device_updated` event for one of `fleetSize` devices (the store upserts the device mirror). */
export function deviceUpdatedEvent(n: number, fleetSize = 1000): Record<string, unknown> {
  const device = n % fleetSize;
  const now = new Date().toISOString();
  return {
    event_type: 'device_updated',
    event_id: randomUUID(),
    occurred_at: now,
    data: {
      id: `dev-${device}`,
      hostname: `WS-${String(device).padStart(4, '0')}`,
      nickname: null,
      role: 'workstation',
      group_id: `grp-${device % 17}`,
      group_name: 'HQ/Workstations',
      tags: ['bench', 'office'],
      flag: null,
      maintenance_mode: false,
      online: true,
      platform: PLATFORMS[device % PLATFORMS.length],
      manufacturer: 'Dell Inc.',
      model: 'OptiPlex 7090',
      serial_number: `SN${String(device * 7919).padStart(8, '0')}`,
      last_seen_at: now,
      last_logged_in_user: 'frontdesk',
      security_score: 80 + (device % 20),
    },
  };
}

export function signEvent(secret: string, event: Record<string, unknown>): SignedBody {
  const body = Buffer.from(JSON.stringify(event));
  return { body, signature: sign(secret, body), eventId: String(event.event_id) };
}

/**
 * Pre-signed bodies handed out one per request. `wrap`: start over when the pool runs out (only for
 * the bare baseline, which ignores the content); otherwise further bodies are signed on the fly and
 * counted, so the report can say whether the pool was large enough.
 */
export class BodyPool {
  readonly #bodies: SignedBody[];
  readonly #make: (n: number) => SignedBody;
  readonly #wrap: boolean;
  #next = 0;
  signedOnTheFly = 0;

  constructor(size: number, make: (n: number) => SignedBody, options: { wrap?: boolean } = {}) {
    this.#make = make;
    this.#wrap = options.wrap ?? false;
    this.#bodies = new Array<SignedBody>(size);
    for (let index = 0; index < size; index++) this.#bodies[index] = make(index);
  }

  get size(): number {
    return this.#bodies.length;
  }

  /** How many bodies were handed out (including any signed on the fly). */
  get used(): number {
    return this.#next;
  }

  next(): SignedBody {
    const index = this.#next++;
    if (index < this.#bodies.length) return this.#bodies[index]!;
    if (this.#wrap) return this.#bodies[index % this.#bodies.length]!;
    this.signedOnTheFly++;
    return this.#make(index);
  }
}
