/**
 * Server state lives in one TanStack Query cache (https://tanstack.com/query/v5/docs/framework/react/overview):
 * views share answers (the Settings and Setup views read the same settings), requests for the same
 * thing are deduplicated, and the relay's pushed changes mark answers stale instead of every view
 * listening and reloading on its own.
 */
import { QueryClient, useQuery, type Query } from '@tanstack/react-query';
import type { ChangeTopic, MethodInput, MethodName, MethodOutput } from '../../../shared/contract.ts';
import { call, type Changes } from './client.ts';

export const queryClient = new QueryClient({
  // Pushed changes say when an answer is out of date; focus and reconnect events do not. The relay
  // is usually on this machine, so a computer without a network must not pause the requests.
  defaultOptions: { queries: { networkMode: 'always', retry: false, refetchOnWindowFocus: false, refetchOnReconnect: false } },
});

type StaleOn = { [M in MethodName]?: (changes: Changes, input: MethodInput<M>, data: MethodOutput<M> | undefined) => boolean };

/**
 * Whether the batch touched one of `topics`. A batch with `setup` but no topic list comes from a
 * relay older than topics (a tray app attached to an older team relay), or from a reconnect: any
 * topic may have changed.
 */
export function touches(changes: Changes, ...topics: ChangeTopic[]): boolean {
  if (changes.topics === undefined) return changes.setup === true;
  return changes.topics.some((topic) => (topics as string[]).includes(topic));
}

/** Which pushed changes make an answer stale; a resync makes every answer stale. */
const STALE_ON: StaleOn = {
  getStatus: () => true,
  getSetup: (changes) => touches(changes, 'settings', 'tunnel', 'reachability'),
  getSettings: (changes) => touches(changes, 'settings'),
  getIntegrationTest: (changes) => touches(changes, 'integration-test'),
  getRouting: (changes) => touches(changes, 'settings', 'mirror', 'routing', 'forwarding', 'level-sync') || changes.alerts.length > 0,
  listReconciliations: (changes) => touches(changes, 'reconciliation'),
  listMaintenanceWindows: (changes) => touches(changes, 'windows') || changes.jobs.length > 0,
  listRules: (changes) => touches(changes, 'rules'),
  listAudit: () => true,
  listMembers: () => true,
  listAlerts: (changes) => changes.alerts.length > 0 || changes.jobs.length > 0,
  getDelivery: (changes, input, data) => changes.deliveries.includes(input.id) || (data?.jobs.some((job) => changes.jobs.includes(job.id)) ?? false),
};

/**
 * Answers asked for again while being fetched are fetched once more afterwards. Cancelling the
 * running fetch instead (Query's default) would starve a slow answer during a storm of changes.
 */
const fetchAgain = new Set<string>();
queryClient.getQueryCache().subscribe((event) => {
  if (event.type === 'updated' && event.query.state.fetchStatus === 'idle' && fetchAgain.delete(event.query.queryHash)) refetch(event.query);
});

function refetch(query: Query): void {
  if (query.state.fetchStatus === 'fetching') fetchAgain.add(query.queryHash);
  else void queryClient.invalidateQueries({ queryKey: query.queryKey, exact: true });
}

export function onChanges(changes: Changes): void {
  for (const query of queryClient.getQueryCache().getAll()) {
    const [method, input] = query.queryKey as [MethodName, never];
    if (changes.resync || STALE_ON[method]?.(changes, input, query.state.data as never)) refetch(query);
  }
}

/** After an action: fetch every answer of these methods again. */
export function reload(...methods: MethodName[]): void {
  for (const query of queryClient.getQueryCache().getAll()) if (methods.includes(query.queryKey[0] as MethodName)) refetch(query);
}

interface RelayQueryOptions<M extends MethodName> {
  /** A hidden view does not follow changes; it fetches once it is shown again (an answer is always fetched once). */
  active?: boolean;
  enabled?: boolean;
  /** How often to poll (e.g. each second while a test runs), in case a pushed change is missed. */
  pollEvery?: (data: MethodOutput<M> | undefined) => number | false;
  /** Which of the shown and a newly arrived answer to keep (both fetched and set ones). */
  keep?: (shown: MethodOutput<M> | undefined, next: MethodOutput<M>) => MethodOutput<M>;
}

/** One contract method's answer, from the shared cache. */
export function useRelayQuery<M extends MethodName>(method: M, input: MethodInput<M>, options: RelayQueryOptions<M> = {}) {
  const { active = true, enabled = true, pollEvery, keep } = options;
  return useQuery({
    queryKey: [method, input],
    queryFn: () => call(method, input),
    enabled: (query) => enabled && (active || query.state.dataUpdatedAt === 0),
    refetchInterval: pollEvery && ((query) => pollEvery(query.state.data)),
    structuralSharing: keep as ((shown: unknown, next: unknown) => unknown) | undefined,
  });
}
