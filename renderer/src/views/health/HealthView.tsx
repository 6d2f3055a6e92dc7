import { useEffect, useState, type ReactNode } from 'react';
import type { UpdateView } from '../../../../shared/bridge.ts';
import type { Diagnosis, RelayStatusView } from '../../../../shared/contract.ts';
import type { View } from '../../tabs.ts';
import { call, callDesktop, inElectron } from '../../api/client.ts';
import { Badge } from '../../components/Badge.tsx';
import { webhookUrl } from '../../curl.ts';
import { ago, clock, drainTime, fullTime, outageWords, plural, type Tone } from '../../format.ts';
import { useNow } from '../../hooks.ts';
import './HealthView.css';

/** What a link to a finding's delivery says: the one that failed, or the oldest still waiting. */
function deliveryLinkWords(diagnosis: Diagnosis & { deliveryId: number }): string {
  return diagnosis.id === 'processing-failed' ? `Open delivery #${diagnosis.deliveryId}` : `Open the oldest waiting, delivery #${diagnosis.deliveryId}`;
}

function DiagnosisCard({ diagnosis, onOpenDelivery }: { diagnosis: Diagnosis; onOpenDelivery: (id: number) => void }) {
  const { deliveryId } = diagnosis;
  return (
    <li className={`diagnosis diagnosis-${diagnosis.level}`} data-testid={`diagnosis-${diagnosis.id}`} data-level={diagnosis.level}>
      <div className="diagnosis-head">
        <Badge tone={diagnosis.level === 'error' ? 'bad' : 'warn'}>{diagnosis.level}</Badge>
        <span className="diagnosis-title">{diagnosis.title}</span>
      </div>
      <p className="diagnosis-detail">{diagnosis.detail}</p>
      {diagnosis.fix && (
        <p className="diagnosis-fix">
          <b>Fix:</b> {diagnosis.fix}
        </p>
      )}
      {deliveryId !== undefined && (
        <p className="diagnosis-link">
          <button type="button" className="link" onClick={() => onOpenDelivery(deliveryId)} data-testid="diagnosis-delivery">
            {deliveryLinkWords({ ...diagnosis, deliveryId })}
          </button>
        </p>
      )}
    </li>
  );
}

/** The desktop app's downloaded update, offered as a question: it installs only on this button (or the tray's). */
function UpdateOffer({ asOf }: { asOf: unknown }) {
  const [view, setView] = useState<UpdateView>();
  const [error, setError] = useState<string>();
  // Asked again every 10 s (the Health clock): the view stays mounted while the window is open.
  useEffect(() => {
    if (inElectron()) void callDesktop<UpdateView>('getUpdate').then(setView, () => undefined);
  }, [asOf]);
  if (!view?.offer) return null;
  return (
    <div className="banner banner-info" role="status" data-testid="health-update">
      <b>{view.offer.label}</b> {view.offer.detail}{' '}
      <button
        type="button"
        className="link"
        onClick={() => void callDesktop('restartToUpdate').catch((failure: Error) => setError(failure.message))}
        data-testid="restart-to-update"
      >
        Restart to update
      </button>
      {error && <span role="alert"> The update could not start: {error}</span>}
    </div>
  );
}

function Fact({ label, tone, children, title, testId }: { label: string; tone: Tone; children: ReactNode; title?: string | undefined; testId: string }) {
  return (
    <>
      <dt>{label}</dt>
      <dd data-testid={testId} title={title} data-tone={tone}>
        <span className={`health-dot health-${tone}`} aria-hidden="true" />
        {children}
      </dd>
    </>
  );
}

