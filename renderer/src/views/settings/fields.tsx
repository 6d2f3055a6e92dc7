/** The Settings page's fields, each reading and changing the one form (use-settings-form.ts). */
import { useState, type InputHTMLAttributes } from 'react';
import { Field } from '../../components/Field.tsx';
import { Icon } from '../../components/Icon.tsx';
import { options } from '../../components/controls.tsx';
import { SEVERITY_LEVELS } from '../../format.ts';
import { LockedNote } from '../setup/common.tsx';
import { DESKTOP_CHECK_HELP, DESKTOP_CHECK_TEXT, SECRET_HELP, VALUE_HELP } from './help.tsx';
import { DESKTOP_CHECKS, VALUE_KINDS, type Policy, type SecretKey, type ValueKey } from './settings-form.ts';
import type { SettingsForm } from './use-settings-form.ts';

/** A secret being typed, hidden until the eye button shows it. */
export function SecretInput({ name, ...input }: { name: string } & InputHTMLAttributes<HTMLInputElement>) {
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

/** A setting's label, tagged when a change needs a restart. */
function SettingLabel({ form, name }: { form: SettingsForm; name: string }) {
  const { label, needsRestart } = form.setting(name);
  return (
    <>
      {label}
      {needsRestart && (
        <span className="tag" title="Takes effect after a restart">
          restart
        </span>
      )}
    </>
  );
}

const fieldError = (form: SettingsForm, key: string) => ({ error: form.errors[key], errorTestId: `error-${key}` });

export function ValueField({ form, name }: { form: SettingsForm; name: ValueKey }) {
  const kind = VALUE_KINDS[name];
  const isLocked = form.locked.has(name);
  return (
    <Field label={<SettingLabel form={form} name={name} />} hint={VALUE_HELP[name]} {...fieldError(form, name)}>
      {(control) => (
        <>
          <input
            {...control}
            data-testid={`setting-${name}`}
            data-setting={name}
            type={kind === 'url' ? 'url' : 'text'}
            inputMode={kind === 'number' ? 'numeric' : undefined}
            spellCheck={false}
            autoComplete="off"
            value={form.draft.values[name]}
            readOnly={isLocked}
            aria-readonly={isLocked}
            className={kind === 'number' ? 'input-number' : undefined}
            onChange={(event) => form.setValue(name, event.target.value)}
          />
          <LockedNote settings={form.view} name={name} />
        </>
      )}
    </Field>
  );
}

export function SecretField({ form, name }: { form: SettingsForm; name: SecretKey }) {
  const { label, env } = form.setting(name);
  const masked = form.view.secrets[name];
  const secret = form.draft.secrets[name];
  const isLocked = form.locked.has(name);
  const set = (mode: 'keep' | 'replace' | 'clear', value = '') => form.setSecret(name, { mode, value });
  return (
    <Field label={label} hint={SECRET_HELP[name]} testId={`secret-${name}`} {...fieldError(form, name)}>
      {(control) => (
        <>
          <div className="secret-row">
            {secret.mode === 'replace' ? (
              <>
                <SecretInput
                  {...control}
                  name={label}
                  data-testid={`setting-${name}`}
                  data-setting={name}
                  value={secret.value}
                  placeholder="new value"
                  onChange={(event) => set('replace', event.target.value)}
                />
                <button type="button" onClick={() => set('keep')}>
                  Cancel
                </button>
              </>
            ) : (
              <>
                <span className={`secret-value${secret.mode === 'clear' ? ' secret-cleared' : ''}`} id={control.id} data-testid={`secret-hint-${name}`}>
                  {secret.mode === 'clear' ? 'will be cleared when you save' : masked.set ? <code>{masked.hint}</code> : <span className="muted">not set</span>}
                </span>
                {secret.mode === 'clear' ? (
                  <button type="button" onClick={() => set('keep')} aria-label={`Undo clearing ${label}`}>
                    Undo
                  </button>
                ) : (
                  <>
                    <button
                      type="button"
                      disabled={isLocked}
                      title={isLocked ? `Set by ${env} in the environment` : masked.set ? 'Enter a new value' : 'Enter a value'}
                      onClick={() => set('replace')}
                      data-testid={`replace-${name}`}
                      data-setting={name}
                      aria-label={`${masked.set ? 'Replace' : 'Set'} ${label}`}
                    >
                      {masked.set ? 'Replace' : 'Set'}
                    </button>
                    <button
                      type="button"
                      disabled={isLocked || !masked.set}
                      title={isLocked ? `Set by ${env} in the environment` : !masked.set ? 'Not set, nothing to clear' : 'Remove this secret when you save'}
                      onClick={() => set('clear')}
                      data-testid={`clear-${name}`}
                      aria-label={`Clear ${label}`}
                    >
                      Clear
                    </button>
                  </>
                )}
              </>
            )}
          </div>
          <LockedNote settings={form.view} name={name} />
        </>
      )}
    </Field>
  );
}

export function UnmappedGroupsField({ form }: { form: SettingsForm }) {
  return (
    <Field
      label={form.setting('unmappedGroups').label}
      hint="For alerts from devices whose group has no mapping, nor any ancestor. Groups are mapped to targets under Routing."
      {...fieldError(form, 'unmappedGroups')}
    >
      {(control) => (
        <select
          {...control}
          data-testid="setting-unmappedGroups"
          data-setting="unmappedGroups"
          value={form.draft.unmappedGroups}
          disabled={form.locked.has('unmappedGroups')}
          onChange={(event) => form.change({ unmappedGroups: event.target.value as Policy }, 'unmappedGroups')}
        >
          <option value="default">send their alerts to the default target</option>
          <option value="skip">do not forward their alerts</option>
        </select>
      )}
    </Field>
  );
}

export function SeveritiesField({ form }: { form: SettingsForm }) {
  const { severities } = form.draft;
  return (
    <Field
      group
      label={form.setting('highPrioritySeverities').label}
      hint="Level alerts of these severities are sent to ilert with priority HIGH (they page at once); the others are sent as LOW. In a backlog, emergency and critical alerts are sent first whatever is ticked here."
      {...fieldError(form, 'highPrioritySeverities')}
    >
      {() => (
        <div className="checks">
          {SEVERITY_LEVELS.map((level) => (
            <label key={level} className="check">
              <input
                type="checkbox"
                data-testid={`severity-${level}`}
                data-setting="highPrioritySeverities"
                checked={severities.includes(level)}
                onChange={(event) =>
                  form.change({ severities: event.target.checked ? [...severities, level] : severities.filter((entry) => entry !== level) }, 'highPrioritySeverities')
                }
              />
              <span className={`sev sev-${level === 'emergency' ? 'critical' : level}`}>{level}</span>
            </label>
          ))}
        </div>
      )}
    </Field>
  );
}

/** One setting that is on or off: a labelled checkbox, with what ticking it means beside it. */
function CheckField({
  form,
  name,
  text,
  hint,
  checked,
  onChange,
}: {
  form: SettingsForm;
  name: string;
  text: string;
  hint: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
}) {
  return (
    <Field group label={form.setting(name).label} hint={hint} {...fieldError(form, name)}>
      {(control) => (
        <label className="check">
          <input
            type="checkbox"
            data-testid={`setting-${name}`}
            data-setting={name}
            aria-describedby={control['aria-describedby']}
            checked={checked}
            onChange={(event) => onChange(event.target.checked)}
          />
          <span>{text}</span>
        </label>
      )}
    </Field>
  );
}

export function ReplayPermissionField({ form }: { form: SettingsForm }) {
  return (
    <CheckField
      form={form}
      name="operatorsMayReplayWithEdits"
      text="operators may use “Replay with edits”"
      hint="Off by default: a replay is an event Level never sent, signed as Level signs, so it can page anyone. Admins can always replay; every replay is audited with the fields it changed."
      checked={form.draft.operatorsMayReplayWithEdits}
      onChange={(checked) => form.change({ operatorsMayReplayWithEdits: checked }, 'operatorsMayReplayWithEdits')}
    />
  );
}

/** Notifications and start-at-login belong to the desktop app; a browser tab cannot use them. */
export function DesktopFields({ form }: { form: SettingsForm }) {
  const { desktop } = form.draft;
  return (
    <>
      <Field
        label={form.setting('notifyMinSeverity').label}
        hint="New Level alerts at or above this severity pop a desktop notification; a burst becomes one summary."
        {...fieldError(form, 'notifyMinSeverity')}
      >
        {(control) => (
          <select
            {...control}
            data-testid="notify-min-severity"
            data-setting="notifyMinSeverity"
            value={desktop.notifyMinSeverity}
            onChange={(event) => form.change({ desktop: { ...desktop, notifyMinSeverity: event.target.value as typeof desktop.notifyMinSeverity } }, 'notifyMinSeverity')}
          >
            {options([...SEVERITY_LEVELS].reverse(), (level) => `${level} and above`)}
          </select>
        )}
      </Field>
      {DESKTOP_CHECKS.map((name) => (
        <CheckField
          key={name}
          form={form}
          name={name}
          text={DESKTOP_CHECK_TEXT[name]}
          hint={DESKTOP_CHECK_HELP[name]}
          checked={desktop[name]}
          onChange={(checked) => form.change({ desktop: { ...desktop, [name]: checked } }, name)}
        />
      ))}
    </>
  );
}
