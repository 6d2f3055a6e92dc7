import { useId } from 'react';
import { dayWord, WEEK, type Length, type ScheduleDraft, type ScheduleKind } from './window-words.ts';

const KINDS: { kind: ScheduleKind; label: string }[] = [
  { kind: 'now', label: 'from now' },
  { kind: 'once', label: 'once, from … to …' },
  { kind: 'weekly', label: 'every week' },
];
const LENGTHS: { length: Length; label: string }[] = [
  { length: '1h', label: '1 h' },
  { length: '2h', label: '2 h' },
  { length: 'until', label: 'until' },
];

/** The zones this browser knows, for the time zone box's suggestions (the relay checks what is typed). */
const ZONES: readonly string[] = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];

/**
 * The "When" of a maintenance window: from now for a while, once between two times, or weekly on
 * some days between two times of day in an IANA time zone (an end at or before the start is on the
 * next day).
 */
export function ScheduleFields({
  draft,
  onChange,
  invalid,
  describedBy,
}: {
  draft: ScheduleDraft;
  onChange: (change: Partial<ScheduleDraft>) => void;
  /** The part the relay or the form refused: the times, or the time zone. */
  invalid: 'when' | 'zone' | undefined;
  describedBy: string | undefined;
}) {
  const id = useId();
  const whenInvalid = invalid === 'when' || undefined;
  return (
    <>
      <fieldset className="maintenance-choice">
        <legend>When</legend>
        {KINDS.map(({ kind, label }) => (
          <label key={kind}>
            <input type="radio" name={`${id}-kind`} checked={draft.kind === kind} onChange={() => onChange({ kind })} data-testid={`maintenance-kind-${kind}`} /> {label}
          </label>
        ))}
      </fieldset>
      {draft.kind === 'now' && (
        <fieldset className="maintenance-choice" aria-describedby={invalid === 'when' ? describedBy : undefined}>
          <legend>From now, for</legend>
          {LENGTHS.map(({ length, label }) => (
            <label key={length}>
              <input type="radio" name={`${id}-length`} checked={draft.length === length} onChange={() => onChange({ length })} data-testid={`maintenance-${length}`} /> {label}
            </label>
          ))}
          <input
            type="time"
            aria-label="Ends at"
            value={draft.until}
            onChange={(event) => onChange({ until: event.target.value, length: 'until' })}
            aria-invalid={whenInvalid}
            data-testid="maintenance-until-time"
          />
        </fieldset>
      )}
      {draft.kind === 'once' && (
        <fieldset className="maintenance-choice" aria-describedby={invalid === 'when' ? describedBy : undefined}>
          <legend>Once, in this browser’s time</legend>
          <label>
            From{' '}
            <input
              type="datetime-local"
              value={draft.from}
              onChange={(event) => onChange({ from: event.target.value })}
              aria-invalid={whenInvalid}
              data-testid="maintenance-from"
            />
          </label>
          <label>
            to <input type="datetime-local" value={draft.to} onChange={(event) => onChange({ to: event.target.value })} aria-invalid={whenInvalid} data-testid="maintenance-to" />
          </label>
        </fieldset>
      )}
      {draft.kind === 'weekly' && (
        <fieldset className="maintenance-choice" aria-describedby={invalid ? describedBy : undefined}>
          <legend>Every week</legend>
          <span className="maintenance-days" role="group" aria-label="Starts on">
            {WEEK.map((day) => (
              <label key={day}>
                <input
                  type="checkbox"
                  checked={draft.days.includes(day)}
                  onChange={(event) => onChange({ days: event.target.checked ? [...draft.days, day] : draft.days.filter((entry) => entry !== day) })}
                  data-testid={`maintenance-day-${day}`}
                />{' '}
                {dayWord(day)}
              </label>
            ))}
          </span>
          <label>
            from{' '}
            <input
              type="time"
              value={draft.startTime}
              onChange={(event) => onChange({ startTime: event.target.value })}
              aria-invalid={whenInvalid}
              data-testid="maintenance-start-time"
            />
          </label>
          <label>
            to{' '}
            <input
              type="time"
              value={draft.endTime}
              onChange={(event) => onChange({ endTime: event.target.value })}
              aria-invalid={whenInvalid}
              data-testid="maintenance-end-time"
            />
          </label>
          <label className="maintenance-field maintenance-zone">
            Time zone
            <input
              type="text"
              value={draft.timeZone}
              list={`${id}-zones`}
              maxLength={64}
              autoComplete="off"
              spellCheck={false}
              onChange={(event) => onChange({ timeZone: event.target.value })}
              aria-invalid={invalid === 'zone' || undefined}
              data-testid="maintenance-zone"
            />
          </label>
          <datalist id={`${id}-zones`}>
            {ZONES.map((zone) => (
              <option key={zone} value={zone} />
            ))}
          </datalist>
          <span className="small muted">An end at or before the start is on the next day (22:00 to 04:00).</span>
        </fieldset>
      )}
    </>
  );
}
