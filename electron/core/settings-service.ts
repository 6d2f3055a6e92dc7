import type { SettingsPatch, SettingsView } from '../../shared/contract.ts';
import type { SettingsFile } from './settings-file.ts';
import { maskSecret } from './secret-mask.ts';
import {
  configurationProblems,
  resolveSettings,
  settingsLockedByEnvironment,
  SettingsError,
  RESTART_SETTINGS,
  SECRET_SETTINGS,
  environmentVariable,
  type SecretSetting,
  type Settings,
} from './settings.ts';

/**
 * The settings as a UI sees and changes them: secrets masked, environment-fixed values locked,
 * every change validated as a whole before it is written, then applied to the running relay.
 */
export class SettingsService {
  readonly #file: SettingsFile;
  readonly #env: NodeJS.ProcessEnv;
  readonly #started: Settings;
  readonly #listeners = new Set<(settings: Settings) => void>();
  readonly #notices: readonly string[];
  readonly #secretsNotice: string | undefined;
  #current: Settings;

  /**
   * `notices`: problems of the host itself, e.g. secrets stored in plain text for want of a keyring.
   * `secretsNotice`: how secrets are stored when a host never encrypts them (the headless relay).
   */
  constructor(file: SettingsFile, env: NodeJS.ProcessEnv, notices: readonly string[] = [], secretsNotice?: string) {
    this.#notices = notices;
    this.#secretsNotice = secretsNotice;
    this.#file = file;
    this.#env = env;
    this.#current = file.resolve(env);
    this.#started = this.#current;
  }

  get current(): Settings {
    return this.#current;
  }

  /** Calls `listener` with the settings after each saved change, in the order listeners came; returns the unsubscribe. */
  onChange(listener: (settings: Settings) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  view(): SettingsView {
    const settings = this.#current;
    const secrets = Object.fromEntries(SECRET_SETTINGS.map((key) => [key, { set: Boolean(settings[key]), hint: maskSecret(settings[key]) }])) as Record<
      SecretSetting,
      { set: boolean; hint: string | undefined }
    >;
    const stored = resolveSettings(this.#file.stored(), {});
    return {
      secretsNotice: this.#secretsNotice,
      values: {
        host: settings.host,
        port: settings.port,
        adminPort: settings.adminPort,
        adminHost: settings.adminHost,
        adminHostNames: settings.adminHostNames,
        ilertApiUrl: settings.ilertApiUrl,
        ilertEventsPerMinute: settings.ilertEventsPerMinute,
        highPrioritySeverities: settings.highPrioritySeverities,
        holdDownSeconds: settings.holdDownSeconds,
        resolveGraceSeconds: settings.resolveGraceSeconds,
        retentionDays: settings.retentionDays,
        auditRetentionDays: settings.auditRetentionDays,
        levelMaintenanceWarnHours: settings.levelMaintenanceWarnHours,
        operatorsMayReplayWithEdits: settings.operatorsMayReplayWithEdits,
        notifyMinSeverity: settings.notifyMinSeverity,
        notifyResolves: settings.notifyResolves,
        startAtLogin: settings.startAtLogin,
        checkForUpdates: settings.checkForUpdates,
        levelApiUrl: settings.levelApiUrl,
        ilertAlertLink: settings.ilertAlertLink,
        levelDeviceLink: settings.levelDeviceLink,
        unmappedGroups: settings.unmappedGroups,
        publicUrl: settings.publicUrl,
        tunnel: settings.tunnel,
        cloudflaredPath: settings.cloudflaredPath,
      },
      secrets,
      ilertTargets: settings.ilertTargets.map((target) => ({
        name: target.name,
        key: { set: true, hint: maskSecret(target.integrationKey) },
        ...(target.levelTemplates ? { levelTemplates: target.levelTemplates } : {}),
      })),
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
        errors[key] = `set by the environment variable ${environmentVariable(key)}; change it there`;
      }
    }
    if (Object.keys(errors).length > 0) return { ok: false, errors };
    try {
      // An empty string clears a setting (a secret the user removed).
      const cleaned: Record<string, unknown> = Object.fromEntries(Object.entries(patch).map(([key, value]) => [key, value === '' ? undefined : value]));
      // Rotation: deliveries Level signed with the old secret may still be in flight, so a replaced
      // secret stays accepted as the previous one unless the caller says otherwise.
      const current = this.#current.levelWebhookSecret;
      if (patch.levelWebhookSecret && current && patch.levelWebhookSecret.trim() !== current && patch.levelWebhookSecretPrevious === undefined) {
        cleaned.levelWebhookSecretPrevious = current;
      }
      if (patch.ilertTargets) {
        // The UI never holds saved keys: a target sent without a key keeps the one saved under its name,
        // and one sent without Level templates keeps those (they are edited on their own).
        const saved = new Map(this.#current.ilertTargets.map((target) => [target.name, target]));
        cleaned.ilertTargets = patch.ilertTargets.map((target) => {
          const before = saved.get(target.name.trim());
          const levelTemplates = target.levelTemplates ?? before?.levelTemplates;
          return { name: target.name, integrationKey: target.integrationKey || before?.integrationKey || '', ...(levelTemplates ? { levelTemplates } : {}) };
        });
      }
      this.#file.update(cleaned);
    } catch (error) {
      if (!(error instanceof SettingsError)) throw error;
      for (const issue of error.issues) errors[issue.key || 'settings'] = issue.message;
      return { ok: false, errors };
    }
    this.#current = this.#file.resolve(this.#env);
    for (const listener of this.#listeners) listener(this.#current);
    return { ok: true, settings: this.view() };
  }
}
