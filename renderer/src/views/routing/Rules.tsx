import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { SEVERITY_LEVELS, type Role, type RoutingView, type RuleDryRun, type RuleInput, type Severity } from '../../../../shared/contract.ts';
import { call } from '../../api/client.ts';
import { reload, useRelayQuery } from '../../api/queries.ts';
import { fullTime, plural } from '../../format.ts';
import { useAction } from '../../hooks.ts';
import { ErrorBanner, RoleFieldset } from '../../components/controls.tsx';
import './Rules.css';

/** A rule in the list being edited; `key` keeps React's rows (and focus) with the rule while it moves. */
type DraftRule = RuleInput & { key: number };
let nextKey = 1;
const keyed = (rule: RuleInput): DraftRule => ({ ...rule, key: nextKey++ });
const unkeyed = ({ key: _key, ...rule }: DraftRule): RuleInput => rule;

type Group = Pick<RoutingView['rows'][number], 'groupId' | 'path'>;

function conditionsText(rule: RuleInput, groups: readonly Group[]): string {
  const c = rule.conditions;
  const parts = [
    c.severities && `severity ${c.severities.join(' or ')}`,
    c.nameContains && `name contains “${c.nameContains}”`,
    c.nameRegex && `name matches /${c.nameRegex}/`,
    c.group && `in group ${groups.find((group) => group.groupId === c.group)?.path ?? c.group} or below`,
    c.hostname && `hostname ${c.hostname}`,
    c.tags && `tagged ${c.tags.join(' or ')}`,
    c.role && `role ${c.role}`,
    c.platform && `platform ${c.platform}`,
  ].filter(Boolean);
  return parts.length === 0 ? 'every alert' : parts.join(', ');
}

function actionsText(rule: RuleInput): string {
  const a = rule.actions;
  if (a.drop) return 'drop (held, not sent)';
  return [
    a.target && `send to ${a.target}`,
    a.routingKey && `routing key ${a.routingKey}`,
    a.priority && `priority ${a.priority}`,
    a.holdDownSeconds !== undefined && `hold-down ${a.holdDownSeconds / 60} min`,
  ]
    .filter(Boolean)
    .join(', ');
}

/** The editor's fields as typed; turned into a rule on submit. */
interface Fields {
  name: string;
  severities: Severity[];
  nameContains: string;
  nameRegex: string;
  group: string;
  hostname: string;
  tags: string;
  role: string;
  platform: string;
  drop: boolean;
  target: string;
  routingKey: string;
  priority: '' | 'HIGH' | 'LOW';
  holdDownMinutes: string;
}

function toFields(rule: RuleInput | undefined): Fields {
  const c = rule?.conditions ?? {};
  const a = rule?.actions ?? {};
  return {
    name: rule?.name ?? '',
    severities: c.severities ?? [],
    nameContains: c.nameContains ?? '',
    nameRegex: c.nameRegex ?? '',
    group: c.group ?? '',
    hostname: c.hostname ?? '',
    tags: c.tags?.join(', ') ?? '',
    role: c.role ?? '',
    platform: c.platform ?? '',
    drop: a.drop === true,
    target: a.target ?? '',
    routingKey: a.routingKey ?? '',
    priority: a.priority ?? '',
    holdDownMinutes: a.holdDownSeconds === undefined ? '' : String(a.holdDownSeconds / 60),
  };
}

function fromFields(fields: Fields, id: number | undefined): RuleInput {
  const text = (value: string) => value.trim() || undefined;
  const tags = fields.tags
    .split(',')
    .map((tag) => tag.trim())
    .filter(Boolean);
  const minutes = fields.holdDownMinutes.trim();
  const conditions = {
    severities: fields.severities.length > 0 ? fields.severities : undefined,
    nameContains: text(fields.nameContains),
    nameRegex: fields.nameRegex === '' ? undefined : fields.nameRegex,
    group: text(fields.group),
    hostname: text(fields.hostname),
    tags: tags.length > 0 ? tags : undefined,
    role: text(fields.role),
    platform: text(fields.platform),
  };
  const actions = fields.drop
    ? { drop: true as const }
    : {
        target: text(fields.target),
        routingKey: text(fields.routingKey),
        priority: fields.priority || undefined,
        holdDownSeconds: minutes === '' ? undefined : Math.round(Number(minutes) * 60),
      };
  const defined = <T extends object>(object: T) => Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
  return { ...(id !== undefined ? { id } : {}), name: fields.name.trim(), conditions: defined(conditions), actions: defined(actions) };
}

