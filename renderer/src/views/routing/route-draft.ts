import type { RoutingView } from '../../../../shared/contract.ts';
import type { SEVERITY_LEVELS } from '../../format.ts';

export type RoutingRow = RoutingView['rows'][number];
export type GroupRoute = NonNullable<RoutingRow['route']>;
export type Severity = (typeof SEVERITY_LEVELS)[number];

/** A row's route as the form holds it: '' for "— inherit —", no routing key, any severity, the default hold-down and grace. */
export interface RouteDraft {
  target: string;
  routingKey: string;
  minSeverity: '' | Severity;
  /** Seconds as typed; '' = the settings' default. */
  holdDownSeconds: string;
  resolveGraceSeconds: string;
}

export function draftOf(route: GroupRoute | undefined): RouteDraft {
  return {
    target: route?.target ?? '',
    routingKey: route?.routingKey ?? '',
    minSeverity: route?.minSeverity ?? '',
    holdDownSeconds: route?.holdDownSeconds === undefined ? '' : String(route.holdDownSeconds),
    resolveGraceSeconds: route?.resolveGraceSeconds === undefined ? '' : String(route.resolveGraceSeconds),
  };
}

export function sameDraft(a: RouteDraft, b: RouteDraft): boolean {
  if (a.target !== b.target) return false;
  // Without a target the rest does not matter: the mapping is removed.
  return (
    a.target === '' ||
    (a.routingKey.trim() === b.routingKey.trim() &&
      a.minSeverity === b.minSeverity &&
      a.holdDownSeconds.trim() === b.holdDownSeconds.trim() &&
      a.resolveGraceSeconds.trim() === b.resolveGraceSeconds.trim())
  );
}

/** Typed seconds as the relay takes them: '' is the default (left out); anything else is sent as typed and checked there. */
function seconds(typed: string): number | undefined {
  const text = typed.trim();
  return text === '' ? undefined : Number(text);
}

/** What setGroupRoute takes: null removes the group's own mapping, so it inherits again. */
export function routeFromDraft(draft: RouteDraft): { target: string; routingKey?: string; minSeverity?: Severity; holdDownSeconds?: number; resolveGraceSeconds?: number } | null {
  if (draft.target === '') return null;
  const routingKey = draft.routingKey.trim();
  const holdDownSeconds = seconds(draft.holdDownSeconds);
  const resolveGraceSeconds = seconds(draft.resolveGraceSeconds);
  return {
    target: draft.target,
    ...(routingKey ? { routingKey } : {}),
    ...(draft.minSeverity ? { minSeverity: draft.minSeverity } : {}),
    ...(holdDownSeconds === undefined ? {} : { holdDownSeconds }),
    ...(resolveGraceSeconds === undefined ? {} : { resolveGraceSeconds }),
  };
}

/** Switches to the Settings tab: the routing view has no navigation of its own. */
export function showSettings(): void {
  const tab = document.getElementById('tab-settings');
  tab?.click();
  tab?.focus();
}
