import { useRef, useState, type ReactNode } from 'react';
import { mayReplayWithEdits, type DeliveryDetail, type RelayStatusView } from '../../../../shared/contract.ts';
import { call, RelayApiError } from '../../api/client.ts';
import { Badge, SeverityBadge, StatusBadge } from '../../components/Badge.tsx';
import { Icon } from '../../components/Icon.tsx';
import { ReplayEditor } from './ReplayEditor.tsx';
import { copyText } from '../../clipboard.ts';
import { curlCommand, webhookUrl } from '../../curl.ts';
import { clock, fullTime, latency, plural, prettyBody, shortTime, signatureTone, signatureWords, sourceBadge, sourceWords, type Tone } from '../../format.ts';
import { reload, useRelayQuery } from '../../api/queries.ts';
import './DeliveryDetail.css';
import { ErrorBanner, TableHead } from '../../components/controls.tsx';
import { heldWords } from '../quiet/held.tsx';

type Job = DeliveryDetail['jobs'][number];
type Outcome = { tone: Tone; text: string };
/** The relay refused to re-open a resolved alert; the user may confirm ALERT followed by RESOLVE. */
type Reopen = { job: Job; message: string };

interface DetailProps {
  id: number;
  status: RelayStatusView | undefined;
  onClose: () => void;
  onSelect: (id: number) => void;
}

/** One fact about the delivery, as a term and its description. */
function Fact({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <>
      <dt>{label}</dt>
      <dd data-testid={testId}>{children}</dd>
    </>
  );
}

