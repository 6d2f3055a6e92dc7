import { useEffect, useState, type ReactNode } from 'react';
import type { SettingsPatch, SettingsView as SettingsData } from '../../../shared/contract.ts';
import { call } from '../api/client.ts';
import { copyText } from '../clipboard.ts';
import { Icon } from '../components/Icon.tsx';
import { SEVERITY_LEVELS } from '../format.ts';
import { useFlash } from '../hooks.ts';

type ValueKey = 'host' | 'port' | 'adminPort' | 'ilertApiUrl' | 'ilertEventsPerMinute' | 'retentionDays';
type SecretKey = 'levelWebhookSecret' | 'levelWebhookSecretPrevious' | 'ilertIntegrationKey' | 'ilertHeartbeatUrl';

interface FieldSpec {
  key: ValueKey;
  label: string;
  help: ReactNode;
  kind: 'text' | 'number' | 'url';
  restart?: boolean;
}

/** The environment variable that fixes each setting (see the README's settings table). */
const ENVIRONMENT: Record<string, string> = {
  host: 'RELAY_HOST',
  port: 'RELAY_PORT',
  adminPort: 'RELAY_ADMIN_PORT',
  levelWebhookSecret: 'LEVEL_WEBHOOK_SECRET',
  levelWebhookSecretPrevious: 'LEVEL_WEBHOOK_SECRET_PREVIOUS',
  ilertIntegrationKey: 'ILERT_INTEGRATION_KEY',
  ilertApiUrl: 'ILERT_API_URL',
  ilertEventsPerMinute: 'ILERT_EVENTS_PER_MINUTE',
};

const FIELDS: Record<ValueKey, FieldSpec> = {
  host: { key: 'host', label: 'Receiver address', kind: 'text', restart: true, help: 'Address the webhook listener binds to. 127.0.0.1 keeps it on this machine, where your tunnel connects to it.' },
  port: { key: 'port', label: 'Receiver port', kind: 'number', restart: true, help: 'Port Level’s webhooks arrive on (through the tunnel). 0 picks any free port.' },
  adminPort: { key: 'adminPort', label: 'Dashboard port', kind: 'number', restart: true, help: 'Port of this dashboard and its API, on 127.0.0.1 only.' },
  ilertApiUrl: { key: 'ilertApiUrl', label: 'ilert API URL', kind: 'url', help: <>Events are posted to <code>&lt;URL&gt;/api/events</code>. Leave it at https://api.ilert.com unless ilert told you otherwise.</> },
  ilertEventsPerMinute: { key: 'ilertEventsPerMinute', label: 'ilert events per minute', kind: 'number', help: 'At most this many requests per integration key in any rolling minute; ilert allows 50. Critical alerts and resolves go first in a backlog.' },
  retentionDays: { key: 'retentionDays', label: 'Keep history for (days)', kind: 'number', help: 'Deliveries, events and attempts older than this are deleted. Work still pending is always kept.' },
};

const SECRETS: { key: SecretKey; label: string; help: string }[] = [
  { key: 'levelWebhookSecret', label: 'Level webhook secret', help: 'Level signs every webhook with it (X-Level-Signature); deliveries with a missing or wrong signature are refused. Without one, unsigned deliveries are accepted.' },
  {
    key: 'levelWebhookSecretPrevious',
    label: 'Previous webhook secret',
    help: 'Still accepted during a rotation: after setting a new secret in Level, keep the old one here until deliveries signed with it have drained, then clear it.',
  },
  { key: 'ilertIntegrationKey', label: 'ilert integration key', help: 'From your ilert alert source of type API (looks like il1api…). Without it, alerts wait in the queue.' },
  {
    key: 'ilertHeartbeatUrl',
    label: 'ilert heartbeat URL',
    help: 'Optional. Pinged every minute while the relay is healthy, so ilert pages someone when the relay is down or the machine sleeps. Kept secret: anyone with it could keep the heartbeat alive.',
  },
];

type SecretDraft = { mode: 'keep' | 'replace' | 'clear'; value: string };
interface DesktopDraft {
  notifyMinSeverity: string;
  notifyResolves: boolean;
  startAtLogin: boolean;
}
interface Draft {
  values: Record<ValueKey, string>;
  severities: string[];
  desktop: DesktopDraft;
  secrets: Record<SecretKey, SecretDraft>;
}

function draftFrom(view: SettingsData): Draft {
  const values = Object.fromEntries((Object.keys(FIELDS) as ValueKey[]).map((key) => [key, String(view.values[key])])) as Record<ValueKey, string>;
  const keep = (): SecretDraft => ({ mode: 'keep', value: '' });
  const desktop = { notifyMinSeverity: view.values.notifyMinSeverity, notifyResolves: view.values.notifyResolves, startAtLogin: view.values.startAtLogin };
  return { values, severities: [...view.values.highPrioritySeverities], desktop, secrets: { levelWebhookSecret: keep(), levelWebhookSecretPrevious: keep(), ilertIntegrationKey: keep(), ilertHeartbeatUrl: keep() } };
}

/** The changed, unlocked settings as a patch, or the fields the browser can already tell are wrong. */
function buildPatch(view: SettingsData, draft: Draft): { patch: SettingsPatch; errors: Record<string, string> } {
  const locked = new Set(view.lockedByEnvironment);
  const patch: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const spec of Object.values(FIELDS)) {
    if (locked.has(spec.key)) continue;
    const text = draft.values[spec.key].trim();
    if (text === String(view.values[spec.key])) continue;
    if (spec.kind === 'number') {
      if (!/^-?\d+$/.test(text)) errors[spec.key] = text === '' ? 'required: enter a whole number' : 'must be a whole number';
      else patch[spec.key] = Number(text);
    } else {
      patch[spec.key] = text;
    }
  }
  const severities = SEVERITY_LEVELS.filter((level) => draft.severities.includes(level));
  const current = SEVERITY_LEVELS.filter((level) => view.values.highPrioritySeverities.includes(level));
  if (severities.join() !== current.join()) patch.highPrioritySeverities = severities;
  for (const key of Object.keys(draft.desktop) as (keyof DesktopDraft)[]) {
    if (draft.desktop[key] !== view.values[key]) patch[key] = draft.desktop[key];
  }
  for (const { key } of SECRETS) {
    if (locked.has(key)) continue;
    const secret = draft.secrets[key];
    if (secret.mode === 'clear') patch[key] = '';
    if (secret.mode === 'replace') {
      if (secret.value.trim() === '') errors[key] = 'enter the new value, or cancel the replacement';
      else patch[key] = secret.value.trim();
    }
  }
  return { patch: patch as SettingsPatch, errors };
}

