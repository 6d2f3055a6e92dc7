import type {
  AlertEntry,
  AlertPage,
  AlertPageInput,
  AlertRow,
  AttemptView,
  DeliveryDetail,
  DeliveryFilter,
  DeliveryPage,
  DeliveryRow,
  DeliveryStatus,
  HeldView,
  JobView,
} from '../../../shared/contract.ts';
import { SEVERITY_LEVELS } from '../../../shared/contract.ts';
import { Repository } from './store.ts';
import { PATH_SEPARATOR } from '../level/envelope.ts';
import { SQL } from './private.ts';

/**
 * A job waiting in the outbox for an ilert target paused by hand: held like a job in a window, read
 * from target_pauses (a handful of rows) rather than written into the jobs, so resuming needs no rewrite.
 */
const PAUSED = (job: string) => `(${job}.status = 'queued' AND ${job}.target IN (SELECT target FROM target_pauses))`;

/** A delivery's one status: its own outcome, or for accepted alerts the state of its ilert work. */
const DELIVERY_STATUS = `CASE
  WHEN d.outcome != 'accepted' THEN d.outcome
  WHEN j.id IS NULL THEN 'accepted'
  WHEN ${PAUSED('j')} THEN 'held'
  WHEN j.status = 'queued' AND j.attempts > 0 THEN 'retrying'
  WHEN j.status = 'in_flight' THEN 'sending'
  ELSE j.status END`;

/** An outbox job `j`, as jobSummary reads it. */
const JOB_COLUMNS = `j.id AS job_id, j.event_type AS job_event_type, j.status AS job_status, j.reason AS job_reason, j.attempts AS job_attempts,
  j.next_attempt_at AS job_next_attempt_at, j.last_status_code AS job_last_status_code, j.last_error AS job_last_error,
  j.target AS job_target, j.route_reason AS job_route_reason, j.held_reason AS job_held_reason, j.held_until AS job_held_until, j.released AS job_released,
  ${PAUSED('j')} AS job_paused`;

/**
 * The held jobs, led by indexes: status 'held' through outbox_held; a paused target's from its
 * pause (none: nothing read) through outbox_waiting_since, the jobs still waiting, which a pause
 * is what keeps there (its partial-index condition is spelt out so SQLite may use it).
 */
export const HELD_JOBS = (column: string) => `SELECT ${column} FROM outbox INDEXED BY outbox_held WHERE status = 'held'
  UNION ALL SELECT o.${column} FROM target_pauses p CROSS JOIN outbox o INDEXED BY outbox_waiting_since
    ON o.target = p.target WHERE o.status IN ('queued', 'in_flight') AND o.status = 'queued'`;

const ROW_COLUMNS = `d.id, d.received_at, d.source, d.event_type, d.event_id, d.outcome, d.status_code, d.reason, d.signature,
  d.alert_name, d.hostname, d.severity, d.level_alert_id, d.path, d.rerun_of, ${DELIVERY_STATUS} AS status, ${JOB_COLUMNS},
  (SELECT latency_ms FROM attempts WHERE outbox_id = j.id ORDER BY id DESC LIMIT 1) AS job_last_latency_ms,
  (SELECT url FROM attempts WHERE outbox_id = j.id ORDER BY id DESC LIMIT 1) AS job_url`;

type Row = Record<string, unknown>;

interface StoredRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Uint8Array | undefined;
  truncated: boolean;
  source: string;
  receivedAt: number;
  /** What the relay answered, when it refused the delivery (bad signature, bad body, wrong path). */
  refused: { statusCode: number; reason: string | undefined } | undefined;
}

/** Most severe first; the same expression as the alerts_board index (schema 3), so pages read in index order. */
const SEVERITY_RANK = `CASE a.severity WHEN 'emergency' THEN 0 WHEN 'critical' THEN 1 WHEN 'warning' THEN 2 ELSE 3 END`;

const text = (value: unknown) => (value === null || value === undefined ? undefined : String(value));
const num = (value: unknown) => (value === null || value === undefined ? undefined : Number(value));

