import { useMemo, useState, type InputHTMLAttributes, type ReactNode } from 'react';
import { roleAllows, type ConnectionCheck, type SettingMetadata, type SettingsPatch, type SettingsView as SettingsData } from '../../../shared/contract.ts';
import { call, inElectron } from '../api/client.ts';
import { queryClient, reload, useRelayQuery } from '../api/queries.ts';
import { copyAndFlash } from '../clipboard.ts';
import { Icon } from '../components/Icon.tsx';
import { clock, fullTime, SEVERITY_LEVELS } from '../format.ts';
import { ConnectionPanel } from './ConnectionPanel.tsx';
import { AdminDoorPanel } from './TeamView.tsx';
import { useAction, useFlash } from '../hooks.ts';
import { lockedNote, randomSecret } from './setup/common.tsx';
import './SettingsView.css';
import { ErrorBanner, options, Flash, ReadOnlyNotice } from '../components/controls.tsx';
import { SourcesSection } from './sources/SourcesSection.tsx';
import { LevelTemplates } from './sources/LevelTemplates.tsx';

type Policy = SettingsData['values']['unmappedGroups'];

/** How each plain value is edited and explained; labels, environment variables and flags come from the relay. */
interface FieldSpec {
  help: ReactNode;
  kind: 'text' | 'number' | 'url';
}

const FIELDS = {
  ilertAlertLink: {
    kind: 'text',
    help: (
      <>
        For “Open in ilert” on alert rows: open an alert in ilert, copy the address and put <code>{'{id}'}</code> where its number is (needs the ilert API key). Empty: no link.
      </>
    ),
  },
  levelDeviceLink: {
    kind: 'text',
    help: (
      <>
        For “Open in Level” on alert rows: open a device in Level, copy the address and put <code>{'{id}'}</code> where its id is. Empty: no link.
      </>
    ),
  },
  host: {
    kind: 'text',
    help: 'Address the webhook listener binds to. 127.0.0.1 keeps it on this machine, where your tunnel connects to it.',
  },
  port: { kind: 'number', help: 'Port Level’s webhooks arrive on (through the tunnel). 0 picks any free port.' },
  adminPort: { kind: 'number', help: 'Port of this dashboard and its API, on 127.0.0.1 only.' },
  ilertApiUrl: {
    kind: 'url',
    help: (
      <>
        Events are posted to <code>&lt;URL&gt;/api/events</code>. Leave it at https://api.ilert.com unless ilert told you otherwise.
      </>
    ),
  },
  ilertEventsPerMinute: {
    kind: 'number',
    help: 'At most this many requests per integration key in any rolling minute; ilert allows 50. Critical alerts and resolves go first in a backlog.',
  },
  retentionDays: {
    kind: 'number',
    help: 'Deliveries, events and attempts older than this are deleted. Work still pending is always kept.',
  },
  auditRetentionDays: {
    kind: 'number',
    help: 'Who did what (Team → Audit) is kept this long, whatever the history above: at least 90 days. Only the relay’s owner (its desktop app or admin link) can change it, and the change is audited.',
  },
  levelApiUrl: {
    kind: 'url',
    help: (
      <>
        Level’s public REST API. Leave it at <code>https://api.level.io/v2</code>.
      </>
    ),
  },
  cloudflaredPath: {
    kind: 'text',
    help: (
      <>
        The <code>cloudflared</code> program the tunnel runs: a name on the PATH or a full path (e.g. <code>/usr/local/bin/cloudflared</code>).
      </>
    ),
  },
} satisfies Partial<Record<keyof SettingsData['values'], FieldSpec>>;
type ValueKey = keyof typeof FIELDS;

