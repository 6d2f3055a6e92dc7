/**
 * The seed guide's troubleshooting list as checks with specific answers: each looks at what the
 * relay recorded (deliveries, attempts, alerts) and at the live state of tunnel, reachability and
 * ilert, and says what is wrong and what to do. Shown on the Health page and as the tray's state.
 *
 * Each check reads facts the store keeps incrementally (counters updated by triggers in the same
 * transaction as the rows they count) or makes an indexed look-up bounded by what it finds: the
 * status the tray and every dashboard fetch on each change batch must not scan a table.
 */
import type { Diagnosis, Reachability, TunnelStateView } from '../../shared/contract.ts';
import { WEBHOOK_PATH, type PortPressure } from './receiver/receiver.ts';
import { configurationProblems, type Settings } from './settings.ts';
import { DEFAULT_TARGET, resolveTarget } from './targets.ts';
import type { Store, StoreFacts } from './store/store.ts';
import { oldActiveAlerts, rateLimitedAttempts, rejectionBudget, unappliedFailures, wrongPaths } from './store/diagnosis-reads.ts';
import { levelMaintenanceTooLong } from './quiet/level-maintenance-check.ts';
import { sourceFindings } from './sources/source-health.ts';
import { FAILED_SHOWN_FOR_MS, processingFindings } from './ingest/processing-health.ts';
import type { ProcessingState } from './ingest/processor.ts';

const DAY_MS = 86_400_000;
const NEVER_RESOLVED_AFTER_MS = 2 * DAY_MS;
const RATE_WINDOW_MS = 10 * 60_000;

export interface DiagnosisContext {
  now: number;
  settings: Settings;
  startedAt: number;
  receiverListening: boolean;
  webhookUrl: string | undefined;
  tunnel: TunnelStateView | undefined;
  reachability: Reachability | undefined;
  /** Problems found by the last alert-source check, per target name. */
  alertSourceProblems: ReadonlyMap<string, string>;
  heartbeatError: string | undefined;
  levelApiError: string | undefined;
  /** Reading alert states back with the ilert user API key; undefined without a key. */
  ilertState?: { lastError?: string | undefined; skippedAlerts: number } | undefined;
  /** From the store's health, in memory: why commits fail, if they do. */
  storeProblem?: string | undefined;
  /** Attempt outcomes the forwarder holds in memory because the store could not write them. */
  unrecordedOutcomes?: number;
  /** What the public port turned away or closed for lack of room lately, from memory. */
  publicPortPressure?: PortPressure | undefined;
  /** Which of ilert's last answers still speak for the present. */
  answers?: AnswerScope;
  /** The processor: how far it lags, what it waits for, whether it stalled. */
  processing?: ProcessingState | undefined;
}

/** From when a target's last answer speaks for its current configuration (this process's start, or its last change), and which targets are paused. */
export interface AnswerScope {
  countFrom: (target: string) => number;
  paused: ReadonlySet<string>;
}

const ALL_ANSWERS: AnswerScope = { countFrom: () => 0, paused: new Set() };

/** What the checks read: the store's trigger-kept facts, plus a few indexed look-ups on demand. */
export interface DiagnosisInput {
  facts: StoreFacts;
  store: Store;
  context: DiagnosisContext;
}

/** One line of the troubleshooting guide: zero or more findings, from facts, never a table scan. */
export type Check = (input: DiagnosisInput) => Diagnosis[];

