import { useEffect, useId } from 'react';
import type { WindowScope, WindowView } from '../../../../shared/contract.ts';
import { useRelayQuery } from '../../api/queries.ts';

/**
 * "Also in ilert": offered only where it can work, a window over a whole ilert target (or
 * everything) with an ilert API key set; ilert's maintenance windows cover whole alert sources.
 * Unticked again whenever it stops applying, so a hidden box never sends the option.
 */
export function IlertWindowOption({ scope, checked, onChange }: { scope: WindowScope | undefined; checked: boolean; onChange: (checked: boolean) => void }) {
  const id = useId();
  const apiKeySet = useRelayQuery('getSettings', {}).data?.secrets.ilertApiKey.set ?? false;
  const applies = apiKeySet && scope !== undefined && ('target' in scope || 'all' in scope);
  useEffect(() => {
    if (!applies && checked) onChange(false);
  }, [applies, checked, onChange]);
  if (!applies) return null;
  return (
    <div className="maintenance-field">
      <label>
        <input type="checkbox" checked={checked} onChange={(event) => onChange(event.target.checked)} aria-describedby={`${id}-help`} data-testid="maintenance-also-in-ilert" />{' '}
        Also create it in ilert
      </label>
      <span id={`${id}-help`} className="small muted">
        ilert then shows the alert source in maintenance too; ending this window early deletes it there.
      </span>
    </div>
  );
}

/** A listed window's twin in ilert: that it exists there, or what went wrong creating or deleting it. */
export function IlertWindowState({ window }: { window: WindowView }) {
  if (!window.ilert) return null;
  if (window.ilert.problem) {
    return (
      <span className="text-bad" data-testid={`window-ilert-problem-${window.id}`}>
        {' '}
        · {window.ilert.problem}
      </span>
    );
  }
  return <span data-testid={`window-ilert-${window.id}`}> · also in ilert (window {window.ilert.windowId})</span>;
}
