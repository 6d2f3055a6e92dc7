import { useState } from 'react';
import type { RoutingView, WindowView } from '../../../../shared/contract.ts';
import { call } from '../../api/client.ts';
import { reload, useRelayQuery } from '../../api/queries.ts';
import { clock, plural, shortTime } from '../../format.ts';
import { useAction } from '../../hooks.ts';
import { Badge } from '../../components/Badge.tsx';
import { MaintenanceButton, type ScopeChoice } from '../quiet/MaintenanceDialog.tsx';
import { scheduleWords, scopeWords } from '../quiet/window-words.ts';
import { IlertWindowState } from '../quiet/IlertWindowOption.tsx';

function stateText(window: WindowView): string {
  if (window.state === 'active') return `active until ${clock(window.activeUntil!)}`;
  if (window.state === 'ended') return window.endedAt === undefined ? 'ended' : `ended ${shortTime(window.endedAt)}${window.endedBy ? ` by ${window.endedBy}` : ''}`;
  return window.nextStart === undefined ? 'scheduled' : `scheduled, next from ${shortTime(window.nextStart)}`;
}

const STATE_TONE = { active: 'warn', scheduled: 'info', ended: 'muted' } as const;

/** "New window…" offers every scope: everything, a Level group, a device, an ilert target. */
function scopeChoices(groups: RoutingView['rows'], targets: RoutingView['targets']): ScopeChoice[] {
  return [
    { label: 'everything', scope: { all: true } },
    ...(groups.length ? [{ label: 'a Level group', pick: groups.map((group) => ({ label: group.path, scope: { group: group.groupId } })) }] : []),
    { label: 'a device', device: true },
    { label: 'an ilert target', pick: targets.map((target) => ({ label: target.name, scope: { target: target.name } })) },
  ];
}

/**
 * The maintenance windows (open ones and the last ended), each with what it covers, when, who made
 * it and its state, and "End now": what a window holds is sent at once when it ends, if still firing.
 * "New window…" makes any kind; a group's row and an alert row open the same form for their scope.
 */
export function MaintenanceWindows({
  active,
  groups,
  targets,
  openNew = false,
  onNewClosed,
}: {
  active: boolean;
  groups: RoutingView['rows'];
  targets: RoutingView['targets'];
  /** The address asks for the form (`#/routing?window=new`, the tray's "Maintenance…"). */
  openNew?: boolean;
  onNewClosed?: () => void;
}) {
  const windows = useRelayQuery('listMaintenanceWindows', {}, { active });
  const { error, run } = useAction();
  const [ending, setEnding] = useState<number>();
  const list = windows.data ?? [];
  const groupPath = (groupId: string) => groups.find((group) => group.groupId === groupId)?.path;

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
      <div className="maintenance-windows-head">
        <h3 id="maintenance-windows-title" className="target-forwarding-title">
          Maintenance windows
        </h3>
        <MaintenanceButton
          scopes={scopeChoices(groups, targets)}
          label="New window…"
          what="any scope"
          testId="maintenance-new"
          openNow={openNew}
          {...(onNewClosed ? { onClosed: onNewClosed } : {})}
        />
      </div>
      {windows.error && (
        <p className="text-bad small" role="alert">
          {windows.error.message}
        </p>
      )}
      {list.length === 0 ? (
        <p className="muted small">None yet. New alerts in a window are held, not sent; what still fires when it ends is sent then.</p>
      ) : (
        <ul className="target-forwarding-list">
          {list.map((window) => (
            <li key={window.id} data-testid={`window-${window.id}`} data-state={window.state}>
              <span className="target-forwarding-name">{window.name}</span>
              <span className="small">
                <Badge tone={STATE_TONE[window.state]} testId={`window-state-${window.id}`}>
                  {window.state}
                </Badge>{' '}
                <span data-testid={`window-schedule-${window.id}`}>{scheduleWords(window)}</span>
                <span className="maintenance-window-facts muted">
                  {scopeWords(window.scope, groupPath)} · {stateText(window)} · {plural(window.held, 'event')} held
                  {window.reason ? ` · ${window.reason}` : ''} · made by {window.createdBy} {shortTime(window.createdAt)}
                  {window.problem ? ` · ${window.problem}` : ''}
                  <IlertWindowState window={window} />
                </span>
              </span>
              {window.state !== 'ended' && (
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
              )}
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
