import { useState } from 'react';
import { roleAllows } from '../../../../shared/contract.ts';
import { call } from '../../api/client.ts';
import { reload, useRelayQuery } from '../../api/queries.ts';
import { ErrorBanner, Flash } from '../../components/controls.tsx';
import { useAction, useFlash } from '../../hooks.ts';
import { SourceForm } from './SourceForm.tsx';
import { draftOf, newDraft, type Kind, type SourceDraft, type SourceView } from './source-draft.ts';
import './sources.css';

const KIND_LABELS: Record<Kind, string> = { particle: 'Particle', json: 'JSON webhook' };
const AUTH_SHORT = { basic: 'HTTP Basic', header: 'header secret', hmac: 'HMAC signature' } as const;

/** Each opened form is a new one: its draft starts from what it opens. */
let formKey = 0;

/** A source being added, or edited (as last saved here, until the list brings it back). */
type Editing = { mode: 'add'; draft: SourceDraft; key: number } | { mode: 'edit'; source: SourceView; key: number };

/**
 * Settings → Sources: Particle and any service that posts JSON, each on its own path. Listed for
 * everyone; added, edited, previewed, tested and deleted by admins (the methods are admin-only).
 */
export function SourcesSection() {
  const role = useRelayQuery('whoAmI', {}).data?.role;
  const isAdmin = role !== undefined && roleAllows(role, 'admin');
  const sources = useRelayQuery('listSources', {});
  const settings = useRelayQuery('getSettings', {});
  const [editing, setEditing] = useState<Editing>();
  const [confirming, setConfirming] = useState<string>();
  const [removed, flashRemoved] = useFlash(5_000);
  const remove = useAction('Could not delete: ');

  const targets = ['default', ...(settings.data?.ilertTargets.map((target) => target.name) ?? [])];
  const publicUrl = settings.data?.values.publicUrl || undefined;
  const list = sources.data ?? [];
  const editedSource = editing?.mode === 'edit' ? (list.find((source) => source.slug === editing.source.slug) ?? editing.source) : undefined;

  const startAdd = (kind: Kind) => {
    setConfirming(undefined);
    setEditing({ mode: 'add', draft: newDraft(kind), key: ++formKey });
  };
  const startEdit = (source: SourceView) => {
    setConfirming(undefined);
    setEditing({ mode: 'edit', source, key: ++formKey });
  };
  const confirmDelete = (source: SourceView) =>
    remove.run(async () => {
      await call('deleteSource', { slug: source.slug });
      setConfirming(undefined);
      if (editing?.mode === 'edit' && editing.source.slug === source.slug) setEditing(undefined);
      reload('listSources', 'getStatus');
      flashRemoved(`Deleted ${source.name}`);
    });

  return (
    <section className="sources-section" aria-labelledby="sources-heading" data-testid="sources-section">
      <h2 id="sources-heading">Sources</h2>
      <p className="help">
        Besides Level: Particle’s cloud and any service that can post JSON (UPS, backup appliances, scripts), each on its own path with its own authentication. Their events go
        through the same store, log, retries and routing as Level’s.
      </p>
      {sources.error && <ErrorBanner error={sources.error.message} prefix="Could not load the sources: " />}
      {list.length === 0 ? (
        <p className="muted" data-testid="sources-none">
          No other sources yet.
        </p>
      ) : (
        <ul className="sources-list" aria-label="Sources">
          {list.map((source) => (
            <li key={source.slug} className="source-row" data-testid="source-row" data-slug={source.slug}>
              <div className="source-summary">
                <strong>{source.name}</strong> <span className="muted">{KIND_LABELS[source.kind]}</span>
                <span className="source-meta">
                  <code>{source.path}</code> · {AUTH_SHORT[source.auth.type]}
                  {source.auth.secret.hint ? (
                    <>
                      {' '}
                      <code data-testid="source-secret-hint">{source.auth.secret.hint}</code>
                    </>
                  ) : null}{' '}
                  · target {source.target}
                </span>
              </div>
              {isAdmin && (
                <div className="source-row-actions">
                  {confirming === source.slug ? (
                    <span role="group" aria-label={`Delete ${source.name}?`} className="confirm">
                      <span>Delete {source.name}? Its sender’s requests will get 404.</span>
                      <button type="button" onClick={() => void confirmDelete(source)} disabled={remove.busy} data-testid="source-delete-confirm">
                        Delete
                      </button>
                      <button type="button" onClick={() => setConfirming(undefined)} data-testid="source-delete-cancel">
                        Keep
                      </button>
                    </span>
                  ) : (
                    <>
                      <button type="button" onClick={() => startEdit(source)} aria-label={`Edit ${source.name}`} data-testid="source-edit">
                        Edit
                      </button>
                      <button type="button" onClick={() => setConfirming(source.slug)} aria-label={`Delete ${source.name}`} data-testid="source-delete">
                        Delete
                      </button>
                    </>
                  )}
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      <ErrorBanner error={remove.error} testId="source-delete-error" />
      <Flash message={removed} testId="source-deleted" block />
      {isAdmin ? (
        <div className="source-add">
          <button type="button" onClick={() => startAdd('particle')} data-testid="add-particle-source">
            Add Particle source
          </button>
          <button type="button" onClick={() => startAdd('json')} data-testid="add-json-source">
            Add JSON webhook source
          </button>
        </div>
      ) : (
        role !== undefined && <p className="muted small">Adding and changing sources needs an admin of this relay.</p>
      )}
      {isAdmin && editing && (
        <SourceForm
          key={editing.key}
          saved={editedSource}
          initial={editing.mode === 'add' ? editing.draft : draftOf(editedSource!)}
          targets={targets}
          publicUrl={publicUrl}
          // Saved: the form stays open on the saved source, so "Send a test" can run.
          onSaved={(source) => setEditing({ mode: 'edit', source, key: editing.key })}
          onClose={() => setEditing(undefined)}
        />
      )}
    </section>
  );
}