/** How a job's stored status reads to a person: a queued job that has been tried is retrying. */
function viewStatus(status: unknown, attempts: unknown, paused: unknown): JobView['status'] {
  if (status === 'queued' && Number(paused)) return 'held';
  if (status === 'queued' && Number(attempts) > 0) return 'retrying';
  if (status === 'in_flight') return 'sending';
  return String(status) as JobView['status'];
}

/** Why a job was held and how that ended, from the `job_held_*` columns; undefined for a job never held. */
function heldView(row: Row): HeldView | undefined {
  if (row.job_status === 'queued' && Number(row.job_paused)) {
    const target = String(row.job_target);
    return { reason: `held: target “${target}” paused`, pausedTarget: target };
  }
  if (row.job_held_reason === null || row.job_held_reason === undefined) return undefined;
  return { reason: String(row.job_held_reason), until: num(row.job_held_until), released: text(row.job_released) };
}

function jobSummary(row: Row): JobView | undefined {
  if (row.job_id === null || row.job_id === undefined) return undefined;
  return {
    id: Number(row.job_id),
    eventType: String(row.job_event_type),
    status: viewStatus(row.job_status, row.job_attempts, row.job_paused),
    reason: text(row.job_reason),
    attempts: Number(row.job_attempts),
    nextAttemptAt: num(row.job_next_attempt_at),
    lastStatusCode: num(row.job_last_status_code),
    lastError: text(row.job_last_error),
    lastLatencyMs: num(row.job_last_latency_ms),
    url: text(row.job_url),
    target: String(row.job_target),
    routeReason: text(row.job_route_reason),
    held: heldView(row),
  };
}

function deliveryRow(row: Row): DeliveryRow {
  return {
    id: Number(row.id),
    receivedAt: Number(row.received_at),
    source: String(row.source) as DeliveryRow['source'],
    eventType: text(row.event_type),
    eventId: text(row.event_id),
    outcome: String(row.outcome) as DeliveryRow['outcome'],
    status: String(row.status) as DeliveryStatus,
    statusCode: Number(row.status_code),
    reason: text(row.reason),
    signature: String(row.signature),
    alertName: text(row.alert_name),
    hostname: text(row.hostname),
    severity: text(row.severity),
    levelAlertId: text(row.level_alert_id),
    path: String(row.path),
    rerunOf: num(row.rerun_of),
    job: jobSummary(row),
  };
}

function filterClause(filter: DeliveryFilter): { where: string; params: (string | number)[] } {
  const clauses: string[] = [];
  const params: (string | number)[] = [];
  const list = (column: string, values: readonly string[] | undefined) => {
    if (!values || values.length === 0) return;
    clauses.push(`${column} IN (${values.map(() => '?').join(', ')})`);
    params.push(...values);
  };
  list(`(${DELIVERY_STATUS})`, filter.statuses);
  // Held alone, the few held jobs lead the query, rather than every delivery being looked at.
  if (filter.statuses?.length && filter.statuses.every((status) => status === 'held')) clauses.push(`d.id IN (${HELD_JOBS('delivery_id')})`);
  list('d.event_type', filter.eventTypes);
  list('d.severity', filter.severities);
  if (filter.since !== undefined) {
    clauses.push('d.received_at >= ?');
    params.push(filter.since);
  }
  if (filter.until !== undefined) {
    clauses.push('d.received_at < ?');
    params.push(filter.until);
  }
  // Through attempts_outbox: a few rows per job, never the attempts table.
  if (filter.hadFailedAttempts) clauses.push(`EXISTS (SELECT 1 FROM attempts a WHERE a.outbox_id = j.id AND (a.status_code IS NULL OR a.status_code NOT BETWEEN 200 AND 299))`);
  const search = filter.search?.trim();
  if (search) {
    const pattern = `%${search.replace(/[\\%_]/g, (match) => `\\${match}`)}%`;
    clauses.push(`(d.alert_name LIKE ? ESCAPE '\\' OR d.hostname LIKE ? ESCAPE '\\')`);
    params.push(pattern, pattern);
  }
  return { where: clauses.length ? `AND ${clauses.join(' AND ')}` : '', params };
}

