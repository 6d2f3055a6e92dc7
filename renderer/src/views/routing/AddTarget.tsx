import { useId, useState, type FormEvent } from 'react';
import type { RoutingView } from '../../../../shared/contract.ts';
import { call } from '../../api/client.ts';
import { useAction } from '../../hooks.ts';
import './AddTarget.css';

/**
 * Adds an ilert target (an alert source: a name and its integration key) where groups are mapped
 * to targets, so mapping a new customer does not need a detour to Settings.
 */
export function AddTarget({ targets, onAdded }: { targets: RoutingView['targets']; onAdded: (name: string) => void }) {
  const [name, setName] = useState('');
  const [key, setKey] = useState('');
  const { busy: saving, error, setError, run } = useAction();
  const id = useId();

  const add = (event: FormEvent) => {
    event.preventDefault();
    return run(async () => {
      // The saved targets go back without their keys, which the relay keeps as they are.
      const kept = targets.filter((target) => target.name !== 'default').map((target) => ({ name: target.name }));
      const result = await call('updateSettings', { ilertTargets: [...kept, { name: name.trim(), integrationKey: key.trim() }] });
      if (!result.ok) return setError(Object.values(result.errors).join('; '));
      setName('');
      setKey('');
      onAdded(name.trim());
    });
  };

  return (
    <form className="add-target" onSubmit={(event) => void add(event)} aria-labelledby={`${id}-title`} data-testid="routing-add-target" data-needs="admin">
      <h3 id={`${id}-title`} className="add-target-title">
        Add an ilert target
      </h3>
      <label>
        Name
        <input value={name} onChange={(event) => setName(event.target.value)} required maxLength={60} placeholder="e.g. Acme Corp" data-testid="routing-add-target-name" />
      </label>
      <label>
        Integration key of its ilert alert source
        <input type="password" value={key} onChange={(event) => setKey(event.target.value)} required autoComplete="off" spellCheck={false} data-testid="routing-add-target-key" />
      </label>
      <button type="submit" className="primary" disabled={saving} data-testid="routing-add-target-save">
        {saving ? 'Adding…' : 'Add target'}
      </button>
      {error && (
        <p className="field-error" role="alert" data-testid="routing-add-target-error">
          {error}
        </p>
      )}
    </form>
  );
}
