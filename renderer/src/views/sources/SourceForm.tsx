import { useId, useState, type ReactNode } from 'react';
import type { MethodOutput, SourceTest } from '../../../../shared/contract.ts';
import { call } from '../../api/client.ts';
import { reload, useRelayQuery } from '../../api/queries.ts';
import { ErrorBanner, Flash, options } from '../../components/controls.tsx';
import { useAction, useDebounced, useFlash } from '../../hooks.ts';
import { CopyValue, randomSecret, Spinner } from '../setup/common.tsx';
import { FieldError } from './TemplateError.tsx';
import { draftOf, inputOf, JSON_SAMPLE, particleSample, slugOf, TEMPLATE_FIELDS, type AuthType, type SourceDraft, type SourceView } from './source-draft.ts';

const AUTH_LABELS: Record<AuthType, string> = {
  basic: 'HTTP Basic (username and password)',
  header: 'A secret in a header',
  hmac: 'HMAC-SHA256 signature of the body',
};

const HOP_ICONS: Record<SourceTest['hops'][number]['status'], string> = { ok: '✓', failed: '✕', skipped: '–', waiting: '…' };

interface Props {
  /** The saved source being edited; undefined while adding. */
  saved: SourceView | undefined;
  initial: SourceDraft;
  targets: string[];
  publicUrl: string | undefined;
  onSaved: (source: SourceView) => void;
  onClose: () => void;
}