/** What the dashboard reads: pages of the delivery log, one delivery in full, the alert board. */
export class ReadModels extends Repository {
  /**
   * Newest first, as of `anchorId` (the newest id when the user started reading), so that new
   * deliveries do not shift the page the user is looking at. A filter (text search above all) can
   * scan the log: it runs on the store's read thread, never on the thread that acknowledges webhooks.
   */
  async listDeliveries(filter: DeliveryFilter, page: { anchorId?: number | undefined; offset: number; limit: number }): Promise<DeliveryPage> {
    const { where, params } = filterClause(filter);
    const anchor = page.anchorId ?? null;
    // Without an anchor, the newest delivery in the same snapshot is it.
    const upTo = `coalesce(?, (SELECT max(id) FROM deliveries), 0)`;
    const from = `FROM deliveries d LEFT JOIN outbox j ON j.delivery_id = d.id WHERE d.id <= ${upTo} ${where}`;
    const [newestRows, totalRows, rows, newerRows] = await this.store.reader.read([
      { sql: 'SELECT coalesce(max(id), 0) AS id FROM deliveries', params: [] },
      { sql: `SELECT count(*) AS n ${from}`, params: [anchor, ...params] },
      { sql: `SELECT ${ROW_COLUMNS} ${from} ORDER BY d.id DESC LIMIT ? OFFSET ?`, params: [anchor, ...params, page.limit, page.offset] },
      {
        sql: `SELECT count(*) AS n FROM deliveries d LEFT JOIN outbox j ON j.delivery_id = d.id WHERE d.id > ${upTo} ${where}`,
        params: [anchor, ...params],
      },
    ]);
    const newest = Number(newestRows![0]!.id);
    return {
      anchorId: page.anchorId ?? newest,
      total: Number(totalRows![0]!.n),
      newer: Number(newerRows![0]!.n),
      offset: page.offset,
      rows: rows!.map(deliveryRow),
    };
  }

  getDelivery(id: number): DeliveryDetail | undefined {
    const sql = this.store[SQL];
    const row = sql
      .get(
        `SELECT ${ROW_COLUMNS}, d.headers, b.body, d.body_size, d.body_sha256, d.remote_addr, d.forwarded_for, e.occurred_at, e.claimed_occurred_at
            FROM deliveries d LEFT JOIN outbox j ON j.delivery_id = d.id LEFT JOIN delivery_bodies b ON b.delivery_id = d.id
            LEFT JOIN events e ON e.event_id = d.event_id AND e.delivery_id = d.id WHERE d.id = ?`,
      )
      .get(id) as Row | undefined;
    if (!row) return undefined;
    const jobs = sql.get(`SELECT ${JOB_COLUMNS}, j.alert_key, j.payload FROM outbox j WHERE j.delivery_id = ? ORDER BY j.id`).all(id) as Row[];
    const stored = row.body ? Buffer.from(row.body as Uint8Array).toString('utf8') : undefined;
    // Only the first bytes of a request that failed authentication are kept: not a body to re-run.
    const partial = row.body_sha256 !== null;
    return {
      ...deliveryRow(row),
      headers: JSON.parse(String(row.headers)) as Record<string, string>,
      body: partial ? undefined : stored,
      bodyTrace: partial ? { prefix: stored ?? '', sha256: String(row.body_sha256) } : undefined,
      bodySize: Number(row.body_size),
      remoteAddr: text(row.remote_addr),
      forwardedFor: text(row.forwarded_for),
      occurredAt: text(row.occurred_at),
      claimedOccurredAt: text(row.claimed_occurred_at),
      jobs: jobs.map((job) => ({
        ...jobSummary(job)!,
        alertKey: String(job.alert_key),
        payload: String(job.payload),
        attemptLog: (sql.get('SELECT * FROM attempts WHERE outbox_id = ? ORDER BY id').all(Number(job.job_id)) as Row[]).map((attempt): AttemptView => ({
          id: Number(attempt.id),
          startedAt: Number(attempt.started_at),
          latencyMs: num(attempt.latency_ms),
          url: String(attempt.url),
          statusCode: num(attempt.status_code),
          error: text(attempt.error),
          requestBody: String(attempt.request_body),
          responseBody: text(attempt.response_body),
          manual: Boolean(attempt.manual),
        })),
      })),
    };
  }

