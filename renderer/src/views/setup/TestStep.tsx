import { useState } from 'react';
import type { IntegrationTest } from '../../../../shared/contract.ts';
import { call } from '../../api/client.ts';
import { clockSeconds, duration, fullTime } from '../../format.ts';
import { useAction, useNow } from '../../hooks.ts';
import { ActionButton, Problem, Section, Spinner, Success, type StepProps } from './common.tsx';

type Hop = IntegrationTest['hops'][number];

const HOP_ICONS: Record<Hop['status'], string> = { waiting: '○', ok: '✓', failed: '✗', skipped: '–' };

/** "0.4 s", "37 s", "3 min": how long a test (or one of its hops) took. */
function seconds(ms: number): string {
  const clamped = Math.max(0, ms);
  if (clamped < 10_000) return `${(clamped / 1000).toFixed(1)} s`;
  if (clamped < 60_000) return `${Math.round(clamped / 1000)} s`;
  return duration(clamped);
}

function HopList({ test }: { test: IntegrationTest }) {
  const running = test.outcome === 'running';
  const current = running ? test.hops.find((hop) => hop.status === 'waiting') : undefined;
  return (
    <ol className="hops" data-testid="test-hops" aria-live="polite">
      {test.hops.map((hop) => (
        <li key={hop.id} className={`hop hop-${hop.status}${hop === current ? ' hop-current' : ''}`} data-testid={`test-hop-${hop.id}`} data-status={hop.status}>
          <span className="hop-icon" aria-hidden="true">
            {hop === current ? <Spinner /> : HOP_ICONS[hop.status]}
          </span>
          <span className="hop-label">
            {hop.label}
            <span className="sr-only"> — {hop === current ? 'in progress' : hop.status}</span>
          </span>
          <span className="hop-detail" data-testid="hop-detail">
            {hop.detail ?? (hop === current ? (hop.id === 'received' && test.mode === 'wait' ? 'waiting for Level…' : 'waiting…') : hop.status === 'waiting' ? '' : hop.status)}
          </span>
          <span className="hop-time" title={hop.at ? fullTime(hop.at) : undefined}>
            {hop.at ? `${clockSeconds(hop.at)} (+${seconds(hop.at - test.startedAt)})` : ''}
          </span>
        </li>
      ))}
    </ol>
  );
}

