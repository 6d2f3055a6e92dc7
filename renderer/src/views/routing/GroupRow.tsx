import { useState, type KeyboardEvent } from 'react';
import type { RoutingView } from '../../../../shared/contract.ts';
import { Badge } from '../../components/Badge.tsx';
import { plural, routeKindTone, SEVERITY_LEVELS } from '../../format.ts';
import { draftOf, routeFromDraft, sameDraft, type RouteDraft, type RoutingRow, type Severity } from './route-draft.ts';
import { options } from '../../components/controls.tsx';
import { useAction } from '../../hooks.ts';
import { MaintenanceButton } from '../quiet/MaintenanceDialog.tsx';
import { DevicesInMaintenance } from '../quiet/LevelMaintenance.tsx';
import { FlapFields } from './FlapFields.tsx';

interface GroupRowProps {
  row: RoutingRow;
  targets: RoutingView['targets'];
  /** The mapped ancestor whose route (target, routing key, minimum severity) this group inherits. */
  inheritsFrom?: RoutingRow | undefined;
  /** Saves the row's own route (null removes it); rejects with the relay's message. */
  onSave: (groupId: string, route: ReturnType<typeof routeFromDraft>) => Promise<void>;
  /** Only an admin changes routes; an operator still uses the row's "Maintenance…". */
  canEdit: boolean;
}

const EFFECTIVE_WORDS: Record<RoutingRow['effective']['kind'], string> = {
  mapped: 'mapped',
  inherited: 'inherited',
  default: 'default',
  skip: 'skipped',
};

