import { useState } from 'react';
import { call } from '../../api/client.ts';
import { ActionButton, CopyValue, errorText, fieldErrors, LockedNote, Problem, randomSecret, Section, setByEnvironment, useEnvName, type StepProps } from './common.tsx';
import { Flash } from '../../components/controls.tsx';

/** Level's names for its event types, as shown in its webhook form. */
const EVENT_LABELS: Record<string, string> = {
  alert_active: 'Alert active',
  alert_resolved: 'Alert resolved',
  device_created: 'Device created',
  device_updated: 'Device updated',
  device_deleted: 'Device deleted',
  group_created: 'Group created',
  group_updated: 'Group updated',
  group_deleted: 'Group deleted',
};
const eventLabel = (type: string) => EVENT_LABELS[type] ?? type;
/** "Alert active" and "alert_active" both become alert_active, for test ids. */
const eventSlug = (type: string) => type.toLowerCase().replace(/[^a-z0-9]+/g, '_');

type SecretFlow = { value: string; saving: boolean; saved?: string; error?: string };

/** A freshly generated secret: shown once, copied, then saved to the relay. */
function GeneratedSecret({
  flow,
  testId,
  onSave,
  onForget,
  saveLabel,
  note,
}: {
  flow: SecretFlow;
  testId: string;
  onSave: () => void;
  onForget: () => void;
  saveLabel: string;
  note: string;
}) {
  return (
    <div className="generated" data-testid={`${testId}-panel`}>
      <CopyValue value={flow.value} testId={testId} label="secret" />
      <p className="warning">
        Copy it now and paste it into Level. <b>Level will not show it again</b> after you save there, and this page shows it only until you leave it. {note}
      </p>
      <div className="generated-actions">
        {!flow.saved && (
          <ActionButton testId={`${testId}-save`} primary onClick={onSave} busy={flow.saving} busyLabel="Saving…">
            {saveLabel}
          </ActionButton>
        )}
        <button type="button" onClick={onForget} disabled={flow.saving} title={flow.saving ? 'Saving…' : 'Forget this secret'}>
          {flow.saved ? 'Hide' : 'Discard'}
        </button>
      </div>
      <Flash message={flow.saved} testId={`${testId}-saved`} block />
      {flow.error && <Problem testId={`${testId}-error`}>Not saved: {flow.error}</Problem>}
    </div>
  );
}

