import { useState } from 'react';
import type { WindowView } from '../../../../shared/contract.ts';
import { call } from '../../api/client.ts';
import { reload, useRelayQuery } from '../../api/queries.ts';
import { clock, fullTime, plural } from '../../format.ts';
import { useAction } from '../../hooks.ts';
import { IlertWindowState } from '../quiet/IlertWindowOption.tsx';

function scopeText(scope: WindowView['scope']): string {
  if ('all' in scope) return 'everything';
  if ('device' in scope) return `device ${scope.device}`;
  if ('target' in scope) return `ilert target ${scope.target}`;
  return `group ${scope.group} and its subgroups`;
}

function stateText(window: WindowView): string {
  if (window.state === 'active') return `active until ${clock(window.activeUntil!)}`;
  return window.nextStart === undefined ? 'scheduled' : `next from ${fullTime(window.nextStart)}`;
}

/**
 * The maintenance windows not over yet, each with "End now": what a window holds is sent at once
 * when it ends, if still firing. Windows are created from a group's row or an alert row (quiet/MaintenanceDialog.tsx).
 */
export function MaintenanceWindows({ active }: { active: boolean }) {
  const windows = useRelayQuery('listMaintenanceWindows', {}, { active });
  const { error, run } = useAction();
  const [ending, setEnding] = useState<number>();
  const open = (windows.data ?? []).filter((window) => window.state !== 'ended');

  const end = (window: WindowView) => {
    setEnding(window.id);
    return run(
      () => call('endMaintenanceWindow', { id: window.id }),
      () => {
        setEnding(undefined);
        reload('listMaintenanceWindows');
      },
      `Could not end “${window.name}”: `,
    );
  };

  return (
    <section className="target-forwarding" aria-labelledby="maintenance-windows-title" data-testid="maintenance-windows">
      <h3 id="maintenance-windows-title" className="target-forwarding-title">
        Maintenance windows
      </h3>
      {windows.error && (
        <p className="text-bad small" role="alert">
          {windows.error.message}
        </p>
      )}
      {open.length === 0 ? (
        <p className="muted small">None open. New alerts in a window are held, not sent; what still fires when it ends is sent then.</p>
      ) : (
        <ul className="target-forwarding-list">
          {open.map((window) => (
            <li key={window.id} data-testid={`window-${window.id}`}>
              <span className="target-forwarding-name">{window.name}</span>
              <span className="muted small">
                {scopeText(window.scope)} · {stateText(window)} · {plural(window.held, 'event')} held
                {window.problem ? ` · ${window.problem}` : ''}
                <IlertWindowState window={window} />
              </span>
              <button
                type="button"
                data-needs="operator"
                disabled={ending === window.id}
                onClick={() => void end(window)}
                data-testid={`end-window-${window.id}`}
                aria-label={`End now: maintenance window “${window.name}”`}
              >
                End now
              </button>
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p className="text-bad small" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