/** The one error a regular expression has, said the way the relay says it when saving. */
function regexError(pattern: string): string | undefined {
  if (pattern === '') return undefined;
  try {
    new RegExp(pattern, 'i');
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function RuleEditor({
  rule,
  targets,
  groups,
  onDone,
  onCancel,
}: {
  rule: DraftRule | undefined;
  targets: readonly string[];
  groups: readonly Group[];
  onDone: (rule: RuleInput) => void;
  onCancel: () => void;
}) {
  const [fields, setFields] = useState(() => toFields(rule));
  const [problem, setProblem] = useState<string>();
  const id = useId();
  const set = <K extends keyof Fields>(key: K, value: Fields[K]) => setFields((current) => ({ ...current, [key]: value }));
  const badRegex = regexError(fields.nameRegex);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const made = fromFields(fields, rule?.id);
    if (!made.actions.drop && Object.keys(made.actions).length === 0) return setProblem('Choose what the rule does: drop, a target or routing key, a priority, or a hold-down.');
    if (badRegex) return setProblem(`The name pattern is not a valid regular expression: ${badRegex}`);
    onDone(made);
  };

  const input = (key: 'nameContains' | 'nameRegex' | 'hostname' | 'tags' | 'role' | 'platform' | 'routingKey', label: string, hint?: string) => {
    const invalid = key === 'nameRegex' && badRegex !== undefined;
    const described = [hint && `${id}-${key}-hint`, invalid && `${id}-${key}-error`].filter(Boolean).join(' ');
    return (
      <div className="rule-field">
        <label htmlFor={`${id}-${key}`}>{label}</label>
        <input
          id={`${id}-${key}`}
          value={fields[key]}
          onChange={(event) => set(key, event.target.value)}
          maxLength={200}
          spellCheck={false}
          aria-describedby={described || undefined}
          aria-invalid={invalid || undefined}
          data-testid={`rule-${key}`}
        />
        {hint && (
          <span className="help" id={`${id}-${key}-hint`}>
            {hint}
          </span>
        )}
        {invalid && (
          <span className="field-error" id={`${id}-${key}-error`} role="alert" data-testid="rule-regex-error">
            {badRegex}
          </span>
        )}
      </div>
    );
  };

  return (
    <form className="rule-editor" onSubmit={submit} aria-labelledby={`${id}-title`} data-testid="rule-editor">
      <h4 id={`${id}-title`}>{rule ? `Edit rule “${rule.name}”` : 'New rule'}</h4>
      <label className="rule-field rule-field-wide">
        Name
        <input value={fields.name} onChange={(event) => set('name', event.target.value)} required maxLength={120} data-testid="rule-name" />
      </label>
      <fieldset className="rule-group">
        <legend>When (all that are filled in must hold; none: every alert)</legend>
        <fieldset className="rule-severities">
          <legend>Severity, any of</legend>
          {SEVERITY_LEVELS.map((severity) => (
            <label key={severity} className="rule-check">
              <input
                type="checkbox"
                checked={fields.severities.includes(severity)}
                onChange={(event) => set('severities', event.target.checked ? [...fields.severities, severity] : fields.severities.filter((each) => each !== severity))}
                data-testid={`rule-severity-${severity}`}
              />
              {severity}
            </label>
          ))}
        </fieldset>
        {input('nameContains', 'Alert name contains', 'a word or phrase, in any case')}
        {input('nameRegex', 'Alert name matches (regular expression)', 'JavaScript syntax, any case; e.g. ^(disk|volume) .* low$')}
        {groups.length > 0 && (
          <label className="rule-field">
            Level group (and its subgroups)
            <select value={fields.group} onChange={(event) => set('group', event.target.value)} data-testid="rule-group">
              <option value="">any group</option>
              {groups.map((group) => (
                <option key={group.groupId} value={group.groupId}>
                  {group.path}
                </option>
              ))}
            </select>
          </label>
        )}
        {input('hostname', 'Hostname pattern', '* any characters, ? one; e.g. SRV-*')}
        {input('tags', 'Device tags, any of', 'comma-separated, from Level')}
        {input('role', 'Device role', 'as Level names it, e.g. Server')}
        {input('platform', 'Platform', 'Windows, Mac or Linux')}
      </fieldset>
      <fieldset className="rule-group">
        <legend>Then</legend>
        <label className="rule-check rule-field-wide">
          <input type="checkbox" checked={fields.drop} onChange={(event) => set('drop', event.target.checked)} data-testid="rule-drop" />
          Drop: hold the alert, send nothing (it shows as held; “Send now” still sends it)
        </label>
        {!fields.drop && (
          <>
            <label className="rule-field">
              Send to ilert target
              <select value={fields.target} onChange={(event) => set('target', event.target.value)} data-testid="rule-target">
                <option value="">as routing says</option>
                {targets.map((target) => (
                  <option key={target} value={target}>
                    {target}
                  </option>
                ))}
              </select>
            </label>
            {input('routingKey', 'Routing key')}
            <label className="rule-field">
              Priority in ilert
              <select value={fields.priority} onChange={(event) => set('priority', event.target.value as Fields['priority'])} data-testid="rule-priority">
                <option value="">as the severity says</option>
                <option value="HIGH">HIGH</option>
                <option value="LOW">LOW</option>
              </select>
            </label>
            <div className="rule-field">
              <label htmlFor={`${id}-hold`}>Hold-down (minutes)</label>
              <input
                id={`${id}-hold`}
                type="number"
                min={0}
                max={1440}
                step="any"
                value={fields.holdDownMinutes}
                onChange={(event) => set('holdDownMinutes', event.target.value)}
                aria-describedby={`${id}-hold-hint`}
                data-testid="rule-hold-down"
              />
              <span className="help" id={`${id}-hold-hint`}>
                empty: the route’s; 0: none
              </span>
            </div>
          </>
        )}
      </fieldset>
      {problem && (
        <p className="field-error rule-field-wide" role="alert" data-testid="rule-editor-error">
          {problem}
        </p>
      )}
      <div className="rule-editor-buttons">
        <button type="submit" className="primary" data-testid="rule-done">
          {rule ? 'Update rule' : 'Add to list'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/**
 * The rules that decide what pages, in order, after routing: admins edit a draft of the whole list
 * (add, edit, move, delete), try it on the last 7 days' alerts, then save it; others read it.
 */
export function Rules({ active, role, targets, groups }: { active: boolean; role: Role | undefined; targets: RoutingView['targets']; groups: readonly Group[] }) {
  const saved = useRelayQuery('listRules', {}, { active });
  const [draft, setDraft] = useState<DraftRule[]>();
  const [editing, setEditing] = useState<DraftRule | 'new'>();
  const [dryRun, setDryRun] = useState<{ result: RuleDryRun; of: DraftRule[] }>();
  /** The move button to focus once the moved rule is drawn in its new place. */
  const focusAfterMove = useRef<string | undefined>(undefined);
  const save = useAction('Could not save the rules: ');
  const trial = useAction('Could not try the rules: ');
  const savedRules = useMemo(() => saved.data?.rules.map(keyed) ?? [], [saved.data]);
  const rules = draft ?? savedRules;
  const changed = draft !== undefined;
  const id = useId();

  useEffect(() => {
    if (!focusAfterMove.current) return;
    document.querySelector<HTMLElement>(`[data-focus-key="${focusAfterMove.current}"]`)?.focus();
    focusAfterMove.current = undefined;
  });

  const change = (next: DraftRule[]) => {
    setDraft(next);
    setDryRun(undefined);
  };
  const move = (index: number, by: -1 | 1, direction: 'up' | 'down') => {
    const next = [...rules];
    const [rule] = next.splice(index, 1);
    next.splice(index + by, 0, rule!);
    change(next);
    // Focus stays on the button pressed, now on the rule's new row; at an end, on the other one.
    const edge = index + by === 0 || index + by === next.length - 1;
    focusAfterMove.current = `${rule!.key}-${edge ? (direction === 'up' ? 'down' : 'up') : direction}`;
  };
  const done = (rule: RuleInput) => {
    if (editing === 'new') change([...rules, keyed(rule)]);
    else if (editing) change(rules.map((each) => (each.key === editing.key ? { ...rule, key: each.key } : each)));
    setEditing(undefined);
  };
  const runDry = () =>
    trial.run(async () => {
      const of = rules;
      setDryRun({ result: await call('dryRunRules', { rules: of.map(unkeyed) }), of });
    });
  const saveAll = () =>
    save.run(async () => {
      await call('saveRules', { rules: rules.map(unkeyed) });
      setDraft(undefined);
      setDryRun(undefined);
      reload('listRules');
    });
  const counts = dryRun && dryRun.of === rules ? dryRun.result : undefined;
  const targetNames = targets.map((target) => target.name);

  return (
    <section className="target-forwarding rules" aria-labelledby={`${id}-title`} data-testid="rules">
      <h3 id={`${id}-title`} className="target-forwarding-title">
        Rules
      </h3>
      <p className="muted small">
        Checked in order after routing; the first rule that matches decides, and a rule without conditions matches every alert. A dropped alert is held, never sent, and shows which
        rule dropped it.
      </p>
      <ErrorBanner error={saved.error?.message} />
      {rules.length === 0 ? (
        <p className="muted small" data-testid="rules-empty">
          No rules: every alert goes as routing says.
        </p>
      ) : (
        <ol className="rules-list" data-testid="rules-list">
          {rules.map((rule, index) => (
            <li key={rule.key} className="rules-item" data-testid={`rule-${index + 1}`}>
              <div className="rules-item-text">
                <span className="target-forwarding-name">{rule.name}</span>
                <span className="small">
                  <span className="muted">When</span> {conditionsText(rule, groups)} <span className="muted">→</span> {actionsText(rule)}
                </span>
                {counts && (
                  <span className="small rules-count" data-testid={`rule-count-${index + 1}`}>
                    would have been the first match for {plural(counts.matched[index] ?? 0, 'alert')} of the last 7 days
                  </span>
                )}
              </div>
              <RoleFieldset role={role} needs="admin">
                <div className="rules-item-buttons">
                  <button type="button" onClick={() => setEditing(rule)} aria-label={`Edit rule “${rule.name}”`} data-testid={`rule-edit-${index + 1}`}>
                    Edit
                  </button>
                  <button
                    type="button"
                    disabled={index === 0}
                    onClick={() => move(index, -1, 'up')}
                    aria-label={`Move rule “${rule.name}” up`}
                    data-focus-key={`${rule.key}-up`}
                    data-testid={`rule-up-${index + 1}`}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    disabled={index === rules.length - 1}
                    onClick={() => move(index, 1, 'down')}
                    aria-label={`Move rule “${rule.name}” down`}
                    data-focus-key={`${rule.key}-down`}
                    data-testid={`rule-down-${index + 1}`}
                  >
                    ↓
                  </button>
                  <button
                    type="button"
                    onClick={() => change(rules.filter((each) => each.key !== rule.key))}
                    aria-label={`Delete rule “${rule.name}”`}
                    data-testid={`rule-delete-${index + 1}`}
                  >
                    Delete
                  </button>
                </div>
              </RoleFieldset>
            </li>
          ))}
        </ol>
      )}
      {counts && (
        <p className="small" role="status" data-testid="rules-dry-run">
          Tried on {plural(counts.looked, 'alert')} first seen since {fullTime(counts.from)}
          {counts.capped ? ` (the newest ${counts.limit.toLocaleString()}; there were more)` : ''}: {plural(counts.unmatched, 'alert')} matched no rule.
        </p>
      )}
      {editing && (
        <RoleFieldset role={role} needs="admin">
          <RuleEditor
            key={editing === 'new' ? 'new' : editing.key}
            rule={editing === 'new' ? undefined : editing}
            targets={targetNames}
            groups={groups}
            onDone={done}
            onCancel={() => setEditing(undefined)}
          />
        </RoleFieldset>
      )}
      <ErrorBanner error={trial.error} testId="rules-dry-run-error" />
      <ErrorBanner error={save.error} testId="rules-save-error" />
      <div className="rules-buttons">
        <RoleFieldset role={role} needs="operator">
          <button type="button" onClick={() => void runDry()} disabled={trial.busy || rules.length === 0} data-testid="rules-dry-run-button">
            {trial.busy ? 'Trying…' : 'Dry run on the last 7 days'}
          </button>
        </RoleFieldset>
        <RoleFieldset role={role} needs="admin">
          {!editing && (
            <button type="button" onClick={() => setEditing('new')} data-testid="rules-add">
              Add rule
            </button>
          )}
          {changed && (
            <>
              <button type="button" className="primary" onClick={() => void saveAll()} disabled={save.busy} data-testid="rules-save">
                {save.busy ? 'Saving…' : 'Save rules'}
              </button>
              <button
                type="button"
                onClick={() => {
                  setDraft(undefined);
                  setDryRun(undefined);
                  save.setError(undefined);
                }}
                data-testid="rules-discard"
              >
                Discard changes
              </button>
              <span className="muted small" role="status">
                Not saved yet
              </span>
            </>
          )}
        </RoleFieldset>
      </div>
      {saved.data?.updatedAt !== undefined && !changed && (
        <p className="muted small">
          Last saved {fullTime(saved.data.updatedAt)} by {saved.data.updatedBy}
        </p>
      )}
    </section>
  );
}
