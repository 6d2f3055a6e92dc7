import { useEffect, useState, type ReactNode } from 'react';
import type { RelayStatusView } from '../../../shared/contract.ts';
import { onLiveState, type LiveState, type RelayApiError } from '../api/client.ts';
import { copyText } from '../clipboard.ts';
import { webhookUrl } from '../curl.ts';
import { ago, fullTime } from '../format.ts';
import { useFlash, useNow } from '../hooks.ts';
import { Icon } from './Icon.tsx';

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

export function StatusBar({ status, error, onShowSettings }: { status: RelayStatusView | undefined; error: RelayApiError | undefined; onShowSettings: () => void }) {
  const now = useNow(10_000);
  const [live, setLive] = useState<LiveState>('connecting');
  const [copied, flash] = useFlash(2_500);
  useEffect(() => onLiveState(setLive), []);

  if (!status) return <div className="statusbar" data-testid="status-bar" aria-busy="true" />;
  const url = webhookUrl(status);
  const problems = status.problems;

  return (
    <div className="statusbar" data-testid="status-bar" role="status" aria-live="off">
      {error && (
        <Item tone="bad" label="Relay" testId="status-relay" title={error.message}>
          not answering
        </Item>
      )}
      <Item tone={status.receiverListening ? 'ok' : 'bad'} label="Receiver" testId="status-receiver" title={status.receiverUrl}>
        {status.receiverListening ? 'up' : 'down'}
      </Item>
      <div className="sb-item sb-url" data-testid="status-url" title={status.publicUrl ? 'The public URL Level calls' : 'No public URL known: Level needs a public HTTPS URL (a tunnel) that forwards to this receiver'}>
        <span className="sb-label">{status.publicUrl ? 'Public URL' : 'Local URL'}</span>
        <code className="sb-value">{url ?? 'not listening'}</code>
        {url && (
          <button
            type="button"
            className="icon-button"
            aria-label="Copy webhook URL"
            title="Copy webhook URL"
            onClick={() => copyText(url).then(() => flash('copied'), (failure: Error) => flash(failure.message))}
          >
            <Icon name="copy" />
          </button>
        )}
        {copied && <span className="sb-flash">{copied}</span>}
      </div>
      <Item tone={status.queueDepth > 0 ? 'warn' : 'ok'} label="Queue" testId="status-queue" title="ilert events waiting or being sent">
        {status.queueDepth}
      </Item>
      <Item tone={status.failedJobs > 0 ? 'bad' : 'ok'} label="Failed" testId="status-failed" title="ilert events that failed for good (re-run them from Deliveries)">
        {status.failedJobs}
      </Item>
      <Item tone="muted" label="Last delivery" testId="status-last-delivery" title={status.lastDeliveryAt ? fullTime(status.lastDeliveryAt) : 'Nothing received from Level yet'}>
        {ago(status.lastDeliveryAt, now)}
      </Item>
      <Item
        tone={status.ilertReachable === undefined ? 'muted' : status.ilertReachable ? 'ok' : 'bad'}
        label="ilert"
        testId="status-ilert"
        title={status.lastAttemptAt ? `Last attempt ${fullTime(status.lastAttemptAt)}` : 'Nothing sent to ilert yet'}
      >
        {status.ilertReachable === undefined ? 'no attempts yet' : status.ilertReachable ? 'reachable' : 'unreachable'}
      </Item>
      <button
        type="button"
        className={`sb-item sb-button ${problems.length ? 'sb-warn' : 'sb-ok'}`}
        data-testid="status-problems"
        title={problems.length ? problems.join('\n') : 'Configuration looks fine'}
        onClick={onShowSettings}
      >
        <span className="sb-dot" aria-hidden="true" />
        <span className="sb-value">{problems.length === 0 ? 'No problems' : problems.length === 1 ? '1 problem' : `${problems.length} problems`}</span>
      </button>
      <div className={`sb-item sb-live sb-${live === 'live' ? 'ok' : live === 'offline' ? 'bad' : 'muted'}`} data-testid="status-live" title="Whether changes are pushed to this page as they happen">
        <span className="sb-dot" aria-hidden="true" />
        <span className="sb-value">{live === 'live' ? 'live' : live === 'offline' ? 'reconnecting…' : 'connecting…'}</span>
      </div>
    </div>
  );
}