const SECRETS = [
  {
    key: 'levelWebhookSecret',
    group: 'webhooks',
    help: 'Level signs every webhook with it (X-Level-Signature); deliveries with a missing or wrong signature are refused. Without one, unsigned deliveries are accepted.',
  },
  {
    key: 'levelWebhookSecretPrevious',
    group: 'webhooks',
    help: 'Still accepted during a rotation: after setting a new secret in Level, keep the old one here until deliveries signed with it have drained, then clear it.',
  },
  {
    key: 'levelAutomationSecret',
    group: 'automation',
    help: 'For Level automations that post alerts here: their HTTP request action cannot sign a body, so it sends this secret in a header instead (Setup shows the header and the payload template). Without one, the automation endpoint is off.',
  },
  {
    key: 'ilertIntegrationKey',
    group: 'ilert',
    help: 'From your ilert alert source of type API (looks like il1api…): the default target, for every group not routed elsewhere. Without it, those alerts wait in the queue.',
  },
  {
    key: 'ilertApiKey',
    group: 'ilert',
    help: 'Optional. A user API key from ilert (your profile → API keys), for reading: the setup checks alert sources with it, and the Alerts view shows each alert’s ilert state (pending, accepted by whom, resolved). Events are still sent with the integration keys.',
  },
  {
    key: 'ilertPassThroughUrl',
    group: 'ilert',
    help: 'Optional. The URL of an ilert alert source of type Level.io: Level’s original webhook body is forwarded there as it is, and ilert’s own Level integration makes the alert. Kept secret: the URL contains the source’s key.',
  },
  {
    key: 'ilertHeartbeatUrl',
    group: 'ilert',
    help: 'Optional. Pinged every minute while the relay is healthy, so ilert pages someone when the relay is down or the machine sleeps. Kept secret: anyone with it could keep the heartbeat alive.',
  },
  {
    key: 'levelApiKey',
    group: 'levelApi',
    help: 'From Level → Settings → API. Lets the relay read groups and devices (routing by group, under Routing) and the active alerts (backfill of alerts a webhook missed). Read access is enough.',
  },
] as const satisfies readonly { key: keyof SettingsData['secrets']; help: string; group: 'webhooks' | 'automation' | 'ilert' | 'levelApi' }[];
type SecretKey = (typeof SECRETS)[number]['key'];

const SECRET_KEYS = SECRETS.map((spec) => spec.key);

/** The fields a generated secret can be put into. */
const GENERATED_TARGETS = [
  { key: 'levelWebhookSecret', testId: 'use-generated-secret', name: 'Level webhook secret', field: 'Level webhook secret' },
  { key: 'levelAutomationSecret', testId: 'use-generated-automation-secret', name: 'automation secret', field: 'Level automation secret' },
] as const;

/** A named ilert target as the form holds it: saved ones keep their key unless it is replaced. */
interface TargetDraft {
  uid: number;
  /** The name it is saved under; undefined for a target added in this form. */
  savedName: string | undefined;
  name: string;
  key: SecretDraft;
}
let targetUid = 0;

type SecretDraft = { mode: 'keep' | 'replace' | 'clear'; value: string };
const CHECK_TEXT = {
  notifyResolves: 'also notify when an alert resolves',
  startAtLogin: 'start the app when I log in',
  checkForUpdates: 'look for new versions and offer them',
} as const;
const CHECK_HELP = {
  notifyResolves: 'Off by default: ilert already closes its alert.',
  startAtLogin: 'Only in the desktop app; the headless relay ignores it.',
  checkForUpdates:
    'Every 6 hours, from the project’s GitHub releases. A new version is downloaded and offered on Health and in the tray; it installs only when you choose Restart to update.',
} as const;
interface DesktopDraft {
  notifyMinSeverity: string;
  notifyResolves: boolean;
  startAtLogin: boolean;
  checkForUpdates: boolean;
}
interface Draft {
  values: Record<ValueKey, string>;
  severities: string[];
  desktop: DesktopDraft;
  secrets: Record<SecretKey, SecretDraft>;
  unmappedGroups: Policy;
  targets: TargetDraft[];
  operatorsMayReplayWithEdits: boolean;
}

function draftFrom(view: SettingsData): Draft {
  const values = Object.fromEntries((Object.keys(FIELDS) as ValueKey[]).map((key) => [key, String(view.values[key] ?? '')])) as Record<ValueKey, string>;
  const keep = (): SecretDraft => ({ mode: 'keep', value: '' });
  const desktop = {
    notifyMinSeverity: view.values.notifyMinSeverity,
    notifyResolves: view.values.notifyResolves,
    startAtLogin: view.values.startAtLogin,
    checkForUpdates: view.values.checkForUpdates,
  };
  const secrets = Object.fromEntries(SECRET_KEYS.map((key) => [key, keep()])) as Record<SecretKey, SecretDraft>;
  const targets = view.ilertTargets.map((target): TargetDraft => ({ uid: ++targetUid, savedName: target.name, name: target.name, key: keep() }));
  return {
    values,
    severities: [...view.values.highPrioritySeverities],
    desktop,
    secrets,
    unmappedGroups: view.values.unmappedGroups,
    targets,
    operatorsMayReplayWithEdits: view.values.operatorsMayReplayWithEdits,
  };
}

function targetsChanged(view: SettingsData, targets: TargetDraft[]): boolean {
  return targets.length !== view.ilertTargets.length || targets.some((target, index) => target.savedName !== view.ilertTargets[index]?.name || target.key.mode !== 'keep');
}

