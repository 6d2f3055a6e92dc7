import { useEffect, useId, useState } from 'react';
import type { SettingsView } from '../../../../shared/contract.ts';
import { call } from '../../api/client.ts';
import { reload, useRelayQuery } from '../../api/queries.ts';
import { ErrorBanner, Flash } from '../../components/controls.tsx';
import { useAction, useDebounced, useFlash } from '../../hooks.ts';
import { FieldError } from './TemplateError.tsx';

type Targets = SettingsView['ilertTargets'];

/*
 * The settings form remakes its target rows whenever the saved settings change (a save here among
 * them), so what must outlive a row, an open panel and the "saved" word, is kept by target name.
 */
const openTargets = new Set<string>();
const justSaved = new Set<string>();

/**
 * A target's own summary and details for Level alerts, in the sources' template language, with a
 * preview against a sample Level alert. Saved on its own (the rest of the target list as saved), so
 * it never mixes with an unsaved edit of the settings form around it.
 */
export function LevelTemplates({ target, targets, disabled }: { target: string; targets: Targets; disabled: boolean }) {
  const saved = targets.find((entry) => entry.name === target)?.levelTemplates;
  const [open, setOpenState] = useState(() => openTargets.has(target));
  const setOpen = (next: boolean) => {
    if (next) openTargets.add(target);
    else openTargets.delete(target);
    setOpenState(next);
  };
  const [summary, setSummary] = useState(saved?.summary ?? '');
  const [details, setDetails] = useState(saved?.details ?? '');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [flash, setFlash] = useFlash(4_000);
  const save = useAction('Could not save: ');
  const id = useId();
  const templates = { summary, details };
  const previewInput = useDebounced({ templates }, 300);
  const preview = useRelayQuery('previewLevelTemplates', previewInput, { enabled: open && !disabled });
  const previewErrors = preview.data && !preview.data.ok ? preview.data.errors : {};
  const overridden = Boolean(saved?.summary || saved?.details);
  useEffect(() => {
    if (justSaved.delete(target)) setFlash('Templates saved');
  }, [target, setFlash]);

  const submit = () =>
    save.run(async () => {
      const result = await call('updateSettings', {
        ilertTargets: targets.map((entry) => ({ name: entry.name, ...(entry.name === target ? { levelTemplates: templates } : {}) })),
      });
      if (!result.ok) {
        const index = targets.findIndex((entry) => entry.name === target);
        const prefix = `ilertTargets.${index}.levelTemplates.`;
        setErrors(Object.fromEntries(Object.entries(result.errors).map(([key, message]) => [key.startsWith(prefix) ? key.slice(prefix.length) : key, message])));
        return;
      }
      setErrors({});
      justSaved.add(target);
      setTimeout(() => justSaved.delete(target), 4_000);
      setFlash('Templates saved');
      reload('getSettings');
    });

  const area = (key: 'summary' | 'details', label: string, value: string, set: (value: string) => void, placeholder: string) => {
    const message = errors[key] ?? previewErrors[key];
    return (
      <div className={`level-template${message ? ' field-invalid' : ''}`}>
        <label htmlFor={`${id}-${key}`}>{label}</label>
        <textarea
          id={`${id}-${key}`}
          data-testid={`level-template-${key}`}
          rows={key === 'details' ? 3 : 1}
          value={value}
          placeholder={placeholder}
          spellCheck={false}
          maxLength={16_384}
          aria-invalid={message ? true : undefined}
          aria-describedby={message ? `${id}-${key}-error` : undefined}
          onChange={(event) => {
            set(event.target.value);
            setErrors(({ [key]: _dropped, ...rest }) => rest);
          }}
        />
        <FieldError id={`${id}-${key}-error`} message={message} template={value} />
      </div>
    );
  };

  return (
    <div className="level-templates" data-testid="level-templates">
      <button type="button" className="link" aria-expanded={open} aria-controls={`${id}-panel`} onClick={() => setOpen(!open)} data-testid="level-templates-toggle">
        Level alert templates{overridden ? ' (own)' : ' (default)'}
      </button>
      {open && (
        <div id={`${id}-panel`} className="level-templates-panel">
          <p className="help">
            Summary and details of Level alerts sent to “{target}”, in ilert’s template language: <code>{'{{ name }}'}</code>, <code>{'{{ severity }}'}</code>,{' '}
            <code>{'{{ device_hostname }}'}</code>, <code>{'{{ group }}'}</code>, <code>{'{{ event }}'}</code> (ALERT or RESOLVE), <code>{'{{ defaultSummary }}'}</code>,{' '}
            <code>{'{{ defaultDetails }}'}</code> and Level’s other alert fields. Empty keeps the relay’s default.
          </p>
          {area('summary', 'Summary', summary, setSummary, '[{{ severity.upperCase() }}] {{ name }} on {{ device_hostname }}')}
          {area('details', 'Details', details, setDetails, '{{ defaultDetails }}')}
          <div role="status" aria-live="polite">
            {preview.data?.ok && (
              <dl className="preview-fields" data-testid="level-templates-preview">
                <dt>Summary</dt>
                <dd data-testid="level-templates-preview-summary">{preview.data.summary}</dd>
                <dt>Details</dt>
                <dd>
                  <pre>{preview.data.details}</pre>
                </dd>
              </dl>
            )}
          </div>
          <div className="source-actions">
            <button type="button" onClick={() => void submit()} disabled={disabled || save.busy} data-testid="level-templates-save">
              {save.busy ? 'Saving…' : 'Save templates'}
            </button>
            <Flash message={flash} testId="level-templates-saved" />
          </div>
          <ErrorBanner error={save.error} />
        </div>
      )}
    </div>
  );
}
