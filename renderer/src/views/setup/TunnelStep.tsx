import { useEffect, useRef, useState } from 'react';
import type { Reachability, TunnelStateView } from '../../../../shared/contract.ts';
import { call } from '../../api/client.ts';
import { Badge } from '../../components/Badge.tsx';
import { ago, fullTime, latency } from '../../format.ts';
import { useAction, useNow } from '../../hooks.ts';
import { ActionButton, CopyValue, fieldErrors, LockedNote, Problem, Section, Success, type StepProps } from './common.tsx';
import { Field } from '../../components/Field.tsx';

const CLOUDFLARED_DOWNLOAD_URL = 'https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/downloads/';

const TUNNEL_TONES: Record<TunnelStateView['status'], 'ok' | 'warn' | 'bad' | 'busy' | 'muted'> = {
  running: 'ok',
  starting: 'busy',
  restarting: 'warn',
  stopped: 'muted',
  'not-installed': 'bad',
  failed: 'bad',
};

function TunnelState({ tunnel }: { tunnel: TunnelStateView }) {
  const now = useNow(10_000);
  return (
    <div className="tunnel-state" data-testid="tunnel-state" data-status={tunnel.status}>
      <dl className="facts setup-facts">
        <dt>Tunnel</dt>
        <dd>
          <Badge tone={TUNNEL_TONES[tunnel.status]} testId="tunnel-status">
            {tunnel.status === 'starting' || tunnel.status === 'restarting' ? `${tunnel.status}…` : tunnel.status}
          </Badge>{' '}
          <span className="muted">{tunnel.kind === 'quick' ? 'quick tunnel' : 'named tunnel'}</span>
        </dd>
        <dt>Public URL</dt>
        <dd data-testid="tunnel-url">
          {tunnel.publicUrl ? <code>{tunnel.publicUrl}</code> : <span className="muted">{tunnel.status === 'running' ? 'not known' : 'none yet'}</span>}
        </dd>
        <dt>Restarts</dt>
        <dd data-testid="tunnel-restarts">{tunnel.restarts}</dd>
        {tunnel.urlChangedAt !== undefined && (
          <>
            <dt>URL changed</dt>
            <dd title={fullTime(tunnel.urlChangedAt)}>{ago(tunnel.urlChangedAt, now)}</dd>
          </>
        )}
        {tunnel.lastError && (
          <>
            <dt>Last error</dt>
            <dd className="text-bad" data-testid="tunnel-error">
              {tunnel.lastError}
            </dd>
          </>
        )}
      </dl>
      {tunnel.warning && (
        <p className="banner banner-warn" role="alert" data-testid="tunnel-warning">
          {tunnel.warning}
        </p>
      )}
    </div>
  );
}