/** Checks the targets the browser can judge, and builds the list to send (without keys that stay as saved). */
function buildTargets(targets: TargetDraft[], errors: Record<string, string>): NonNullable<SettingsPatch['ilertTargets']> {
  const seen = new Set<string>();
  return targets.map((target, index) => {
    const name = target.name.trim();
    if (name === '') errors[`ilertTargets.${index}.name`] = 'a target needs a name';
    else if (seen.has(name.toLowerCase())) errors[`ilertTargets.${index}.name`] = 'another target has this name';
    seen.add(name.toLowerCase());
    if (target.key.mode !== 'replace') return { name };
    const key = target.key.value.trim();
    if (key === '')
      errors[`ilertTargets.${index}.integrationKey`] =
        target.savedName === undefined ? 'enter the integration key of this target’s ilert alert source' : 'enter the new key, or keep the saved one';
    return { name, integrationKey: key };
  });
}

/** The changed, unlocked settings as a patch, or the fields the browser can already tell are wrong. */
function buildPatch(view: SettingsData, draft: Draft): { patch: SettingsPatch; errors: Record<string, string> } {
  const locked = new Set(view.lockedByEnvironment);
  const patch: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const [key, spec] of Object.entries(FIELDS) as [ValueKey, FieldSpec][]) {
    if (locked.has(key)) continue;
    const text = draft.values[key].trim();
    if (text === String(view.values[key] ?? '')) continue;
    if (spec.kind === 'number') {
      if (!/^-?\d+$/.test(text)) errors[key] = text === '' ? 'required: enter a whole number' : 'must be a whole number';
      else patch[key] = Number(text);
    } else {
      patch[key] = text;
    }
  }
  const severities = SEVERITY_LEVELS.filter((level) => draft.severities.includes(level));
  const current = SEVERITY_LEVELS.filter((level) => view.values.highPrioritySeverities.includes(level));
  if (severities.join() !== current.join()) patch.highPrioritySeverities = severities;
  for (const key of Object.keys(draft.desktop) as (keyof DesktopDraft)[]) {
    if (draft.desktop[key] !== view.values[key]) patch[key] = draft.desktop[key];
  }
  if (draft.unmappedGroups !== view.values.unmappedGroups && !locked.has('unmappedGroups')) patch.unmappedGroups = draft.unmappedGroups;
  if (draft.operatorsMayReplayWithEdits !== view.values.operatorsMayReplayWithEdits) patch.operatorsMayReplayWithEdits = draft.operatorsMayReplayWithEdits;
  if (targetsChanged(view, draft.targets)) patch.ilertTargets = buildTargets(draft.targets, errors);
  for (const { key } of SECRETS) {
    if (locked.has(key)) continue;
    const secret = draft.secrets[key];
    if (secret.mode === 'clear') patch[key] = '';
    if (secret.mode === 'replace') {
      if (secret.value.trim() === '') errors[key] = 'enter the new value, or cancel the replacement';
      else patch[key] = secret.value.trim();
    }
  }
  return { patch: patch as SettingsPatch, errors };
}

/** A secret being typed, hidden until the eye button shows it. */
function SecretInput({ name, ...input }: { name: string } & InputHTMLAttributes<HTMLInputElement>) {
  const [shown, setShown] = useState(false);
  return (
    <>
      <input {...input} type={shown ? 'text' : 'password'} autoComplete="new-password" spellCheck={false} />
      <button type="button" className="icon-button" aria-label={`${shown ? 'Hide' : 'Show'} ${name}`} title={shown ? 'Hide' : 'Show'} onClick={() => setShown(!shown)}>
        <Icon name={shown ? 'eyeOff' : 'eye'} />
      </button>
    </>
  );
}

/** Puts the cursor in the first field (in page order) that needs fixing. */
function focusFirst(keys: string[]): void {
  requestAnimationFrame(() => {
    const inputs = keys.map((key) => document.getElementById(`setting-${key}`)).filter((input): input is HTMLElement => input !== null);
    inputs.sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
    inputs[0]?.focus();
  });
}

const changes = (built: { patch: SettingsPatch; errors: Record<string, string> }) => Object.keys(built.patch).length > 0 || Object.keys(built.errors).length > 0;