/** Adds or edits one source: its fields, what to set on the sender, a live template preview, and "Send a test". */
export function SourceForm({ saved, initial, targets, publicUrl, onSaved, onClose }: Props) {
  const [draft, setDraft] = useState(initial);
  const [slugTouched, setSlugTouched] = useState(saved !== undefined);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [sample, setSample] = useState(() => (initial.kind === 'particle' ? particleSample(initial.alertEvent) : JSON_SAMPLE));
  const [sampleFrom, setSampleFrom] = useState<string>('an example body');
  const [test, setTest] = useState<SourceTest>();
  const [savedFlash, flashSaved] = useFlash(5_000);
  const save = useAction('Could not save: ');
  const sendTest = useAction('Could not send the test: ');
  const lastBody = useAction('Could not read the last body: ');
  const id = useId();
  const fieldId = (key: string) => `${id}-${key.replace(/\./g, '-')}`;

  const change = (next: Partial<SourceDraft>, ...keys: string[]) => {
    setDraft((current) => ({ ...current, ...next }));
    setErrors((current) => Object.fromEntries(Object.entries(current).filter(([key]) => !keys.some((changed) => key === changed || key.startsWith(`${changed}.`)))));
  };
  const setTemplate = (key: string, value: string) => change({ templates: { ...draft.templates, [key]: value } }, `templates.${key}`);

  const unsaved = saved === undefined || draft.secret !== '' || JSON.stringify(inputOf(draft)) !== JSON.stringify(inputOf(draftOf(saved)));
  const path = `/webhooks/source/${draft.slug || '<path>'}`;
  const url = `${publicUrl ?? '<public URL>'}${path}`;

  // The preview renders as the relay would, a moment after typing stops; no secret is needed for it.
  const input = inputOf(draft);
  const previewInput = useDebounced(
    { source: { ...input, name: input.name || 'New source', slug: input.slug || 'new-source', auth: { type: 'basic' as const, username: 'preview' } }, sample },
    300,
  );
  const preview = useRelayQuery('previewSourceTemplates', previewInput);
  const previewErrors = preview.data && !preview.data.ok ? preview.data.errors : {};
  const shownError = (key: string) => errors[key] ?? previewErrors[key];

  const submit = () =>
    save.run(async () => {
      const result = saved ? await call('updateSource', { slug: saved.slug, source: input }) : await call('createSource', input);
      if (!result.ok) {
        setErrors(result.errors);
        const first = Object.keys(result.errors)[0];
        if (first) requestAnimationFrame(() => document.getElementById(fieldId(first.startsWith('auth.') ? 'auth.secret' : first))?.focus());
        return;
      }
      setErrors({});
      // Saved, the secret is the server's: the field goes back to "leave empty to keep".
      setDraft((current) => ({ ...current, secret: '' }));
      reload('listSources');
      flashSaved(`Saved ${result.source.name}`);
      onSaved(result.source);
    });

  const loadLastBody = () =>
    lastBody.run(async () => {
      const last = await call('lastSourceBody', { slug: saved!.slug });
      if (last.body === undefined) {
        lastBody.setError(last.receivedAt ? 'The last body is no longer kept (history retention).' : 'Nothing has passed this source’s authentication yet.');
        return;
      }
      let pretty = last.body;
      try {
        pretty = JSON.stringify(JSON.parse(last.body), null, 2);
      } catch {
        // Shown as received: the preview says why it is not JSON.
      }
      setSample(pretty);
      setSampleFrom(`the last body received, ${new Date(last.receivedAt!).toLocaleString()}`);
    });

  const runTest = () =>
    sendTest.run(async () => {
      setTest(undefined);
      setTest(await call('testSource', { slug: saved!.slug, sample }));
      reload('getStatus');
    });

  const field = (key: string, label: string, control: ReactNode, help?: ReactNode) => (
    <div className={`field${shownError(key) ? ' field-invalid' : ''}`}>
      <label className="label" htmlFor={fieldId(key)}>
        {label}
      </label>
      <div className="field-control">
        {control}
        <FieldError
          id={`${fieldId(key)}-error`}
          message={shownError(key)}
          template={key.startsWith('templates.') ? draft.templates[key.slice(10) as keyof SourceDraft['templates']] : undefined}
        />
      </div>
      {help && <p className="help">{help}</p>}
    </div>
  );
  const text = (key: string, value: string, onChange: (value: string) => void, extra: { placeholder?: string; maxLength?: number; type?: string } = {}) => (
    <input
      id={fieldId(key)}
      data-testid={`source-${key}`}
      type={extra.type ?? 'text'}
      value={value}
      placeholder={extra.placeholder}
      maxLength={extra.maxLength ?? 200}
      spellCheck={false}
      autoComplete="off"
      aria-invalid={shownError(key) ? true : undefined}
      aria-describedby={shownError(key) ? `${fieldId(key)}-error` : undefined}
      onChange={(event) => onChange(event.target.value)}
    />
  );
  const secretKey = draft.authType === 'basic' ? 'auth.password' : 'auth.secret';
  const savedHint = saved && saved.auth.type === draft.authType ? saved.auth.secret.hint : undefined;

  return (
    <form
      className="source-form"
      aria-labelledby={`${id}-title`}
      data-testid="source-form"
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <h3 id={`${id}-title`}>{saved ? `Edit ${saved.name}` : draft.kind === 'particle' ? 'Add a Particle source' : 'Add a JSON webhook source'}</h3>

      {field(
        'name',
        'Name',
        text('name', draft.name, (name) => change({ name, ...(slugTouched ? {} : { slug: slugOf(name) }) }, 'name', 'slug'), {
          placeholder: 'e.g. Freezer sensors',
          maxLength: 60,
        }),
      )}
      {field(
        'slug',
        'Path',
        text(
          'slug',
          draft.slug,
          (slug) => {
            setSlugTouched(true);
            change({ slug }, 'slug');
          },
          { placeholder: 'freezer-sensors', maxLength: 40 },
        ),
        <>
          The sender posts to <code>{path}</code>. Lower-case letters, digits and dashes.
        </>,
      )}
      {field(
        'target',
        'ilert target',
        <select id={fieldId('target')} data-testid="source-target" value={draft.target} onChange={(event) => change({ target: event.target.value }, 'target')}>
          {options(targets, (target) => (target === 'default' ? 'default (the main integration key)' : target))}
        </select>,
        'The ilert alert source its alerts go to (Settings → ilert targets).',
      )}

      <fieldset className="source-auth">
        <legend>Authentication</legend>
        {field(
          'auth.type',
          'Method',
          <select
            id={fieldId('auth.type')}
            data-testid="source-auth-type"
            value={draft.authType}
            onChange={(event) => change({ authType: event.target.value as AuthType, secret: '' }, 'auth')}
          >
            {options(['basic', 'header', 'hmac'] as const, (type) => AUTH_LABELS[type])}
          </select>,
          draft.kind === 'particle' ? 'Particle’s webhook sends HTTP Basic from its Advanced settings; it can also send a header, but cannot sign.' : undefined,
        )}
        {draft.authType === 'basic' &&
          field(
            'auth.username',
            'Username',
            text('auth.username', draft.username, (username) => change({ username }, 'auth.username')),
          )}
        {draft.authType !== 'basic' &&
          field(
            'auth.header',
            'Header',
            text('auth.header', draft.header, (header) => change({ header }, 'auth.header'), { placeholder: 'X-Signature' }),
          )}
        {draft.authType === 'hmac' &&
          field(
            'auth.prefix',
            'Signature prefix',
            text('auth.prefix', draft.prefix, (prefix) => change({ prefix }, 'auth.prefix'), { placeholder: 'sha256=', maxLength: 40 }),
            'What comes before the hex or base64 signature in the header, if anything.',
          )}
        {field(
          secretKey,
          draft.authType === 'basic' ? 'Password' : 'Secret',
          <div className="secret-row">
            <input
              id={fieldId(secretKey)}
              data-testid="source-secret"
              type="password"
              value={draft.secret}
              placeholder={savedHint ? `saved: ${savedHint} (leave empty to keep)` : 'at least 16 characters'}
              maxLength={500}
              autoComplete="new-password"
              aria-invalid={shownError(secretKey) ? true : undefined}
              aria-describedby={shownError(secretKey) ? `${fieldId(secretKey)}-error` : undefined}
              onChange={(event) => change({ secret: event.target.value }, secretKey)}
            />
            <button type="button" data-testid="source-generate-secret" onClick={() => change({ secret: randomSecret() }, secretKey)}>
              Generate
            </button>
            {draft.secret && <CopyValue value={draft.secret} testId="source-secret-value" label="the secret" />}
          </div>,
          draft.secret ? 'Copy it to the sender now (the Copy button below): once saved it is never shown again.' : saved ? 'Leave empty to keep the saved one.' : undefined,
        )}
      </fieldset>

      {draft.kind === 'particle' && (
        <fieldset className="source-particle">
          <legend>Particle events</legend>
          {field(
            'particle.alertEvent',
            'Alert event',
            text('particle.alertEvent', draft.alertEvent, (alertEvent) => change({ alertEvent }, 'particle'), { maxLength: 63 }),
            'Events whose name starts with this open an alert (Particle matches by prefix too).',
          )}
          {field(
            'particle.resolveEvent',
            'Resolve event',
            text('particle.resolveEvent', draft.resolveEvent, (resolveEvent) => change({ resolveEvent }, 'particle'), { maxLength: 63 }),
            'Events starting with this resolve it: “RESOLVE-temperature” closes what “ALERT-temperature” opened on the same device.',
          )}
          <FieldError id={`${fieldId('particle')}-error`} message={shownError('particle')} />
        </fieldset>
      )}

      <fieldset className="source-templates">
        <legend>Templates</legend>
        <p className="help">
          ilert’s template language: paths like <code>{'{{ data.value }}'}</code> or <code>{'{{ items[0].name }}'}</code>, sections <code>{'{{#x}}…{{/x}}'}</code> and{' '}
          <code>{'{{^x}}…{{/x}}'}</code>, and <code>lowerCase</code>, <code>upperCase</code>, <code>substring</code>, <code>replaceAll</code>, <code>formatUnixMs</code>.
          {draft.kind === 'particle' && ' Left empty, Particle’s preset applies: the event and device name the alert, the event name says ALERT or RESOLVE.'}
        </p>
        {TEMPLATE_FIELDS.map(({ key, label, help }) =>
          field(
            `templates.${key}`,
            label,
            <textarea
              id={fieldId(`templates.${key}`)}
              data-testid={`source-template-${key}`}
              rows={key === 'details' ? 4 : 1}
              value={draft.templates[key]}
              placeholder={draft.kind === 'particle' ? 'preset' : undefined}
              spellCheck={false}
              maxLength={16_384}
              aria-invalid={shownError(`templates.${key}`) ? true : undefined}
              aria-describedby={shownError(`templates.${key}`) ? `${fieldId(`templates.${key}`)}-error` : undefined}
              onChange={(event) => setTemplate(key, event.target.value)}
            />,
            help,
          ),
        )}
      </fieldset>

      <section className="source-preview" aria-labelledby={`${id}-preview`} data-testid="source-preview">
        <h4 id={`${id}-preview`}>Preview</h4>
        <div className="field">
          <label className="label" htmlFor={fieldId('sample')}>
            Sample body
          </label>
          <div className="field-control">
            <textarea
              id={fieldId('sample')}
              data-testid="source-sample"
              rows={7}
              spellCheck={false}
              value={sample}
              onChange={(event) => {
                setSample(event.target.value);
                setSampleFrom('a pasted body');
              }}
            />
            <FieldError id={`${fieldId('sample')}-error`} message={previewErrors.sample} />
          </div>
          <p className="help">
            Rendering {sampleFrom}. Paste one your sender posts
            {saved && (
              <>
                , or{' '}
                <button type="button" className="link" data-testid="source-use-last-body" onClick={() => void loadLastBody()} disabled={lastBody.busy}>
                  use the last body this source received
                </button>
              </>
            )}
            .
          </p>
        </div>
        <ErrorBanner error={lastBody.error} testId="source-last-body-error" />
        <PreviewResult preview={preview.data} loading={preview.isFetching} />
      </section>

      <SenderSettings draft={draft} url={url} publicUrl={publicUrl} />

      <div className="source-actions">
        <button type="submit" className="primary" disabled={save.busy || !unsaved} data-testid="source-save">
          {save.busy ? 'Saving…' : saved ? 'Save changes' : 'Add source'}
        </button>
        <button type="button" onClick={onClose} data-testid="source-close">
          {unsaved && saved === undefined ? 'Cancel' : 'Close'}
        </button>
        <Flash message={savedFlash} testId="source-saved" />
        {Object.keys(errors).length > 0 && (
          <span className="text-bad" data-testid="source-invalid">
            Nothing was saved: fix the {Object.keys(errors).length === 1 ? 'field' : 'fields'} marked in red.
          </span>
        )}
      </div>
      <ErrorBanner error={save.error} testId="source-save-error" />

      <section className="source-test" aria-labelledby={`${id}-test`} data-testid="source-test">
        <h4 id={`${id}-test`}>Send a test</h4>
        <p className="help">
          Posts {draft.kind === 'particle' ? 'a Particle test event (device relay-test-device), then its resolve,' : 'the sample body'} to{' '}
          {publicUrl ? 'the public URL' : 'the local receiver (no public URL is set)'}, authenticated as the sender would be, and follows it to ilert.
        </p>
        <button type="button" onClick={() => void runTest()} disabled={sendTest.busy || unsaved} aria-busy={sendTest.busy || undefined} data-testid="source-send-test">
          {sendTest.busy && <Spinner />}
          {sendTest.busy ? 'Sending…' : 'Send a test'}
        </button>
        {unsaved && (
          <span className="action-reason" data-testid="source-send-test-reason">
            {' '}
            Save first: the test uses the saved source.
          </span>
        )}
        <ErrorBanner error={sendTest.error} testId="source-test-error" />
        {test && <TestResult test={test} />}
      </section>
    </form>
  );
}

