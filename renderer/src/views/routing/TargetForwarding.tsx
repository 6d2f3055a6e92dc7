import { useState } from 'react';
import type { RoutingView } from '../../../../shared/contract.ts';
import { call } from '../../api/client.ts';
import { clock, fullTime } from '../../format.ts';

/**
 * Pause and resume per ilert target, for ilert maintenance: a paused target's events wait in the
 * outbox, in order, and go when it is resumed, even after a restart.
 */
export function TargetForwarding({ targets, onChanged }: { targets: RoutingView['targets']; onChanged: () => void }) {
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();

  const toggle = async (target: RoutingView['targets'][number]) => {
    setBusy(target.name);
    setError(undefined);
    try {
      if (target.pausedAt === undefined) await call('pauseTarget', { target: target.name });
      else await call('resumeTarget', { target: target.name });
    } catch (failure) {
      setError(`Could not ${target.pausedAt === undefined ? 'pause' : 'resume'} “${target.name}”: ${(failure as Error).message}`);
    } finally {
      setBusy(undefined);
      onChanged();
    }
  };

  return (
    <section className="target-forwarding" aria-labelledby="target-forwarding-title" data-testid="target-forwarding">
      <h3 id="target-forwarding-title" className="target-forwarding-title">
        Forwarding per ilert target
      </h3>
      <ul className="target-forwarding-list">
        {targets.map((target) => (
          <li key={target.name} data-testid={`target-${target.name}`} data-paused={target.pausedAt !== undefined}>
            <span className="target-forwarding-name">{target.name}</span>
            {target.pausedAt === undefined ? (
              <span className="muted small">forwarding</span>
            ) : (
              <span className="text-warn small" title={fullTime(target.pausedAt)}>
                paused since {clock(target.pausedAt)}: events wait in the queue
              </span>
            )}
            <button
              type="button"
              data-needs="operator"
              disabled={busy === target.name}
              onClick={() => void toggle(target)}
              data-testid={`${target.pausedAt === undefined ? 'pause' : 'resume'}-target-${target.name}`}
              aria-label={`${target.pausedAt === undefined ? 'Pause' : 'Resume'} forwarding to ${target.name}`}
            >
              {target.pausedAt === undefined ? 'Pause' : 'Resume'}
            </button>
          </li>
        ))}
      </ul>
      {error && (
        <p className="text-bad small" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