export function SettingsView({ active }: { active: boolean }) {
  const settingsQuery = useRelayQuery('getSettings', {});
  const metadataQuery = useRelayQuery('getSettingsMetadata', {});
  const role = useRelayQuery('whoAmI', {}).data?.role;
  // Settings are changed by admins only: for anyone else every field is disabled (the notice says why).
  const canChange = role !== undefined && roleAllows(role, 'admin');
  const metadata = metadataQuery.data;
  const [edit, setEdit] = useState<{ base: SettingsData; draft: Draft }>();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState(false);
  const [saved, flashSaved] = useFlash(5_000);
  const [generated, setGenerated] = useState<string>();
  const [copied, flashCopied] = useFlash(3_000);
  const [levelCheck, setLevelCheck] = useState<ConnectionCheck | { ok: false; message: string; checkedAt?: undefined }>();
  const { busy: checkingLevel, run: runLevelTest } = useAction();
  const fresh = useMemo(() => settingsQuery.data && { base: settingsQuery.data, draft: draftFrom(settingsQuery.data) }, [settingsQuery.data]);

  // A generated secret is shown once: gone when the user leaves this view.
  const [wasActive, setWasActive] = useState(active);
  if (active !== wasActive) {
    setWasActive(active);
    if (!active) setGenerated(undefined);
  }

  // What changed elsewhere (the unmapped-groups policy under Routing, the setup wizard) shows as long
  // as nothing is edited here; an edit in progress is never overwritten.
  const editing = edit && (Object.keys(errors).length > 0 || changes(buildPatch(edit.base, edit.draft)));
  const { base: view, draft } = (editing ? edit : fresh) ?? {};
  if (!view || !draft || !metadata) {
    const loadError = settingsQuery.error ?? metadataQuery.error;
    return <div className="view-message">{loadError ? <p className="error">Could not load settings: {loadError.message}</p> : <p className="muted">Loading settings…</p>}</div>;
  }
  const setDraft = (next: Draft) => setEdit({ base: view, draft: next });
  const settings = new Map(metadata.map((entry) => [entry.key, entry]));
  const setting = (key: string): SettingMetadata => settings.get(key) ?? { key, label: key, secret: false, needsRestart: false, desktopOnly: false };
  const label = (key: string) => setting(key).label;

  const locked = new Set(view.lockedByEnvironment);
  const pending = buildPatch(view, draft);
  const changed = changes(pending);

  const change = (next: Partial<Draft>, key: string) => {
    setDraft({ ...draft, ...next });
    setErrors(({ [key]: _dropped, ...rest }) => rest);
  };
  const setValue = (key: ValueKey, value: string) => change({ values: { ...draft.values, [key]: value } }, key);
  const setSecret = (key: SecretKey, secret: SecretDraft) => change({ secrets: { ...draft.secrets, [key]: secret } }, key);
  /** Any edit of the list: errors are keyed by position, which an edit may shift. */
  const setTargets = (targets: TargetDraft[]) => {
    setDraft({ ...draft, targets });
    setErrors((current) => Object.fromEntries(Object.entries(current).filter(([key]) => !key.startsWith('ilertTargets'))));
  };
  const updateTarget = (uid: number, change: Partial<TargetDraft>) => setTargets(draft.targets.map((target) => (target.uid === uid ? { ...target, ...change } : target)));
  const addTarget = () => {
    setTargets([...draft.targets, { uid: ++targetUid, savedName: undefined, name: '', key: { mode: 'replace', value: '' } }]);
    const index = draft.targets.length;
    requestAnimationFrame(() => document.getElementById(`setting-ilertTargets.${index}.name`)?.focus());
  };

  const testLevel = () =>
    runLevelTest(async () => {
      setLevelCheck(undefined);
      setLevelCheck(await call('testLevelConnection', {}).catch((error: Error) => ({ ok: false as const, message: error.message })));
    });

  const save = async () => {
    const built = buildPatch(view, draft);
    if (Object.keys(built.errors).length > 0) {
      setErrors(built.errors);
      focusFirst(Object.keys(built.errors));
      return;
    }
    setSaving(true);
    try {
      const result = await call('updateSettings', built.patch);
      if (result.ok) {
        queryClient.setQueryData(['getSettings', {}], result.settings);
        setEdit(undefined);
        setErrors({});
        flashSaved(`Saved ${Object.keys(built.patch).map(label).join(', ')}.`);
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

  const fieldError = (key: string) =>
    errors[key] ? (
      <p className="field-error" id={`${key}-error`} data-testid={`error-${key}`} role="alert">
        {errors[key]}
      </p>
    ) : null;

  const valueField = (key: ValueKey) => {
    const spec = FIELDS[key];
    const { label: fieldLabel, needsRestart } = setting(key);
    const isLocked = locked.has(key);
    return (
      <div className={`field${errors[key] ? ' field-invalid' : ''}`} key={key}>
        <label htmlFor={`setting-${key}`}>
          {fieldLabel}
          {needsRestart && (
            <span className="tag" title="Takes effect after a restart">
              restart
            </span>
          )}
        </label>
        <div className="field-control">
          <input
            id={`setting-${key}`}
            data-testid={`setting-${key}`}
            type={spec.kind === 'url' ? 'url' : 'text'}
            inputMode={spec.kind === 'number' ? 'numeric' : undefined}
            spellCheck={false}
            autoComplete="off"
            value={draft.values[key]}
            readOnly={isLocked}
            aria-readonly={isLocked}
            aria-invalid={errors[key] ? true : undefined}
            aria-describedby={`${key}-help${errors[key] ? ` ${key}-error` : ''}`}
            className={spec.kind === 'number' ? 'input-number' : undefined}
            onChange={(event) => setValue(key, event.target.value)}
          />
          {fieldError(key)}
          {lockedNote(view, key, setting(key).env ?? key)}
        </div>
        <p className="help" id={`${key}-help`}>
          {spec.help}
        </p>
      </div>
    );
  };

  const secretField = ({ key, help }: (typeof SECRETS)[number]) => {
    const { label: secretLabel, env } = setting(key);
    const masked = view.secrets[key];
    const secret = draft.secrets[key];
    const isLocked = locked.has(key);
    return (
      <div className={`field${errors[key] ? ' field-invalid' : ''}`} key={key} data-testid={`secret-${key}`}>
        <label htmlFor={`setting-${key}`} id={`${key}-label`}>
          {secretLabel}
        </label>
        <div className="field-control">
          <div className="secret-row">
            {secret.mode === 'replace' ? (
              <>
                <SecretInput
                  name={secretLabel}
                  id={`setting-${key}`}
                  data-testid={`setting-${key}`}
                  value={secret.value}
                  placeholder="new value"
                  aria-invalid={errors[key] ? true : undefined}
                  aria-describedby={`${key}-help`}
                  onChange={(event) => setSecret(key, { mode: 'replace', value: event.target.value })}
                />
                <button type="button" onClick={() => setSecret(key, { mode: 'keep', value: '' })}>
                  Cancel
                </button>
              </>
            ) : (
              <>
                <span className={`secret-value${secret.mode === 'clear' ? ' secret-cleared' : ''}`} id={`setting-${key}`} data-testid={`secret-hint-${key}`}>
                  {secret.mode === 'clear' ? 'will be cleared when you save' : masked.set ? <code>{masked.hint}</code> : <span className="muted">not set</span>}
                </span>
                {secret.mode === 'clear' ? (
                  <button type="button" onClick={() => setSecret(key, { mode: 'keep', value: '' })} aria-label={`Undo clearing ${secretLabel}`}>
                    Undo
                  </button>
                ) : (
                  <>
                    <button
                      type="button"
                      disabled={isLocked}
                      title={isLocked ? `Set by ${env} in the environment` : masked.set ? 'Enter a new value' : 'Enter a value'}
                      onClick={() => setSecret(key, { mode: 'replace', value: '' })}
                      data-testid={`replace-${key}`}
                      aria-label={`${masked.set ? 'Replace' : 'Set'} ${secretLabel}`}
                    >
                      {masked.set ? 'Replace' : 'Set'}
                    </button>
                    <button
                      type="button"
                      disabled={isLocked || !masked.set}
                      title={isLocked ? `Set by ${env} in the environment` : !masked.set ? 'Not set, nothing to clear' : 'Remove this secret when you save'}
                      onClick={() => setSecret(key, { mode: 'clear', value: '' })}
                      data-testid={`clear-${key}`}
                      aria-label={`Clear ${secretLabel}`}
                    >
                      Clear
                    </button>
                  </>
                )}
              </>
            )}
          </div>
          {fieldError(key)}
          {lockedNote(view, key, setting(key).env ?? key)}
        </div>
        <p className="help" id={`${key}-help`}>
          {help}
        </p>
      </div>
    );
  };

  const levelUnsaved = 'levelApiUrl' in pending.patch || 'levelApiKey' in pending.patch || draft.secrets.levelApiKey.mode !== 'keep';

  const targetsField = () => {
    const hints = new Map(view.ilertTargets.map((target) => [target.name, target.key]));
    const listError = errors.ilertTargets;
    const anyError = Object.keys(errors).some((key) => key.startsWith('ilertTargets'));
    return (
      <div className={`field${anyError ? ' field-invalid' : ''}`} role="group" aria-labelledby="targets-label" aria-describedby="targets-help" data-testid="ilert-targets">
        <span className="label" id="targets-label">
          {label('ilertTargets')}
        </span>
        <div className="field-control">
          {draft.targets.length === 0 ? (
            <p className="muted small targets-none">No named targets: every alert goes to the integration key above (“default”).</p>
          ) : (
            <ul className="targets">
              {draft.targets.map((target, index) => {
                const nameKey = `ilertTargets.${index}.name`;
                const keyKey = `ilertTargets.${index}.integrationKey`;
                const hint = target.savedName !== undefined ? hints.get(target.savedName) : undefined;
                const label = target.savedName ?? (target.name.trim() || `new target ${index + 1}`);
                return (
                  <li key={target.uid} className="target" data-testid="ilert-target" data-target-name={target.savedName ?? target.name.trim()}>
                    <div className="target-row">
                      {target.savedName !== undefined ? (
                        <span className="target-name" id={`setting-${nameKey}`} title="To rename a target, add one with the new name and remove this one (then re-map its groups)">
                          {target.savedName}
                        </span>
                      ) : (
                        <input
                          type="text"
                          className="target-name-input"
                          id={`setting-${nameKey}`}
                          data-testid={`target-name-${index}`}
                          placeholder="name, e.g. Acme Corp"
                          aria-label={`Name of target ${index + 1}`}
                          aria-invalid={errors[nameKey] ? true : undefined}
                          maxLength={60}
                          spellCheck={false}
                          autoComplete="off"
                          value={target.name}
                          onChange={(event) => updateTarget(target.uid, { name: event.target.value })}
                        />
                      )}
                      {target.key.mode === 'replace' ? (
                        <>
                          <SecretInput
                            name={`the key of ${label}`}
                            className="target-key-input"
                            id={`setting-${keyKey}`}
                            data-testid={`target-key-${index}`}
                            placeholder="integration key (il1api…)"
                            aria-label={`Integration key of ${label}`}
                            aria-invalid={errors[keyKey] ? true : undefined}
                            value={target.key.value}
                            onChange={(event) => updateTarget(target.uid, { key: { mode: 'replace', value: event.target.value } })}
                          />
                          {target.savedName !== undefined && (
                            <button type="button" onClick={() => updateTarget(target.uid, { key: { mode: 'keep', value: '' } })} data-testid={`target-keep-${index}`}>
                              Keep saved key
                            </button>
                          )}
                        </>
                      ) : (
                        <>
                          <span className="secret-value" data-testid={`target-hint-${index}`}>
                            {hint?.set ? <code>{hint.hint}</code> : <span className="muted">no key</span>}
                          </span>
                          <button type="button" onClick={() => updateTarget(target.uid, { key: { mode: 'replace', value: '' } })} data-testid={`target-replace-${index}`}>
                            Replace key
                          </button>
                        </>
                      )}
                      <button
                        type="button"
                        onClick={() => setTargets(draft.targets.filter((entry) => entry.uid !== target.uid))}
                        title="Remove this target when you save; groups routed to it must be re-mapped under Routing"
                        data-testid={`target-remove-${index}`}
                      >
                        Remove
                      </button>
                    </div>
                    {fieldError(nameKey)}
                    {fieldError(keyKey)}
                    {target.savedName !== undefined && <LevelTemplates target={target.savedName} targets={view.ilertTargets} disabled={!canChange} />}
                  </li>
                );
              })}
            </ul>
          )}
          <button type="button" id="setting-ilertTargets" onClick={addTarget} disabled={draft.targets.length >= 200} data-testid="add-target">
            Add target
          </button>
          {listError && (
            <p className="field-error" role="alert" data-testid="error-ilertTargets">
              {listError}
            </p>
          )}
        </div>
        <p className="help" id="targets-help">
          Further ilert alert sources (type API), each with a name and its integration key. Under Routing, Level groups are mapped to them; groups not mapped go to “default”, the
          integration key above. Saved keys are never shown again: keep them, or replace them.
        </p>
      </div>
    );
  };

  return (
    <div className="settings-view scroll" data-testid="settings-view">
      <ConnectionPanel />
      <AdminDoorPanel />
      <form
        className="settings-form"
        onSubmit={(event) => {
          event.preventDefault();
          void save();
        }}
        noValidate
      >
        <ReadOnlyNotice role={role} needs="admin" what="the settings" />
        {view.problems.length > 0 && (
          <div className="banner banner-warn" data-testid="settings-problems">
            <b>{view.problems.length === 1 ? '1 problem' : `${view.problems.length} problems`} with this configuration</b>
            <ul>
              {view.problems.map((problem) => (
                <li key={problem}>{problem}</li>
              ))}
            </ul>
          </div>
        )}
        {view.restartRequired.length > 0 && (
          <p className="banner banner-info" data-testid="restart-required">
            Restart the relay to apply: {view.restartRequired.map(label).join(', ')}.
          </p>
        )}
        <ErrorBanner error={errors.settings} testId="error-settings" />
        {view.secretsNotice && (
          <p className="banner banner-info" data-testid="secrets-notice">
            {view.secretsNotice}
          </p>
        )}

        <fieldset disabled={!canChange}>
          <legend>Level webhooks</legend>
          {SECRETS.filter((spec) => spec.group === 'webhooks').map(secretField)}
          <div className="field generate">
            <span className="label">New secret</span>
            <div className="field-control">
              <button type="button" onClick={() => setGenerated(randomSecret())} data-testid="generate-secret">
                Generate webhook secret
              </button>
              {generated && (
                <div className="generated" data-testid="generated-secret-panel">
                  <code className="generated-value" data-testid="generated-secret">
                    {generated}
                  </code>
                  <div className="generated-actions">
                    <button type="button" onClick={() => copyAndFlash(generated, flashCopied)} data-testid="copy-generated-secret">
                      Copy
                    </button>
                    {GENERATED_TARGETS.map(({ key, testId, name, field }) => (
                      <button
                        type="button"
                        key={key}
                        disabled={locked.has(key)}
                        title={
                          locked.has(key)
                            ? `The ${name} is set by ${setting(key).env} in the environment: put the new one there`
                            : `Put this secret into the ${field} field (saved when you press Save)`
                        }
                        onClick={() => setSecret(key, { mode: 'replace', value: generated })}
                        data-testid={testId}
                      >
                        Use as {name}
                      </button>
                    ))}
                    <button type="button" className="icon-button" aria-label="Hide generated secret" title="Hide" onClick={() => setGenerated(undefined)}>
                      <Icon name="close" />
                    </button>
                    {copied && <span className="flash">{copied}</span>}
                  </div>
                  <p className="warning">
                    Copy it now and paste it into Level’s webhook. <b>Level will not show it again</b> after you save the webhook, and this page shows it only once.
                  </p>
                </div>
              )}
            </div>
            <p className="help">32 random bytes from this computer’s secure random generator, as 64 hex characters. Use one for a new webhook or a rotation.</p>
          </div>
          {SECRETS.filter((spec) => spec.group === 'automation').map(secretField)}
        </fieldset>

        <fieldset disabled={!canChange} data-testid="level-api-settings">
          <legend>Level API and routing</legend>
          {valueField('levelApiUrl')}
          {valueField('levelDeviceLink')}
          {SECRETS.filter((spec) => spec.group === 'levelApi').map(secretField)}
          <div className="field">
            <span className="label">Connection</span>
            <div className="field-control">
              <div className="secret-row">
                <button
                  type="button"
                  onClick={() => void testLevel()}
                  disabled={checkingLevel || !view.secrets.levelApiKey.set || levelUnsaved}
                  title={
                    !view.secrets.levelApiKey.set
                      ? 'Set and save the Level API key first'
                      : levelUnsaved
                        ? 'Save first: the test uses the saved URL and key'
                        : 'Ask Level’s API for one group, with the saved URL and key'
                  }
                  data-testid="test-level-connection"
                >
                  {checkingLevel ? 'Testing…' : 'Test connection'}
                </button>
                {levelCheck && (
                  <span
                    className={levelCheck.ok ? 'text-ok' : 'text-bad'}
                    role="status"
                    data-testid="level-connection-result"
                    title={levelCheck.checkedAt !== undefined ? fullTime(levelCheck.checkedAt) : undefined}
                  >
                    {levelCheck.ok ? `Connected at ${clock(levelCheck.checkedAt)}${levelCheck.detail ? ` · ${levelCheck.detail}` : ''}` : levelCheck.message}
                  </span>
                )}
              </div>
            </div>
            <p className="help">Checks the saved URL and key against Level. Groups and devices are read under Routing → Sync from Level.</p>
          </div>
          <div className={`field${errors.unmappedGroups ? ' field-invalid' : ''}`}>
            <label className="label" htmlFor="setting-unmappedGroups">
              {label('unmappedGroups')}
            </label>
            <div className="field-control">
              <select
                id="setting-unmappedGroups"
                data-testid="setting-unmappedGroups"
                value={draft.unmappedGroups}
                disabled={locked.has('unmappedGroups')}
                onChange={(event) => change({ unmappedGroups: event.target.value as Policy }, 'unmappedGroups')}
              >
                <option value="default">send their alerts to the default target</option>
                <option value="skip">do not forward their alerts</option>
              </select>
              {fieldError('unmappedGroups')}
            </div>
            <p className="help">For alerts from devices whose group has no mapping, nor any ancestor. Groups are mapped to targets under Routing.</p>
          </div>
        </fieldset>

        <fieldset disabled={!canChange}>
          <legend>ilert</legend>
          {SECRETS.filter((spec) => spec.group === 'ilert').map(secretField)}
          {targetsField()}
          {valueField('ilertApiUrl')}
          {valueField('ilertEventsPerMinute')}
          {valueField('ilertAlertLink')}
          <div className={`field${errors.highPrioritySeverities ? ' field-invalid' : ''}`} role="group" aria-labelledby="severities-label" aria-describedby="severities-help">
            <span className="label" id="severities-label">
              {label('highPrioritySeverities')}
            </span>
            <div className="field-control">
              <div className="checks">
                {SEVERITY_LEVELS.map((level) => (
                  <label key={level} className="check">
                    <input
                      type="checkbox"
                      data-testid={`severity-${level}`}
                      checked={draft.severities.includes(level)}
                      onChange={(event) =>
                        setDraft({ ...draft, severities: event.target.checked ? [...draft.severities, level] : draft.severities.filter((entry) => entry !== level) })
                      }
                    />
                    <span className={`sev sev-${level === 'emergency' ? 'critical' : level}`}>{level}</span>
                  </label>
                ))}
              </div>
              {fieldError('highPrioritySeverities')}
            </div>
            <p className="help" id="severities-help">
              Level alerts of these severities are sent to ilert with priority HIGH (they page at once); the others are sent as LOW. In a backlog, emergency and critical alerts are
              sent first whatever is ticked here.
            </p>
          </div>
        </fieldset>

        <fieldset disabled={!canChange}>
          <legend>Receiver</legend>
          {valueField('host')}
          {valueField('port')}
          {valueField('adminPort')}
          {valueField('cloudflaredPath')}
        </fieldset>

        <fieldset disabled={!canChange}>
          <legend>History</legend>
          {valueField('retentionDays')}
          {valueField('auditRetentionDays')}
        </fieldset>

        <fieldset disabled={!canChange}>
          <legend>Team</legend>
          <div className={`field${errors.operatorsMayReplayWithEdits ? ' field-invalid' : ''}`}>
            <span className="label">{label('operatorsMayReplayWithEdits')}</span>
            <div className="field-control">
              <label className="check">
                <input
                  type="checkbox"
                  id="setting-operatorsMayReplayWithEdits"
                  data-testid="setting-operatorsMayReplayWithEdits"
                  aria-describedby="operators-replay-help"
                  checked={draft.operatorsMayReplayWithEdits}
                  onChange={(event) => change({ operatorsMayReplayWithEdits: event.target.checked }, 'operatorsMayReplayWithEdits')}
                />
                <span>operators may use “Replay with edits”</span>
              </label>
              {fieldError('operatorsMayReplayWithEdits')}
            </div>
            <p className="help" id="operators-replay-help">
              Off by default: a replay is an event Level never sent, signed as Level signs, so it can page anyone. Admins can always replay; every replay is audited with the fields
              it changed.
            </p>
          </div>
        </fieldset>

        {/* Notifications and start-at-login belong to the desktop app; a browser tab cannot use them. */}
        {inElectron() && (
          <fieldset disabled={!canChange}>
            <legend>Desktop app</legend>
            <div className={`field${errors.notifyMinSeverity ? ' field-invalid' : ''}`}>
              <label className="label" htmlFor="notify-min-severity">
                {label('notifyMinSeverity')}
              </label>
              <div className="field-control">
                <select
                  id="notify-min-severity"
                  data-testid="notify-min-severity"
                  value={draft.desktop.notifyMinSeverity}
                  onChange={(event) => setDraft({ ...draft, desktop: { ...draft.desktop, notifyMinSeverity: event.target.value } })}
                >
                  {options([...SEVERITY_LEVELS].reverse(), (level) => `${level} and above`)}
                </select>
                {fieldError('notifyMinSeverity')}
              </div>
              <p className="help">New Level alerts at or above this severity pop a desktop notification; a burst becomes one summary.</p>
            </div>
            {(['notifyResolves', 'startAtLogin', 'checkForUpdates'] as const).map((key) => (
              <div className="field" key={key}>
                <span className="label">{label(key)}</span>
                <div className="field-control">
                  <label className="check">
                    <input
                      type="checkbox"
                      data-testid={`setting-${key}`}
                      checked={draft.desktop[key]}
                      onChange={(event) => setDraft({ ...draft, desktop: { ...draft.desktop, [key]: event.target.checked } })}
                    />
                    <span>{CHECK_TEXT[key]}</span>
                  </label>
                  {fieldError(key)}
                </div>
                <p className="help">{CHECK_HELP[key]}</p>
              </div>
            ))}
          </fieldset>
        )}

        <div className="form-actions">
          <button
            type="submit"
            className="primary"
            disabled={!changed || saving}
            title={changed ? 'Validate and save the changes' : 'Nothing changed'}
            data-testid="settings-save"
            data-needs="admin"
          >
            {saving ? 'Saving…' : 'Save'}
          </button>
          <button
            type="button"
            disabled={!changed || saving}
            title={changed ? 'Forget the changes' : 'Nothing changed'}
            onClick={() => {
              setEdit(undefined);
              setErrors({});
            }}
            data-testid="settings-revert"
          >
            Revert
          </button>
          {Object.keys(errors).length > 0 && (
            <span className="text-bad" data-testid="settings-invalid">
              Nothing was saved: fix the {Object.keys(errors).length === 1 ? 'field' : 'fields'} marked in red.
            </span>
          )}
          <Flash message={saved} testId="settings-saved" />
          {view.restartRequired.length > 0 && Object.keys(errors).length === 0 && (
            <span className="restart-note" title="These settings are saved but take effect only after a restart">
              Restart the relay to apply: {view.restartRequired.map(label).join(', ')}
            </span>
          )}
        </div>
      </form>
      <SourcesSection />
    </div>
  );
}