/** "1 request", "3 requests": the Health page reads as sentences, not as "request(s)". */
function count(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : pluralForm}`;
}

const waitingPerTarget = (facts: StoreFacts) => [...facts.jobs].map(([target, jobs]) => ({ target, n: jobs.queued + jobs.in_flight })).filter((row) => row.n > 0);

const receiverDown: Check = ({ context }) =>
  context.receiverListening
    ? []
    : [
        {
          id: 'receiver-down',
          level: 'error',
          title: 'The receiver is not listening',
          detail: 'Level’s webhooks cannot be received.',
          fix: 'Restart the relay; check the log for a port in use.',
        },
      ];

const tunnelProblems: Check = ({ context }) => {
  const found: Diagnosis[] = [];
  const tunnel = context.tunnel;
  if (context.settings.tunnel !== 'off' && tunnel && tunnel.status !== 'running') {
    found.push({
      id: 'tunnel-down',
      level: 'error',
      title: `The tunnel is ${tunnel.status.replace('-', ' ')}`,
      detail: `Level cannot reach the relay while the tunnel is down.${tunnel.lastError ? ` cloudflared said: ${tunnel.lastError}` : ''}`,
      fix:
        tunnel.status === 'not-installed'
          ? 'Install cloudflared, or paste the URL of another tunnel in Setup.'
          : 'It restarts by itself; if it keeps failing, check this machine’s internet connection.',
    });
  }
  if (tunnel?.warning)
    found.push({
      id: 'tunnel-url-changed',
      level: 'warning',
      title: 'The tunnel’s public URL changed',
      detail: tunnel.warning,
      fix: 'Update the webhook URL in Level, or use a named tunnel, whose URL stays.',
    });
  if (context.reachability && !context.reachability.ok) {
    found.push({
      id: 'public-url-unreachable',
      level: 'error',
      title: 'The public URL does not reach this relay',
      detail: context.reachability.message,
      fix: 'Check the tunnel or proxy, then run the reachability check in Setup again.',
    });
  }
  return found;
};

const nothingArrives: Check = ({ facts, store, context }) => {
  const { now, settings } = context;
  const found: Diagnosis[] = [];
  const wrong = wrongPaths(store, now - DAY_MS);
  for (const { path, n } of wrong) {
    const decoded = safeDecode(path);
    const spaces = decoded.trim() === WEBHOOK_PATH || decoded.trim() === `${WEBHOOK_PATH}/`;
    // A stray request (a scanner, a typo once) is not an outage while Level's own deliveries arrive.
    found.push({
      // One card per wrong URL, each with its own id: the dashboard keys its cards by id.
      id: `wrong-path:${decoded}`,
      level: facts.acceptedWebhooks === 0 ? 'error' : 'warning',
      title: spaces ? 'The webhook URL in Level has extra spaces' : 'Level calls a URL the relay does not serve',
      detail: `${count(n, 'request')} in the last day went to ${JSON.stringify(decoded)}; the relay serves ${JSON.stringify(WEBHOOK_PATH)}.`,
      fix: `In Level → Settings → Webhooks, set the URL to exactly ${context.webhookUrl ?? `<public URL>${WEBHOOK_PATH}`}${spaces ? ' (no spaces before or after)' : ''}.`,
    });
  }
  if (facts.acceptedWebhooks === 0 && wrong.length === 0 && now - context.startedAt > 10 * 60_000 && (settings.publicUrl || context.tunnel?.status === 'running')) {
    found.push({
      id: 'nothing-arrives',
      level: 'warning',
      title: 'Nothing has arrived from Level yet',
      detail: `No webhook has reached the relay since it started. Level would have to call ${context.webhookUrl ?? 'the public URL'}.`,
      fix: 'In Level → Settings → Webhooks check the URL, that the webhook is Enabled and its events are ticked; then use the test in Setup.',
    });
  }
  return found;
};

/** 401s: the secrets differ. */
const signatureProblems: Check = ({ facts, context }) => {
  const last = facts.signature;
  if (!last || last.at < context.now - DAY_MS) return [];
  if (last.verdict === 'invalid') {
    return [
      {
        id: 'signature-mismatch',
        level: 'error',
        title: 'Level signs with a different secret than the one saved here',
        detail: `The last ${count(last.invalidInARow, 'delivery', 'deliveries')} ${last.invalidInARow === 1 ? 'was' : 'were'} refused with 401; Level retries each only 3 times, then drops it.`,
        fix: 'Generate a new secret in Setup (step 3) and paste it into the webhook in Level, or enter Level’s secret here.',
      },
    ];
  }
  if (last.verdict === 'missing') {
    return [
      {
        id: 'signature-missing',
        level: 'error',
        title: 'Level sends no signature, but a secret is set here',
        detail: 'Deliveries without X-Level-Signature are refused with 401.',
        fix: 'Enter the same secret in Level’s webhook settings (Setup, step 3).',
      },
    ];
  }
  return [];
};

/** Other sources that never received anything, or whose requests fail authentication. */
const sourceProblems: Check = ({ facts, context }) =>
  sourceFindings(context.settings.sources, facts.sources, context.now, { startedAt: context.startedAt, publicUrl: context.settings.publicUrl });

/** Active for days, never resolved: "Alert resolved" is not ticked in Level. */
const neverResolves: Check = ({ facts, store, context }) => {
  if (facts.resolveWebhooks > 0) return [];
  // At most a thousand are counted: the number is only said.
  const old = oldActiveAlerts(store, context.now - NEVER_RESOLVED_AFTER_MS);
  if (old === 0) return [];
  return [
    {
      id: 'never-resolves',
      level: 'warning',
      title: '“Alert resolved” is probably not selected in Level',
      detail: `${old === 1000 ? 'Over 1,000 alerts have' : old === 1 ? '1 alert has' : `${old} alerts have`} been active for over 2 days and no alert_resolved has ever arrived, so ilert incidents stay open (one-way sync).`,
      fix: 'In Level → Settings → Webhooks, tick “Alert resolved” (or “send all event types”); a Level API key lets reconciliation close the old ones.',
    },
  ];
};

/** ilert refuses the key, or the source is off. */
const ilertRefuses: Check = ({ facts, context }) => {
  const found: Diagnosis[] = [];
  for (const [target, attempt] of facts.lastAttempt) {
    if (attempt.statusCode !== 401 && attempt.statusCode !== 403 && attempt.statusCode !== 404) continue;
    found.push({
      id: `ilert-key-rejected:${target}`,
      level: 'error',
      title: `ilert refuses the integration key of target “${target}” (${attempt.statusCode})`,
      detail: `${attempt.error ?? ''} — the key is wrong, or the alert source was deleted or its key regenerated.`,
      fix: 'Copy the integration key again from ilert → Alert sources → your source, and save it in Settings.',
    });
  }
  for (const [target, problem] of context.alertSourceProblems) {
    found.push({
      id: `alert-source:${target}`,
      level: 'error',
      title: `ilert alert source problem (target “${target}”)`,
      detail: problem,
      fix: 'Enable the alert source in ilert (Alert sources → your source).',
    });
  }
  return found;
};

const targetNotConfigured: Check = ({ facts, context }) =>
  waitingPerTarget(facts)
    .filter((row) => !resolveTarget(context.settings, row.target))
    .map((row) => ({
      id: `target-not-configured:${row.target}`,
      level: 'error',
      title: `${count(row.n, 'event')} ${row.n === 1 ? 'waits' : 'wait'} for ilert target “${row.target}”, which has no integration key`,
      detail: 'Nothing is lost: they are sent as soon as the target is configured.',
      fix:
        row.target === DEFAULT_TARGET
          ? 'Set the ilert integration key in Settings or Setup.'
          : `Add the target “${row.target}” in Settings → ilert targets, or change the routing.`,
    }));

/** Rate limit: say how long the queue takes to drain. */
const rateLimited: Check = ({ facts, store, context }) => {
  const { settings } = context;
  const limited = rateLimitedAttempts(store, context.now - RATE_WINDOW_MS);
  const queued = waitingPerTarget(facts).reduce((sum, row) => sum + row.n, 0);
  if (limited === 0 && queued <= settings.ilertEventsPerMinute) return [];
  const minutes = Math.max(1, Math.ceil(queued / settings.ilertEventsPerMinute));
  return [
    {
      id: 'rate-limited',
      level: 'warning',
      title: 'ilert’s rate limit is reached',
      detail: `${count(queued, 'event')} queued; at ${settings.ilertEventsPerMinute} per minute per integration key that takes about ${minutes} min.${limited ? ` ilert answered 429 ${count(limited, 'time')} in the last 10 minutes.` : ''}`,
      fix: 'Nothing is lost. For lasting bursts, route groups to several alert sources (each key has its own limit).',
    },
  ];
};

// While the store cannot write, every webhook is refused with 503 and Level gives up after three.
const storeCannotWrite: Check = ({ context }) => {
  const held = context.unrecordedOutcomes
    ? ` ${count(context.unrecordedOutcomes, 'answer')} from ilert ${context.unrecordedOutcomes === 1 ? 'is kept in memory until it' : 'are kept in memory until they'} can be written; the alerts’ next events wait for them.`
    : '';
  if (context.storeProblem) {
    return [
      {
        id: 'store-cannot-write',
        level: 'error',
        title: context.storeProblem.charAt(0).toUpperCase() + context.storeProblem.slice(1),
        detail: `Webhooks are answered 503, so Level retries them (three attempts over about 6 minutes); the ilert heartbeat is withheld so someone is paged.${held}`,
        fix: 'Free disk space on the data directory’s volume, make it writable, or close the program holding the database open (a backup tool, the sqlite3 shell).',
      },
    ];
  }
  return context.unrecordedOutcomes
    ? [
        {
          id: 'store-not-writable',
          level: 'error',
          title: 'The relay cannot write its database',
          detail: `${held.trim()} Another program may be holding the database (a backup tool, the sqlite3 shell), or the disk is full.`,
          fix: 'Close the program holding relay.sqlite, or free disk space; the relay carries on by itself.',
        },
      ]
    : [];
};

// Someone holds the public port's memory or connections: Level's small bodies keep a reserve, but
// a monitor must know, so /healthz says 503 and the heartbeat is withheld while it lasts.
const publicPortBusy: Check = ({ context }) => {
  const pressure = context.publicPortPressure;
  if (!pressure) return [];
  const what = [
    pressure.bodiesRefused ? `answered ${count(pressure.bodiesRefused, 'request')} 503 because the bodies being received filled their memory` : '',
    pressure.connectionsRefused ? `refused ${count(pressure.connectionsRefused, 'connection')} over the per-address cap` : '',
    pressure.idleClosed ? `closed ${count(pressure.idleClosed, 'idle connection')} to make room for new ones` : '',
    pressure.atConnectionCap.length
      ? `holds as many connections as one address may have from ${pressure.atConnectionCap
          .slice(0, 3)
          .map((entry) => entry.address)
          .join(', ')}${pressure.atConnectionCap.length > 3 ? ` and ${pressure.atConnectionCap.length - 3} more` : ''}`
      : '',
  ].filter(Boolean);
  return [
    {
      id: 'public-port-busy',
      level: 'error',
      title: 'The public port is flooded',
      detail: `Since ${new Date(pressure.since).toISOString()} the receiver ${what.join(', ')}. Level’s small webhooks keep a reserved share and still get in; /healthz answers 503 and the ilert heartbeat is withheld while this lasts.`,
      fix: 'If it lasts, someone is calling the public URL on purpose: block or rate-limit them at the tunnel (e.g. a Cloudflare WAF rule for the hostname), or move to a new URL and update it in Level.',
    },
  ];
};

/** The store's files were damaged behind its back: a deleted WAL, pages the integrity check found broken. */
const storeDamaged: Check = ({ store }) => {
  const { walDeleted, integrity } = store.health.damage;
  const found: Diagnosis[] = [];
  if (walDeleted) {
    const at = new Date(walDeleted.at).toISOString();
    found.push(
      walDeleted.restoredAt === undefined
        ? {
            id: 'store-wal-deleted',
            level: 'error',
            title: 'relay.sqlite-wal was deleted while the relay runs',
            detail: `Found at ${at}. What was committed is still readable through the open file and is being copied back into relay.sqlite; until then webhooks are answered 503 so Level retries them. If the relay stops uncleanly before that, what was only in the deleted file is lost.`,
            fix: 'Do not stop the relay with kill -9 now. Close any program that has relay.sqlite open (a backup tool, the sqlite3 shell), and find what deletes files in the data directory (a cleaner, an antivirus, a sync tool).',
          }
        : {
            id: 'store-wal-deleted',
            level: 'warning',
            title: 'relay.sqlite-wal was deleted while the relay ran, and restored',
            detail: `Found at ${at}; by ${new Date(walDeleted.restoredAt).toISOString()} everything committed was copied into relay.sqlite and a new WAL made. Nothing acknowledged was lost; webhooks answered 503 meanwhile are retried by Level.`,
            fix: 'Find what deletes files in the data directory (a cleaner, an antivirus, a sync tool) and exclude the directory from it.',
          },
    );
  }
  if (integrity && integrity.problems.length > 0) {
    found.push({
      id: 'store-damaged',
      level: 'error',
      title: 'The database relay.sqlite is damaged',
      detail: `The integrity check (${new Date(integrity.at).toISOString()}) found: ${integrity.problems.slice(0, 3).join('; ')}${integrity.problems.length > 3 ? ` (and ${integrity.problems.length - 3} more)` : ''}. Reads and writes that touch the damaged pages can fail.`,
      fix: 'Make a backup now (npm run backup -- <file>, see "Backup and recovery" in the README), then stop the relay and restore the last good backup, or move the damaged file away to start afresh.',
    });
  }
  return found;
};

// A flood of refused requests: kept within a budget, the rest only counted.
const rejectionsDropped: Check = ({ store, context }) => {
  const rejections = rejectionBudget(store);
  if (rejections.lastDroppedAt === undefined || rejections.lastDroppedAt < context.now - DAY_MS) return [];
  return [
    {
      id: 'rejections-dropped',
      level: 'warning',
      title: 'Many refused requests reach the public URL',
      detail: `${count(rejections.dropped, 'refused request')} since ${new Date(rejections.droppedSince ?? rejections.lastDroppedAt).toISOString()} were not kept: the log keeps the newest ${rejections.kept} within its size limit.`,
      fix: 'If Level’s own deliveries are refused (see the delivery log), fix the secret or URL; otherwise someone else is calling the public URL — they are refused and cost little.',
    },
  ];
};

const outsideServices: Check = ({ context }) => {
  const ilertState = ilertStateCheck(context.ilertState);
  return [
    ...(context.heartbeatError
      ? [
          {
            id: 'heartbeat-failing',
            level: 'warning' as const,
            title: 'The ilert heartbeat ping fails',
            detail: context.heartbeatError,
            fix: 'Check the heartbeat URL in Settings.',
          },
        ]
      : []),
    ...(context.levelApiError
      ? [
          {
            id: 'level-api',
            level: 'warning' as const,
            title: 'Level’s API cannot be read',
            detail: context.levelApiError,
            fix: 'Check the Level API key in Settings (Test connection).',
          },
        ]
      : []),
    ...(ilertState ? [ilertState] : []),
  ];
};

/**
 * What ilert said to the last attempt per target, in a few words: the status bar shows the worst,
 * so "ilert" is never green while ilert answers 503 or refuses the key.
 */
export interface IlertSummary {
  tone: 'ok' | 'warn' | 'bad' | 'muted';
  text: string;
  target?: string;
}

const REFUSED_WORDS: Record<number, string> = { 401: 'key refused', 403: 'forbidden', 404: 'key not found' };

type LastAttempt = StoreFacts['lastAttempt'] extends Map<string, infer A> ? A : never;

/**
 * What a 5xx, 429 or unanswered last attempt means now. It says "retrying" only while something
 * waits for the target, unpaused: once the queue is empty, it gave up (the event failed) or is history. An
 * answer from before this process started or the target was changed is about another
 * configuration, so it is not brought back.
 */
function transientState(facts: StoreFacts, target: string, attempt: LastAttempt, scope: AnswerScope): 'retrying' | 'gave-up' | 'past' {
  if (attempt.at < scope.countFrom(target)) return 'past';
  if (waitingFor(facts, target) > 0) return scope.paused.has(target) ? 'past' : 'retrying';
  return (facts.jobs.get(target)?.failed ?? 0) > 0 ? 'gave-up' : 'past';
}

function waitingFor(facts: StoreFacts, target: string): number {
  const jobs = facts.jobs.get(target);
  return jobs ? jobs.queued + jobs.in_flight : 0;
}

const isTransient = (code: number | undefined) => code === undefined || code >= 500 || code === 429;

export function ilertSummary(facts: StoreFacts, scope = ALL_ANSWERS): IlertSummary {
  let worst: IlertSummary | undefined;
  const rank = { muted: 0, ok: 1, warn: 2, bad: 3 } as const;
  for (const [target, attempt] of facts.lastAttempt) {
    const code = attempt.statusCode;
    const failedForGood = (facts.jobs.get(target)?.failed ?? 0) > 0;
    const transient = isTransient(code) ? transientState(facts, target, attempt, scope) : undefined;
    const summary: IlertSummary =
      code !== undefined && REFUSED_WORDS[code]
        ? { tone: 'bad', text: `${code} ${REFUSED_WORDS[code]}`, target }
        : transient === 'retrying'
          ? { tone: 'warn', text: `${code ?? 'no answer'}, retrying`, target }
          : transient === 'gave-up'
            ? { tone: 'bad', text: `${code ?? 'no answer'}, gave up`, target }
            : transient === 'past'
              ? failedForGood
                ? { tone: 'bad', text: 'some events failed', target }
                : { tone: 'muted', text: waitingFor(facts, target) > 0 ? 'waiting to send' : 'nothing waiting', target }
              : (code ?? 0) >= 400
                ? { tone: 'bad', text: `${code} refused`, target }
                : failedForGood
                  ? { tone: 'bad', text: 'reachable, some events failed', target }
                  : { tone: 'ok', text: 'reachable', target };
    if (!worst || rank[summary.tone] > rank[worst.tone]) worst = summary;
  }
  return worst ?? { tone: 'muted', text: 'no attempts yet' };
}

/**
 * What is missing from the settings, as findings like the others: the status bar, Health, its tab
 * badge and the tray count one list. A missing integration key is said once, by
 * target-not-configured, while events wait for it.
 */
const configuration: Check = ({ facts, context }) => {
  const defaultWaits = waitingPerTarget(facts).some((row) => row.target === DEFAULT_TARGET && !resolveTarget(context.settings, DEFAULT_TARGET));
  return configurationProblems(context.settings).flatMap((problem, index): Diagnosis[] => {
    const missingKey = problem.startsWith('no ilert integration key');
    if (missingKey && defaultWaits) return [];
    const [title, fix] = problem.split(/ — |: (?=set )/);
    return [
      {
        id: missingKey ? 'ilert-not-configured' : `configuration:${index}`,
        level: missingKey ? 'error' : 'warning',
        title: `${title!.charAt(0).toUpperCase()}${title!.slice(1)}`,
        detail: missingKey ? 'Alerts are stored, and forwarded once the key is set.' : 'The configuration is incomplete.',
        fix: fix ? `${fix.charAt(0).toUpperCase()}${fix.slice(1)} (Settings or Setup).` : 'See Settings.',
      },
    ];
  });
};

/** ilert down or answering 5xx: forwarding goes on with backoff, but nobody is paged meanwhile. */
const ilertUnavailable: Check = ({ facts, context }) =>
  [...facts.lastAttempt]
    .filter(([, attempt]) => attempt.statusCode === undefined || attempt.statusCode >= 500)
    // Only while events wait for it: an empty queue has nothing to retry (failed-jobs tells of those that gave up).
    .filter(([target, attempt]) => transientState(facts, target, attempt, context.answers ?? ALL_ANSWERS) === 'retrying')
    .map(([target, attempt]) => ({
      id: `ilert-unavailable:${target}`,
      level: 'warning' as const,
      title: `ilert ${attempt.statusCode === undefined ? 'does not answer' : `answers ${attempt.statusCode}`} (target “${target}”)`,
      detail: `${attempt.error ? `${attempt.error}. ` : ''}Events are kept and retried with backoff; nobody is paged until ilert answers.`,
      fix: 'Nothing is lost. Check https://status.ilert.com and this machine’s internet connection if it lasts.',
    }));

const failedForGood: Check = ({ facts }) => {
  const failed = [...facts.jobs.values()].reduce((sum, jobs) => sum + jobs.failed, 0);
  return failed === 0
    ? []
    : [
        {
          id: 'failed-jobs',
          level: 'error',
          title: `${count(failed, 'ilert event')} failed for good`,
          detail: 'ilert refused them with an error that retrying does not fix, or did not take them within a day of retries, so those alerts did not page anyone.',
          fix: 'Fix the cause named in Deliveries, then use “Retry all failed” there.',
        },
      ];
};

/** The checks, in the order the Health page lists them. Add one here to add a line. */
const processing: Check = ({ store, context }) => processingFindings(context.processing, unappliedFailures(store, context.now - FAILED_SHOWN_FOR_MS), context.now);

export const CHECKS: readonly Check[] = [
  storeCannotWrite,
  storeDamaged,
  processing,
  configuration,
  receiverDown,
  tunnelProblems,
  nothingArrives,
  signatureProblems,
  sourceProblems,
  neverResolves,
  ilertRefuses,
  ilertUnavailable,
  failedForGood,
  targetNotConfigured,
  rateLimited,
  rejectionsDropped,
  publicPortBusy,
  outsideServices,
  levelMaintenanceTooLong,
];

export function diagnose(store: Store, context: DiagnosisContext, facts = store.facts()): Diagnosis[] {
  const input = { facts, store, context };
  return CHECKS.flatMap((check) => check(input));
}

/** Alert states shown from ilert are stale while its REST API fails; forwarding itself goes on. */
function ilertStateCheck(state: DiagnosisContext['ilertState']): Diagnosis | undefined {
  if (state?.lastError) {
    return {
      id: 'ilert-api',
      level: 'warning',
      title: 'ilert’s alert states cannot be read',
      detail: `${state.lastError}. Alerts are still forwarded; PENDING/ACCEPTED/RESOLVED from ilert are not up to date.`,
      fix: 'Check the ilert user API key in Settings (a revoked key or a user who lost access gives 401/403).',
    };
  }
  if (state && state.skippedAlerts > 0) {
    return {
      id: 'ilert-api-unreadable-alerts',
      level: 'warning',
      title: `${count(state.skippedAlerts, 'alert')} in ilert’s answer could not be read`,
      detail: 'They were left out; the other alerts’ states are shown. Their relay alerts keep the state last read.',
      fix: 'Nothing to do if it passes; if it stays, ilert’s API may have changed: update the relay.',
    };
  }
  return undefined;
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