export function LevelStep({ setup, settings, active, onSettings, onNext }: StepProps) {
  const [secret, setSecret] = useState<SecretFlow>();
  const [automation, setAutomation] = useState<SecretFlow>();
  const secretSet = settings.secrets.levelWebhookSecret.set;
  const [keeping, setKeeping] = useState(false);

  // A generated secret is shown once: gone when the user leaves this view.
  const [wasActive, setWasActive] = useState(active);
  if (active !== wasActive) {
    setWasActive(active);
    if (!active) {
      setSecret(undefined);
      setAutomation(undefined);
    }
  }

  const saveSecret = async (flow: SecretFlow, key: 'levelWebhookSecret' | 'levelAutomationSecret', set: (flow: SecretFlow | undefined) => void) => {
    set({ ...flow, saving: true, error: undefined });
    try {
      const wasSet = settings.secrets[key].set;
      const result = await call('updateSettings', { [key]: flow.value });
      if (!result.ok) return set({ ...flow, saving: false, error: fieldErrors(result.errors) });
      onSettings(result.settings);
      let saved = 'Saved in the relay.';
      if (key === 'levelWebhookSecret' && wasSet) {
        saved = result.settings.secrets.levelWebhookSecretPrevious.set
          ? 'Saved. The old secret stays accepted as the previous secret until you clear it in Settings, once Level uses the new one.'
          : 'Saved. The old secret is no longer accepted: put the new one into Level now.';
      }
      set({ ...flow, saving: false, saved });
    } catch (error) {
      set({ ...flow, saving: false, error: errorText(error) });
    }
  };

  const secretLocked = settings.lockedByEnvironment.includes('levelWebhookSecret');
  const automationLocked = settings.lockedByEnvironment.includes('levelAutomationSecret');
  const envName = useEnvName();
  const required = setup.requiredEvents;
  const recommended = setup.recommendedEvents.filter((type) => !required.includes(type));

  return (
    <div className="setup-step" data-testid="setup-level">
      <p className="setup-lead">Now tell Level where to send its alerts. Level has no API for this: you create the webhook in Level’s own settings, with the values below.</p>

      <Section title="1. The webhook URL">
        {setup.webhookUrl ? (
          <>
            <CopyValue value={setup.webhookUrl} testId="webhook-url" label="webhook URL" />
            {!setup.configured.publicUrl && (
              <p className="banner banner-warn" data-testid="webhook-url-local">
                This is the local address: Level cannot reach it. Go back to “Receiver and tunnel” and check a public URL first.
              </p>
            )}
          </>
        ) : (
          <p className="banner banner-warn" data-testid="webhook-url-missing">
            No public URL yet: go back to “Receiver and tunnel” first.
          </p>
        )}
      </Section>

      <Section title="2. The secret Level signs with" testId="secret-section">
        <p>
          Level signs every delivery with this secret (the <code>X-Level-Signature</code> header); the relay refuses deliveries whose signature does not match, so nobody else can
          page your on-call team.
        </p>
        <LockedNote settings={settings} name="levelWebhookSecret" />
        {secretSet && !secret && (
          <div className="setup-inline" data-testid="secret-existing">
            <span>
              A secret is already saved: <code data-testid="secret-hint">{settings.secrets.levelWebhookSecret.hint ?? '••••'}</code>.
            </span>
            <button type="button" className={keeping ? 'primary' : undefined} onClick={() => setKeeping(true)} data-testid="secret-keep" title="Level already has this secret">
              Keep it
            </button>
            <button
              type="button"
              disabled={secretLocked}
              title={secretLocked ? setByEnvironment(envName('levelWebhookSecret')) : 'Make a new secret; the old one stays accepted for a while'}
              onClick={() => {
                setKeeping(false);
                setSecret({ value: randomSecret(), saving: false });
              }}
              data-testid="secret-rotate"
            >
              Rotate: generate a new one
            </button>
            {keeping && (
              <span className="flash" data-testid="secret-kept">
                Keeping the saved secret.
              </span>
            )}
          </div>
        )}
        {!secretSet && !secret && (
          <ActionButton
            testId="secret-generate"
            primary
            onClick={() => setSecret({ value: randomSecret(), saving: false })}
            disabledReason={secretLocked ? setByEnvironment(envName('levelWebhookSecret')) : undefined}
          >
            Generate a secret
          </ActionButton>
        )}
        {secret && (
          <GeneratedSecret
            flow={secret}
            testId="secret-value"
            saveLabel="Save the secret in the relay"
            note={secretSet ? 'Save it here first, then in Level, so no delivery is refused in between.' : ''}
            onSave={() => void saveSecret(secret, 'levelWebhookSecret', setSecret)}
            onForget={() => setSecret(undefined)}
          />
        )}
      </Section>

      <Section title="3. In Level" testId="level-instructions">
        <ol className="setup-list">
          <li>
            Open <b>Settings → Webhooks</b> and click <b>+ Add webhook</b>.
          </li>
          <li>
            <b>URL</b>: paste the webhook URL above.
          </li>
          <li>
            <b>Secret</b>: paste the secret above.
          </li>
          <li>
            <b>Events to send</b>: tick at least{' '}
            {required.map((type, index) => (
              <span key={type}>
                {index > 0 && ' and '}
                <b data-testid={`required-event-${eventSlug(type)}`}>{eventLabel(type)}</b>
              </span>
            ))}{' '}
            — {required.length > 1 ? 'all required: the first opens the ilert alert, the second closes it; with only one you get a one-way sync' : 'required'}.
            {recommended.length > 0 && (
              <>
                {' '}
                Recommended: <b>Send all event types</b> (also {recommended.map(eventLabel).join(', ')}), so the relay keeps its device and group list current for routing.
              </>
            )}
          </li>
          <li>
            Leave <b>Enabled</b> on, and click <b>Add webhook</b> to save.
          </li>
        </ol>
        <ul className="event-list" data-testid="event-list">
          {required.map((type) => (
            <li key={type} className="event-required">
              {eventLabel(type)} <span className="tag">required: tick it in Level</span>
            </li>
          ))}
          {recommended.map((type) => (
            <li key={type}>
              {eventLabel(type)} <span className="tag">recommended</span>
            </li>
          ))}
        </ul>
      </Section>

      <details className="setup-details" data-testid="automation">
        <summary>Using a Level automation instead</summary>
        <p>
          A Level automation with an <b>HTTP request</b> action can send alerts too (for example only for some devices or monitors). Automations cannot sign, so they send a shared
          secret in a header instead.
        </p>
        <dl className="facts setup-facts">
          <dt>URL</dt>
          <dd>
            {setup.automationUrl ? <CopyValue value={setup.automationUrl} testId="automation-url" label="automation URL" /> : <span className="muted">no public URL yet</span>}
          </dd>
          <dt>Header name</dt>
          <dd>
            <CopyValue value={setup.automationHeader} testId="automation-header" label="header name" />
          </dd>
          <dt>Header value</dt>
          <dd>
            {settings.secrets.levelAutomationSecret.set && !automation && (
              <span className="muted" data-testid="automation-secret-hint">
                saved: <code>{settings.secrets.levelAutomationSecret.hint ?? '••••'}</code>{' '}
              </span>
            )}
            {!automation && (
              <ActionButton
                testId="automation-generate"
                onClick={() => setAutomation({ value: randomSecret(), saving: false })}
                disabledReason={automationLocked ? setByEnvironment(envName('levelAutomationSecret')) : undefined}
              >
                {settings.secrets.levelAutomationSecret.set ? 'Generate a new automation secret' : 'Generate the automation secret'}
              </ActionButton>
            )}
            {automation && (
              <GeneratedSecret
                flow={automation}
                testId="automation-secret"
                saveLabel="Save the automation secret"
                note=""
                onSave={() => void saveSecret(automation, 'levelAutomationSecret', setAutomation)}
                onForget={() => setAutomation(undefined)}
              />
            )}
          </dd>
          <dt>Body (JSON)</dt>
          <dd>
            <CopyValue value={setup.automationTemplate} testId="automation-template" label="automation body template" multiline />
          </dd>
        </dl>
      </details>

      <div className="setup-actions setup-step-actions">
        <ActionButton
          testId="level-continue"
          primary
          onClick={onNext}
          disabledReason={secret && !secret.saved ? 'Save the new secret in the relay first (or discard it)' : undefined}
        >
          Continue to the test
        </ActionButton>
        {!secretSet && !secret && <span className="muted small">Without a secret the relay accepts unsigned deliveries from anyone who knows the URL.</span>}
      </div>
    </div>
  );
}