const LABELS: Record<string, string> = {
  ...Object.fromEntries(Object.values(FIELDS).map((spec) => [spec.key, spec.label])),
  ...Object.fromEntries(SECRETS.map((spec) => [spec.key, spec.label])),
  highPrioritySeverities: 'High-priority severities',
  notifyMinSeverity: 'Notify from severity',
  notifyResolves: 'Notify when alerts resolve',
  startAtLogin: 'Start at login',
};

function LockNote({ settingKey }: { settingKey: string }) {
  return (
    <p className="lock-note" data-testid={`locked-${settingKey}`}>
      <Icon name="lock" /> Set by the environment variable <code>{ENVIRONMENT[settingKey] ?? settingKey}</code>: change it there and restart the relay.
    </p>
  );
}

/** Puts the cursor in the first field (in page order) that needs fixing. */
function focusFirst(keys: string[]): void {
  requestAnimationFrame(() => {
    const inputs = keys.map((key) => document.getElementById(`setting-${key}`)).filter((input): input is HTMLElement => input !== null);
    inputs.sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
    inputs[0]?.focus();
  });
}

function randomSecret(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

export function SettingsView({ active, onLoaded, onSaved }: { active: boolean; onLoaded: () => void; onSaved: () => void }) {
  const [view, setView] = useState<SettingsData>();
  const [draft, setDraft] = useState<Draft>();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [loadError, setLoadError] = useState<string>();
  const [saving, setSaving] = useState(false);
  const [saved, flashSaved] = useFlash(5_000);
  const [generated, setGenerated] = useState<string>();
  const [copied, flashCopied] = useFlash(3_000);
  const [reveal, setReveal] = useState<Record<string, boolean>>({});

  // A generated secret is shown once: gone when the user leaves this view.
  useEffect(() => {
    if (!active) setGenerated(undefined);
  }, [active]);

  useEffect(() => {
    let live = true;
    call('getSettings', {})
      .then((settings) => {
        if (!live) return;
        setView(settings);
        setDraft(draftFrom(settings));
      })
      .catch((error: Error) => live && setLoadError(error.message))
      .finally(() => live && onLoaded());
    return () => {
      live = false;
    };
  }, [onLoaded]);

  if (!view || !draft) {
    return <div className="view-message">{loadError ? <p className="error">Could not load settings: {loadError}</p> : <p className="muted">Loading settings…</p>}</div>;
  }

  const locked = new Set(view.lockedByEnvironment);
  const pending = buildPatch(view, draft);
  const changed = Object.keys(pending.patch).length > 0 || Object.keys(pending.errors).length > 0;

  const setValue = (key: ValueKey, value: string) => {
    setDraft({ ...draft, values: { ...draft.values, [key]: value } });
    setErrors(({ [key]: _dropped, ...rest }) => rest);
  };
  const setSecret = (key: SecretKey, secret: SecretDraft) => {
    setDraft({ ...draft, secrets: { ...draft.secrets, [key]: secret } });
    setErrors(({ [key]: _dropped, ...rest }) => rest);
  };

  const save = async () => {
    const built = buildPatch(view, draft);
    if (Object.keys(built.errors).length > 0) {
      setErrors(built.errors);
      focusFirst(Object.keys(built.errors));
      return;
    }
    setSaving(true);
    try {
      const result = await call('updateSettings', built.patch);
      if (result.ok) {
        setView(result.settings);
        setDraft(draftFrom(result.settings));
        setErrors({});
        flashSaved(`Saved ${Object.keys(built.patch).map((key) => LABELS[key] ?? key).join(', ')}.`);
        onSaved();
      } else {
        setErrors(result.errors);
        focusFirst(Object.keys(result.errors));
      }
    } catch (error) {
      setErrors({ settings: (error as Error).message });
    } finally {
      setSaving(false);
    }
  };

  const fieldError = (key: string) =>
    errors[key] ? (
      <p className="field-error" id={`${key}-error`} data-testid={`error-${key}`} role="alert">
        {errors[key]}
      </p>
    ) : null;

  const valueField = (key: ValueKey) => {
    const spec = FIELDS[key];
    const isLocked = locked.has(key);
    return (
      <div className={`field${errors[key] ? ' field-invalid' : ''}`} key={key}>
        <label htmlFor={`setting-${key}`}>
          {spec.label}
          {spec.restart && <span className="tag" title="Takes effect after a restart">restart</span>}
        </label>
        <div className="field-control">
        <input
          id={`setting-${key}`}
          data-testid={`setting-${key}`}
          type={spec.kind === 'url' ? 'url' : 'text'}
          inputMode={spec.kind === 'number' ? 'numeric' : undefined}
          spellCheck={false}
          autoComplete="off"
          value={draft.values[key]}
          readOnly={isLocked}
          aria-readonly={isLocked}
          aria-invalid={errors[key] ? true : undefined}
          aria-describedby={`${key}-help${errors[key] ? ` ${key}-error` : ''}`}
          className={spec.kind === 'number' ? 'input-number' : undefined}
          onChange={(event) => setValue(key, event.target.value)}
        />
        {fieldError(key)}
        {isLocked && <LockNote settingKey={key} />}
        </div>
        <p className="help" id={`${key}-help`}>
          {spec.help}
        </p>
      </div>
    );
  };

  const secretField = ({ key, label, help }: (typeof SECRETS)[number]) => {
    const masked = view.secrets[key];
    const secret = draft.secrets[key];
    const isLocked = locked.has(key);
    return (
      <div className={`field${errors[key] ? ' field-invalid' : ''}`} key={key} data-testid={`secret-${key}`}>
        <label htmlFor={`setting-${key}`} id={`${key}-label`}>
          {label}
        </label>
        <div className="field-control">
        <div className="secret-row">
          {secret.mode === 'replace' ? (
            <>
              <input
                id={`setting-${key}`}
                data-testid={`setting-${key}`}
                type={reveal[key] ? 'text' : 'password'}
                autoComplete="new-password"
                spellCheck={false}
                value={secret.value}
                placeholder="new value"
                aria-invalid={errors[key] ? true : undefined}
                aria-describedby={`${key}-help`}
                onChange={(event) => setSecret(key, { mode: 'replace', value: event.target.value })}
              />
              <button type="button" className="icon-button" aria-label={reveal[key] ? `Hide ${label}` : `Show ${label}`} title={reveal[key] ? 'Hide' : 'Show'} onClick={() => setReveal({ ...reveal, [key]: !reveal[key] })}>
                <Icon name={reveal[key] ? 'eyeOff' : 'eye'} />
              </button>
              <button type="button" onClick={() => setSecret(key, { mode: 'keep', value: '' })}>
                Cancel
              </button>
            </>
          ) : (
            <>
              <span className={`secret-value${secret.mode === 'clear' ? ' secret-cleared' : ''}`} id={`setting-${key}`} data-testid={`secret-hint-${key}`}>
                {secret.mode === 'clear' ? 'will be cleared when you save' : masked.set ? <code>{masked.hint}</code> : <span className="muted">not set</span>}
              </span>
              {secret.mode === 'clear' ? (
                <button type="button" onClick={() => setSecret(key, { mode: 'keep', value: '' })}>
                  Undo
                </button>
              ) : (
                <>
                  <button
                    type="button"
                    disabled={isLocked}
                    title={isLocked ? `Set by ${ENVIRONMENT[key]} in the environment` : masked.set ? 'Enter a new value' : 'Enter a value'}
                    onClick={() => setSecret(key, { mode: 'replace', value: '' })}
                    data-testid={`replace-${key}`}
                  >
                    {masked.set ? 'Replace' : 'Set'}
                  </button>
                  <button
                    type="button"
                    disabled={isLocked || !masked.set}
                    title={isLocked ? `Set by ${ENVIRONMENT[key]} in the environment` : !masked.set ? 'Not set, nothing to clear' : 'Remove this secret when you save'}
                    onClick={() => setSecret(key, { mode: 'clear', value: '' })}
                    data-testid={`clear-${key}`}
                  >
                    Clear
                  </button>
                </>
              )}
            </>
          )}
        </div>
        {fieldError(key)}
        {isLocked && <LockNote settingKey={key} />}
        </div>
        <p className="help" id={`${key}-help`}>
          {help}
        </p>
      </div>
    );
  };

  const secretLocked = locked.has('levelWebhookSecret');

  return (
    <div className="settings-view scroll" data-testid="settings-view">
      <form
        className="settings-form"
        onSubmit={(event) => {
          event.preventDefault();
          void save();
        }}
        noValidate
      >
        {view.problems.length > 0 && (
          <div className="banner banner-warn" data-testid="settings-problems">
            <b>{view.problems.length === 1 ? '1 problem' : `${view.problems.length} problems`} with this configuration</b>
            <ul>
              {view.problems.map((problem) => (
                <li key={problem}>{problem}</li>
              ))}
            </ul>
          </div>
        )}
        {view.restartRequired.length > 0 && (
          <p className="banner banner-info" data-testid="restart-required">
            Restart the relay to apply: {view.restartRequired.map((key) => LABELS[key] ?? key).join(', ')}.
          </p>
        )}
        {errors.settings && (
          <p className="banner banner-bad" role="alert" data-testid="error-settings">
            {errors.settings}
          </p>
        )}

        <fieldset>
          <legend>Level webhooks</legend>
          {SECRETS.filter((spec) => spec.key.startsWith('level')).map(secretField)}
          <div className="field generate">
            <span className="label">New secret</span>
            <div className="field-control">
            <button type="button" onClick={() => setGenerated(randomSecret())} data-testid="generate-secret">
              Generate webhook secret
            </button>
            {generated && (
              <div className="generated" data-testid="generated-secret-panel">
                <code className="generated-value" data-testid="generated-secret">
                  {generated}
                </code>
                <div className="generated-actions">
                  <button type="button" onClick={() => copyText(generated).then(() => flashCopied('Copied'), (error: Error) => flashCopied(error.message))} data-testid="copy-generated-secret">
                    Copy
                  </button>
                  <button
                    type="button"
                    disabled={secretLocked}
                    title={secretLocked ? 'The Level webhook secret is set by LEVEL_WEBHOOK_SECRET in the environment: put the new one there' : 'Put this secret into the Level webhook secret field (saved when you press Save)'}
                    onClick={() => setSecret('levelWebhookSecret', { mode: 'replace', value: generated })}
                    data-testid="use-generated-secret"
                  >
                    Use as Level webhook secret
                  </button>
                  <button type="button" className="icon-button" aria-label="Hide generated secret" title="Hide" onClick={() => setGenerated(undefined)}>
                    <Icon name="close" />
                  </button>
                  {copied && <span className="flash">{copied}</span>}
                </div>
                <p className="warning">
                  Copy it now and paste it into Level’s webhook. <b>Level will not show it again</b> after you save the webhook, and this page shows it only once.
                </p>
              </div>
            )}
            </div>
            <p className="help">32 random bytes from this computer’s secure random generator, as 64 hex characters. Use one for a new webhook or a rotation.</p>
          </div>
        </fieldset>

        <fieldset>
          <legend>ilert</legend>
          {SECRETS.filter((spec) => spec.key.startsWith('ilert')).map(secretField)}
          {valueField('ilertApiUrl')}
          {valueField('ilertEventsPerMinute')}
          <div className={`field${errors.highPrioritySeverities ? ' field-invalid' : ''}`} role="group" aria-labelledby="severities-label" aria-describedby="severities-help">
            <span className="label" id="severities-label">
              High-priority severities
            </span>
            <div className="field-control">
            <div className="checks">
              {SEVERITY_LEVELS.map((level) => (
                <label key={level} className="check">
                  <input
                    type="checkbox"
                    data-testid={`severity-${level}`}
                    checked={draft.severities.includes(level)}
                    onChange={(event) =>
                      setDraft({ ...draft, severities: event.target.checked ? [...draft.severities, level] : draft.severities.filter((entry) => entry !== level) })
                    }
                  />
                  <span className={`sev sev-${level === 'emergency' ? 'critical' : level}`}>{level}</span>
                </label>
              ))}
            </div>
            {fieldError('highPrioritySeverities')}
            </div>
            <p className="help" id="severities-help">
              Level alerts of these severities page with ilert priority HIGH; the others are sent as LOW.
            </p>
          </div>
        </fieldset>

        <fieldset>
          <legend>Receiver</legend>
          {valueField('host')}
          {valueField('port')}
          {valueField('adminPort')}
        </fieldset>

        <fieldset>
          <legend>History</legend>
          {valueField('retentionDays')}
        </fieldset>

        <fieldset>
          <legend>Desktop app</legend>
          <div className={`field${errors.notifyMinSeverity ? ' field-invalid' : ''}`}>
            <label className="label" htmlFor="notify-min-severity">
              Notify from severity
            </label>
            <div className="field-control">
              <select
                id="notify-min-severity"
                data-testid="notify-min-severity"
                value={draft.desktop.notifyMinSeverity}
                onChange={(event) => setDraft({ ...draft, desktop: { ...draft.desktop, notifyMinSeverity: event.target.value } })}
              >
                {[...SEVERITY_LEVELS].reverse().map((level) => (
                  <option key={level} value={level}>
                    {level} and above
                  </option>
                ))}
              </select>
              {fieldError('notifyMinSeverity')}
            </div>
            <p className="help">New Level alerts at or above this severity pop a desktop notification; a burst becomes one summary.</p>
          </div>
          {(['notifyResolves', 'startAtLogin'] as const).map((key) => (
            <div className="field" key={key}>
              <span className="label">{LABELS[key]}</span>
              <div className="field-control">
                <label className="check">
                  <input
                    type="checkbox"
                    data-testid={`setting-${key}`}
                    checked={draft.desktop[key]}
                    onChange={(event) => setDraft({ ...draft, desktop: { ...draft.desktop, [key]: event.target.checked } })}
                  />
                  <span>{key === 'notifyResolves' ? 'also notify when an alert resolves' : 'start the app when I log in'}</span>
                </label>
                {fieldError(key)}
              </div>
              <p className="help">{key === 'notifyResolves' ? 'Off by default: ilert already closes its alert.' : 'Only in the desktop app; the headless relay ignores it.'}</p>
            </div>
          ))}
        </fieldset>

        <div className="form-actions">
          <button type="submit" className="primary" disabled={!changed || saving} title={changed ? 'Validate and save the changes' : 'Nothing changed'} data-testid="settings-save">
            {saving ? 'Saving…' : 'Save'}
          </button>
          <button
            type="button"
            disabled={!changed || saving}
            title={changed ? 'Forget the changes' : 'Nothing changed'}
            onClick={() => {
              setDraft(draftFrom(view));
              setErrors({});
            }}
            data-testid="settings-revert"
          >
            Revert
          </button>
          {Object.keys(errors).length > 0 && (
            <span className="text-bad" data-testid="settings-invalid">
              Nothing was saved: fix the {Object.keys(errors).length === 1 ? 'field' : 'fields'} marked in red.
            </span>
          )}
          {saved && (
            <span className="flash" role="status" data-testid="settings-saved">
              {saved}
            </span>
          )}
          {view.restartRequired.length > 0 && Object.keys(errors).length === 0 && (
            <span className="restart-note" title="These settings are saved but take effect only after a restart">
              Restart the relay to apply: {view.restartRequired.map((key) => LABELS[key] ?? key).join(', ')}
            </span>
          )}
        </div>
      </form>
    </div>
  );
}
