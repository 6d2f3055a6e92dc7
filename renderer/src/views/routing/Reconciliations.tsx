import type { Reconciliation } from '../../../../shared/contract.ts';
import { Badge } from '../../components/Badge.tsx';
import { fullTime, latency, plural, shortTime, type Tone } from '../../format.ts';
import { ErrorBanner, TableHead } from '../../components/controls.tsx';

const TRIGGERS: Record<Reconciliation['trigger'], string> = {
  manual: 'manual',
  schedule: 'scheduled',
  start: 'at start',
  wake: 'after sleep',
};

const OUTCOME_TONES: Record<Reconciliation['outcome'], Tone> = { running: 'busy', ok: 'ok', failed: 'bad' };
const CHANGE_TONES: Record<Reconciliation['changes'][number]['action'], Tone> = { backfilled: 'info', resolved: 'ok', skipped: 'warn' };

interface ReconciliationsProps {
  runs: Reconciliation[] | undefined;
  error: string | undefined;
  busy: boolean;
  result: { tone: Tone; text: string } | undefined;
  onBackfill: () => void;
}

/** "Backfill alerts now" and the recent reconciliation runs: what Level's API had that no webhook brought. */
export function Reconciliations({ runs, error, busy, result, onBackfill }: ReconciliationsProps) {
  const running = runs?.find((run) => run.outcome === 'running');
  return (
    <section className="recon" aria-labelledby="recon-heading" data-testid="reconciliation">
      <h2 id="recon-heading" className="section-title">
        Reconciliation
      </h2>
      <div className="recon-bar">
        <button type="button" onClick={onBackfill} disabled={busy || running !== undefined} data-testid="backfill-alerts" data-needs="operator">
          {busy || running ? 'Backfilling…' : 'Backfill alerts now'}
        </button>
        {(busy || running) && (
          <span className="recon-progress" role="status" data-testid="backfill-progress">
            <span className="rt-spinner" aria-hidden="true" />
            Reading Level’s active alerts{running ? `: ${plural(running.checked, 'alert')} checked so far` : '…'}
          </span>
        )}
        {!busy && !running && result && (
          <span className={`text-${result.tone === 'bad' ? 'bad' : 'ok'}`} role="status" data-testid="backfill-result">
            {result.text}
          </span>
        )}
        <p className="help">
          Fetches Level’s active alerts and sends ilert whatever no webhook brought (a missed delivery, the relay offline), and resolves alerts Level no longer has open. The relay
          also does this on its own at start, after the computer wakes, and periodically.
        </p>
      </div>
      <ErrorBanner error={error} prefix="Could not load the reconciliation runs: " />
      {runs && runs.length === 0 && <p className="muted small">No reconciliation has run yet.</p>}
      {runs && runs.length > 0 && (
        <table className="table recon-table" data-testid="reconciliation-runs">
          <colgroup>
            <col className="rc-time" />
            <col className="rc-trigger" />
            <col className="rc-outcome" />
            <col className="rc-checked" />
            <col />
          </colgroup>
          <TableHead columns={['Started', 'Trigger', 'Outcome', 'Checked', 'Changes']} />
          <tbody>
            {runs.map((run) => (
              <tr key={run.id} data-testid="reconciliation-run" data-run-id={run.id} data-outcome={run.outcome} data-trigger={run.trigger}>
                <td className="nowrap" title={fullTime(run.startedAt)}>
                  {shortTime(run.startedAt)}
                  {run.finishedAt !== undefined && <span className="muted small"> · {latency(run.finishedAt - run.startedAt)}</span>}
                </td>
                <td>{TRIGGERS[run.trigger]}</td>
                <td>
                  <Badge tone={OUTCOME_TONES[run.outcome]} title={run.error} testId="reconciliation-outcome">
                    {run.outcome}
                  </Badge>
                  {run.error && <div className="text-bad small">{run.error}</div>}
                </td>
                <td className="nowrap">{plural(run.checked, 'alert')}</td>
                <td>
                  {run.changes.length === 0 ? (
                    <span className="muted">{run.outcome === 'running' ? '…' : 'nothing missing: ilert already had everything'}</span>
                  ) : (
                    <ul className="recon-changes">
                      {run.changes.map((change) => (
                        <li key={`${change.action}-${change.levelAlertId}`} data-testid="reconciliation-change" data-action={change.action}>
                          <Badge tone={CHANGE_TONES[change.action]}>{change.action}</Badge> {change.name ?? <span className="mono">{change.levelAlertId}</span>}
                          {change.deliveryId !== undefined && <span className="muted small"> · delivery #{change.deliveryId}</span>}
                          {change.reason && <span className="muted small"> · {change.reason}</span>}
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
