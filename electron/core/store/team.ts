/**
 * The team of a relay whose admin door is shared: members with a role and a personal token, and
 * the audit of who did what. Tokens and pairing codes are random and stored only as SHA-256
 * hashes, so a copy of the database lets nobody in.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { AuditEntry, Caller, Member, Role } from '../../../shared/contract.ts';
import { Repository } from './store.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { SQL } from './private.ts';

export const PAIRING_VALID_MS = 24 * 60 * 60_000;
/** Unambiguous when read aloud or typed from a screen: no 0/O, 1/I/L. */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** A random 32-byte token, as text that survives URLs and headers. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

function newPairingCode(): string {
  // 16 symbols of 31: about 79 bits, far beyond what 20 guesses a minute can reach in 24 h.
  const symbols = Array.from({ length: 16 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]);
  return [0, 4, 8, 12].map((start) => symbols.slice(start, start + 4).join('')).join('-');
}

/** Codes are compared without dashes, spaces or case, as people type them. */
function normaliseCode(code: string): string {
  return code.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

interface MemberRow {
  id: number;
  name: string;
  role: Role;
  token_hash: string | null;
  pairing_hash: string | null;
  pairing_expires_at: number | null;
  created_at: number;
  created_by: string;
  paired_at: number | null;
  last_used_at: number | null;
  last_used_from: string | null;
  revoked_at: number | null;
}

/** Last use is written at most this often per member: a busy dashboard must not write on every call. */
const LAST_USE_RESOLUTION_MS = 60_000;

/** What the admin door needs of the team: who a token belongs to, pairing a new device, and its own audit rows. */
export type TeamDoor = Pick<Team, 'authenticate' | 'pair' | 'recordSoon'>;

export class Team extends Repository {
  /** Members whose last use is being written: one queued write each, however many calls arrive meanwhile. */
  readonly #lastUseWrites = new Set<number>();

  invite(name: string, role: Role, createdBy: Caller, now = Date.now()): { id: number; pairingCode: string } {
    const pairingCode = newPairingCode();
    const id = this.store.transaction(() => {
      const result = this.store[SQL].get(`INSERT INTO members (name, role, pairing_hash, pairing_expires_at, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)`).run(
        name,
        role,
        hashSecret(normaliseCode(pairingCode)),
        now + PAIRING_VALID_MS,
        now,
        createdBy.name,
      );
      const memberId = Number(result.lastInsertRowid);
      this.#record(createdBy, 'invite', `invited ${name} as ${role}`, now);
      return memberId;
    });
    return { id, pairingCode };
  }

  /** Exchanges a pairing code for a personal token, once. Undefined for a wrong, used or expired code. */
  pair(code: string, from: string | undefined, now = Date.now()): { token: string; member: Member } | undefined {
    const hash = hashSecret(normaliseCode(code));
    return this.store.transaction(() => {
      const row = this.store[SQL].get(`SELECT * FROM members WHERE pairing_hash = ?`).get(hash) as MemberRow | undefined;
      if (!row || row.revoked_at !== null || (row.pairing_expires_at ?? 0) <= now) return undefined;
      const token = newToken();
      this.store[SQL].get(
        `UPDATE members SET pairing_hash = NULL, pairing_expires_at = NULL, token_hash = ?, paired_at = ?, last_used_at = ?, last_used_from = ? WHERE id = ?`,
      ).run(hashSecret(token), now, now, from ?? null, row.id);
      this.#record({ name: row.name, role: row.role, memberId: row.id }, 'pair', `${row.name} paired${from ? ` from ${from}` : ''}`, now);
      return { token, member: toMember({ ...row, pairing_hash: null, token_hash: 'set', paired_at: now, last_used_at: now }, now) };
    });
  }

  /**
   * The member a personal token belongs to, unless revoked. Its last use is recorded on a
   * best-effort basis, queued behind the sign-in: while another program holds the write lock a
   * sign-in must neither wait for it nor fail on it.
   */
  authenticate(token: string, from: string | undefined, now = Date.now()): Caller | undefined {
    const hash = hashSecret(token);
    const row = this.store[SQL].get(`SELECT id, name, role, token_hash, revoked_at, last_used_at FROM members WHERE token_hash = ?`).get(hash) as
      Pick<MemberRow, 'id' | 'name' | 'role' | 'token_hash' | 'revoked_at' | 'last_used_at'> | undefined;
    // The row was found by its hash; comparing the hashes again in constant time keeps the check
    // itself free of timing differences whatever the index does.
    if (!row?.token_hash || !timingSafeEqual(Buffer.from(row.token_hash), Buffer.from(hash)) || row.revoked_at !== null) return undefined;
    if (now - (row.last_used_at ?? 0) >= LAST_USE_RESOLUTION_MS && !this.#lastUseWrites.has(row.id)) {
      this.#lastUseWrites.add(row.id);
      this.store
        .write(() => this.store[SQL].get(`UPDATE members SET last_used_at = ?, last_used_from = ? WHERE id = ?`).run(now, from ?? null, row.id))
        // Not written (the store is locked or closing): the next call after the resolution tries again.
        .catch(() => undefined)
        .finally(() => this.#lastUseWrites.delete(row.id));
    }
    return { name: row.name, role: row.role, memberId: row.id };
  }

  revoke(id: number, by: Caller, now = Date.now()): Member {
    return this.store.transaction(() => {
      const row = this.store[SQL].get(`SELECT * FROM members WHERE id = ?`).get(id) as MemberRow | undefined;
      if (!row) throw new NotFoundError(`no member ${id}`);
      if (row.revoked_at === null) {
        this.store[SQL].get(`UPDATE members SET revoked_at = ?, pairing_hash = NULL WHERE id = ?`).run(now, id);
        this.#record(by, 'revoke', `revoked ${row.name} (${row.role})`, now);
      }
      return toMember({ ...row, revoked_at: row.revoked_at ?? now }, now);
    });
  }

  /** Roles are read with every sign-in, so the new one applies from the member's next call. */
  changeRole(id: number, role: Role, by: Caller, now = Date.now()): Member {
    return this.store.transaction(() => {
      const row = this.store[SQL].get(`SELECT * FROM members WHERE id = ?`).get(id) as MemberRow | undefined;
      if (!row) throw new NotFoundError(`no member ${id}`);
      if (row.revoked_at !== null)
        // A revoked member stays revoked: their token is gone, and a new invitation is the way back.
        throw new ConflictError(`${row.name} was revoked: invite them again instead of changing the role`);
      if (row.role !== role) {
        this.store[SQL].get(`UPDATE members SET role = ? WHERE id = ?`).run(role, id);
        this.#record(by, 'role', `changed ${row.name}’s role from ${row.role} to ${role}`, now);
      }
      return toMember({ ...row, role }, now);
    });
  }

  list(now = Date.now()): Member[] {
    const rows = this.store[SQL].get(`SELECT * FROM members ORDER BY revoked_at IS NOT NULL, name COLLATE NOCASE, id`).all() as unknown as MemberRow[];
    return rows.map((row) => toMember(row, now));
  }

  record(caller: Caller, action: string, detail: string, now = Date.now()): void {
    this.store.transaction(() => this.#record(caller, action, detail, now));
  }

  /** An audit row the caller must not wait for or fail on (the door's record of failed sign-ins); dropped if the store cannot write. */
  recordSoon(caller: Caller, action: string, detail: string, now = Date.now()): void {
    this.store.write(() => this.#record(caller, action, detail, now)).catch(() => undefined);
  }

  #record(caller: Caller, action: string, detail: string, now: number): void {
    this.store[SQL].get(`INSERT INTO audit (at, actor, role, action, detail) VALUES (?, ?, ?, ?, ?)`).run(now, caller.name, caller.role, action, detail);
  }

  audit(limit: number): AuditEntry[] {
    return this.store[SQL].get(`SELECT id, at, actor, role, action, detail FROM audit ORDER BY id DESC LIMIT ?`).all(limit) as unknown as AuditEntry[];
  }

  /** Keeps the audit for its own retention period (`auditRetentionDays`), never the delivery log's. */
  prune(before: number): number {
    return Number(this.store[SQL].get(`DELETE FROM audit WHERE at < ?`).run(before).changes);
  }
}

function toMember(row: MemberRow, now: number): Member {
  let state: Member['state'];
  if (row.revoked_at !== null) state = 'revoked';
  else if (row.token_hash) state = 'active';
  else state = (row.pairing_expires_at ?? 0) > now ? 'invited' : 'expired';
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    createdAt: row.created_at,
    createdBy: row.created_by,
    state,
    pairingExpiresAt: state === 'invited' ? (row.pairing_expires_at ?? undefined) : undefined,
    pairedAt: row.paired_at ?? undefined,
    lastUsedAt: row.last_used_at ?? undefined,
    lastUsedFrom: row.last_used_from ?? undefined,
    revokedAt: row.revoked_at ?? undefined,
  };
}