  /**
   * One page of the alert board. Ungrouped (or inside one group) it pages alerts most severe first;
   * grouped, it pages groups of the same name or device, most severe first, then largest. Only the
   * page's rows are read in full; counts per severity come from the store's counters.
   */
  alertPage(input: AlertPageInput, now: number, recentMs = 86_400_000): AlertPage {
    const sql = this.store[SQL];
    // Held, the held jobs lead: the unary + keeps SQLite from walking every active alert by state instead.
    const state = input.held ? '+a.state' : 'a.state';
    let where = input.state === 'active' ? `${state} = 'active'` : `${state} = 'resolved' AND a.updated_at >= ?`;
    const params: (string | number)[] = input.state === 'active' ? [] : [now - recentMs];
    // Each filter is led by an index (alerts_by_group_path, the primary key and alerts_by_device_id, alerts_board), so a filtered page never walks every active alert.
    if (input.client !== undefined) {
      // The range reads the index; the second test drops a sibling that merely sorts inside it ("Acme (old)").
      const under = `${input.client}${PATH_SEPARATOR}`;
      where += ` AND a.group_path >= ? AND a.group_path < ? AND (a.group_path = ? OR substr(a.group_path, 1, ?) = ?)`;
      params.push(input.client, `${under}\uffff`, input.client, under.length, under);
    }
    if (input.find !== undefined) {
      const found = (
        sql.get(`SELECT level_alert_id FROM alerts WHERE level_alert_id = ? UNION SELECT level_alert_id FROM alerts WHERE device_id = ?`).all(input.find, input.find) as {
          level_alert_id: string;
        }[]
      ).map((row) => row.level_alert_id);
      where += found.length === 0 ? ` AND 0` : ` AND a.level_alert_id IN (${found.map(() => '?').join(', ')})`;
      params.push(...found);
    }
    if (input.severity !== undefined) {
      where += ` AND ${SEVERITY_RANK} = ?`;
      params.push(SEVERITY_LEVELS.indexOf(input.severity));
    }
    if (input.held) {
      // The held jobs lead (outbox_held, outbox_pending), their alerts found by alerts_by_alert_key; the
      // alert's newest job decides, as on its row (an ALERT released since is no longer held).
      where += ` AND a.alert_key IN (${HELD_JOBS('alert_key')})
        AND EXISTS (SELECT 1 FROM outbox h WHERE h.id = (SELECT max(id) FROM outbox WHERE alert_key = a.alert_key AND event_type != 'ACCEPT')
          AND (h.status = 'held' OR ${PAUSED('h')}))`;
    }
    const column = input.groupBy === 'device' ? 'a.device_hostname' : 'a.name';
    // A group's key is its name or hostname; alerts without one form the group "".
    const inGroup = (key: string): [string, (string | number)[]] => (key === '' ? [` AND ${column} IS NULL`, []] : [` AND ${column} = ?`, [key]]);
    const facts = this.store.facts();
    // Skipped alerts never reach ilert: counting them would make a card promise pages that never come.
    const counts = Object.fromEntries(Object.entries(facts.activeAlerts).map(([severity, n]) => [severity, n - (facts.skippedAlerts[severity] ?? 0)]));
    if (input.levelAlertId !== undefined) {
      const rows = this.alertsByIds([input.levelAlertId]).map((alert): AlertEntry => ({ kind: 'alert', alert }));
      return { total: rows.length, offset: 0, rows, counts };
    }
    // The page's ids first (index order, no join), then only those rows in full.
    const alertsOf = (extra: string, extraParams: (string | number)[], limit: number, offset: number) =>
      this.#alerts(`a.level_alert_id IN (SELECT a.level_alert_id FROM alerts a WHERE ${where}${extra} ORDER BY ${SEVERITY_RANK}, a.updated_at DESC LIMIT ? OFFSET ?)`, [
        ...params,
        ...extraParams,
        limit,
        offset,
      ]);

    if (input.groupBy === 'none' || input.group !== undefined) {
      const [extra, extraParams] = input.groupBy !== 'none' && input.group !== undefined ? inGroup(input.group) : ['', []];
      const total = (sql.get(`SELECT count(*) AS n FROM alerts a WHERE ${where}${extra}`).get(...params, ...extraParams) as { n: number }).n;
      const rows = alertsOf(extra, extraParams, input.limit, input.offset).map((alert): AlertEntry => ({ kind: 'alert', alert }));
      return { total, offset: input.offset, rows, counts };
    }

    const total = (sql.get(`SELECT count(*) AS n FROM (SELECT 1 FROM alerts a WHERE ${where} GROUP BY ${column})`).get(...params) as { n: number }).n;
    const groups = sql
      .get(
        `SELECT coalesce(${column}, '') AS key, count(*) AS n, min(${SEVERITY_RANK}) AS rank, max(a.updated_at) AS newest,
           count(DISTINCT a.device_hostname) AS devices, count(DISTINCT a.name) AS names
         FROM alerts a WHERE ${where} GROUP BY ${column} ORDER BY rank, n DESC, key LIMIT ? OFFSET ?`,
      )
      .all(...params, input.limit, input.offset) as { key: string; n: number; rank: number; newest: number; devices: number; names: number }[];
    const rows = groups.map((group): AlertEntry => {
      if (group.n === 1) {
        const [alert] = alertsOf(...inGroup(group.key), 1, 0);
        if (alert) return { kind: 'alert', alert };
      }
      return {
        kind: 'group',
        by: input.groupBy === 'device' ? 'device' : 'name',
        key: group.key,
        count: group.n,
        severity: SEVERITY_LEVELS[group.rank],
        devices: group.devices,
        names: group.names,
        newestAt: group.newest,
      };
    });
    return { total, offset: input.offset, rows, counts };
  }

  /** Ids of the alerts active now (for the desktop's alert watcher on start). */
  /** When the newest delivery arrived (an Accept pressed in the app did not arrive from anywhere; there are few of them to step over). */
  lastDeliveryAt(): number | undefined {
    return num(this.store[SQL].get(`SELECT received_at FROM deliveries WHERE source != 'app' ORDER BY id DESC LIMIT 1`).get()?.received_at);
  }

  /** The newest attempt to reach ilert; a null status code means no answer came. */
  lastAttempt(): { startedAt: number; statusCode: number | null } | undefined {
    const row = this.store[SQL].get(`SELECT started_at, status_code FROM attempts ORDER BY id DESC LIMIT 1`).get() as
      { started_at: number; status_code: number | null } | undefined;
    return row && { startedAt: row.started_at, statusCode: row.status_code };
  }

  /** A stored request as it came in, to run it again; `truncated` when only its first bytes were kept (it failed authentication). */
  storedRequest(id: number): StoredRequest | undefined {
    const row = this.store[SQL].get(
      `SELECT method, path, headers, b.body, body_sha256, source, received_at, outcome, status_code, reason FROM deliveries d LEFT JOIN delivery_bodies b ON b.delivery_id = d.id WHERE d.id = ?`,
    ).get(id) as
      | {
          method: string;
          path: string;
          headers: string;
          body: Uint8Array | null;
          body_sha256: string | null;
          source: string;
          received_at: number;
          outcome: string;
          status_code: number;
          reason: string | null;
        }
      | undefined;
    if (!row) return undefined;
    return {
      method: row.method,
      path: row.path,
      headers: JSON.parse(row.headers) as Record<string, string>,
      body: row.body ?? undefined,
      truncated: row.body_sha256 !== null,
      source: row.source,
      receivedAt: row.received_at,
      refused: row.outcome === 'rejected' ? { statusCode: row.status_code, reason: row.reason ?? undefined } : undefined,
    };
  }

  activeAlertIds(): string[] {
    return this.store.ledger.activeAlertIds();
  }

  alertsByIds(ids: readonly string[]): AlertRow[] {
    if (ids.length === 0) return [];
    return this.#alerts(`a.level_alert_id IN (${ids.map(() => '?').join(', ')})`, ids);
  }

  /** Jobs among `ids` that have failed for good, with the delivery they came from. */
  failedJobs(ids: readonly number[]): { id: number; deliveryId: number | undefined; reason: string }[] {
    if (ids.length === 0) return [];
    const rows = this.store[SQL].get(`SELECT id, delivery_id, reason FROM outbox WHERE status = 'failed' AND id IN (${ids.map(() => '?').join(', ')})`).all(...ids) as Row[];
    return rows.map((row) => ({ id: Number(row.id), deliveryId: num(row.delivery_id), reason: String(row.reason ?? 'failed') }));
  }

  #alerts(where: string, params: readonly (string | number)[]): AlertRow[] {
    const rows = this.store[SQL].get(
      `SELECT a.*, j.id AS job_id, j.status AS job_status, j.attempts AS job_attempts, j.reason AS job_reason, j.next_attempt_at AS job_next_attempt_at,
           j.held_reason AS job_held_reason, j.held_until AS job_held_until, j.released AS job_released, j.target AS job_target, ${PAUSED('j')} AS job_paused
         , EXISTS (SELECT 1 FROM outbox p WHERE p.alert_key = a.alert_key AND p.event_type = 'ACCEPT' AND p.status IN ('queued', 'in_flight')) AS accept_pending
         , (SELECT json_extract(p.payload, '$.priority') FROM outbox p WHERE p.alert_key = a.alert_key AND p.event_type = 'ALERT' ORDER BY p.id DESC LIMIT 1) AS ilert_priority
         , (SELECT d.maintenance_since FROM devices d WHERE d.id = a.device_id) AS device_maintenance_since
         FROM alerts a LEFT JOIN outbox j ON j.id = (SELECT max(id) FROM outbox WHERE alert_key = a.alert_key AND event_type != 'ACCEPT')
         WHERE ${where}
         ORDER BY a.state = 'active' DESC, ${SEVERITY_RANK}, a.updated_at DESC`,
    ).all(...params) as Row[];
    return rows.map((row): AlertRow => ({
      levelAlertId: String(row.level_alert_id),
      alertKey: String(row.alert_key),
      state: String(row.state) as AlertRow['state'],
      severity: text(row.severity),
      name: text(row.name),
      deviceHostname: text(row.device_hostname),
      startedAt: text(row.started_at),
      resolvedAt: text(row.resolved_at),
      firstSeenAt: Number(row.first_seen_at),
      updatedAt: Number(row.updated_at),
      forwarding:
        row.job_id === null
          ? undefined
          : {
              jobId: Number(row.job_id),
              status: viewStatus(row.job_status, row.job_attempts, row.job_paused),
              reason: text(row.job_reason),
              nextAttemptAt: num(row.job_next_attempt_at),
              held: heldView(row),
            },
      route: row.route_reason === null ? undefined : { target: text(row.route_target) ?? 'none', reason: String(row.route_reason), groupPath: text(row.group_path) },
      ilert:
        row.ilert_checked_at === null
          ? undefined
          : {
              status: text(row.ilert_status) as NonNullable<AlertRow['ilert']>['status'],
              acceptedBy: text(row.ilert_accepted_by),
              acceptedAt: text(row.ilert_accepted_at),
              checkedAt: Number(row.ilert_checked_at),
              mismatch: ilertMismatch(row),
            },
      acceptPending: Boolean(row.accept_pending),
      ilertPriority: row.ilert_priority === 'HIGH' || row.ilert_priority === 'LOW' ? row.ilert_priority : undefined,
      acceptSent: row.accept_sent_at === null ? undefined : { at: Number(row.accept_sent_at), by: text(row.accept_requested_by) },
      ilertAlertId: num(row.ilert_alert_id),
      deviceId: text(row.device_id),
      deviceMaintenanceSince: num(row.device_maintenance_since),
    }));
  }
}

/** ilert and Level disagree about an alert: shown to the technician rather than silently reconciled. */
function ilertMismatch(row: Row): string | undefined {
  if (row.state === 'active' && row.ilert_status === 'RESOLVED') return 'resolved in ilert, but Level still reports it active';
  if (row.state === 'resolved' && (row.ilert_status === 'PENDING' || row.ilert_status === 'ACCEPTED') && Number(row.ilert_checked_at) > Number(row.updated_at) + 120_000) {
    return 'resolved in Level, but still open in ilert';
  }
  return undefined;
}
