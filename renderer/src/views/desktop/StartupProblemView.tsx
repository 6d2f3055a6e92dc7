import { useEffect, useState } from 'react';
import { callDesktop, type StartupProblem } from '../../api/client.ts';
import { useAction } from '../../hooks.ts';
import { ErrorBanner } from '../../components/controls.tsx';

type Resolution = { started: boolean; problem: StartupProblem | null };

/**
 * The desktop app's relay did not start: say why and offer each way out — enter the secrets
 * again (or forget them), choose another data directory, try again, or quit.
 */
export function StartupProblemView({ onStarted }: { onStarted: () => void }) {
  const [problem, setProblem] = useState<StartupProblem | null>();
  const [values, setValues] = useState<Record<string, string>>({});
  const { busy, error, setError, run } = useAction();

  useEffect(() => {
    callDesktop<StartupProblem | null>('getStartupProblem').then(setProblem, (failure: Error) => setError(failure.message));
  }, [setError]);

  const act = (input: object) =>
    run(async () => {
      const result = await callDesktop<Resolution>('resolveStartupProblem', input);
      if (result.started) onStarted();
      else setProblem(result.problem);
    });

  return (
    <div className="app app-fatal" data-testid="startup-problem">
      <div className="fatal">
        <h1>The relay could not start</h1>
        <p className="fatal-message" data-testid="startup-problem-message">
          {problem?.message ?? 'Reading what went wrong…'}
        </p>
        {problem && (
          <p className="muted">
            Data directory: <code>{problem.dataDir}</code>
          </p>
        )}
        {problem?.kind === 'secrets' && (
          <form
            onSubmit={(event) => {
              event.preventDefault();
              void act({ action: 'replaceSecrets', values });
            }}
          >
            {problem.secrets.map((key) => (
              <label key={key} className="field">
                <span>{key}</span>
                <input
                  type="password"
                  autoComplete="off"
                  value={values[key] ?? ''}
                  onChange={(event) => setValues({ ...values, [key]: event.target.value })}
                  data-testid={`secret-${key}`}
                />
              </label>
            ))}
            <div className="actions">
              <button type="submit" className="primary" disabled={busy} data-testid="save-secrets">
                Save and start
              </button>
              <button type="button" disabled={busy} onClick={() => void act({ action: 'replaceSecrets', values: Object.fromEntries(problem.secrets.map((key) => [key, ''])) })}>
                Forget them and start
              </button>
            </div>
          </form>
        )}
        <div className="actions">
          <button type="button" disabled={busy} onClick={() => void act({ action: 'retry' })} data-testid="startup-retry">
            Try again
          </button>
          {problem?.canChooseDataDir && (
            <button type="button" disabled={busy} onClick={() => void act({ action: 'chooseDataDir' })} data-testid="startup-choose-dir">
              Choose another data directory…
            </button>
          )}
          <button type="button" disabled={busy} onClick={() => void callDesktop('openLogs').catch((failure: Error) => setError(failure.message))}>
            Open logs
          </button>
          <button type="button" disabled={busy} onClick={() => void act({ action: 'quit' })} data-testid="startup-quit">
            Quit
          </button>
        </div>
        <ErrorBanner error={error} />
      </div>
    </div>
  );
}
