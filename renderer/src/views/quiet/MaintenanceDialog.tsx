import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { WindowScope } from '../../../../shared/contract.ts';
import { call } from '../../api/client.ts';
import { reload } from '../../api/queries.ts';
import { clock } from '../../format.ts';
import { ScheduleFields } from './ScheduleFields.tsx';
import { newScheduleDraft, scheduleInput, scheduleWords, type ScheduleDraft } from './window-words.ts';
import { IlertWindowOption } from './IlertWindowOption.tsx';
import './MaintenanceDialog.css';

/**
 * A scope the dialog offers, with the words that say what it covers: a fixed one (this group), one
 * picked from a list (a group, an ilert target), or a Level device given by its id.
 */
export type ScopeChoice = { label: string; scope: WindowScope } | { label: string; pick: { label: string; scope: WindowScope }[] } | { label: string; device: true };

type Field = 'name' | 'scope' | 'when' | 'zone' | 'form';

/** The relay's 400 says which field is wrong in its words: show it beside that field. */
function fieldOf(message: string): Field {
  // First: a zone's message names "an IANA name".
  if (/time ?zone/i.test(message)) return 'zone';
  if (/\bname\b/i.test(message)) return 'name';
  if (/\b(start|end|over|days?)\b/i.test(message)) return 'when';
  if (/\b(group|device|target|scope)\b/i.test(message)) return 'scope';
  return 'form';
}

/** The scope a choice stands for, as the form holds it (a picked entry, a typed device id). */
function scopeOf(choice: ScopeChoice, picked: number, deviceId: string): WindowScope | undefined {
  if ('scope' in choice) return choice.scope;
  if ('pick' in choice) return choice.pick[picked]?.scope;
  return deviceId.trim() ? { device: deviceId.trim() } : undefined;
}

/**
 * "Maintenance…", "Quiet…", "New window…": one form for every window. It says what to quiet (one of
 * `scopes`) and when: from now (1 h, 2 h, until HH:MM), from one time to another, or weekly (days,
 * start and end time, IANA time zone, crossing midnight allowed). A native <dialog>, so Escape
 * closes it and focus goes back to the button that opened it.
 */
