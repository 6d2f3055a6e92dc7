import type { RouteDraft } from './route-draft.ts';

interface FlapFieldsProps {
  draft: RouteDraft;
  groupId: string;
  groupPath: string;
  /** The group has no route of its own: nothing to override. */
  noTarget: boolean;
  saving: boolean;
  /** Why the fields cannot be used now, shown as their title. */
  whyDisabled: string | undefined;
  change: (next: Partial<RouteDraft>) => void;
}

const FIELDS = [
  {
    key: 'holdDownSeconds',
    short: 'hold-down',
    label: 'Hold-down in seconds',
    help: 'Optional: send a new alert only if it still fires this many seconds later (0 = off here; empty = the relay’s default)',
  },
  {
    key: 'resolveGraceSeconds',
    short: 'grace',
    label: 'Resolve grace in seconds',
    help: 'Optional: hold a resolve this many seconds, so an alert that fires again stays one ilert alert (0 = off here; empty = the relay’s default)',
  },
] as const;

/** A route's flapping overrides (issue 22): the hold-down and the resolve grace, in seconds. */
export function FlapFields({ draft, groupId, groupPath, noTarget, saving, whyDisabled, change }: FlapFieldsProps) {
  return (
    <>
      {FIELDS.map((field) => (
        <span key={field.key} className="r-seconds-field" title={whyDisabled ?? field.help}>
          {/* Visible words for sighted users; the input's own name says it all for a screen reader. */}
          <span className="small muted" aria-hidden="true">
            {field.short}
          </span>
          <input
            type="number"
            className="r-seconds"
            min={0}
            max={86_400}
            step={1}
            inputMode="numeric"
            aria-label={`${field.label} for ${groupPath}`}
            aria-describedby={noTarget ? 'route-own-hint' : undefined}
            placeholder="default"
            data-testid={`route-${field.key === 'holdDownSeconds' ? 'hold-down' : 'grace'}-${groupId}`}
            value={noTarget ? '' : draft[field.key]}
            disabled={noTarget || saving}
            onChange={(event) => change({ [field.key]: event.target.value })}
          />
          <span className="small muted" aria-hidden="true">
            s
          </span>
        </span>
      ))}
    </>
  );
}
