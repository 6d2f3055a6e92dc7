/**
 * The Settings form without the screen: what is being edited (a draft made from the saved
 * settings), and what a Save sends (a patch of what changed and is not fixed by the environment),
 * or the fields the browser can already tell are wrong. The relay checks the patch again.
 */
import type { SettingsPatch, SettingsView } from '../../../../shared/contract.ts';
import { SEVERITY_LEVELS } from '../../format.ts';

type Values = SettingsView['values'];
export type Policy = Values['unmappedGroups'];

/** The plain values typed into a text box, and how each is read back. */
export const VALUE_KINDS = {
  ilertAlertLink: 'text',
  levelDeviceLink: 'text',
  host: 'text',
  port: 'number',
  adminPort: 'number',
  ilertApiUrl: 'url',
  ilertEventsPerMinute: 'number',
  retentionDays: 'number',
  auditRetentionDays: 'number',
  levelApiUrl: 'url',
  levelMaintenanceWarnHours: 'number',
  holdDownSeconds: 'number',
  resolveGraceSeconds: 'number',
  cloudflaredPath: 'text',
} as const satisfies Partial<Record<keyof Values, 'text' | 'number' | 'url'>>;
export type ValueKey = keyof typeof VALUE_KINDS;

/** The secrets this form sets, replaces or clears, by the section they are shown in. */
export const SECRET_GROUPS = {
  levelWebhookSecret: 'webhooks',
  levelWebhookSecretPrevious: 'webhooks',
  levelAutomationSecret: 'automation',
  ilertIntegrationKey: 'ilert',
  ilertApiKey: 'ilert',
  ilertPassThroughUrl: 'ilert',
  ilertHeartbeatUrl: 'ilert',
  levelApiKey: 'levelApi',
} as const satisfies Partial<Record<keyof SettingsView['secrets'], string>>;
export type SecretKey = keyof typeof SECRET_GROUPS;
export type SecretGroup = (typeof SECRET_GROUPS)[SecretKey];

export const DESKTOP_CHECKS = ['notifyResolves', 'startAtLogin', 'checkForUpdates'] as const;

export type SecretDraft = { mode: 'keep' | 'replace' | 'clear'; value: string };

/** A named ilert target as the form holds it: saved ones keep their key unless it is replaced. */
export interface TargetDraft {
  /** Stable while the list is edited (a React key): the saved name, or a number for one added here. */
  uid: string;
  /** The name it is saved under; undefined for a target added in this form. */
  savedName: string | undefined;
  name: string;
  key: SecretDraft;
}

export interface Draft {
  values: Record<ValueKey, string>;
  severities: string[];
  desktop: Pick<Values, 'notifyMinSeverity' | (typeof DESKTOP_CHECKS)[number]>;
  secrets: Record<SecretKey, SecretDraft>;
  unmappedGroups: Policy;
  targets: TargetDraft[];
  /** How many targets were added in this draft: numbers the new ones. */
  added: number;
  operatorsMayReplayWithEdits: boolean;
}

/** Field errors by key: a setting's key, `ilertTargets.<index>.name|integrationKey`, or `settings` for the form. */
export type FieldErrors = Record<string, string>;

export const MESSAGES = {
  wholeNumberRequired: 'required: enter a whole number',
  wholeNumber: 'must be a whole number',
  targetName: 'a target needs a name',
  targetNameTaken: 'another target has this name',
  newTargetKey: 'enter the integration key of this target’s ilert alert source',
  replacedTargetKey: 'enter the new key, or keep the saved one',
  replacedSecret: 'enter the new value, or cancel the replacement',
} as const;

const keep = (): SecretDraft => ({ mode: 'keep', value: '' });
const keys = <T extends object>(record: T) => Object.keys(record) as (keyof T)[];

export function draftFrom(view: SettingsView): Draft {
  return {
    values: Object.fromEntries(keys(VALUE_KINDS).map((key) => [key, String(view.values[key] ?? '')])) as Record<ValueKey, string>,
    severities: [...view.values.highPrioritySeverities],
    desktop: {
      notifyMinSeverity: view.values.notifyMinSeverity,
      notifyResolves: view.values.notifyResolves,
      startAtLogin: view.values.startAtLogin,
      checkForUpdates: view.values.checkForUpdates,
    },
    secrets: Object.fromEntries(keys(SECRET_GROUPS).map((key) => [key, keep()])) as Record<SecretKey, SecretDraft>,
    unmappedGroups: view.values.unmappedGroups,
    targets: view.ilertTargets.map((target) => ({ uid: `saved:${target.name}`, savedName: target.name, name: target.name, key: keep() })),
    added: 0,
    operatorsMayReplayWithEdits: view.values.operatorsMayReplayWithEdits,
  };
}

