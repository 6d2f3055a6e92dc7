/**
 * The owner's token: the one in the admin link the relay prints. It is kept in the data directory
 * (mode 0600), so the link, open tabs and bookmarks survive restarts, reboots and updates, until
 * someone rotates it on purpose.
 */
import { timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { newToken } from '../store/team.ts';

export const OWNER_TOKEN_FILE = 'admin-token';
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{32,200}$/;

export class OwnerToken {
  readonly #file: string | undefined;
  #value: string;

  /** With a data directory the token persists there; without one (tests) it lives as long as the process. */
  constructor(dataDir: string | undefined, fixed?: string) {
    this.#file = dataDir === undefined ? undefined : path.join(dataDir, OWNER_TOKEN_FILE);
    this.#value = fixed ?? this.#read() ?? this.#write(newToken());
  }

  get value(): string {
    return this.#value;
  }

  matches(candidate: string): boolean {
    const given = Buffer.from(candidate);
    const expected = Buffer.from(this.#value);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  rotate(): string {
    this.#value = this.#write(newToken());
    return this.#value;
  }

  #read(): string | undefined {
    if (!this.#file) return undefined;
    try {
      const text = fs.readFileSync(this.#file, 'utf8').trim();
      // A damaged file is replaced rather than trusted: the printed link then says which to use.
      return TOKEN_SHAPE.test(text) ? text : undefined;
    } catch {
      return undefined;
    }
  }

  #write(token: string): string {
    if (!this.#file) return token;
    fs.mkdirSync(path.dirname(this.#file), { recursive: true, mode: 0o700 });
    const temporary = `${this.#file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, `${token}\n`, { mode: 0o600 });
    fs.renameSync(temporary, this.#file);
    return token;
  }
}
