import { useEffect, useState, type FormEvent } from 'react';
import type { ConnectionView } from '../../../../shared/bridge.ts';
import { SEVERITY_LEVELS } from '../../../../shared/contract.ts';
import { callDesktop, inElectron } from '../../api/client.ts';
import { useAction } from '../../hooks.ts';
import { clock } from '../../format.ts';
import './ConnectionPanel.css';
import { ErrorBanner, options } from '../../components/controls.tsx';

type Severity = (typeof SEVERITY_LEVELS)[number];

/** Everything in the window belongs to the relay it came from: start over against the new one. */
const reloadAgainstNewRelay = () => window.location.reload();

function ConnectForm() {
  const [url, setUrl] = useState('');
  const [code, setCode] = useState('');
  const [probe, setProbe] = useState<{ origin: string; fingerprint256: string }>();
  const { busy, error, run } = useAction();
  const check = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => setProbe(await callDesktop<{ origin: string; fingerprint256: string }>('probeTeamRelay', { url })));
  };
  const connect = () =>
    run(async () => {
      await callDesktop('connectTeamRelay', { url, code, fingerprint256: probe!.fingerprint256 });
      reloadAgainstNewRelay();
    });

  return (
    <form className="team-invite" onSubmit={check} data-testid="connect-form">
      <label>
        Team relay URL{' '}
        <input
          value={url}
          onChange={(event) => {
            setUrl(event.target.value);
            setProbe(undefined);
          }}
          placeholder="https://relay.example.ts.net:8788"
          required
          data-testid="connect-url"
        />
      </label>
      <label>
        Pairing code{' '}
        <input value={code} onChange={(event) => setCode(event.target.value)} placeholder="ABCD-EFGH-JKLM-NPQR" required autoComplete="off" data-testid="connect-code" />
      </label>
      <button type="submit" disabled={busy || !url.trim() || !code.trim()} data-testid="connect-check">
        Check certificate
      </button>
      {probe && (
        <div className="banner banner-warn" data-testid="connect-fingerprint">
          Compare this with the fingerprint the relay printed (and shows under Team). Connect only if they are the same:
          <br />
          <code className="fingerprint">{probe.fingerprint256}</code>
          <br />
          <button type="button" className="primary" disabled={busy} onClick={() => void connect()} data-testid="connect-confirm">
            They match: connect
          </button>
        </div>
      )}
      <ErrorBanner error={error} />
    </form>
  );
}

function TeamNotifications({ view, onSaved }: { view: ConnectionView; onSaved: (view: ConnectionView) => void }) {
  const [minSeverity, setMinSeverity] = useState<Severity>(view.notifyMinSeverity ?? 'warning');
  const [resolves, setResolves] = useState(view.notifyResolves ?? false);
  const [error, setError] = useState<string>();
  const save = async () => {
    try {
      onSaved(await callDesktop<ConnectionView>('updateTeamNotifications', { notifyMinSeverity: minSeverity, notifyResolves: resolves }));
      setError(undefined);
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return (
    <div className="team-row">
      <label>
        Notify me from{' '}
        <select value={minSeverity} onChange={(event) => setMinSeverity(event.target.value as Severity)} data-testid="team-notify-severity">
          {options(SEVERITY_LEVELS)}
        </select>
      </label>
      <label>
        <input type="checkbox" checked={resolves} onChange={(event) => setResolves(event.target.checked)} /> and when alerts resolve
      </label>
      <button type="button" onClick={() => void save()}>
        Save for this computer
      </button>
      {error && <span className="text-bad small">{error}</span>}
    </div>
  );
}

/**
 * The desktop app's choice of relay: run it here, or attach to a team relay (URL and pairing
 * code, then the certificate's fingerprint to confirm). Shown at first start and in Settings.
 */
export function ConnectionPanel({ firstStart = false }: { firstStart?: boolean }) {
  const [view, setView] = useState<ConnectionView>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (inElectron()) callDesktop<ConnectionView>('getConnection').then(setView, (failure: Error) => setError(failure.message));
  }, []);
  if (!inElectron() || !view || (firstStart && view.mode !== 'unchosen')) return null;

  const runHere = async () => {
    try {
      const wasRemote = view.mode === 'remote';
      setView(await callDesktop<ConnectionView>('useLocalRelay'));
      if (wasRemote) reloadAgainstNewRelay();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };

  return (
    <section
      className={firstStart ? 'stale-token connection-choice' : 'team-door'}
      aria-labelledby="connection-heading"
      data-testid={firstStart ? 'first-start-choice' : 'connection-panel'}
    >
      <h2 id="connection-heading" className="section-title">
        {firstStart ? 'Where should the relay run?' : 'Relay'}
      </h2>
      {view.mode === 'remote' ? (
        <>
          <p data-testid="connection-remote">
            Attached to the team relay at <code>{view.origin}</code> as {view.name} ({view.role}).{' '}
            {view.connected
              ? 'Connected.'
              : `Disconnected${view.disconnectedSince ? ` since ${clock(view.disconnectedSince)}` : ''}${view.lastError ? `: ${view.lastError}` : ''}.`}
            <br />
            Pinned certificate: <code className="fingerprint">{view.fingerprint256}</code>
          </p>
          <TeamNotifications view={view} onSaved={setView} />
          <button type="button" onClick={() => void runHere()} data-testid="run-here">
            Run the relay here instead
          </button>
        </>
      ) : (
        <>
          <p>
            {firstStart
              ? 'Run the relay here (this computer receives Level’s webhooks while it is awake), or connect to your team’s relay on an always-on machine with the invitation an admin gave you.'
              : 'This app runs the relay here. To use your team’s relay instead, enter its URL and your pairing code.'}
          </p>
          {view.mode === 'unchosen' && (
            <button type="button" className="primary" onClick={() => void runHere()} data-testid="run-here">
              Run the relay here
            </button>
          )}
          <h3 className="section-title">Connect to a team relay</h3>
          <ConnectForm />
        </>
      )}
      <ErrorBanner error={error} />
    </section>
  );
}
