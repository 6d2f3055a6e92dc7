import { IlertApi } from './ilert/ilert-api.ts';
import { LevelApi } from './level/level-api.ts';
import type { Settings } from './settings.ts';

/**
 * The relay's REST clients for Level and ilert, built from the current settings. One client per
 * URL and key, kept until either changes, so a client's retry and rate-limit state is shared by
 * everyone who asks.
 */
export class ApiClients {
  readonly #settings: () => Settings;
  readonly #ilertWindowMs: number | undefined;
  #level: { key: string; api: LevelApi } | undefined;
  #ilert: { key: string; api: IlertApi } | undefined;

  /** `ilertWindowMs`: ilert's per-user-key request window (tests shorten it). */
  constructor(settings: () => Settings, ilertWindowMs?: number) {
    this.#settings = settings;
    this.#ilertWindowMs = ilertWindowMs;
  }

  /** Level's API, when a key is set. */
  level(): LevelApi | undefined {
    const { levelApiKey, levelApiUrl } = this.#settings();
    if (!levelApiKey) return undefined;
    const key = `${levelApiUrl}\n${levelApiKey}`;
    if (this.#level?.key !== key) this.#level = { key, api: new LevelApi({ baseUrl: levelApiUrl, apiKey: levelApiKey }) };
    return this.#level.api;
  }

  /** ilert's REST API with the user API key (the saved one unless another is given), when there is one. */
  ilert(apiKey = this.#settings().ilertApiKey): IlertApi | undefined {
    if (!apiKey) return undefined;
    const { ilertApiUrl } = this.#settings();
    const key = `${ilertApiUrl}\n${apiKey}`;
    if (this.#ilert?.key !== key) {
      this.#ilert = { key, api: new IlertApi({ apiUrl: ilertApiUrl, apiKey, ...(this.#ilertWindowMs ? { windowMs: this.#ilertWindowMs } : {}) }) };
    }
    return this.#ilert.api;
  }
}
