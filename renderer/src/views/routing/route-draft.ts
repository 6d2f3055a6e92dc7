import type { RoutingView } from '../../../../shared/contract.ts';
import type { SEVERITY_LEVELS } from '../../format.ts';

export type RoutingRow = RoutingView['rows'][number];
export type GroupRoute = NonNullable<RoutingRow['route']>;
export type Severity = (typeof SEVERITY_LEVELS)[number];

/** A row's route as the form holds it: '' for "— inherit —", no routing key, any severity. */
export interface RouteDraft {
  target: string;
  routingKey: string;
  minSeverity: '' | Severity;
}

export function draftOf(route: GroupRoute | undefined): RouteDraft {
  return { target: route?.target ?? '', routingKey: route?.routingKey ?? '', minSeverity: route?.minSeverity ?? '' };
}

export function sameDraft(a: RouteDraft, b: RouteDraft): boolean {
  if (a.target !== b.target) return false;
  // Without a target the other two do not matter: the mapping is removed.
  return a.target === '' || (a.routingKey.trim() === b.routingKey.trim() && a.minSeverity === b.minSeverity);
}

/** What setGroupRoute takes: null removes the group's own mapping, so it inherits again. */
export function routeFromDraft(draft: RouteDraft): { target: string; routingKey?: string; minSeverity?: Severity } | null {
  if (draft.target === '') return null;
  const routingKey = draft.routingKey.trim();
  return { target: draft.target, ...(routingKey ? { routingKey } : {}), ...(draft.minSeverity ? { minSeverity: draft.minSeverity } : {}) };
}

/** Switches to the Settings tab: the routing view has no navigation of its own. */
export function showSettings(): void {
  const tab = document.getElementById('tab-settings');
  tab?.click();
  tab?.focus();
}