/** One Level group: its place in the tree, its devices, its own route (editable) and the route that applies. */
export function GroupRow({ row, targets, inheritsFrom, onSave, canEdit }: GroupRowProps) {
  const saved = draftOf(row.route);
  const [edit, setEdit] = useState<RouteDraft>();
  const { busy: saving, error, setError, run } = useAction();
  const draft = edit ?? saved;
  const dirty = !sameDraft(draft, saved);
  const id = row.groupId;

  const change = (next: Partial<RouteDraft>) => {
    setEdit({ ...draft, ...next });
    setError(undefined);
  };
  const cancel = () => {
    setEdit(undefined);
    setError(undefined);
  };
  const save = async () => {
    if (!dirty || saving) return;
    await run(async () => {
      await onSave(id, routeFromDraft(draft));
      setEdit(undefined);
    });
  };
  const onKey = (event: KeyboardEvent) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      void save();
    } else if (event.key === 'Escape' && dirty) {
      cancel();
    }
  };

  // A route naming a target that is no longer configured still shows, so it can be changed.
  const knownTarget = draft.target === '' || targets.some((target) => target.name === draft.target);
  const noTarget = draft.target === '';
  const effective = row.effective;
  // The route that applies: the group's own, or the ancestor's it inherits, minimum severity included.
  const appliedRoute = effective.kind === 'mapped' ? row.route : effective.kind === 'inherited' ? inheritsFrom?.route : undefined;
  const inheritedMin = noTarget && effective.kind === 'inherited' ? inheritsFrom?.route?.minSeverity : undefined;
  const whyDisabled = saving ? 'Saving…' : noTarget ? 'Pick an ilert target for this group first: without one it inherits its parent’s route' : undefined;

  return (
    <tr
      data-testid="routing-row"
      data-group-id={id}
      data-depth={row.depth}
      data-effective={effective.kind}
      className={`rrow rrow-${effective.kind}${row.flag ? ' rrow-flagged' : ''}${dirty ? ' rrow-dirty' : ''}`}
    >
      <td className="r-group" title={row.path}>
        <span className="r-indent" style={{ paddingLeft: `${row.depth * 20}px` }}>
          {row.depth > 0 && (
            <span className="r-branch" aria-hidden="true">
              └
            </span>
          )}
          <span className="r-name" data-testid={`route-name-${id}`}>
            {row.name}
          </span>
        </span>
        {row.flag && (
          <Badge tone="warn" title={row.flag} testId={`route-flag-${id}`}>
            ⚠ {row.flag}
          </Badge>
        )}
        <div className="r-maintenance">
          <MaintenanceButton
            scopes={[{ scope: { group: id }, label: `${row.path} and its subgroups` }]}
            label="Maintenance…"
            what={`group ${row.path}`}
            testId={`route-maintenance-${id}`}
          />
        </div>
      </td>
      <td
        className="r-devices"
        data-testid={`route-devices-${id}`}
        title={`${plural(row.devices, 'device')} directly in this group, ${plural(row.subtreeDevices, 'device')} including its subgroups`}
      >
        <span className="r-direct">{row.devices}</span>
        <span className="muted"> / {row.subtreeDevices}</span>
        <DevicesInMaintenance count={row.devicesInMaintenance} testId={`route-devices-maintenance-${id}`} compact />
      </td>
      <td className="r-route">
        <fieldset className="bare-fieldset r-editor" disabled={!canEdit} onKeyDown={onKey}>
          <select
            aria-label={`ilert target for ${row.path}`}
            data-testid={`route-target-${id}`}
            value={draft.target}
            disabled={saving}
            onChange={(event) => change({ target: event.target.value })}
          >
            <option value="">— inherit —</option>
            {targets.map((target) => (
              <option key={target.name} value={target.name}>
                {target.name}
                {target.configured ? '' : ' (no key)'}
              </option>
            ))}
            {!knownTarget && <option value={draft.target}>{draft.target} (not configured)</option>}
          </select>
          <input
            type="text"
            className="r-key"
            aria-label={`Escalation routing key for ${row.path}`}
            title={whyDisabled ?? 'Optional: an ilert routing key, to pick the escalation policy within the alert source'}
            aria-describedby={noTarget ? 'route-own-hint' : undefined}
            placeholder="routing key"
            data-testid={`route-key-${id}`}
            value={noTarget ? '' : draft.routingKey}
            disabled={noTarget || saving}
            maxLength={200}
            spellCheck={false}
            autoComplete="off"
            onChange={(event) => change({ routingKey: event.target.value })}
          />
          <select
            aria-label={`Minimum severity for ${row.path}`}
            title={whyDisabled ?? 'Optional: alerts below this severity are not forwarded from this group'}
            aria-describedby={noTarget ? 'route-own-hint' : undefined}
            data-testid={`route-severity-${id}`}
            value={noTarget ? '' : draft.minSeverity}
            disabled={noTarget || saving}
            onChange={(event) => change({ minSeverity: event.target.value as '' | Severity })}
          >
            {/* Inheriting, the box shows the minimum that applies, not "any severity". */}
            <option value="">
              {inheritedMin ? `${inheritedMin} and above (inherited)` : noTarget && effective.kind === 'inherited' ? 'any severity (inherited)' : 'any severity'}
            </option>
            {options(SEVERITY_LEVELS, (level) => `${level} and above`)}
          </select>
          <FlapFields draft={draft} groupId={id} groupPath={row.path} noTarget={noTarget} saving={saving} whyDisabled={whyDisabled} change={change} />
          {dirty && (
            <>
              <button type="button" className="primary" onClick={() => void save()} disabled={saving} data-testid={`route-save-${id}`}>
                {saving ? 'Saving…' : noTarget ? 'Remove mapping' : 'Save'}
              </button>
              <button type="button" onClick={cancel} disabled={saving} data-testid={`route-cancel-${id}`}>
                Cancel
              </button>
            </>
          )}
        </fieldset>
        {error && (
          <p className="field-error" role="alert" data-testid={`route-error-${id}`}>
            {error}
          </p>
        )}
      </td>
      <td className="r-effective" data-testid={`route-effective-${id}`}>
        <div className="r-effective-head">
          <Badge tone={routeKindTone(effective.kind)} testId={`route-kind-${id}`}>
            {EFFECTIVE_WORDS[effective.kind]}
          </Badge>
          {effective.kind !== 'skip' && effective.target && (
            <>
              {' '}
              {/* Say what covers the group: its own mapping, or which ancestor's it inherits. */}
              <span className="r-target">
                {effective.kind === 'inherited' && inheritsFrom && `from ‘${inheritsFrom.name}’ `}→ target {effective.target}
              </span>
              {appliedRoute?.minSeverity && (
                <>
                  {' '}
                  <span className="r-min-severity" data-testid={`route-effective-severity-${id}`} title={`Alerts below ${appliedRoute.minSeverity} are not forwarded`}>
                    · {appliedRoute.minSeverity} and above
                  </span>
                </>
              )}
            </>
          )}
        </div>
        <div className="r-reason small muted" title={effective.reason}>
          {effective.reason}
        </div>
      </td>
    </tr>
  );
}
