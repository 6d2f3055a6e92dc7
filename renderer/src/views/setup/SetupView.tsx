import { useEffect, useRef, useState } from 'react';
import type { IntegrationTest, RelayStatusView, SettingsView, SetupInfo } from '../../../../shared/contract.ts';
import { queryClient, reload, useRelayQuery } from '../../api/queries.ts';
import { errorText } from './common.tsx';
import { IlertStep } from './IlertStep.tsx';
import { LevelStep } from './LevelStep.tsx';
import { TestStep } from './TestStep.tsx';
import { TunnelStep } from './TunnelStep.tsx';
import './SetupView.css';
import { ErrorBanner } from '../../components/controls.tsx';

type StepId = 'ilert' | 'receiver' | 'level' | 'test';

const STEPS: { id: StepId; title: string; short: string }[] = [
  { id: 'ilert', title: 'ilert alert source', short: 'ilert' },
  { id: 'receiver', title: 'Receiver and tunnel', short: 'Receiver' },
  { id: 'level', title: 'Webhook in Level', short: 'Level' },
  { id: 'test', title: 'Test the integration', short: 'Test' },
];

/** Which steps are already done, from what the relay knows (not from what was clicked here). */
function doneSteps(setup: SetupInfo, test: IntegrationTest | null | undefined): Record<StepId, boolean> {
  return {
    ilert: setup.configured.ilert,
    // A failed reachability check undoes the tick: Level would not get through either.
    receiver: setup.configured.publicUrl && setup.lastReachability?.ok !== false,
    level: setup.configured.levelSecret,
    test: test?.outcome === 'passed',
  };
}

/** Keeps the newest test: an answer to a request made before a new test started must not replace it. */
function newestTest(shown: IntegrationTest | null | undefined, next: IntegrationTest | null): IntegrationTest | null {
  if (!shown || !next) return next ?? shown ?? null;
  return next.id !== shown.id && next.startedAt < shown.startedAt ? shown : next;
}

function stepNote(id: StepId, setup: SetupInfo, test: IntegrationTest | null | undefined): string {
  switch (id) {
    case 'ilert':
      return setup.configured.ilert ? (setup.configured.ilertApiKey ? 'key and API key saved' : 'key saved') : 'not set up';
    case 'receiver':
      if (!setup.configured.publicUrl) return 'no public URL';
      if (setup.lastReachability) return setup.lastReachability.ok ? 'reachable' : 'last check failed';
      return setup.tunnel?.status === 'running' && setup.tunnel.publicUrl === setup.publicUrl ? 'tunnel running, not checked yet' : 'public URL saved';
    case 'level':
      return setup.configured.levelSecret ? 'secret saved' : 'no secret yet';
    case 'test':
      if (!test) return 'not run yet';
      return test.outcome === 'running' ? 'running…' : test.outcome;
  }
}

