import type { SettingsPatch, SettingsView } from '../../shared/contract.ts';
import type { SettingsFile } from './settings-file.ts';
import type { SECRET_SETTINGS } from './settings.ts';
import {
  configurationProblems,
  maskSecret,
  resolveSettings,
  settingsLockedByEnvironment,
  SettingsError,
  ENVIRONMENT_OVERRIDES,
  type Settings,
} from './settings.ts';

const RESTART_SETTINGS = ['host', 'port', 'adminPort'] as const;

/**
 * The settings as a UI sees and changes them: secrets masked, environment-fixed values locked,
 * every change validated as a whole before it is written, then applied to the running relay.
 */
export class SettingsService {
  readonly #file: SettingsFile;
  readonly #env: NodeJS.ProcessEnv;
  readonly #started: Settings;
  readonly #apply: (settings: Settings) => void;
  readonly #notices: readonly string[];
  #current: Settings;

  /** `notices`: problems of the host itself, e.g. secrets stored in plain text for want of a keyring. */
  constructor(file: SettingsFile, env: NodeJS.ProcessEnv, apply: (settings: Settings) => void, notices: readonly string[] = []) {
    this.#notices = notices;
    this.#file = file;
    this.#env = env;
    this.#apply = apply;
    this.#current = file.resolve(env);
    this.#started = this.#current;
  }

  get current(): Settings {
    return this.#current;
  }

  view(): SettingsView {
    const settings = this.#current;
    const secret = (key: (typeof SECRET_SETTINGS)[number]) => ({ set: Boolean(settings[key]), hint: maskSecret(settings[key]) });
    const stored = resolveSettings(this.#file.stored(), {});
    return {
      values: {
        host: settings.host,
        port: settings.port,
        adminPort: settings.adminPort,
        ilertApiUrl: settings.ilertApiUrl,
        ilertEventsPerMinute: settings.ilertEventsPerMinute,
        highPrioritySeverities: settings.highPrioritySeverities,
        retentionDays: settings.retentionDays,
        notifyMinSeverity: settings.notifyMinSeverity,
        notifyResolves: settings.notifyResolves,
        startAtLogin: settings.startAtLogin,
      },
      secrets: {
        levelWebhookSecret: secret('levelWebhookSecret'),
        levelWebhookSecretPrevious: secret('levelWebhookSecretPrevious'),
        ilertIntegrationKey: secret('ilertIntegrationKey'),
        ilertHeartbeatUrl: secret('ilertHeartbeatUrl'),
      },
      lockedByEnvironment: settingsLockedByEnvironment(this.#env),
      problems: [...this.#notices, ...configurationProblems(settings)],
      restartRequired: RESTART_SETTINGS.filter((key) => stored[key] !== this.#started[key] && !settingsLockedByEnvironment(this.#env).includes(key)),
    };
  }

  update(patch: SettingsPatch): { ok: true; settings: SettingsView } | { ok: false; errors: Record<string, string> } {
    const locked = settingsLockedByEnvironment(this.#env);
    const errors: Record<string, string> = {};
    for (const key of Object.keys(patch)) {
      if ((locked as string[]).includes(key)) {
        const variable = Object.entries(ENVIRONMENT_OVERRIDES).find(([, setting]) => setting === key)?.[0];
        errors[key] = `set by the environment variable ${variable}; change it there`;
      }
    }
    if (Object.keys(errors).length > 0) return { ok: false, errors };
    try {
      // An empty string clears a setting (a secret the user removed).
      const cleaned = Object.fromEntries(Object.entries(patch).map(([key, value]) => [key, value === '' ? undefined : value]));
      this.#file.update(cleaned);
    } catch (error) {
      if (!(error instanceof SettingsError)) throw error;
      for (const issue of error.issues) errors[issue.key || 'settings'] = issue.message;
      return { ok: false, errors };
    }
    this.#current = this.#file.resolve(this.#env);
    this.#apply(this.#current);
    return { ok: true, settings: this.view() };
  }
}