export function TestStep({
  setup,
  test,
  onTest,
  refreshTest,
  onDone,
}: Pick<StepProps, 'setup'> & {
  test: IntegrationTest | null | undefined;
  onTest: (test: IntegrationTest | null) => void;
  refreshTest: () => void;
  onDone: () => void;
}) {
  const [action, setAction] = useState<IntegrationTest['mode'] | 'cancel'>();
  const { busy, error: actionError, run } = useAction();
  const starting = busy && action !== 'cancel' ? action : undefined;
  const cancelling = busy && action === 'cancel';
  const now = useNow(1_000);
  const running = test?.outcome === 'running';

  const start = (mode: IntegrationTest['mode']) => {
    setAction(mode);
    return run(async () => onTest(await call('startIntegrationTest', { mode })), refreshTest, 'The test did not start: ');
  };

  const cancel = () => {
    setAction('cancel');
    return run(
      async () => {
        const cancelled = await call('cancelIntegrationTest', {});
        if (cancelled) onTest(cancelled);
      },
      refreshTest,
      'Could not cancel: ',
    );
  };

  const busyReason = running ? 'A test is running: wait for it or cancel it' : starting ? 'Starting a test…' : undefined;
  const syntheticReason = busyReason ?? (!setup.configured.ilert ? 'Save the ilert integration key first (step 1)' : undefined);
  const waitReason = syntheticReason ?? (!setup.configured.publicUrl ? 'Check a public URL first (step 2): Level cannot reach the relay yet' : undefined);

  return (
    <div className="setup-step" data-testid="setup-test">
      <p className="setup-lead">
        Prove the whole path works before you rely on it: an alert goes in, ilert opens an alert and pages as configured, the alert resolves, and ilert closes it.
      </p>

      <Section title="Run a test">
        <div className="test-choices">
          <div className="test-choice">
            <ActionButton
              testId="test-synthetic"
              primary
              onClick={() => void start('synthetic')}
              busy={starting === 'synthetic'}
              busyLabel="Starting…"
              disabledReason={syntheticReason}
            >
              Send a synthetic test alert
            </ActionButton>
            <p className="help">
              The relay signs a test alert like Level would, posts it through the public URL, follows it to ilert, then resolves it. ilert opens a real alert, clearly named as a
              test; your escalation policy may notify someone before it resolves a few seconds later.
            </p>
          </div>
          <div className="test-choice">
            <ActionButton testId="test-wait" onClick={() => void start('wait')} busy={starting === 'wait'} busyLabel="Starting…" disabledReason={waitReason}>
              Wait for a test alert from Level
            </ActionButton>
            <p className="help">
              Then make an alert fire in Level (for example lower a monitor’s threshold on one device) and resolve it again. The relay follows it all the way to ilert. This also
              proves the webhook, its secret and its events are right in Level.
            </p>
          </div>
        </div>
        {actionError && <Problem testId="test-action-error">{actionError}</Problem>}
      </Section>

      {test === undefined && <p className="muted">Loading the last test…</p>}
      {test === null && (
        <p className="muted" data-testid="test-none">
          No test has run yet.
        </p>
      )}
      {test && (
        <Section
          title={
            <>
              {test.mode === 'synthetic' ? 'Synthetic test' : 'Test with an alert from Level'}{' '}
              <span className="muted small">
                started {clockSeconds(test.startedAt)}
                {test.finishedAt ? `, took ${seconds(test.finishedAt - test.startedAt)}` : running ? `, ${seconds(Math.max(0, now - test.startedAt))} so far` : ''}
              </span>
            </>
          }
          testId="test-run"
        >
          {running && (
            <p className="banner banner-info test-message" role="status" data-testid={test.mode === 'wait' && test.hops[0]?.status === 'waiting' ? 'test-waiting' : 'test-message'}>
              <Spinner /> {test.message ?? (test.mode === 'wait' && test.hops[0]?.status === 'waiting' ? 'waiting for Level… make an alert fire in Level now' : 'running…')}
            </p>
          )}
          <HopList test={test} />
          {test.levelAlertId && (
            <p className="muted small">
              Level alert <code>{test.levelAlertId}</code>
            </p>
          )}
          {test.outcome === 'passed' && (
            <Success testId="test-passed">
              <b>Test passed.</b> {test.message?.replace(/^test passed:?\s*/i, '') || 'Level alerts reach ilert and resolve there.'}
            </Success>
          )}
          {test.outcome === 'failed' && (
            <Problem testId="test-failed">
              <b>Test failed:</b> <span data-testid="test-failed-message">{test.message ?? 'see the step marked ✗ above'}</span>
            </Problem>
          )}
          {test.outcome === 'cancelled' && (
            <p className="banner banner-muted" data-testid="test-cancelled">
              Test cancelled{test.message ? `: ${test.message}` : '.'}
            </p>
          )}
          <div className="setup-actions">
            {running && (
              <ActionButton testId="test-cancel" onClick={() => void cancel()} busy={cancelling} busyLabel="Cancelling…">
                Cancel the test
              </ActionButton>
            )}
            {(test.outcome === 'failed' || test.outcome === 'cancelled') && (
              <ActionButton
                testId="test-retry"
                primary
                onClick={() => void start(test.mode)}
                busy={starting === test.mode}
                busyLabel="Starting…"
                disabledReason={test.mode === 'wait' ? waitReason : syntheticReason}
              >
                Try again
              </ActionButton>
            )}
            {test.outcome === 'passed' && (
              <button type="button" className="primary" onClick={onDone} data-testid="test-done">
                Done
              </button>
            )}
          </div>
        </Section>
      )}
    </div>
  );
}
