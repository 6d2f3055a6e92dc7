import { NotFoundError } from './errors.ts';

/**
 * The one home for "which ilert targets are there": the default target (the integration key or
 * the pass-through URL) and the named ones from Settings → ilert targets. Routes, pauses, sources,
 * the forwarder and the Health page all ask here, so a target is known or unknown the same way
 * everywhere.
 */
export const DEFAULT_TARGET = 'default';

/** The settings a target is made of; `Settings` has them (a structural type keeps this file below settings.ts). */
export interface TargetSettings {
  ilertApiUrl: string;
  ilertIntegrationKey?: string | undefined;
  ilertPassThroughUrl?: string | undefined;
  ilertTargets: readonly { name: string; integrationKey: string }[];
}

/** Where a target's events go: ilert's events API with an integration key, or a Level.io pass-through URL. */
export type ResolvedTarget = { kind: 'events'; apiUrl: string; integrationKey: string } | { kind: 'pass-through'; url: string };

/** A route, pause or source named a target that is not in the settings. */
export class UnknownTargetError extends NotFoundError {
  override readonly name: string = 'UnknownTargetError';
  constructor(target: string) {
    super(`there is no ilert target named “${target}”: add it in Settings → ilert targets first`);
  }
}

/** Every target a route or a pause may name: the default one, set up or not, and the named ones. */
export function targetNames(settings: TargetSettings): string[] {
  return [DEFAULT_TARGET, ...settings.ilertTargets.map((target) => target.name)];
}

/** Throws `UnknownTargetError` for a name that is not a target, so a typo cannot look like a route or pause that works. */
export function requireTarget(settings: TargetSettings, target: string): void {
  if (!targetNames(settings).includes(target)) throw new UnknownTargetError(target);
}

/** Where the target's events go, or undefined when it is unknown or not set up. */
export function resolveTarget(settings: TargetSettings, target: string): ResolvedTarget | undefined {
  if (target === DEFAULT_TARGET) {
    if (settings.ilertPassThroughUrl) return { kind: 'pass-through', url: settings.ilertPassThroughUrl };
    return settings.ilertIntegrationKey ? { kind: 'events', apiUrl: settings.ilertApiUrl, integrationKey: settings.ilertIntegrationKey } : undefined;
  }
  const named = settings.ilertTargets.find((entry) => entry.name === target);
  return named ? { kind: 'events', apiUrl: settings.ilertApiUrl, integrationKey: named.integrationKey } : undefined;
}

/** The targets that can send now: the named ones, and the default one when it has a key or a pass-through URL. */
export function configuredTargets(settings: TargetSettings): { name: string; resolved: ResolvedTarget }[] {
  return targetNames(settings).flatMap((name) => {
    const resolved = resolveTarget(settings, name);
    return resolved ? [{ name, resolved }] : [];
  });
}

/** The targets with an integration key (the pass-through URL has none), for the checks that ask ilert about a key. */
export function integrationKeyTargets(settings: TargetSettings): { name: string; integrationKey: string }[] {
  return configuredTargets(settings).flatMap(({ name, resolved }) => (resolved.kind === 'events' ? [{ name, integrationKey: resolved.integrationKey }] : []));
}