export function HealthView({
  status,
  onNavigate,
  onShowFailed,
  onOpenDelivery,
  unreachable,
}: {
  status: RelayStatusView | undefined;
  onNavigate: (view: View) => void;
  onShowFailed: () => void;
  /** Opens one delivery in Deliveries (a finding names the one it is about). */
  onOpenDelivery: (id: number) => void;
  /** Set while the relay does not answer: why, and when `status` was read. */
  unreachable?: { message: string; asOf: number } | undefined;
}) {
  const now = useNow(10_000);
  // What the relay said last is not its state now: no light stays green (or red) while it does not answer.
  const live = (tone: Tone): Tone => (unreachable ? 'muted' : tone);

  if (!status) {
    return (
      <div className="view-message" data-testid="health-view">
        <p className="muted">Loading…</p>
      </div>
    );
  }

  const errors = status.diagnoses.filter((diagnosis) => diagnosis.level === 'error');
  const warnings = status.diagnoses.filter((diagnosis) => diagnosis.level === 'warning');
  const tunnel = status.tunnel;
  const heartbeat = status.heartbeat;
  const url = webhookUrl(status);

  return (
    <div className="health-view scroll" data-testid="health-view">
      <div className="health-wrap">
        <div className="health-head">
          <h2>Health checks</h2>
          <span className="spacer" />
          {inElectron() && (
            <button
              type="button"
              onClick={() => void callDesktop('openLogs').catch((error: Error) => window.alert(`The log file could not be opened: ${error.message}`))}
              data-testid="open-logs"
            >
              Open logs
            </button>
          )}
          <button type="button" className={status.diagnoses.length > 0 ? 'primary' : undefined} onClick={() => onNavigate('setup')} data-testid="run-setup">
            Run setup
          </button>
        </div>

        <UpdateOffer asOf={now} />

        {status.pausedTargets?.map((pause) => (
          <p className="banner banner-warn" role="status" key={pause.target} data-testid={`health-paused-${pause.target}`}>
            <b>
              Forwarding to {pause.target} paused since <span title={fullTime(pause.pausedAt)}>{clock(pause.pausedAt)}</span>
            </b>{' '}
            by {pause.pausedBy}: {plural(pause.waiting, 'event')} held in the queue, sent in order on resume.{' '}
            <button
              type="button"
              className="link"
              data-needs="operator"
              onClick={() => void call('resumeTarget', { target: pause.target }).catch((error: Error) => window.alert(`Could not resume: ${error.message}`))}
              data-testid={`health-resume-${pause.target}`}
              aria-label={`Resume forwarding to ${pause.target}`}
            >
              Resume
            </button>
          </p>
        ))}

        {unreachable && (
          <p className="banner banner-bad health-summary" role="alert" data-testid="health-stale">
            <b>The relay is not answering</b> ({unreachable.message}). What follows is what it said at <span title={fullTime(unreachable.asOf)}>{clock(unreachable.asOf)}</span> and
            may no longer be true; this page retries by itself.
          </p>
        )}

        {unreachable ? null : status.diagnoses.length === 0 ? (
          <div className="banner banner-ok health-summary" data-testid="health-all-ok">
            <b>All checks pass.</b> Level’s alerts reach the relay and go on to ilert as far as the relay can tell. Run the test in Setup to prove it end to end.
          </div>
        ) : (
          <>
            <p className={`banner ${errors.length ? 'banner-bad' : 'banner-warn'} health-summary`} data-testid="health-summary">
              <b>{plural(status.diagnoses.length, 'problem')}</b>
              {errors.length > 0 && warnings.length > 0 && ` (${plural(errors.length, 'error')}, ${plural(warnings.length, 'warning')})`}
              {errors.length > 0 ? ': alerts may not reach ilert until these are fixed.' : ': alerts are forwarded, but look at these.'}
            </p>
            <ul className="diagnoses" data-testid="diagnoses">
              {[...errors, ...warnings].map((diagnosis) => (
                <DiagnosisCard key={diagnosis.id} diagnosis={diagnosis} onOpenDelivery={onOpenDelivery} />
              ))}
            </ul>
          </>
        )}

        <h3 className="section-title">{unreachable ? 'Facts, as last known' : 'Facts'}</h3>
        <dl className="facts health-facts" data-testid="health-facts">
          <Fact label="Receiver" tone={live(status.receiverListening ? 'ok' : 'bad')} testId="health-receiver">
            {status.receiverListening ? 'listening' : 'not listening'}
            {status.receiverUrl && (
              <>
                {' '}
                at <code>{status.receiverUrl}</code>
              </>
            )}
          </Fact>
          <Fact
            label="Public URL"
            tone={live(status.publicUrl ? 'ok' : 'warn')}
            testId="health-public-url"
            title={status.publicUrl ? 'The URL Level calls' : 'Level needs a public HTTPS URL'}
          >
            {status.publicUrl ? <code>{status.publicUrl}</code> : 'none: Level cannot reach this relay'}
            {url && status.publicUrl && (
              <span className="muted small">
                {' '}
                (webhook: <code>{url}</code>)
              </span>
            )}
          </Fact>
          <Fact
            label="Tunnel"
            tone={live(
              !tunnel || tunnel.status === 'stopped'
                ? 'muted'
                : tunnel.status === 'running'
                  ? 'ok'
                  : tunnel.status === 'starting' || tunnel.status === 'restarting'
                    ? 'warn'
                    : 'bad',
            )}
            testId="health-tunnel"
          >
            {!tunnel ? (
              'not managed by the relay'
            ) : (
              <>
                {tunnel.kind} tunnel {tunnel.status}
                {tunnel.publicUrl && (
                  <>
                    {' '}
                    at <code>{tunnel.publicUrl}</code>
                  </>
                )}
                {tunnel.restarts > 0 && <span className="muted">, {plural(tunnel.restarts, 'restart')}</span>}
                {tunnel.lastError && <div className="text-bad small">{tunnel.lastError}</div>}
                {tunnel.warning && <div className="text-warn small">{tunnel.warning}</div>}
              </>
            )}
          </Fact>
          <Fact
            label="ilert heartbeat"
            tone={live(!heartbeat?.configured ? 'warn' : heartbeat.lastError || heartbeat.withheld ? 'bad' : heartbeat.lastPingAt ? 'ok' : 'muted')}
            testId="health-heartbeat"
            title={heartbeat?.lastPingAt ? `Last ping ${fullTime(heartbeat.lastPingAt)}` : undefined}
          >
            {!heartbeat?.configured ? (
              'not configured: nobody is paged if the relay stops'
            ) : (
              <>
                {heartbeat.lastPingAt ? `last ping ${ago(heartbeat.lastPingAt, now)}` : 'no ping yet'}
                {heartbeat.lastStatusCode !== undefined && <span className="muted"> (HTTP {heartbeat.lastStatusCode})</span>}
                {heartbeat.withheld && <div className="text-bad small">withheld: {heartbeat.withheld}</div>}
                {heartbeat.lastError && <div className="text-bad small">{heartbeat.lastError}</div>}
              </>
            )}
          </Fact>
          <Fact label="ilert" tone={live(status.ilert.tone)} testId="health-ilert" title={status.lastAttemptAt ? `Last attempt ${fullTime(status.lastAttemptAt)}` : undefined}>
            {status.ilert.text}
            {status.lastAttemptAt && <span className="muted"> ({ago(status.lastAttemptAt, now)})</span>}
          </Fact>
          {status.outage && (status.outage.endedAt === undefined || now - status.outage.endedAt < 86_400_000) && (
            <Fact
              label="ilert outage"
              tone={live(status.outage.endedAt === undefined ? 'warn' : status.outage.failed > 0 ? 'bad' : 'ok')}
              testId="health-outage"
              title={`Since ${fullTime(status.outage.since)}${status.outage.endedAt ? `, over ${fullTime(status.outage.endedAt)}` : ''}`}
            >
              {status.outage.endedAt === undefined ? `since ${clock(status.outage.since)}` : `${clock(status.outage.since)}–${clock(status.outage.endedAt)}`}:{' '}
              {outageWords(status.outage)}
            </Fact>
          )}
          <Fact label="Queue" tone={live(status.queueDepth > 0 ? 'warn' : 'ok')} testId="health-queue">
            {status.queueDepth === 0 ? 'empty' : `${plural(status.queueDepth, 'ilert event')} waiting`}
            {status.backlog?.map((row) => (
              <div className="small" key={row.target} data-testid={`health-backlog-${row.target}`}>
                {row.target}: {row.waiting.toLocaleString('en-US')} to send, about {drainTime(row.drainMs)} to drain at {row.perMinute} a minute
                {row.rateLimited && <span className="text-warn"> (waiting for ilert’s rate limit, critical first)</span>}
                {/* During ilert maintenance the queue grows here first, so pausing is offered where it is seen. */}
                {!status.pausedTargets?.some((pause) => pause.target === row.target) && (
                  <>
                    {' '}
                    <button
                      type="button"
                      className="link"
                      data-needs="operator"
                      onClick={() => void call('pauseTarget', { target: row.target }).catch((error: Error) => window.alert(`Could not pause: ${error.message}`))}
                      data-testid={`health-pause-${row.target}`}
                      aria-label={`Pause forwarding to ${row.target}`}
                    >
                      Pause forwarding
                    </button>
                  </>
                )}
              </div>
            ))}
          </Fact>
          <Fact label="Failed" tone={live(status.failedJobs > 0 ? 'bad' : 'ok')} testId="health-failed">
            {status.failedJobs === 0 ? (
              'none'
            ) : (
              <>
                {plural(status.failedJobs, 'ilert event')} failed for good{' '}
                <button type="button" className="link" onClick={onShowFailed} data-testid="health-show-failed">
                  show them in Deliveries
                </button>
              </>
            )}
          </Fact>
          <Fact label="Last delivery" tone="muted" testId="health-last-delivery" title={status.lastDeliveryAt ? fullTime(status.lastDeliveryAt) : undefined}>
            {status.lastDeliveryAt ? `from Level ${ago(status.lastDeliveryAt, now)}` : 'nothing received from Level yet'}
          </Fact>
        </dl>
      </div>
    </div>
  );
}
