import { useMemo, useState } from 'react';
import type { SettingMetadata, SettingsView } from '../../../../shared/contract.ts';
import { call } from '../../api/client.ts';
import { queryClient, reload, useRelayQuery } from '../../api/queries.ts';
import { useFlash } from '../../hooks.ts';
import {
  buildPatch,
  draftFrom,
  errorsAfterEdit,
  hasChanges,
  withNewTarget,
  type Draft,
  type FieldErrors,
  type SecretDraft,
  type SecretKey,
  type TargetDraft,
  type ValueKey,
} from './settings-form.ts';

/** Puts the cursor in the first control (in page order) that needs fixing. */
function focusFirst(keys: string[]): void {
  requestAnimationFrame(() => {
    const controls = keys.flatMap((key) => [...document.querySelectorAll<HTMLElement>(`[data-setting="${CSS.escape(key)}"]`)]);
    controls.sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
    controls[0]?.focus();
  });
}

/** Everything a field of the form reads and changes. */
export interface SettingsForm {
  view: SettingsView;
  draft: Draft;
  errors: FieldErrors;
  locked: ReadonlySet<string>;
  /** The relay's label, environment variable and restart flag of a setting. */
  setting: (key: string) => SettingMetadata;
  /** Replaces parts of the draft, and forgets the error of `key`. */
  change: (next: Partial<Draft>, key: string) => void;
  setValue: (key: ValueKey, value: string) => void;
  setSecret: (key: SecretKey, secret: SecretDraft) => void;
  setTargets: (targets: TargetDraft[]) => void;
  addTarget: () => void;
}

/** The Settings form's state: the draft beside the saved settings it was made from, its errors, and Save and Revert. */
export function useSettingsForm() {
  const settingsQuery = useRelayQuery('getSettings', {});
  const metadataQuery = useRelayQuery('getSettingsMetadata', {});
  const [edit, setEdit] = useState<{ base: SettingsView; draft: Draft }>();
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saving, setSaving] = useState(false);
  const [saved, flashSaved] = useFlash(5_000);
  const fresh = useMemo(() => settingsQuery.data && { base: settingsQuery.data, draft: draftFrom(settingsQuery.data) }, [settingsQuery.data]);
  const metadata = useMemo(() => new Map(metadataQuery.data?.map((entry) => [entry.key, entry])), [metadataQuery.data]);

  // What changed elsewhere (the unmapped-groups policy under Routing, the setup wizard) shows as long
  // as nothing is edited here; an edit in progress is never overwritten.
  const editing = edit && (Object.keys(errors).length > 0 || hasChanges(buildPatch(edit.base, edit.draft)));
  const { base: view, draft } = (editing ? edit : fresh) ?? {};
  if (!view || !draft || !metadataQuery.data) return { loadError: settingsQuery.error ?? metadataQuery.error ?? undefined } as const;

  const setting = (key: string): SettingMetadata => metadata.get(key) ?? { key, label: key, secret: false, needsRestart: false, desktopOnly: false };
  const label = (key: string) => setting(key).label;
  const pending = buildPatch(view, draft);
  const setDraft = (next: Draft) => setEdit({ base: view, draft: next });
  const change = (next: Partial<Draft>, key: string) => {
    setDraft({ ...draft, ...next });
    setErrors((current) => errorsAfterEdit(current, key));
  };
  const setTargets = (targets: TargetDraft[]) => change({ targets }, 'ilertTargets');

  const form: SettingsForm = {
    view,
    draft,
    errors,
    locked: new Set(view.lockedByEnvironment),
    setting,
    change,
    setValue: (key, value) => change({ values: { ...draft.values, [key]: value } }, key),
    setSecret: (key, secret) => change({ secrets: { ...draft.secrets, [key]: secret } }, key),
    setTargets,
    addTarget: () => {
      const next = withNewTarget(draft);
      change(next, 'ilertTargets');
      const index = draft.targets.length;
      focusFirst([`ilertTargets.${index}.name`]);
    },
  };

  const save = async () => {
    if (Object.keys(pending.errors).length > 0) {
      setErrors(pending.errors);
      focusFirst(Object.keys(pending.errors));
      return;
    }
    setSaving(true);
    try {
      const result = await call('updateSettings', pending.patch);
      if (result.ok) {
        queryClient.setQueryData(['getSettings', {}], result.settings);
        setEdit(undefined);
        setErrors({});
        flashSaved(`Saved ${Object.keys(pending.patch).map(label).join(', ')}.`);
        reload('getStatus');
      } else {
        setErrors(result.errors);
        focusFirst(Object.keys(result.errors));
      }
    } catch (error) {
      setErrors({ settings: (error as Error).message });
    } finally {
      setSaving(false);
    }
  };
  const revert = () => {
    setEdit(undefined);
    setErrors({});
  };

  return { form, pending, changed: hasChanges(pending), label, saving, saved, save, revert };
}
