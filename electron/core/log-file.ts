import fs from 'node:fs';
import path from 'node:path';
import { hideSecrets } from './secret-mask.ts';

export interface LogFileOptions {
  /** Rotate when the file passes this size; `keep` older files stay beside it. */
  maxBytes?: number;
  keep?: number;
  /** Values that must never reach the file (the current secrets); each is replaced by a mask. */
  secrets?: () => readonly (string | undefined)[];
}

const MASK = '[redacted]';
/** Secrets with a recognisable shape, in case one appears that is not (yet) a saved setting. */
const INTEGRATION_KEY_SHAPE = /\bil1[a-z]{3}[A-Za-z0-9]{8,}/g;
const SECRET_HEADER_SHAPE = /\b(authorization|x-relay-automation-secret|x-level-signature)(["']?\s*[:=]\s*["']?)[^"',}\n]+/gi;

/**
 * The desktop app's log: what its Logger says, appended to `main.log` in the OS log directory,
 * rotated by size, secrets masked. Node's own fs is enough for a few lines a minute; a logging
 * library would add a dependency for nothing we need.
 */
export class LogFile {
  readonly path: string;
  readonly #maxBytes: number;
  readonly #keep: number;
  readonly #secrets: () => readonly (string | undefined)[];
  #size: number;

  constructor(dir: string, options: LogFileOptions = {}) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.path = path.join(dir, 'main.log');
    this.#maxBytes = options.maxBytes ?? 1024 * 1024;
    this.#keep = options.keep ?? 3;
    this.#secrets = options.secrets ?? (() => []);
    this.#size = fs.existsSync(this.path) ? fs.statSync(this.path).size : 0;
  }

  write(level: 'info' | 'warn' | 'error', message: string): void {
    const line = `${new Date().toISOString()} ${level.padEnd(5)} ${this.redact(message)}\n`;
    try {
      if (this.#size + line.length > this.#maxBytes) this.#rotate();
      fs.appendFileSync(this.path, line, { mode: 0o600 });
      this.#size += Buffer.byteLength(line);
    } catch {
      // A full disk must not take the app down with it; the console still has the line.
    }
  }

  redact(text: string): string {
    return hideSecrets(text, this.#secrets(), MASK, 6)
      .replace(INTEGRATION_KEY_SHAPE, MASK)
      .replace(SECRET_HEADER_SHAPE, (_match, name: string, separator: string) => `${name}${separator}${MASK}`);
  }

  #rotate(): void {
    for (let index = this.#keep - 1; index >= 1; index--) {
      const older = `${this.path}.${index}`;
      if (fs.existsSync(older)) fs.renameSync(older, `${this.path}.${index + 1}`);
    }
    if (fs.existsSync(this.path)) fs.renameSync(this.path, `${this.path}.1`);
    this.#size = 0;
  }
}