/** The draft with one more, empty target at the end, waiting for its name and key. */
export function withNewTarget(draft: Draft): Draft {
  const added = draft.added + 1;
  return { ...draft, added, targets: [...draft.targets, { uid: `new:${added}`, savedName: undefined, name: '', key: { mode: 'replace', value: '' } }] };
}

function targetsChanged(view: SettingsView, targets: TargetDraft[]): boolean {
  return targets.length !== view.ilertTargets.length || targets.some((target, index) => target.savedName !== view.ilertTargets[index]?.name || target.key.mode !== 'keep');
}

/** Checks the targets the browser can judge, and builds the list to send (without keys that stay as saved). */
export function buildTargets(targets: TargetDraft[]): { targets: NonNullable<SettingsPatch['ilertTargets']>; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const seen = new Set<string>();
  const built = targets.map((target, index) => {
    const name = target.name.trim();
    if (name === '') errors[`ilertTargets.${index}.name`] = MESSAGES.targetName;
    else if (seen.has(name.toLowerCase())) errors[`ilertTargets.${index}.name`] = MESSAGES.targetNameTaken;
    seen.add(name.toLowerCase());
    if (target.key.mode !== 'replace') return { name };
    const key = target.key.value.trim();
    if (key === '') errors[`ilertTargets.${index}.integrationKey`] = target.savedName === undefined ? MESSAGES.newTargetKey : MESSAGES.replacedTargetKey;
    return { name, integrationKey: key };
  });
  return { targets: built, errors };
}

/** The changed, unlocked settings as a patch, and the fields the browser can already tell are wrong. */
export function buildPatch(view: SettingsView, draft: Draft): { patch: SettingsPatch; errors: FieldErrors } {
  const locked = new Set(view.lockedByEnvironment);
  const patch: Record<string, unknown> = {};
  let errors: FieldErrors = {};
  for (const [key, kind] of Object.entries(VALUE_KINDS) as [ValueKey, string][]) {
    if (locked.has(key)) continue;
    const text = draft.values[key].trim();
    if (text === String(view.values[key] ?? '')) continue;
    if (kind !== 'number') patch[key] = text;
    else if (/^-?\d+$/.test(text)) patch[key] = Number(text);
    else errors[key] = text === '' ? MESSAGES.wholeNumberRequired : MESSAGES.wholeNumber;
  }
  const severities = SEVERITY_LEVELS.filter((level) => draft.severities.includes(level));
  const current = SEVERITY_LEVELS.filter((level) => view.values.highPrioritySeverities.includes(level));
  if (severities.join() !== current.join()) patch.highPrioritySeverities = severities;
  for (const key of keys(draft.desktop)) if (draft.desktop[key] !== view.values[key]) patch[key] = draft.desktop[key];
  if (draft.unmappedGroups !== view.values.unmappedGroups && !locked.has('unmappedGroups')) patch.unmappedGroups = draft.unmappedGroups;
  if (draft.operatorsMayReplayWithEdits !== view.values.operatorsMayReplayWithEdits) patch.operatorsMayReplayWithEdits = draft.operatorsMayReplayWithEdits;
  if (targetsChanged(view, draft.targets)) {
    const built = buildTargets(draft.targets);
    patch.ilertTargets = built.targets;
    errors = { ...errors, ...built.errors };
  }
  for (const key of keys(SECRET_GROUPS)) {
    if (locked.has(key)) continue;
    const secret = draft.secrets[key];
    if (secret.mode === 'clear') patch[key] = '';
    if (secret.mode !== 'replace') continue;
    if (secret.value.trim() === '') errors[key] = MESSAGES.replacedSecret;
    else patch[key] = secret.value.trim();
  }
  return { patch: patch as SettingsPatch, errors };
}

/** Whether a Save has anything to send, or to refuse. */
export const hasChanges = (built: { patch: SettingsPatch; errors: FieldErrors }): boolean => Object.keys(built.patch).length > 0 || Object.keys(built.errors).length > 0;

/** The errors left once `key` is edited: a target's errors are keyed by position, which any edit of the list may shift. */
export function errorsAfterEdit(errors: FieldErrors, key: string): FieldErrors {
  const prefix = key === 'ilertTargets' ? 'ilertTargets' : undefined;
  return Object.fromEntries(Object.entries(errors).filter(([entry]) => (prefix ? !entry.startsWith(prefix) : entry !== key)));
}
