import { useCallback, useEffect, useRef, useState } from 'react';
import type { IntegrationTest, RelayStatusView, SettingsView, SetupInfo } from '../../../shared/contract.ts';
import { call } from '../api/client.ts';
import { useChanges, useCoalesced, useInterval } from '../hooks.ts';
import { errorText } from './setup/common.tsx';
import { IlertStep } from './setup/IlertStep.tsx';
import { LevelStep } from './setup/LevelStep.tsx';
import { TestStep } from './setup/TestStep.tsx';
import { TunnelStep } from './setup/TunnelStep.tsx';
import './SetupView.css';

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

export function SetupView({ active, status, onLoaded, onDone }: { active: boolean; status: RelayStatusView | undefined; onLoaded: () => void; onDone: () => void }) {
  const [setup, setSetup] = useState<SetupInfo>();
  const [settings, setSettings] = useState<SettingsView>();
  const [test, setTest] = useState<IntegrationTest | null>();
  const [loadError, setLoadError] = useState<string>();
  const [step, setStep] = useState<StepId>();
  const heading = useRef<HTMLHeadingElement>(null);

  const load = useCoalesced(async () => {
    try {
      const [nextSetup, nextSettings] = await Promise.all([call('getSetup', {}), call('getSettings', {})]);
      setSetup(nextSetup);
      setSettings(nextSettings);
      setLoadError(undefined);
    } catch (error) {
      setLoadError(errorText(error));
    }
  });

  /** Keeps the newest test: an answer to a request made before a new test started must not replace it. */
  const acceptTest = useCallback((next: IntegrationTest | null) => {
    setTest((shown) => {
      if (!shown || !next) return next ?? shown ?? null;
      if (next.id !== shown.id && next.startedAt < shown.startedAt) return shown;
      return next;
    });
  }, []);

  const loadTest = useCoalesced(async () => {
    try {
      acceptTest(await call('getIntegrationTest', {}));
    } catch (error) {
      console.error('getIntegrationTest failed', error);
      setTest((shown) => shown ?? null);
    }
  });

  useEffect(() => {
    load();
    loadTest();
  }, [load, loadTest]);
  const settled = (setup !== undefined && settings !== undefined && test !== undefined) || loadError !== undefined;
  useEffect(() => {
    if (settled) onLoaded();
  }, [settled, onLoaded]);

  // Device and group webhooks also count as setup changes (they feed routing): while the wizard is
  // not on screen it does not reload on every burst, but once whenever it comes back.
  const refresh = useCallback(() => {
    load();
    loadTest();
  }, [load, loadTest]);
  useChanges((changes) => {
    if (active && (changes.setup || changes.resync)) refresh();
  });
  const wasActive = useRef(active);
  useEffect(() => {
    if (active && !wasActive.current) refresh();
    wasActive.current = active;
  }, [active, refresh]);
  // The live checklist: pushed changes move it along, and a poll makes sure it never stalls.
  useInterval(() => {
    if (active && test?.outcome === 'running') loadTest();
  }, 1_000);
  // The tunnel's state also arrives with the status: keep the wizard's copy as fresh.
  const statusTunnel = status?.tunnel ? JSON.stringify(status.tunnel) : undefined;
  const seenTunnel = useRef(statusTunnel);
  useEffect(() => {
    if (statusTunnel === seenTunnel.current || !active) return;
    seenTunnel.current = statusTunnel;
    load();
  }, [statusTunnel, load, active]);

  // Start where the user left off: the first step not done yet.
  useEffect(() => {
    if (step || !setup || test === undefined) return;
    const done = doneSteps(setup, test);
    setStep(STEPS.find((candidate) => !done[candidate.id])?.id ?? 'test');
  }, [step, setup, test]);

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
      setSettings(next);
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
        {loadError && (
          <p className="banner banner-bad" role="alert" data-testid="setup-load-error">
            Could not refresh the setup: {loadError}
          </p>
        )}
        <h2 className="setup-title" tabIndex={-1} ref={heading} data-testid="setup-title">
          <span className="muted">
            Step {index + 1} of {STEPS.length}:
          </span>{' '}
          {current.title}
        </h2>
        {step === 'ilert' && <IlertStep {...props} />}
        {step === 'receiver' && <TunnelStep {...props} />}
        {step === 'level' && <LevelStep {...props} />}
        {step === 'test' && <TestStep setup={setup} test={test} onTest={acceptTest} refreshTest={loadTest} onDone={onDone} />}
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
