import { useState } from 'react';
import type { IlertSourceCheck, SettingsPatch } from '../../../../shared/contract.ts';
import { call } from '../../api/client.ts';
import { useAction } from '../../hooks.ts';
import { ActionButton, errorText, fieldErrors, LockedNote, Problem, Section, Success, useEnvName, type StepProps } from './common.tsx';
import { Flash } from '../../components/controls.tsx';
import { Field } from '../../components/Field.tsx';

type Mode = 'api' | 'pass-through';
type Check = { inputs: string; result: IlertSourceCheck } | { inputs: string; error: string };

const TYPE_NAMES: Record<string, string> = { API: 'API', LEVELIO: 'Level.io' };

/** What is odd about a pasted integration key, before asking ilert. */
function keyHint(key: string): string | undefined {
  if (key === '') return undefined;
  if (/^https?:\/\//i.test(key)) return 'This is a URL: paste only the integration key (the part that starts with il1…), shown on the alert source’s page in ilert.';
  if (/\s/.test(key)) return 'The key contains spaces: copy it again from ilert.';
  if (!/^il1/i.test(key)) return 'ilert integration keys start with “il1” (for example il1api…): check that you copied the integration key, not the source’s name or id.';
  return undefined;
}

export function IlertStep({ setup, settings, onSettings, onNext }: StepProps) {
  const [mode, setMode] = useState<Mode>(settings.secrets.ilertPassThroughUrl.set ? 'pass-through' : 'api');
  const [key, setKey] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [passUrl, setPassUrl] = useState('');
  const [heartbeat, setHeartbeat] = useState('');
  const [checking, setChecking] = useState(false);
  const [check, setCheck] = useState<Check>();
  const { busy: saving, error: saveError, setError: setSaveError, run: runSave } = useAction('Nothing was saved: ');
  const [heartbeatState, setHeartbeatState] = useState<{ saving: boolean; error?: string; saved?: string }>({ saving: false });

  const trimmedKey = key.trim();
  const trimmedApiKey = apiKey.trim();
  const inputs = `${trimmedKey}\n${trimmedApiKey}`;
  const current = check?.inputs === inputs ? check : undefined;
  const passed = current && 'result' in current && current.result.ok ? current.result : undefined;
  const keyLocked = settings.lockedByEnvironment.includes('ilertIntegrationKey');
  const envName = useEnvName();
  const hint = keyHint(trimmedKey);
  const sourceUrl = passed?.source.integrationUrl;

  const runCheck = async () => {
    setChecking(true);
    setSaveError(undefined);
    try {
      const result = await call('checkIlertSource', { integrationKey: trimmedKey, ...(trimmedApiKey ? { apiKey: trimmedApiKey } : {}) });
      setCheck({ inputs, result });
      if (result.ok && result.source.integrationType === 'LEVELIO') setMode('pass-through');
    } catch (error) {
      setCheck({ inputs, error: errorText(error) });
    } finally {
      setChecking(false);
    }
  };

  const save = async (verified: boolean) => {
    if (verified && !passed) return;
    const patch: SettingsPatch = { ilertIntegrationKey: trimmedKey };
    if (trimmedApiKey) patch.ilertApiKey = trimmedApiKey;
    if (mode === 'pass-through') patch.ilertPassThroughUrl = sourceUrl ?? passUrl.trim();
    else if (settings.secrets.ilertPassThroughUrl.set) patch.ilertPassThroughUrl = '';
    if (heartbeat.trim()) patch.ilertHeartbeatUrl = heartbeat.trim();
    await runSave(async () => {
      const result = await call('updateSettings', patch);
      if (!result.ok) return setSaveError(`Nothing was saved: ${fieldErrors(result.errors)}`);
      onSettings(result.settings);
      setKey('');
      setApiKey('');
      setHeartbeat('');
      onNext();
    });
  };

  const saveHeartbeat = async () => {
    setHeartbeatState({ saving: true });
    try {
      const result = await call('updateSettings', { ilertHeartbeatUrl: heartbeat.trim() });
      if (!result.ok) return setHeartbeatState({ saving: false, error: fieldErrors(result.errors) });
      onSettings(result.settings);
      setHeartbeat('');
      setHeartbeatState({ saving: false, saved: 'Heartbeat URL saved: the relay pings it every minute while it is healthy.' });
    } catch (error) {
      setHeartbeatState({ saving: false, error: errorText(error) });
    }
  };

  // ilert's REST API answers only with a user API key: without one the check could only fail.
  const noApiKey = trimmedApiKey === '' && !setup.configured.ilertApiKey;
  const checkReason = keyLocked
    ? `The integration key is set by ${envName('ilertIntegrationKey')} in the environment`
    : trimmedKey === ''
      ? 'Enter the integration key first'
      : noApiKey
        ? 'Checking needs an ilert user API key (below); without one, save without checking: the test in step 4 proves the key'
        : undefined;
  const needsPastedUrl = mode === 'pass-through' && passed !== undefined && !sourceUrl;
  const saveReason = keyLocked
    ? `The integration key is set by ${envName('ilertIntegrationKey')} in the environment`
    : trimmedKey === ''
      ? 'Enter the integration key first'
      : !current
        ? 'Check the key in ilert first'
        : !passed
          ? 'The check found a problem: fix it and check again'
          : needsPastedUrl && !/^https:\/\/\S+$/.test(passUrl.trim())
            ? 'Paste the Level.io source’s URL (https://…) from ilert'
            : undefined;

  // The key can always be saved unchecked (ilert may be unreachable from here, or no API key is at
  // hand); the test in step 4 proves it (ilert's Events API answers 404 for an unknown key).
  const uncheckedReason = keyLocked
    ? `The integration key is set by ${envName('ilertIntegrationKey')} in the environment`
    : trimmedKey === '' || hint
      ? 'Enter a valid integration key first'
      : mode === 'pass-through' && !/^https:\/\/\S+$/.test(passUrl.trim())
        ? 'Paste the Level.io source’s URL (https://…) from ilert'
        : undefined;

  return (
    <div className="setup-step" data-testid="setup-ilert">
      <p className="setup-lead">
        ilert turns each Level alert into an ilert alert that pages whoever is on call, and resolves it when Level does. The relay sends to one ilert <b>alert source</b>,
        identified by its integration key.
      </p>

      <Section title="1. Create the alert source in ilert">
        <div className="mode-choice" role="radiogroup" aria-label="Kind of alert source">
          <label className={`mode-option${mode === 'api' ? ' mode-selected' : ''}`}>
            <input type="radio" name="ilert-mode" checked={mode === 'api'} onChange={() => setMode('api')} data-testid="ilert-mode-api" />
            <span>
              <b>A new “API” alert source</b> (recommended)
              <span className="muted small">
                {' '}
                — in ilert: <b>Alert sources → Create alert source</b>, search for <b>API</b>, select it, give it a name such as “Level alerts”, choose the escalation policy that
                should be paged, and create it. ilert then shows the source’s <b>integration key</b> (it starts with <code>il1</code>).
              </span>
            </span>
          </label>
          <label className={`mode-option${mode === 'pass-through' ? ' mode-selected' : ''}`}>
            <input type="radio" name="ilert-mode" checked={mode === 'pass-through'} onChange={() => setMode('pass-through')} data-testid="ilert-mode-passthrough" />
            <span>
              <b>ilert’s native “Level.io” source, passed through</b>
              <span className="muted small">
                {' '}
                — if you already have one: the relay forwards Level’s original webhook body to that source’s URL and ilert’s Level.io integration interprets it. Use that source’s
                integration key below. You keep the relay’s signature check, queue, retries and log.
              </span>
            </span>
          </label>
        </div>
      </Section>

      <Section title="2. Enter the keys and check them in ilert">
        <Field layout="column" label="Integration key" hint="From the alert source’s page in ilert. Spaces around it are removed." error={hint} errorTestId="ilert-key-hint">
          {(control) => (
            <>
              <input
                {...control}
                type="text"
                data-testid="ilert-key"
                value={key}
                placeholder={
                  settings.secrets.ilertIntegrationKey.set ? `saved: ${settings.secrets.ilertIntegrationKey.hint ?? '••••'} (enter it again to check or change it)` : 'il1api…'
                }
                spellCheck={false}
                autoComplete="off"
                readOnly={keyLocked}
                onChange={(event) => setKey(event.target.value)}
              />
              <LockedNote settings={settings} name="ilertIntegrationKey" />
            </>
          )}
        </Field>
        <Field
          layout="column"
          label={
            <>
              ilert user API key <span className="muted">(optional, recommended)</span>
            </>
          }
          hint={
            <>
              Lets the relay read the alert source (name, escalation policy, whether it is enabled) and read alerts back, so the test below can confirm ilert really opened and
              resolved the alert, and the Alerts view shows who accepted it. Create one in ilert under your profile → <b>API keys</b>.
            </>
          }
        >
          {(control) => (
            <input
              {...control}
              type="password"
              data-testid="ilert-api-key"
              value={apiKey}
              placeholder={setup.configured.ilertApiKey ? `saved: ${settings.secrets.ilertApiKey.hint ?? '••••'}` : 'from ilert: your profile → API keys'}
              spellCheck={false}
              autoComplete="new-password"
              onChange={(event) => setApiKey(event.target.value)}
            />
          )}
        </Field>
        {mode === 'pass-through' && (
          <div className="setup-field">
            <label htmlFor="ilert-passthrough-url">Level.io source URL</label>
            {sourceUrl ? (
              <p className="help" data-testid="ilert-passthrough-from-check">
                From ilert: <code>{sourceUrl}</code>
              </p>
            ) : (
              <>
                <input
                  id="ilert-passthrough-url"
                  type="url"
                  data-testid="ilert-passthrough-url"
                  value={passUrl}
                  placeholder={settings.secrets.ilertPassThroughUrl.set ? `saved: ${settings.secrets.ilertPassThroughUrl.hint ?? '••••'}` : 'https://api.ilert.com/api/v1/events/…'}
                  spellCheck={false}
                  autoComplete="off"
                  onChange={(event) => setPassUrl(event.target.value)}
                />
                <p className="help">With a user API key the check reads this URL from ilert. Without one, copy it from the Level.io source’s page in ilert.</p>
              </>
            )}
          </div>
        )}
        <div className="setup-actions">
          <ActionButton testId="ilert-check" onClick={() => void runCheck()} busy={checking} busyLabel="Asking ilert…" disabledReason={checkReason}>
            Check in ilert
          </ActionButton>
        </div>
        {current && 'error' in current && (
          <Problem testId="ilert-check-error">
            <b>The check could not run:</b> {current.error}
          </Problem>
        )}
        {current && 'result' in current && !current.result.ok && (
          <Problem testId="ilert-check-error">
            <b>The check failed:</b> {current.result.message}
          </Problem>
        )}
        {passed && (
          <Success testId="ilert-check-result">
            <b>{passed.summary}</b>
            <dl className="facts setup-facts">
              <dt>Alert source</dt>
              <dd data-testid="ilert-source-name">{passed.source.name}</dd>
              <dt>Type</dt>
              <dd data-testid="ilert-source-type">
                {TYPE_NAMES[passed.source.integrationType] ?? <b className="text-bad">{passed.source.integrationType}: neither API nor Level.io</b>}
              </dd>
              <dt>Escalation policy</dt>
              <dd data-testid="ilert-source-policy">{passed.source.escalationPolicy ?? <span className="muted">none shown</span>}</dd>
              <dt>Enabled</dt>
              <dd>{passed.source.active ? 'yes' : <b className="text-bad">no: enable it in ilert</b>}</dd>
            </dl>
          </Success>
        )}
        {passed?.warning && (
          <p className="banner banner-warn" data-testid="ilert-check-warning">
            {passed.warning}
          </p>
        )}
        {passed && mode === 'api' && passed.source.integrationType === 'LEVELIO' && (
          <p className="banner banner-warn" data-testid="ilert-mode-mismatch">
            This is ilert’s native Level.io source: choose “passed through” above, or create an API source for the relay.
          </p>
        )}
        {passed && mode === 'pass-through' && passed.source.integrationType === 'API' && (
          <p className="banner banner-warn" data-testid="ilert-mode-mismatch">
            This is an API source, not a Level.io source: choose “A new API alert source” above.
          </p>
        )}
      </Section>

      <div className="setup-actions setup-step-actions">
        <ActionButton testId="ilert-save" primary onClick={() => void save(true)} busy={saving} busyLabel="Saving…" disabledReason={saveReason}>
          Save and continue
        </ActionButton>
        {!passed && (
          <ActionButton testId="ilert-save-unchecked" onClick={() => void save(false)} busy={saving} busyLabel="Saving…" disabledReason={uncheckedReason}>
            Save without checking
          </ActionButton>
        )}
        {setup.configured.ilert && (
          <button type="button" onClick={onNext} data-testid="ilert-keep" title="Keep the saved integration key and go to the next step">
            Keep the saved key and continue
          </button>
        )}
      </div>
      {saveError && <Problem testId="ilert-save-error">{saveError}</Problem>}

      <Section title={<>Optional: an ilert heartbeat, so ilert notices when the relay is down</>} testId="heartbeat-section">
        <p>
          Level tries each webhook only three times, within about five minutes. If this computer sleeps, loses its network or the relay stops, alerts are missed and nobody is
          paged. With a heartbeat, the relay pings ilert every minute while it is healthy, and ilert pages someone when the pings stop.
        </p>
        <ol className="setup-list">
          <li>
            In ilert: <b>Heartbeats → Create heartbeat monitor</b>, interval 3–5 minutes, with the escalation policy to page.
          </li>
          <li>Copy its ping URL and paste it here.</li>
        </ol>
        <p className="muted small">
          Better still, run the relay headless on an always-on machine (<code>npm run serve</code>) instead of a laptop, and open this dashboard in a browser.
        </p>
        <Field
          layout="column"
          label={
            <>
              Heartbeat URL <span className="muted">{setup.configured.heartbeat ? `(saved: ${settings.secrets.ilertHeartbeatUrl.hint ?? '••••'})` : '(not set)'}</span>
            </>
          }
          error={heartbeatState.error && `Not saved: ${heartbeatState.error}`}
          errorTestId="heartbeat-error"
        >
          {(control) => (
            <>
              <div className="setup-inline">
                <input
                  {...control}
                  type="url"
                  data-testid="heartbeat-url"
                  value={heartbeat}
                  placeholder="https://beat.ilert.com/api/pings/…"
                  spellCheck={false}
                  autoComplete="off"
                  onChange={(event) => {
                    setHeartbeat(event.target.value);
                    setHeartbeatState({ saving: false });
                  }}
                />
                <ActionButton
                  testId="heartbeat-save"
                  onClick={() => void saveHeartbeat()}
                  busy={heartbeatState.saving}
                  busyLabel="Saving…"
                  disabledReason={heartbeat.trim() === '' ? 'Paste the heartbeat URL first' : undefined}
                >
                  Save heartbeat URL
                </ActionButton>
              </div>
              <LockedNote settings={settings} name="ilertHeartbeatUrl" />
              <Flash message={heartbeatState.saved} testId="heartbeat-saved" block />
            </>
          )}
        </Field>
      </Section>
    </div>
  );
}
