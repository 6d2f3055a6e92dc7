import { Field } from '../../components/Field.tsx';
import { SecretInput } from './fields.tsx';
import type { TargetDraft } from './settings-form.ts';
import type { SettingsForm } from './use-settings-form.ts';
import { LevelTemplates } from '../sources/LevelTemplates.tsx';

const MAX_TARGETS = 200;

function FieldError({ form, name }: { form: SettingsForm; name: string }) {
  if (!form.errors[name]) return null;
  return (
    <p className="field-error" data-testid={`error-${name}`} role="alert">
      {form.errors[name]}
    </p>
  );
}

function TargetRow({ form, target, index, disabled }: { form: SettingsForm; target: TargetDraft; index: number; disabled: boolean }) {
  const nameKey = `ilertTargets.${index}.name`;
  const keyKey = `ilertTargets.${index}.integrationKey`;
  const hint = form.view.ilertTargets.find((saved) => saved.name === target.savedName)?.key;
  const label = target.savedName ?? (target.name.trim() || `new target ${index + 1}`);
  const update = (change: Partial<TargetDraft>) => form.setTargets(form.draft.targets.map((entry) => (entry.uid === target.uid ? { ...entry, ...change } : entry)));
  return (
    <li className="target" data-testid="ilert-target" data-target-name={target.savedName ?? target.name.trim()}>
      <div className="target-row">
        {target.savedName !== undefined ? (
          <span className="target-name" title="To rename a target, add one with the new name and remove this one (then re-map its groups)">
            {target.savedName}
          </span>
        ) : (
          <input
            type="text"
            className="target-name-input"
            data-testid={`target-name-${index}`}
            data-setting={nameKey}
            placeholder="name, e.g. Acme Corp"
            aria-label={`Name of target ${index + 1}`}
            aria-invalid={form.errors[nameKey] ? true : undefined}
            maxLength={60}
            spellCheck={false}
            autoComplete="off"
            value={target.name}
            onChange={(event) => update({ name: event.target.value })}
          />
        )}
        {target.key.mode === 'replace' ? (
          <>
            <SecretInput
              name={`the key of ${label}`}
              className="target-key-input"
              data-testid={`target-key-${index}`}
              data-setting={keyKey}
              placeholder="integration key (il1api…)"
              aria-label={`Integration key of ${label}`}
              aria-invalid={form.errors[keyKey] ? true : undefined}
              value={target.key.value}
              onChange={(event) => update({ key: { mode: 'replace', value: event.target.value } })}
            />
            {target.savedName !== undefined && (
              <button type="button" onClick={() => update({ key: { mode: 'keep', value: '' } })} data-testid={`target-keep-${index}`}>
                Keep saved key
              </button>
            )}
          </>
        ) : (
          <>
            <span className="secret-value" data-testid={`target-hint-${index}`}>
              {hint?.set ? <code>{hint.hint}</code> : <span className="muted">no key</span>}
            </span>
            <button type="button" onClick={() => update({ key: { mode: 'replace', value: '' } })} data-testid={`target-replace-${index}`}>
              Replace key
            </button>
          </>
        )}
        <button
          type="button"
          onClick={() => form.setTargets(form.draft.targets.filter((entry) => entry.uid !== target.uid))}
          title="Remove this target when you save; groups routed to it must be re-mapped under Routing"
          data-testid={`target-remove-${index}`}
        >
          Remove
        </button>
      </div>
      <FieldError form={form} name={nameKey} />
      <FieldError form={form} name={keyKey} />
      {target.savedName !== undefined && <LevelTemplates target={target.savedName} targets={form.view.ilertTargets} disabled={disabled} />}
    </li>
  );
}

/** The named ilert targets groups are routed to, each with its integration key. */
export function TargetsField({ form, disabled }: { form: SettingsForm; disabled: boolean }) {
  const { targets } = form.draft;
  return (
    <Field
      group
      label={form.setting('ilertTargets').label}
      hint="Further ilert alert sources (type API), each with a name and its integration key. Under Routing, Level groups are mapped to them; groups not mapped go to “default”, the integration key above. Saved keys are never shown again: keep them, or replace them."
      error={form.errors.ilertTargets}
      errorTestId="error-ilertTargets"
      testId="ilert-targets"
    >
      {() => (
        <>
          {targets.length === 0 ? (
            <p className="muted small targets-none">No named targets: every alert goes to the integration key above (“default”).</p>
          ) : (
            <ul className="targets">
              {targets.map((target, index) => (
                <TargetRow key={target.uid} form={form} target={target} index={index} disabled={disabled} />
              ))}
            </ul>
          )}
          <button type="button" data-setting="ilertTargets" onClick={form.addTarget} disabled={targets.length >= MAX_TARGETS} data-testid="add-target">
            Add target
          </button>
        </>
      )}
    </Field>
  );
}