function JobCard({
  job,
  onRerun,
  onSendNow,
  busy,
  alertName,
}: {
  job: Job;
  onRerun: (job: Job) => void;
  onSendNow: (job: Job) => void;
  busy: boolean;
  alertName: string | undefined;
}) {
  const inFlight = job.status === 'sending';
  // Waiting for a later retry: "Send now" keeps its attempts and give-up time, where a re-run starts over.
  const waitsForRetry = job.status === 'retrying' && job.nextAttemptAt !== undefined;
  return (
    <section className="job" data-testid="job" data-job-id={job.id} aria-label={`ilert job ${job.id}`}>
      <div className="job-head">
        <span className="job-title">
          → ilert <span className="mono">{job.eventType}</span> <span className="muted">job #{job.id}</span>
        </span>
        <StatusBadge status={job.status} nextAttemptAt={job.nextAttemptAt} reason={job.reason ?? job.lastError} testId="job-status" />
        <span className="muted small">{plural(job.attempts, 'attempt')}</span>
        <span className="spacer" />
        {waitsForRetry && (
          <button
            type="button"
            onClick={() => {
              if (!busy) onSendNow(job);
            }}
            aria-disabled={busy}
            title={`Send now instead of at the next retry (${clock(job.nextAttemptAt!)}); recorded as a manual attempt`}
            aria-label={`Send ilert ${job.eventType} job ${job.id}${alertName ? ` of ${alertName}` : ''} now`}
            data-testid="send-now"
            data-needs="operator"
          >
            Send now
          </button>
        )}
        <button
          type="button"
          // aria-disabled, not disabled: the job goes in flight right after a click, and a disabled
          // button would drop the keyboard focus to <body>.
          onClick={() => {
            if (!busy && !inFlight) onRerun(job);
          }}
          aria-disabled={busy || inFlight}
          title={inFlight ? 'Being sent right now: wait for ilert to answer' : 'Send this ilert event again now (recorded as a manual attempt)'}
          aria-label={`Re-run ilert ${job.eventType} job ${job.id}${alertName ? ` of ${alertName}` : ''}`}
          data-testid="rerun-job"
          data-needs="operator"
        >
          Re-run job
        </button>
      </div>
      <p className="small job-route" data-testid="job-route">
        <span className="muted">Target:</span> <b data-testid="job-target">{job.target}</b>
        {job.target === 'default' && <span className="muted"> (the main integration key)</span>}
        {job.routeReason && (
          <>
            {' '}
            <span className="muted">·</span> <span data-testid="job-route-reason">{job.routeReason}</span>
          </>
        )}
      </p>
      {job.held ? (
        // Every kind of hold says why (a window, a paused target), until when, and how it ended.
        <p className="small" data-testid="job-held">
          <span className="muted">Held:</span> {heldWords(job.held)}
        </p>
      ) : (
        job.reason && (
          <p className="small">
            <span className="muted">Reason:</span> {job.reason}
          </p>
        )
      )}
      <p className="small muted">
        Alert key <span className="mono">{job.alertKey}</span>
      </p>
      {job.attemptLog.length === 0 ? (
        <p className="small muted">Not sent yet.</p>
      ) : (
        <table className="table attempts" data-testid="attempts">
          <colgroup>
            <col className="a-time" />
            <col className="a-code" />
            <col className="a-lat" />
            <col />
            <col className="a-manual" />
          </colgroup>
          <TableHead columns={['Time', 'Code', 'Latency', 'Error / response', 'By']} />
          <tbody>
            {job.attemptLog.map((attempt) => (
              <tr key={attempt.id} data-testid="attempt">
                <td className="nowrap" title={`${fullTime(attempt.startedAt)} · POST ${attempt.url}`}>
                  {shortTime(attempt.startedAt)}
                </td>
                <td className={`mono ${attempt.statusCode === undefined || attempt.statusCode >= 300 ? 'text-bad' : 'text-ok'}`}>{attempt.statusCode ?? '--'}</td>
                <td className="nowrap">{latency(attempt.latencyMs) || '--'}</td>
                <td className="attempt-text">
                  {attempt.error && <div className="text-bad">{attempt.error}</div>}
                  {attempt.responseBody ? (
                    // A long answer (ilert's error bodies) opens in full instead of being cut off.
                    attempt.responseBody.length > 80 ? (
                      <details className="response-full" data-testid="attempt-response">
                        <summary>
                          <code className="response">{attempt.responseBody.slice(0, 80)}…</code>
                        </summary>
                        <pre>{prettyBody(attempt.responseBody).text}</pre>
                      </details>
                    ) : (
                      <code className="response" title={attempt.responseBody} data-testid="attempt-response">
                        {attempt.responseBody}
                      </code>
                    )
                  ) : (
                    !attempt.error && <span className="muted">(empty response)</span>
                  )}
                </td>
                <td>
                  {attempt.manual ? (
                    <b title="Sent because someone asked (re-run or retry)">manual</b>
                  ) : (
                    <span className="muted" title="Sent by the relay on its own">
                      auto
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <details className="payload">
        <summary>Request body sent to ilert</summary>
        <pre>{prettyBody(job.attemptLog.at(-1)?.requestBody ?? job.payload).text}</pre>
      </details>
    </section>
  );
}

/** The event type in a body that parsed, for deliveries refused before the relay read it. */
function parsedEventType(body: string | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const parsed = JSON.parse(body) as { event_type?: unknown };
    return typeof parsed.event_type === 'string' ? parsed.event_type : undefined;
  } catch {
    return undefined;
  }
}

export function DeliveryDetailPane({ id, status, onClose, onSelect }: DetailProps) {
  const query = useRelayQuery('getDelivery', { id });
  const detail = query.data;
  const error = query.error?.message;
  const [outcome, setOutcome] = useState<Outcome>();
  const [busy, setBusy] = useState(false);
  const [curl, setCurl] = useState<string>();
  const [reopen, setReopen] = useState<Reopen>();
  const [replaying, setReplaying] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const me = useRelayQuery('whoAmI', {}).data;
  const operatorsMayReplay = useRelayQuery('getSettings', {}).data?.values.operatorsMayReplayWithEdits ?? false;

  const load = () => reload('getDelivery');

  const act = async (action: () => Promise<Outcome>) => {
    // The pressed button is disabled while busy, which drops focus to <body>: give it back after.
    const pressed = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
    setBusy(true);
    setReopen(undefined);
    try {
      setOutcome(await action());
    } catch (failure) {
      setOutcome({ tone: 'bad', text: (failure as Error).message });
    } finally {
      setBusy(false);
      load();
      requestAnimationFrame(() => {
        if (document.activeElement && document.activeElement !== document.body) return;
        if (pressed?.isConnected && !(pressed as HTMLButtonElement).disabled) pressed.focus();
        else heading.current?.focus();
      });
    }
  };

  const answered = (what: string, result: { statusCode: number; body: Record<string, unknown> }): Outcome => {
    const ok = result.statusCode >= 200 && result.statusCode < 300;
    const how = result.body.duplicate ? 'duplicate: already received, ilert is not sent it twice' : result.body.accepted ? 'accepted' : String(result.body.error ?? 'refused');
    return { tone: ok ? (result.body.duplicate ? 'muted' : 'ok') : 'bad', text: `${what} answered ${result.statusCode} (${how}). It is the newest row in the list.` };
  };
  const rerunDelivery = () => act(async () => answered('Re-run', await call('rerunDelivery', { id })));
  const replay = (body: string) =>
    act(async () => {
      const result = await call('replayDelivery', { id, body });
      setReplaying(false);
      return answered('Replay', result);
    });

  const sendNow = (job: Job) =>
    act(async () => {
      await call('sendJobNow', { id: job.id });
      return { tone: 'ok', text: `ilert job #${job.id} is being sent now.` };
    });

  const rerunJob = (job: Job, thenResolve = false) =>
    act(async () => {
      try {
        const result = await call('rerunJob', { id: job.id, thenResolve });
        return {
          tone: 'ok',
          text:
            result.resolveJobId !== undefined
              ? `ilert job #${job.id} (ALERT) queued to send again, followed by its RESOLVE (job #${result.resolveJobId}).`
              : `ilert job #${job.id} queued to send again.`,
        };
      } catch (failure) {
        // 409: the alert is over. Ask, instead of re-opening it in ilert behind the user's back.
        if (failure instanceof RelayApiError && failure.status === 409 && /thenResolve/.test(failure.message)) {
          setReopen({ job, message: failure.message.replace(/ \(thenResolve: true\)$/, '') });
          return { tone: 'warn', text: 'Not sent: this alert is resolved. Confirm below, or leave it.' };
        }
        throw failure;
      }
    });

  const url = webhookUrl(status);
  const copyCurl = () => {
    if (!detail || !url) return;
    const command = curlCommand(detail, url);
    setCurl(command);
    copyText(command).then(
      () => setOutcome({ tone: 'ok', text: 'cURL command copied. Replace the signature placeholder before sending it.' }),
      (failure: Error) => setOutcome({ tone: 'warn', text: `${failure.message}; the command is shown below.` }),
    );
  };

  // An Accept pressed in the app has no Level request behind it: only its ilert job can be sent again.
  const madeByRelay = detail?.source === 'app';
  const noBody = detail && (detail.body === undefined || madeByRelay);
  // Level's event id makes a re-run of a received event a duplicate: it can change nothing. One the
  // relay refused, or could not process, gave its event id back: its re-run is applied afresh.
  const onlyDuplicate = detail !== undefined && detail.eventId !== undefined && detail.outcome !== 'rejected' && detail.outcome !== 'failed';
  const stillProcessing = detail?.outcome === 'received';
  const body = prettyBody(detail?.body);
  const trace = detail?.bodyTrace;
  const whyNoBody = madeByRelay
    ? 'made by the relay, not received from Level: use “Re-run job” below'
    : trace
      ? 'only its first bytes were kept: it failed authentication'
      : 'not stored: over the size limit';
  const whyNoReplay =
    detail?.outcome === 'rejected'
      ? `The relay refused this delivery (HTTP ${detail.statusCode}): only one it accepted can be replayed with edits`
      : noBody
        ? `The body is not there to edit (${whyNoBody})`
        : me && !mayReplayWithEdits(me.role, operatorsMayReplay)
          ? 'Replay with edits is for admins; an admin can allow it for operators under Settings → Team'
          : undefined;

  return (
    <aside className="detail" aria-label={`Delivery ${id}`} data-testid="delivery-detail" data-delivery-id={id}>
      <div className="detail-head">
        <h2 ref={heading} tabIndex={-1} data-testid="detail-heading">
          Delivery <span className="mono">#{id}</span>
        </h2>
        {detail && <StatusBadge status={detail.status} nextAttemptAt={detail.job?.nextAttemptAt} reason={detail.reason} testId="detail-status" />}
        <span className="spacer" />
        <button type="button" className="icon-button" aria-label="Close details" title="Close details" onClick={onClose} data-testid="detail-close">
          <Icon name="close" />
        </button>
      </div>
      <div className="detail-actions">
        <button
          type="button"
          onClick={() => {
            if (!busy) void rerunDelivery();
          }}
          disabled={!detail || noBody || onlyDuplicate}
          aria-disabled={busy}
          title={
            noBody
              ? `The body is not there to run again (${whyNoBody})`
              : stillProcessing
                ? 'Still being processed: a re-run would only be recorded as a duplicate. Wait for its outcome.'
                : onlyDuplicate
                  ? 'Already received: a re-run would only be recorded as a duplicate. To send to ilert again, use “Re-run job” below.'
                  : 'Run this delivery through the receiver again (signature, checks, de-duplication)'
          }
          data-testid="rerun-delivery"
          data-needs="operator"
        >
          Re-run delivery
        </button>
        <button
          type="button"
          onClick={copyCurl}
          disabled={!detail || noBody || !url}
          title={
            noBody
              ? `The body is not there to send (${whyNoBody})`
              : !url
                ? 'The receiver is not listening, so there is no URL to send to'
                : 'Copy a curl command that sends this body to the webhook URL'
          }
          data-testid="copy-curl"
        >
          Copy as cURL
        </button>
        <button
          type="button"
          onClick={() => setReplaying(true)}
          disabled={!detail || !me || whyNoReplay !== undefined || replaying}
          title={whyNoReplay ?? 'Change a copy of this body and send it through the receiver, signed with the webhook secret'}
          data-testid="replay-with-edits"
          data-needs="operator"
        >
          Replay with edits…
        </button>
      </div>
      {replaying && detail && <ReplayEditor deliveryId={id} body={body.text} busy={busy} onSend={(edited) => void replay(edited)} onCancel={() => setReplaying(false)} />}
      <p className="small muted rerun-help" data-testid="rerun-help">
        <b>Re-run delivery</b> passes Level’s request through the receiver again, as if Level had sent it (for one that was refused). <b>Re-run job</b> sends one ilert event again,
        now.
      </p>
      {outcome && (
        <p className={`banner banner-${outcome.tone}`} role="status" data-testid="action-result">
          {outcome.text}
        </p>
      )}
      {reopen && (
        <div className="banner banner-warn" role="alertdialog" aria-label="Confirm re-run of a resolved alert" data-testid="rerun-confirm">
          <p>{reopen.message}.</p>
          <div className="row-actions">
            <button type="button" className="primary" onClick={() => void rerunJob(reopen.job, true)} data-testid="rerun-confirm-resolve" autoFocus>
              Send ALERT, then RESOLVE
            </button>
            <button type="button" onClick={() => setReopen(undefined)} data-testid="rerun-confirm-cancel">
              Cancel
            </button>
          </div>
        </div>
      )}
      {curl && (
        <pre className="curl" data-testid="curl-preview">
          {curl}
        </pre>
      )}
      <ErrorBanner error={error} />
      {!detail ? (
        !error && <p className="muted">Loading…</p>
      ) : (
        <div className="detail-body">
          <dl className="facts">
            <Fact label="Received">{fullTime(detail.receivedAt)}</Fact>
            <Fact label="Source" testId="detail-source">
              {sourceBadge(detail.source) && (
                <>
                  <Badge tone={sourceBadge(detail.source)!.tone}>{sourceBadge(detail.source)!.label}</Badge>{' '}
                </>
              )}
              {sourceWords(detail.source)}
              {detail.rerunOf !== undefined && (
                <>
                  {' '}
                  of{' '}
                  <button type="button" className="link" onClick={() => onSelect(detail.rerunOf!)} data-testid="detail-original">
                    delivery #{detail.rerunOf}
                  </button>
                </>
              )}
            </Fact>
            <Fact label="Event">
              <span className="mono">{detail.eventType ?? parsedEventType(detail.body) ?? '—'}</span>
              {!detail.eventType && parsedEventType(detail.body) && <span className="muted small"> (read from the body; the delivery was refused)</span>}
              {detail.eventId && <span className="muted mono small"> {detail.eventId}</span>}
            </Fact>
            {detail.occurredAt && (
              <Fact label="Occurred" testId="detail-occurred">
                {fullTime(Date.parse(detail.occurredAt))}
                {detail.claimedOccurredAt && (
                  <>
                    {' '}
                    <Badge tone="warn">time of receipt</Badge> <span className="muted small">the event said {detail.claimedOccurredAt}, too far ahead to count</span>
                  </>
                )}
              </Fact>
            )}
            {(detail.alertName || detail.hostname) && (
              <Fact label={(detail.eventType ?? parsedEventType(detail.body) ?? '').startsWith('device_') ? 'Device' : 'Alert'}>
                {detail.severity && <SeverityBadge severity={detail.severity} />} {detail.alertName} {detail.hostname && <span className="host">{detail.hostname}</span>}
              </Fact>
            )}
            {detail.source === 'reconciled' ? (
              // Nobody sent it, so nobody was answered: it was read from Level's API.
              <Fact label="Came from">
                reconciliation (read from Level’s API, not a webhook) <StatusBadge status={detail.outcome} testId="detail-outcome" />
              </Fact>
            ) : (
              <Fact label="Answer to Level">
                <span className="mono">{detail.statusCode}</span> <StatusBadge status={detail.outcome} testId="detail-outcome" />
              </Fact>
            )}
            {detail.reason && (
              <Fact label="Reason" testId="detail-reason">
                {detail.reason}
              </Fact>
            )}
            <Fact label="Signature" testId="signature-verdict">
              <Badge tone={signatureTone(detail.signature)}>{signatureWords(detail.signature, detail.source)}</Badge>
            </Fact>
            <Fact label="Remote address">
              <span className="mono">{detail.remoteAddr ?? '—'}</span>
            </Fact>
            <Fact label="Forwarded for">
              <span className="mono">{detail.forwardedFor ?? '—'}</span>
            </Fact>
            <Fact label="Request">
              <span className="mono">POST {detail.path}</span> <span className="muted">({plural(detail.bodySize, 'byte')})</span>
            </Fact>
          </dl>

          <h3 className="detail-section">ilert</h3>
          {detail.jobs.length === 0 ? (
            <p className="muted small" data-testid="no-jobs">
              {detail.outcome === 'rejected'
                ? 'Rejected, so nothing was sent to ilert.'
                : detail.outcome === 'duplicate'
                  ? 'A duplicate of an event already received: nothing was sent again.'
                  : detail.outcome === 'received'
                    ? 'Received and stored; the relay is still working out what it causes.'
                    : detail.outcome === 'failed'
                      ? 'The relay could not process this event (the reason is above), so nothing was sent to ilert. Re-run it once the cause is fixed.'
                      : 'This event does not page anyone: nothing to send to ilert.'}
            </p>
          ) : (
            detail.jobs.map((job) => (
              <JobCard
                key={job.id}
                job={job}
                onRerun={(target) => void rerunJob(target)}
                onSendNow={(target) => void sendNow(target)}
                busy={busy}
                alertName={detail.alertName ?? detail.hostname}
              />
            ))
          )}

          <h3 className="detail-section">Request headers</h3>
          <table className="table headers" data-testid="request-headers">
            <tbody>
              {Object.entries(detail.headers).map(([name, value]) => (
                <tr key={name}>
                  <th scope="row" className="mono">
                    {name}
                  </th>
                  <td className={`mono ${value === '[redacted]' ? 'muted' : ''}`}>{value}</td>
                </tr>
              ))}
            </tbody>
          </table>

          <h3 className="detail-section">
            Body <span className="muted small">{noBody ? `(${whyNoBody})` : body.json ? '(JSON)' : '(not JSON: shown as received)'}</span>
          </h3>
          {!noBody && (
            <pre className="body" data-testid="request-body">
              {body.text || ' '}
            </pre>
          )}
          {trace && (
            <div data-testid="body-trace">
              <p className="muted small">
                {detail.bodySize.toLocaleString('en-US')} bytes, sha256 <span className="mono">{trace.sha256}</span>. Its first bytes:
              </p>
              <pre className="body">{trace.prefix || ' '}</pre>
            </div>
          )}
        </div>
      )}
    </aside>
  );
}