export function SetupView({ active, status, onDone }: { active: boolean; status: RelayStatusView | undefined; onDone: () => void }) {
  // While cloudflared is coming up, its state changes every second or so: watch it closely.
  const setupQuery = useRelayQuery(
    'getSetup',
    {},
    { active, pollEvery: (shown) => (active && (shown?.tunnel?.status === 'starting' || shown?.tunnel?.status === 'restarting') ? 1_000 : false) },
  );
  const settingsQuery = useRelayQuery('getSettings', {}, { active });
  // The live checklist: pushed changes move it along, and a poll makes sure it never stalls.
  const testQuery = useRelayQuery('getIntegrationTest', {}, { active, pollEvery: (shown) => (active && shown?.outcome === 'running' ? 1_000 : false), keep: newestTest });
  const setup = setupQuery.data;
  const settings = settingsQuery.data;
  const test = testQuery.isError ? (testQuery.data ?? null) : testQuery.data;
  const failure = setupQuery.error ?? settingsQuery.error;
  const loadError = failure ? errorText(failure) : undefined;
  const [step, setStep] = useState<StepId>();
  const heading = useRef<HTMLHeadingElement>(null);
  const load = () => reload('getSetup', 'getSettings');
  const acceptTest = (next: IntegrationTest | null) => queryClient.setQueryData(['getIntegrationTest', {}], next);

  // The tunnel's state also arrives with the status: keep the wizard's copy as fresh.
  const statusTunnel = status?.tunnel ? JSON.stringify(status.tunnel) : undefined;
  const seenTunnel = useRef(statusTunnel);
  useEffect(() => {
    if (statusTunnel === seenTunnel.current || !active) return;
    seenTunnel.current = statusTunnel;
    reload('getSetup', 'getSettings');
  }, [statusTunnel, active]);

  // Start where the user left off: the first step not done yet.
  if (!step && setup && test !== undefined) {
    const done = doneSteps(setup, test);
    setStep(STEPS.find((candidate) => !done[candidate.id])?.id ?? 'test');
  }

  const go = (next: StepId) => {
    setStep(next);
    requestAnimationFrame(() => heading.current?.focus());
  };
  const goNext = () => {
    const index = STEPS.findIndex((candidate) => candidate.id === step);
    const next = STEPS[index + 1];
    if (next) go(next.id);
  };

  if (!setup || !settings || !step) {
    return (
      <div className="view-message" data-testid="setup-view">
        {loadError ? (
          <p className="error" role="alert" data-testid="setup-load-error">
            Could not load the setup: {loadError}{' '}
            <button type="button" onClick={load}>
              Try again
            </button>
          </p>
        ) : (
          <p className="muted">Loading setup…</p>
        )}
      </div>
    );
  }

  const done = doneSteps(setup, test);
  const index = STEPS.findIndex((candidate) => candidate.id === step);
  const current = STEPS[index]!;
  const props = {
    setup,
    settings,
    active,
    reload: load,
    onSettings: (next: SettingsView) => {
      queryClient.setQueryData(['getSettings', {}], next);
      load();
    },
    onNext: goNext,
  };

  return (
    <div className="setup-view scroll" data-testid="setup-view">
      <div className="setup-wrap">
        <nav className="stepper" aria-label="Setup steps">
          <ol>
            {STEPS.map((candidate, position) => {
              const state = candidate.id === step ? 'current' : done[candidate.id] ? 'done' : 'todo';
              return (
                <li key={candidate.id}>
                  <button
                    type="button"
                    className={`stepper-step stepper-${state}${done[candidate.id] ? ' stepper-configured' : ''}`}
                    aria-current={candidate.id === step ? 'step' : undefined}
                    data-testid={`setup-step-${candidate.id}`}
                    data-done={done[candidate.id] || undefined}
                    onClick={() => go(candidate.id)}
                    title={`Step ${position + 1}: ${candidate.title} (${stepNote(candidate.id, setup, test)})`}
                  >
                    <span className="stepper-number" aria-hidden="true">
                      {done[candidate.id] ? '✓' : position + 1}
                    </span>
                    <span className="stepper-text">
                      <span className="stepper-title">{candidate.title}</span>
                      <span className="stepper-note">{stepNote(candidate.id, setup, test)}</span>
                    </span>
                  </button>
                </li>
              );
            })}
          </ol>
        </nav>
        <ErrorBanner error={loadError} prefix="Could not refresh the setup: " testId="setup-load-error" />
        <h2 className="setup-title" tabIndex={-1} ref={heading} data-testid="setup-title">
          <span className="muted">
            Step {index + 1} of {STEPS.length}:
          </span>{' '}
          {current.title}
        </h2>
        {step === 'ilert' && <IlertStep {...props} />}
        {step === 'receiver' && <TunnelStep {...props} />}
        {step === 'level' && <LevelStep {...props} />}
        {step === 'test' && <TestStep setup={setup} test={test} onTest={acceptTest} refreshTest={() => reload('getIntegrationTest')} onDone={onDone} />}
        <div className="setup-nav">
          {index > 0 && (
            <button type="button" className="link" onClick={() => go(STEPS[index - 1]!.id)} data-testid="setup-back">
              ← Back to {STEPS[index - 1]!.short}
            </button>
          )}
        </div>
      </div>
    </div>
  );
}