function PreviewResult({ preview, loading }: { preview: MethodOutput<'previewSourceTemplates'> | undefined; loading: boolean }) {
  if (!preview) return <p className="muted">{loading ? 'Rendering…' : ''}</p>;
  if (!preview.ok)
    return (
      <p className="text-bad" data-testid="source-preview-invalid">
        Fix the fields marked in red to see the preview.
      </p>
    );
  const result = preview;
  return (
    <div className="preview-result" role="status" aria-live="polite" data-testid="source-preview-result" data-outcome={result.outcome}>
      <p>
        <strong>{result.outcome === 'alert' ? 'ALERT' : result.outcome === 'resolve' ? 'RESOLVE' : result.outcome === 'ignore' ? 'Ignored' : 'Refused'}</strong>
        {result.reason && <span data-testid="source-preview-reason"> — {result.reason}</span>}
      </p>
      {(result.outcome === 'alert' || result.outcome === 'resolve') && (
        <dl className="preview-fields">
          <dt>Summary</dt>
          <dd data-testid="source-preview-summary">{result.summary}</dd>
          <dt>Alert key</dt>
          <dd>
            <code data-testid="source-preview-key">{result.alertKey}</code>
          </dd>
          {result.priority && (
            <>
              <dt>Priority</dt>
              <dd>{result.priority}</dd>
            </>
          )}
          <dt>Details</dt>
          <dd>{result.details ? <pre data-testid="source-preview-details">{result.details}</pre> : <span className="muted">none</span>}</dd>
        </dl>
      )}
      {result.notes.length > 0 && (
        <ul className="muted small">
          {result.notes.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

function TestResult({ test }: { test: SourceTest }) {
  return (
    <div data-testid="source-test-result" data-outcome={test.outcome}>
      <ol className="hops" aria-label="Hops of the test" data-testid="source-test-hops">
        {test.hops.map((hop) => (
          <li key={hop.id} className={`hop hop-${hop.status}`} data-testid={`source-hop-${hop.id}`} data-status={hop.status}>
            <span className="hop-icon" aria-hidden="true">
              {HOP_ICONS[hop.status]}
            </span>
            <span className="hop-label">
              {hop.label}
              <span className="sr-only"> — {hop.status}</span>
            </span>
            <span className="hop-detail">{hop.detail ?? ''}</span>
          </li>
        ))}
      </ol>
      <p className={test.outcome === 'passed' ? 'banner banner-ok' : 'banner banner-bad'} role={test.outcome === 'passed' ? 'status' : 'alert'} data-testid="source-test-message">
        {test.message}
      </p>
    </div>
  );
}

/** What to enter on the sender's side; for Particle, the webhook's settings as its console names them. */
function SenderSettings({ draft, url, publicUrl }: { draft: SourceDraft; url: string; publicUrl: string | undefined }) {
  const titleId = useId();
  const credentials =
    draft.authType === 'basic' ? (
      <>
        HTTP Basic Auth: username <code>{draft.username || '…'}</code>, password: the one saved here
      </>
    ) : draft.authType === 'header' ? (
      <>
        HTTP header <code>{draft.header || '…'}</code>: the secret saved here
      </>
    ) : (
      <>
        Header <code>{draft.header || '…'}</code>: <code>{draft.prefix}</code>HMAC-SHA256 of the raw body with the secret saved here (hex or base64)
      </>
    );
  return (
    <section className="sender-settings" aria-labelledby={titleId} data-testid="source-sender-settings">
      <h4 id={titleId}>{draft.kind === 'particle' ? 'In Particle: create the webhooks' : 'On the sender'}</h4>
      {!publicUrl && (
        <p className="banner banner-info" role="note">
          No public URL is set yet: run Setup (step 2) for a tunnel, then the URL below is complete.
        </p>
      )}
      <p>URL to paste:</p>
      <CopyValue value={url} testId="source-url" label="the source’s URL" />
      {draft.kind === 'particle' ? (
        <>
          <p>In Particle’s console → Integrations → Add new integration → Webhook, create two webhooks, one per event:</p>
          <dl className="sender-fields" data-testid="particle-settings">
            <dt>Name</dt>
            <dd>
              e.g. “ilert relay {draft.alertEvent}” and “ilert relay {draft.resolveEvent}”
            </dd>
            <dt>Event Name</dt>
            <dd>
              <code data-testid="particle-alert-event">{draft.alertEvent}</code> (first webhook), <code>{draft.resolveEvent}</code> (second)
            </dd>
            <dt>URL</dt>
            <dd>
              <code>{url}</code>
            </dd>
            <dt>Request Type</dt>
            <dd>
              <code>POST</code>
            </dd>
            <dt>Request Format</dt>
            <dd>JSON</dd>
            <dt>Advanced Settings</dt>
            <dd>
              JSON DATA: <strong>Default</strong> (or Custom, with templates here to match); {credentials}
            </dd>
          </dl>
          <p className="muted small">Then SAVE, and TEST in Particle, or “Send a test” below.</p>
          {draft.authType === 'hmac' && <p className="text-bad">Particle cannot sign its webhooks: choose HTTP Basic.</p>}
        </>
      ) : (
        <p>
          Method <code>POST</code>, <code>Content-Type: application/json</code>; {credentials}.
        </p>
      )}
    </section>
  );
}
