import { useId, useRef, useState, type FormEvent } from 'react';
import type { WindowScope } from '../../../../shared/contract.ts';
import { call } from '../../api/client.ts';
import { reload } from '../../api/queries.ts';
import { clock } from '../../format.ts';
import { IlertWindowOption } from './IlertWindowOption.tsx';
import './MaintenanceDialog.css';

/** A scope the dialog offers, with the words that say what it covers. */
export interface ScopeChoice {
  scope: WindowScope;
  label: string;
}

type Length = '1h' | '2h' | 'until';
const HOUR = 3_600_000;

/** The end of a one-off window from now: an hour or two, or the next time the clock shows HH:MM. */
export function endOf(length: Length, until: string, now: number): number | undefined {
  if (length !== 'until') return now + (length === '1h' ? HOUR : 2 * HOUR);
  const match = /^(\d\d):(\d\d)$/.exec(until);
  if (!match) return undefined;
  const end = new Date(now);
  end.setHours(Number(match[1]), Number(match[2]), 0, 0);
  if (end.getTime() <= now) end.setDate(end.getDate() + 1);
  return end.getTime();
}

/** The relay's 400 says which field is wrong in its words: show it beside that field. */
function fieldOf(message: string): 'name' | 'when' | 'form' {
  if (/\bname\b/i.test(message)) return 'name';
  if (/\b(start|end|over)\b/i.test(message)) return 'when';
  return 'form';
}

/**
 * "Maintenance…": a one-off window from now, for one of the given scopes. A native <dialog>, so
 * Escape closes it and focus goes back to the button that opened it.
 */
export function MaintenanceButton({
  scopes,
  label,
  what,
  testId,
  compact = false,
}: {
  scopes: ScopeChoice[];
  label: string;
  what: string;
  testId: string;
  /** In a tight row: a link-like button, and no "created" line (the row then shows what is held). */
  compact?: boolean;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const id = useId();
  const [scopeIndex, setScopeIndex] = useState(0);
  const [name, setName] = useState('');
  const [reason, setReason] = useState('');
  const [length, setLength] = useState<Length>('1h');
  const [until, setUntil] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ field: 'name' | 'when' | 'form'; message: string }>();
  const [created, setCreated] = useState<string>();
  const [alsoInIlert, setAlsoInIlert] = useState(false);

  const open = () => {
    setError(undefined);
    setCreated(undefined);
    dialog.current?.showModal();
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const now = Date.now();
    const end = endOf(length, until, now);
    if (end === undefined) {
      setError({ field: 'when', message: 'Give the time the window ends, as HH:MM' });
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const window = await call('createMaintenanceWindow', {
        name,
        ...(reason.trim() ? { reason } : {}),
        scope: scopes[scopeIndex]!.scope,
        start: new Date(now).toISOString(),
        end: new Date(end).toISOString(),
        ...(alsoInIlert ? { alsoInIlert } : {}),
      });
      setCreated(`“${window.name}” holds new alerts until ${clock(end)}.${window.ilert?.problem ? ` But ${window.ilert.problem}.` : ''}`);
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
  const errorFor = (field: 'name' | 'when' | 'form') =>
    error?.field === field ? (
      <p className="field-error" role="alert" id={`${id}-${field}-error`} data-testid={`maintenance-error-${field}`}>
        {error.message}
      </p>
    ) : null;

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
      <dialog ref={dialog} className="maintenance-dialog" aria-labelledby={`${id}-title`} data-testid="maintenance-dialog">
        <form onSubmit={(event) => void submit(event)} noValidate>
          <h2 id={`${id}-title`}>Maintenance window: {what}</h2>
          <p className="small muted">New alerts in it are held, not sent; what still fires when it ends is sent then.</p>
          {scopes.length > 1 && (
            <fieldset className="maintenance-choice">
              <legend>Quiet</legend>
              {scopes.map((choice, index) => (
                <label key={choice.label}>
                  <input type="radio" name={`${id}-scope`} checked={scopeIndex === index} onChange={() => setScopeIndex(index)} data-testid={`maintenance-scope-${index}`} />{' '}
                  {choice.label}
                </label>
              ))}
            </fieldset>
          )}
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
              aria-describedby={error?.field === 'name' ? `${id}-name-error` : undefined}
              data-testid="maintenance-name"
            />
          </label>
          {errorFor('name')}
          <label className="maintenance-field">
            Reason <span className="muted small">(optional)</span>
            <input type="text" value={reason} maxLength={500} autoComplete="off" onChange={(event) => setReason(event.target.value)} data-testid="maintenance-reason" />
          </label>
          <fieldset className="maintenance-choice" aria-describedby={error?.field === 'when' ? `${id}-when-error` : undefined}>
            <legend>From now, for</legend>
            <label>
              <input type="radio" name={`${id}-length`} checked={length === '1h'} onChange={() => setLength('1h')} data-testid="maintenance-1h" /> 1 h
            </label>
            <label>
              <input type="radio" name={`${id}-length`} checked={length === '2h'} onChange={() => setLength('2h')} data-testid="maintenance-2h" /> 2 h
            </label>
            <label>
              <input type="radio" name={`${id}-length`} checked={length === 'until'} onChange={() => setLength('until')} data-testid="maintenance-until" /> until
            </label>
            <input
              type="time"
              aria-label="Ends at"
              value={until}
              onChange={(event) => {
                setUntil(event.target.value);
                setLength('until');
              }}
              aria-invalid={error?.field === 'when' || undefined}
              data-testid="maintenance-until-time"
            />
          </fieldset>
          {errorFor('when')}
          <IlertWindowOption scope={scopes[scopeIndex]!.scope} checked={alsoInIlert} onChange={setAlsoInIlert} />
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