export function MaintenanceButton({
  scopes,
  label,
  what,
  testId,
  compact = false,
  openNow = false,
  onClosed,
}: {
  scopes: ScopeChoice[];
  label: string;
  what: string;
  testId: string;
  /** In a tight row: a link-like button, and no "created" line (the row then shows what is held). */
  compact?: boolean;
  /** Opened by a link rather than the button (the tray's "Maintenance…"). */
  openNow?: boolean;
  onClosed?: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const id = useId();
  const [scopeIndex, setScopeIndex] = useState(0);
  const [picked, setPicked] = useState(0);
  const [deviceId, setDeviceId] = useState('');
  const [name, setName] = useState('');
  const [reason, setReason] = useState('');
  const [schedule, setSchedule] = useState<ScheduleDraft>(newScheduleDraft);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ field: Field; message: string }>();
  const [created, setCreated] = useState<string>();
  const [alsoInIlert, setAlsoInIlert] = useState(false);

  const open = () => {
    setError(undefined);
    setCreated(undefined);
    dialog.current?.showModal();
  };
  // The DOM's own dialog, opened when the address asks for it: nothing of React's to set.
  useEffect(() => {
    if (openNow && !dialog.current?.open) dialog.current?.showModal();
  }, [openNow]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const scope = scopeOf(scopes[scopeIndex]!, picked, deviceId);
    if (!scope) {
      setError({ field: 'scope', message: 'Give the Level device id to quiet' });
      return;
    }
    const when = scheduleInput(schedule, Date.now());
    if ('problem' in when) {
      setError({ field: 'when', message: when.problem });
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const window = await call('createMaintenanceWindow', { name, ...(reason.trim() ? { reason } : {}), scope, ...when, ...(alsoInIlert ? { alsoInIlert } : {}) });
      const ilertProblem = window.ilert?.problem ? ` But ${window.ilert.problem}.` : '';
      setCreated(
        (window.kind === 'once' && schedule.kind === 'now'
          ? `“${window.name}” holds new alerts until ${clock(Date.parse(window.end))}.`
          : `“${window.name}”: ${scheduleWords(window)}.`) + ilertProblem,
      );
      setName('');
      setReason('');
      dialog.current?.close();
    } catch (failure) {
      const message = (failure as Error).message;
      setError({ field: fieldOf(message), message });
    } finally {
      setBusy(false);
      reload('listMaintenanceWindows');
    }
  };
  const errorId = (field: Field) => `${id}-${field}-error`;
  const errorFor = (field: Field) =>
    error?.field === field ? (
      <p className="field-error" role="alert" id={errorId(field)} data-testid={`maintenance-error-${field}`}>
        {error.message}
      </p>
    ) : null;
  const choice = scopes[scopeIndex]!;

  return (
    <>
      <button
        type="button"
        className={compact ? 'link small' : 'small-button'}
        data-needs="operator"
        onClick={open}
        data-testid={testId}
        aria-label={`${label} ${what}`}
        aria-haspopup="dialog"
      >
        {label}
      </button>
      {created && !compact && (
        <span className="maintenance-created small muted" role="status" data-testid={`${testId}-created`}>
          {created}
        </span>
      )}
      <dialog ref={dialog} className="maintenance-dialog" aria-labelledby={`${id}-title`} data-testid="maintenance-dialog" onClose={onClosed}>
        <form onSubmit={(event) => void submit(event)} noValidate>
          <h2 id={`${id}-title`}>Maintenance window: {what}</h2>
          <p className="small muted">New alerts in it are held, not sent; what still fires when it ends is sent then.</p>
          {scopes.length > 1 && (
            <fieldset className="maintenance-choice" aria-describedby={error?.field === 'scope' ? errorId('scope') : undefined}>
              <legend>Quiet</legend>
              {scopes.map((option, index) => (
                <label key={option.label}>
                  <input type="radio" name={`${id}-scope`} checked={scopeIndex === index} onChange={() => setScopeIndex(index)} data-testid={`maintenance-scope-${index}`} />{' '}
                  {option.label}
                </label>
              ))}
            </fieldset>
          )}
          {'pick' in choice && (
            <label className="maintenance-field">
              {choice.label[0]!.toUpperCase() + choice.label.slice(1)}
              <select value={picked} onChange={(event) => setPicked(Number(event.target.value))} data-testid="maintenance-pick">
                {choice.pick.map((option, index) => (
                  <option key={option.label} value={index}>
                    {option.label}
                  </option>
                ))}
              </select>
            </label>
          )}
          {'device' in choice && (
            <label className="maintenance-field">
              Level device id
              <input
                type="text"
                value={deviceId}
                maxLength={200}
                autoComplete="off"
                spellCheck={false}
                onChange={(event) => setDeviceId(event.target.value)}
                aria-invalid={error?.field === 'scope' || undefined}
                aria-describedby={error?.field === 'scope' ? errorId('scope') : undefined}
                data-testid="maintenance-device"
              />
            </label>
          )}
          {errorFor('scope')}
          <label className="maintenance-field">
            Name
            <input
              type="text"
              value={name}
              required
              maxLength={120}
              autoComplete="off"
              onChange={(event) => setName(event.target.value)}
              aria-invalid={error?.field === 'name' || undefined}
              aria-describedby={error?.field === 'name' ? errorId('name') : undefined}
              data-testid="maintenance-name"
            />
          </label>
          {errorFor('name')}
          <label className="maintenance-field">
            Reason <span className="muted small">(optional)</span>
            <input type="text" value={reason} maxLength={500} autoComplete="off" onChange={(event) => setReason(event.target.value)} data-testid="maintenance-reason" />
          </label>
          <ScheduleFields
            draft={schedule}
            onChange={(change) => setSchedule((current) => ({ ...current, ...change }))}
            invalid={error?.field === 'when' || error?.field === 'zone' ? error.field : undefined}
            describedBy={error?.field === 'when' || error?.field === 'zone' ? errorId(error.field) : undefined}
          />
          {errorFor('when')}
          {errorFor('zone')}
          {/* ilert's windows are one-off: a weekly window cannot be mirrored there. */}
          <IlertWindowOption scope={schedule.kind === 'weekly' ? undefined : scopeOf(scopes[scopeIndex]!, picked, deviceId)} checked={alsoInIlert} onChange={setAlsoInIlert} />
          {errorFor('form')}
          <div className="maintenance-actions">
            <button type="submit" className="primary" disabled={busy} data-testid="maintenance-create">
              {busy ? 'Creating…' : 'Create window'}
            </button>
            <button type="button" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
