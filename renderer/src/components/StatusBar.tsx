import { useEffect, useState, type ReactNode } from 'react';
import type { RelayStatusView } from '../../../shared/contract.ts';
import { onLiveState, type LiveState, type RelayApiError } from '../api/client.ts';
import { copyAndFlash } from '../clipboard.ts';
import { webhookUrl } from '../curl.ts';
import { ago, fullTime } from '../format.ts';
import { useFlash, useNow } from '../hooks.ts';
import { Icon } from './Icon.tsx';
import './StatusBar.css';

type Tone = 'ok' | 'warn' | 'bad' | 'muted';

function Item({ tone, label, children, title, testId }: { tone: Tone; label: string; children: ReactNode; title?: string | undefined; testId: string }) {
  return (
    <div className={`sb-item sb-${tone}`} title={title} data-testid={testId}>
      <span className="sb-dot" aria-hidden="true" />
      <span className="sb-label">{label}</span>
      <span className="sb-value">{children}</span>
    </div>
  );
}

export function StatusBar({
  status,
  error,
  asOf,
  onShowHealth,
  onShowFailed,
  onShowSetup,
}: {
  status: RelayStatusView | undefined;
  error: RelayApiError | undefined;
  /** When `status` was read: while the relay does not answer, it is only what was known then. */
  asOf?: number | undefined;
  onShowHealth: () => void;
  onShowFailed: () => void;
  onShowSetup: () => void;
}) {
  const now = useNow(10_000);
  const [live, setLive] = useState<LiveState>('connecting');
  const [copied, flash] = useFlash(2_500);
  useEffect(() => onLiveState(setLive), []);

  if (!status) return <div className="statusbar" data-testid="status-bar" aria-busy="true" />;
  const url = webhookUrl(status);
  const problems = status.diagnoses;
  const errors = problems.filter((diagnosis) => diagnosis.level === 'error').length;
  // While the relay does not answer, nothing here may stay green: every light goes grey, and says since when.
  const stale = error !== undefined;
  const tone = (current: Tone): Tone => (stale ? 'muted' : current);
  const known = (title: string | undefined) => (stale ? `Last known${asOf ? ` at ${fullTime(asOf)}` : ''}, before the relay stopped answering. ${title ?? ''}`.trim() : title);

  return (
    <div className="statusbar" data-testid="status-bar" role="region" aria-label="Relay status">
      {error && (
        <Item tone="bad" label="Relay" testId="status-relay" title={error.message}>
          not answering
        </Item>
      )}
      <Item tone={tone(status.receiverListening ? 'ok' : 'bad')} label="Receiver" testId="status-receiver" title={known(status.receiverUrl)}>
        {stale ? 'unknown' : status.receiverListening ? 'up' : 'down'}
      </Item>
      <div
        className="sb-item sb-url"
        data-testid="status-url"
        title={status.publicUrl ? 'The public URL Level calls' : 'No public URL known: Level needs a public HTTPS URL (a tunnel) that forwards to this receiver'}
      >
        <span className="sb-label">{status.publicUrl ? 'Public URL' : 'Local URL'}</span>
        <code className="sb-value">{url ?? 'not listening'}</code>
        {!status.publicUrl && (
          <button type="button" className="link sb-unreachable" data-testid="status-url-setup" onClick={onShowSetup}>
            Level cannot reach this: set up a public URL
          </button>
        )}
        {url && status.publicUrl && (
          <button type="button" className="icon-button" aria-label="Copy webhook URL" title="Copy webhook URL" onClick={() => copyAndFlash(url, flash, 'copied')}>
            <Icon name="copy" />
          </button>
        )}
      </div>
      <Item tone={tone(status.queueDepth > 0 ? 'warn' : 'ok')} label="Queue" testId="status-queue" title={known('ilert events waiting or being sent')}>
        {status.queueDepth}
      </Item>
      {status.failedJobs > 0 ? (
        <button
          type="button"
          className={`sb-item sb-button sb-${tone('bad')}`}
          data-testid="status-failed"
          title={known('ilert events that failed for good: show them in Deliveries, to re-run them')}
          onClick={onShowFailed}
        >
          <span className="sb-dot" aria-hidden="true" />
          <span className="sb-label">Failed</span>
          <span className="sb-value">{status.failedJobs}</span>
        </button>
      ) : (
        <Item tone={tone('ok')} label="Failed" testId="status-failed" title={known('No ilert event has failed for good')}>
          0
        </Item>
      )}
      <Item tone="muted" label="Last delivery" testId="status-last-delivery" title={status.lastDeliveryAt ? fullTime(status.lastDeliveryAt) : 'Nothing received from Level yet'}>
        {ago(status.lastDeliveryAt, now)}
      </Item>
      <Item
        tone={tone(status.ilert.tone)}
        label="ilert"
        testId="status-ilert"
        title={known(
          `${status.ilert.target ? `Target “${status.ilert.target}”: ` : ''}${status.lastAttemptAt ? `last attempt ${fullTime(status.lastAttemptAt)}` : 'nothing sent to ilert yet'}`,
        )}
      >
        {status.ilert.text}
      </Item>
      <button
        type="button"
        className={`sb-item sb-button sb-${tone(errors ? 'bad' : problems.length ? 'warn' : 'ok')}`}
        data-testid="status-problems"
        title={known(problems.length ? problems.map((diagnosis) => diagnosis.title).join('\n') : 'All health checks pass')}
        onClick={onShowHealth}
      >
        <span className="sb-dot" aria-hidden="true" />
        <span className="sb-value">
          {stale && 'Last known: '}
          {problems.length === 0 ? (stale ? 'no problems' : 'No problems') : problems.length === 1 ? '1 problem' : `${problems.length} problems`}
        </span>
      </button>
      {/* Outside the status bar's aria-live=off, so "copied" is announced, and only that. */}
      <span className="sb-flash" role="status" aria-live="polite" data-testid="copy-flash">
        {copied}
      </span>
      <div
        className={`sb-item sb-live sb-${live === 'live' ? 'ok' : live === 'offline' ? 'bad' : 'muted'}`}
        data-testid="status-live"
        title="Whether changes are pushed to this page as they happen"
      >
        <span className="sb-dot" aria-hidden="true" />
        <span className="sb-value">{live === 'live' ? 'live' : live === 'offline' ? 'reconnecting…' : 'connecting…'}</span>
      </div>
    </div>
  );
}
