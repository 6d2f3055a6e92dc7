/**
 * The seed guide's troubleshooting list as checks with specific answers: each looks at what the
 * relay recorded (deliveries, attempts, alerts) and at the live state of tunnel, reachability and
 * ilert, and says what is wrong and what to do. Shown on the Health page and as the tray's state.
 */
import type { Diagnosis, Reachability, TunnelStateView } from '../../shared/contract.ts';
import { WEBHOOK_PATH } from './receiver/receiver.ts';
import type { Settings } from './settings.ts';
import type { Store } from './store/store.ts';
import { readRejectionBudget } from './store/rejections.ts';

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
  configuredTargets: ReadonlySet<string>;
  heartbeatError: string | undefined;
  levelApiError: string | undefined;
  /** Reading alert states back with the ilert user API key; undefined without a key. */
  ilertState?: { lastError?: string | undefined; skippedAlerts: number } | undefined;
  /** From the store's health, in memory: why commits fail, if they do. */
  storeProblem?: string | undefined;
}

type Row = Record<string, unknown>;

export function diagnose(store: Store, context: DiagnosisContext): Diagnosis[] {
  const sql = store.sql;
  const { now, settings } = context;
  const found: Diagnosis[] = [];
  const add = (diagnosis: Diagnosis) => found.push(diagnosis);
  const since = now - DAY_MS;

  // First: while the store cannot write, every webhook is refused with 503 and Level gives up after three.
  if (context.storeProblem) {
    add({
      id: 'store-cannot-write',
      level: 'error',
      title: context.storeProblem.charAt(0).toUpperCase() + context.storeProblem.slice(1),
      detail: `Webhooks are answered 503, so Level retries them (three attempts over about 6 minutes); the ilert heartbeat is withheld so someone is paged.`,
      fix: 'Free disk space on the data directory’s volume, make it writable, or close the program holding the database open (a backup tool, the sqlite3 shell).',
    });
  }

  // Nothing arrives: the way in is down, or Level calls a different URL.
  if (!context.receiverListening) {
    add({ id: 'receiver-down', level: 'error', title: 'The receiver is not listening', detail: 'Level’s webhooks cannot be received.', fix: 'Restart the relay; check the log for a port in use.' });
  }
  const tunnel = context.tunnel;
  if (settings.tunnel !== 'off' && tunnel && tunnel.status !== 'running') {
    add({
      id: 'tunnel-down',
      level: 'error',
      title: `The tunnel is ${tunnel.status.replace('-', ' ')}`,
      detail: `Level cannot reach the relay while the tunnel is down.${tunnel.lastError ? ` cloudflared said: ${tunnel.lastError}` : ''}`,
      fix: tunnel.status === 'not-installed' ? 'Install cloudflared, or paste the URL of another tunnel in Setup.' : 'It restarts by itself; if it keeps failing, check this machine’s internet connection.',
    });
  }
  if (tunnel?.warning) add({ id: 'tunnel-url-changed', level: 'warning', title: 'The tunnel’s public URL changed', detail: tunnel.warning, fix: 'Update the webhook URL in Level, or use a named tunnel, whose URL stays.' });
  if (context.reachability && !context.reachability.ok) {
    add({ id: 'public-url-unreachable', level: 'error', title: 'The public URL does not reach this relay', detail: context.reachability.message, fix: 'Check the tunnel or proxy, then run the reachability check in Setup again.' });
  }
  const wrongPaths = sql
    .get(`SELECT path, count(*) AS n, max(received_at) AS at FROM deliveries WHERE status_code = 404 AND received_at >= ? GROUP BY path ORDER BY n DESC LIMIT 3`)
    .all(since) as { path: string; n: number; at: number }[];
  for (const wrong of wrongPaths) {
    const decoded = safeDecode(wrong.path);
    const spaces = decoded.trim() === WEBHOOK_PATH || decoded.trim() === `${WEBHOOK_PATH}/`;
    add({
      id: 'wrong-path',
      level: 'error',
      title: spaces ? 'The webhook URL in Level has extra spaces' : 'Level calls a URL the relay does not serve',
      detail: `${wrong.n} request(s) in the last day went to ${JSON.stringify(decoded)}; the relay serves ${JSON.stringify(WEBHOOK_PATH)}.`,
      fix: `In Level → Settings → Webhooks, set the URL to exactly ${context.webhookUrl ?? `<public URL>${WEBHOOK_PATH}`}${spaces ? ' (no spaces before or after)' : ''}.`,
    });
  }
  const accepted = sql.get(`SELECT count(*) AS n FROM deliveries WHERE source = 'webhook' AND outcome != 'rejected'`).get() as { n: number };
  if (accepted.n === 0 && wrongPaths.length === 0 && now - context.startedAt > 10 * 60_000 && (settings.publicUrl || tunnel?.status === 'running')) {
    add({
      id: 'nothing-arrives',
      level: 'warning',
      title: 'Nothing has arrived from Level yet',
      detail: `No webhook has reached the relay since it started. Level would have to call ${context.webhookUrl ?? 'the public URL'}.`,
      fix: 'In Level → Settings → Webhooks check the URL, that the webhook is Enabled and its events are ticked; then use the test in Setup.',
    });
  }

  // 401s: the secrets differ.
  const lastSignature = sql
    .get(`SELECT signature, received_at FROM deliveries WHERE path = ? AND received_at >= ? AND signature IN ('valid', 'valid-previous', 'invalid', 'missing') ORDER BY id DESC LIMIT 1`)
    .get(WEBHOOK_PATH, since) as { signature: string; received_at: number } | undefined;
  if (lastSignature?.signature === 'invalid') {
    const count = sql.get(`SELECT count(*) AS n FROM deliveries WHERE signature = 'invalid' AND received_at >= ?`).get(since) as { n: number };
    add({
      id: 'signature-mismatch',
      level: 'error',
      title: 'Level signs with a different secret than the one saved here',
      detail: `${count.n} delivery(ies) in the last day were refused with 401; Level retries each only 3 times, then drops it.`,
      fix: 'Generate a new secret in Setup (step 3) and paste it into the webhook in Level, or enter Level’s secret here.',
    });
  } else if (lastSignature?.signature === 'missing') {
    add({
      id: 'signature-missing',
      level: 'error',
      title: 'Level sends no signature, but a secret is set here',
      detail: 'Deliveries without X-Level-Signature are refused with 401.',
      fix: 'Enter the same secret in Level’s webhook settings (Setup, step 3).',
    });
  }

  // Active for days, never resolved: "Alert resolved" is not ticked in Level.
  const resolves = sql.get(`SELECT count(*) AS n FROM deliveries WHERE event_type = 'alert_resolved' AND source = 'webhook' AND outcome != 'rejected'`).get() as { n: number };
  const old = sql
    .get(`SELECT count(*) AS n FROM alerts WHERE state = 'active' AND first_seen_at < ? AND level_alert_id NOT LIKE 'automation:%'`)
    .get(now - NEVER_RESOLVED_AFTER_MS) as { n: number };
  if (resolves.n === 0 && old.n > 0) {
    add({
      id: 'never-resolves',
      level: 'warning',
      title: '“Alert resolved” is probably not selected in Level',
      detail: `${old.n} alert(s) have been active for over 2 days and no alert_resolved has ever arrived, so ilert incidents stay open (one-way sync).`,
      fix: 'In Level → Settings → Webhooks, tick “Alert resolved” (or “send all event types”); a Level API key lets reconciliation close the old ones.',
    });
  }

  // ilert refuses the key, or the source is off.
  const refused = sql
    .get(
      `SELECT o.target, a.status_code, a.error, a.started_at FROM attempts a JOIN outbox o ON o.id = a.outbox_id
       WHERE a.id IN (SELECT max(a2.id) FROM attempts a2 JOIN outbox o2 ON o2.id = a2.outbox_id GROUP BY o2.target)
         AND a.status_code IN (401, 403, 404)`,
    )
    .all() as Row[];
  for (const row of refused) {
    add({
      id: `ilert-key-rejected:${String(row.target)}`,
      level: 'error',
      title: `ilert refuses the integration key of target “${String(row.target)}” (${Number(row.status_code)})`,
      detail: `${String(row.error ?? '')} — the key is wrong, or the alert source was deleted or its key regenerated.`,
      fix: 'Copy the integration key again from ilert → Alert sources → your source, and save it in Settings.',
    });
  }
  for (const [target, problem] of context.alertSourceProblems) {
    add({ id: `alert-source:${target}`, level: 'error', title: `ilert alert source problem (target “${target}”)`, detail: problem, fix: 'Enable the alert source in ilert (Alert sources → your source).' });
  }
  const waiting = sql.get(`SELECT target, count(*) AS n FROM outbox WHERE status IN ('queued', 'in_flight') GROUP BY target`).all() as { target: string; n: number }[];
  for (const row of waiting) {
    if (context.configuredTargets.has(row.target)) continue;
    add({
      id: `target-not-configured:${row.target}`,
      level: 'error',
      title: `${row.n} event(s) wait for ilert target “${row.target}”, which has no integration key`,
      detail: 'Nothing is lost: they are sent as soon as the target is configured.',
      fix: row.target === 'default' ? 'Set the ilert integration key in Settings or Setup.' : `Add the target “${row.target}” in Settings → ilert targets, or change the routing.`,
    });
  }

  // Rate limit: say how long the queue takes to drain.
  const limited = sql.get(`SELECT count(*) AS n FROM attempts WHERE status_code = 429 AND started_at >= ?`).get(now - RATE_WINDOW_MS) as { n: number };
  const queued = waiting.reduce((sum, row) => sum + row.n, 0);
  if (limited.n > 0 || queued > settings.ilertEventsPerMinute) {
    const minutes = Math.max(1, Math.ceil(queued / settings.ilertEventsPerMinute));
    add({
      id: 'rate-limited',
      level: 'warning',
      title: 'ilert’s rate limit is reached',
      detail: `${queued} event(s) queued; at ${settings.ilertEventsPerMinute} per minute per integration key that takes about ${minutes} min.${limited.n ? ` ilert answered 429 ${limited.n} time(s) in the last 10 minutes.` : ''}`,
      fix: 'Nothing is lost. For lasting bursts, route groups to several alert sources (each key has its own limit).',
    });
  }

  // A flood of refused requests: kept within a budget, the rest only counted.
  const rejections = readRejectionBudget(sql);
  if (rejections.lastDroppedAt !== undefined && rejections.lastDroppedAt >= since) {
    add({
      id: 'rejections-dropped',
      level: 'warning',
      title: 'Many refused requests reach the public URL',
      detail: `${rejections.dropped} refused request(s) since ${new Date(rejections.droppedSince ?? rejections.lastDroppedAt).toISOString()} were not kept: the log keeps the newest ${rejections.kept} within its size limit.`,
      fix: 'If Level’s own deliveries are refused (see the delivery log), fix the secret or URL; otherwise someone else is calling the public URL — they are refused and cost little.',
    });
  }
  if (context.heartbeatError) add({ id: 'heartbeat-failing', level: 'warning', title: 'The ilert heartbeat ping fails', detail: context.heartbeatError, fix: 'Check the heartbeat URL in Settings.' });
  if (context.levelApiError) add({ id: 'level-api', level: 'warning', title: 'Level’s API cannot be read', detail: context.levelApiError, fix: 'Check the Level API key in Settings (Test connection).' });
  const ilertState = ilertStateCheck(context.ilertState);
  if (ilertState) add(ilertState);
  return found;
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
      title: `${state.skippedAlerts} alert(s) in ilert’s answer could not be read`,
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