function ReachabilityResult({ result }: { result: Reachability }) {
  const body = (
    <>
      <b>{result.ok ? 'Reachable: ' : 'Not reachable: '}</b>
      <span data-testid="reachability-message">{result.message}</span>
      {result.ok && result.latencyMs !== undefined && !/\d\s*m?s\b/.test(result.message) && <span> ({latency(result.latencyMs)})</span>}
      <div className="muted small">
        Checked <code>{result.checkedUrl}</code> at {fullTime(result.checkedAt)}
      </div>
      {result.notes.length > 0 && (
        <ul className="setup-notes" data-testid="reachability-notes">
          {[...new Set(result.notes)].map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      )}
    </>
  );
  if (!result.ok) return <Problem testId="reachability-failed">{body}</Problem>;
  // Reached, but with something to fix (an http:// URL Level will refuse): not a green box.
  if (result.notes.length > 0) {
    return (
      <div className="banner banner-warn setup-result" role="status" data-testid="reachability-ok" data-warning="true">
        {body}
      </div>
    );
  }
  return <Success testId="reachability-ok">{body}</Success>;
}

export function TunnelStep({ setup, settings, reload, onSettings, onNext }: StepProps) {
  const tunnel = setup.tunnel;
  const [url, setUrl] = useState(setup.publicUrl ?? '');
  const [tunnelAction, setTunnelAction] = useState<'quick' | 'named' | 'stop'>();
  const { busy: tunnelRunning, error: tunnelError, setError: setTunnelError, run: runTunnel } = useAction();
  const tunnelBusy = tunnelRunning ? tunnelAction : undefined;
  const [token, setToken] = useState('');
  const [namedUrl, setNamedUrl] = useState('');
  const { busy: checking, error: checkError, run: runCheck } = useAction();
  const [ownCheck, setResult] = useState<Reachability | undefined>(setup.lastReachability);
  // The newer of this page's own check and the relay's last one (a check made elsewhere).
  const result = ownCheck && !(setup.lastReachability && setup.lastReachability.checkedAt > ownCheck.checkedAt) ? ownCheck : (setup.lastReachability ?? ownCheck);
  const lastTunnelUrl = useRef<string | undefined>(undefined);

  // A tunnel's URL goes into the field as soon as cloudflared reports it, unless the user typed another.
  useEffect(() => {
    const next = tunnel?.status === 'running' ? tunnel.publicUrl : undefined;
    if (next && next !== lastTunnelUrl.current) {
      setUrl((typed) => (typed.trim() === '' || typed === lastTunnelUrl.current || typed === setup.publicUrl ? next : typed));
      lastTunnelUrl.current = next;
    }
  }, [tunnel?.status, tunnel?.publicUrl, setup.publicUrl]);

  // A URL that passed the check is saved (normalised) by the relay: show it as saved.
  const savedUrl = useRef(setup.publicUrl);
  useEffect(() => {
    if (setup.publicUrl && setup.publicUrl !== savedUrl.current) setUrl(setup.publicUrl);
    savedUrl.current = setup.publicUrl;
  }, [setup.publicUrl]);

  const startTunnel = (kind: 'quick' | 'named') => {
    setTunnelAction(kind);
    return runTunnel(async () => {
      if (kind === 'named') {
        const patch = { tunnel: 'named', ...(token.trim() ? { cloudflaredToken: token.trim() } : {}), ...(namedUrl.trim() ? { publicUrl: namedUrl.trim() } : {}) };
        const saved = await call('updateSettings', patch);
        if (!saved.ok) return setTunnelError(`Nothing was saved: ${fieldErrors(saved.errors)}`);
        onSettings(saved.settings);
        if (namedUrl.trim()) setUrl(namedUrl.trim());
        setToken('');
      }
      const state = await call('startTunnel', { kind });
      if (state.status === 'failed' || state.status === 'not-installed')
        setTunnelError(state.lastError ?? `the tunnel ${state.status === 'failed' ? 'failed' : 'could not start: cloudflared is not installed'}`);
    }, reload);
  };

  const stopTunnel = () => {
    setTunnelAction('stop');
    return runTunnel(() => call('stopTunnel', {}), reload);
  };

  const checkReachability = () => runCheck(async () => setResult(await call('checkReachability', url.trim() ? { url: url.trim() } : {})), reload);

  const running = tunnel !== undefined && (tunnel.status === 'running' || tunnel.status === 'starting' || tunnel.status === 'restarting');
  const reachable = result?.ok === true;
  const urlLocked = settings.lockedByEnvironment.includes('publicUrl');
  /** What a tunnel or proxy forwards to: the receiver's origin, not its webhook path. */
  const localOrigin = setup.localReceiverUrl && URL.canParse(setup.localReceiverUrl) ? new URL(setup.localReceiverUrl).origin : undefined;

  return (
    <div className="setup-step" data-testid="setup-receiver">
      <p className="setup-lead">
        Level delivers webhooks only to a <b>public HTTPS URL</b>. The relay’s receiver listens on this machine
        {setup.localReceiverUrl ? (
          <>
            {' '}
            at <code data-testid="local-receiver-url">{localOrigin ?? setup.localReceiverUrl}</code>
          </>
        ) : (
          <span className="text-bad"> — but it is not listening right now (see Health)</span>
        )}
        ; a tunnel or reverse proxy makes it reachable from the internet. Only the webhook paths and a bare health check are exposed through it, never this dashboard.
      </p>

      <Section title="Option A: a Cloudflare tunnel started by the relay" testId="tunnel-section">
        {setup.cloudflaredVersion ? (
          <>
            <p>
              <span className="muted">Found</span> <code data-testid="cloudflared-version">{setup.cloudflaredVersion}</code>. A <b>quick tunnel</b> needs no Cloudflare account and
              starts in a few seconds; the relay restarts it if it dies.
            </p>
            <p className="banner banner-warn">
              A quick tunnel gets a <b>new URL every time it restarts</b> (and after the relay restarts), and Level must then be given the new URL. For lasting use, take a named
              tunnel (below) or another fixed URL.
            </p>
            <div className="setup-actions">
              {running ? (
                <ActionButton testId="tunnel-stop" onClick={() => void stopTunnel()} busy={tunnelBusy === 'stop'} busyLabel="Stopping…">
                  Stop the tunnel
                </ActionButton>
              ) : (
                <ActionButton
                  testId="tunnel-start-quick"
                  primary
                  onClick={() => void startTunnel('quick')}
                  busy={tunnelBusy === 'quick'}
                  busyLabel="Starting cloudflared…"
                  disabledReason={tunnelBusy ? 'Another tunnel action is running' : undefined}
                >
                  Start a Cloudflare quick tunnel
                </ActionButton>
              )}
            </div>
            <details className="setup-details" data-testid="named-tunnel">
              <summary>A named tunnel, which keeps its URL</summary>
              <p>
                In Cloudflare Zero Trust: <b>Networks → Tunnels → Create a tunnel</b> (type cloudflared), add a <b>public hostname</b> that points to{' '}
                <code>{localOrigin ?? 'http://127.0.0.1:<receiver port>'}</code>, and copy the tunnel’s token (the long string after <code>--token</code> in the install command).
              </p>
              <Field
                layout="column"
                label={
                  <>
                    Tunnel token <span className="muted">{settings.secrets.cloudflaredToken.set ? `(saved: ${settings.secrets.cloudflaredToken.hint ?? '••••'})` : ''}</span>
                  </>
                }
              >
                {(control) => (
                  <>
                    <input
                      {...control}
                      type="password"
                      data-testid="named-token"
                      value={token}
                      autoComplete="new-password"
                      spellCheck={false}
                      onChange={(event) => setToken(event.target.value)}
                    />
                    <LockedNote settings={settings} name="cloudflaredToken" />
                  </>
                )}
              </Field>
              <Field layout="column" label="Public hostname URL">
                {(control) => (
                  <input
                    {...control}
                    type="url"
                    data-testid="named-url"
                    value={namedUrl}
                    placeholder={settings.values.publicUrl ?? 'https://relay.example.com'}
                    autoComplete="off"
                    spellCheck={false}
                    onChange={(event) => setNamedUrl(event.target.value)}
                  />
                )}
              </Field>
              <ActionButton
                testId="named-start"
                onClick={() => void startTunnel('named')}
                busy={tunnelBusy === 'named'}
                busyLabel="Starting cloudflared…"
                disabledReason={
                  tunnelBusy && tunnelBusy !== 'named'
                    ? 'Another tunnel action is running'
                    : !token.trim() && !settings.secrets.cloudflaredToken.set
                      ? 'Paste the tunnel token first'
                      : !namedUrl.trim() && !settings.values.publicUrl
                        ? 'Enter the public hostname URL first'
                        : undefined
                }
              >
                Save and start the named tunnel
              </ActionButton>
            </details>
          </>
        ) : (
          <div data-testid="cloudflared-missing">
            <p>
              <b>cloudflared is not installed</b> (or not on the PATH the relay sees). To let the relay run a Cloudflare tunnel, install it and restart the relay:
            </p>
            <ul className="setup-list">
              <li>
                macOS: <code>brew install cloudflared</code>
              </li>
              <li>
                Windows: <code>winget install --id Cloudflare.cloudflared</code>
              </li>
              <li>
                Debian/Ubuntu: Cloudflare’s package repository, then <code>sudo apt-get install cloudflared</code>
              </li>
              <li>
                Other systems:{' '}
                <a href={CLOUDFLARED_DOWNLOAD_URL} target="_blank" rel="noreferrer">
                  Cloudflare’s downloads page
                </a>
              </li>
            </ul>
            <p className="muted small">If cloudflared is installed somewhere else, set its path in the settings file (cloudflaredPath). Or use option B.</p>
          </div>
        )}
        {tunnel && tunnel.status !== 'stopped' && <TunnelState tunnel={tunnel} />}
        {tunnelError && <Problem testId="tunnel-action-error">{tunnelError}</Problem>}
      </Section>

      <Section title="Option B: another tunnel or reverse proxy" testId="url-section">
        <p>
          ngrok, Tailscale Funnel, a reverse proxy on your server… Point it at <code>{localOrigin ?? 'the receiver'}</code> and paste its public HTTPS URL here (the address only;
          the relay adds <code>/webhooks/level</code>).
        </p>
      </Section>

      <Section title="Check that Level can reach the relay" testId="reachability-section">
        <Field layout="column" label="Public URL" hint="The relay calls its own health check through this URL, from the outside in, and saves the URL when it answers.">
          {(control) => (
            <>
              <div className="setup-inline">
                <input
                  {...control}
                  type="url"
                  data-testid="public-url"
                  value={url}
                  placeholder="https://…"
                  spellCheck={false}
                  autoComplete="off"
                  readOnly={urlLocked}
                  onChange={(event) => setUrl(event.target.value)}
                />
                <ActionButton
                  testId="reachability-check"
                  primary={!reachable}
                  onClick={() => void checkReachability()}
                  busy={checking}
                  busyLabel="Checking…"
                  disabledReason={url.trim() === '' && !setup.publicUrl ? 'Start a tunnel or paste a URL first' : undefined}
                >
                  Check reachability
                </ActionButton>
              </div>
              <LockedNote settings={settings} name="publicUrl" />
            </>
          )}
        </Field>
        {checkError && <Problem testId="reachability-error">The check could not run: {checkError}</Problem>}
        {result && !checkError && <ReachabilityResult result={result} />}
        {setup.webhookUrl && (
          <div className="setup-field">
            <span className="label">Webhook URL for Level</span>
            <CopyValue value={setup.webhookUrl} testId="receiver-webhook-url" label="webhook URL" />
          </div>
        )}
      </Section>

      <div className="setup-actions setup-step-actions">
        <ActionButton
          testId="receiver-continue"
          primary={reachable}
          onClick={onNext}
          disabledReason={
            reachable || (settings.values.publicUrl && result === undefined) ? undefined : 'Check reachability first: Level cannot deliver to a URL that does not reach the relay'
          }
        >
          Continue
        </ActionButton>
      </div>
    </div>
  );
}
