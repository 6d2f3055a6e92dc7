/**
 * The database schema, as ordered migrations. `PRAGMA user_version` records how many have run,
 * so an older data directory is upgraded in place and a newer one is refused rather than damaged.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE deliveries (
    id            INTEGER PRIMARY KEY,
    received_at   INTEGER NOT NULL,
    source        TEXT    NOT NULL,            -- webhook | rerun
    remote_addr   TEXT,
    forwarded_for TEXT,
    method        TEXT    NOT NULL,
    path          TEXT    NOT NULL,
    headers       TEXT    NOT NULL,            -- JSON, secrets redacted
    body          BLOB,                        -- the raw bytes as received (NULL when over the cap)
    body_size     INTEGER NOT NULL,
    signature     TEXT    NOT NULL,            -- valid | valid-previous | missing | invalid | unsigned | not-checked
    status_code   INTEGER NOT NULL,
    outcome       TEXT    NOT NULL,            -- accepted | duplicate | rejected
    reason        TEXT,
    event_id      TEXT,
    event_type    TEXT,
    rerun_of      INTEGER REFERENCES deliveries(id) ON DELETE SET NULL,
    -- what the delivery log filters and searches on, copied from the event at ingest
    level_alert_id TEXT,
    alert_name    TEXT,
    hostname      TEXT,
    severity      TEXT
  );
  CREATE INDEX deliveries_received ON deliveries(received_at);

  -- One row per event_id: the dedup key. The event's data is the body of its delivery, not stored twice.
  CREATE TABLE events (
    event_id     TEXT PRIMARY KEY,
    delivery_id  INTEGER NOT NULL,
    event_type   TEXT    NOT NULL,
    occurred_at  TEXT    NOT NULL,
    resource_id  TEXT    NOT NULL,
    received_at  INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE alerts (
    level_alert_id  TEXT PRIMARY KEY,
    alert_key       TEXT    NOT NULL,
    state           TEXT    NOT NULL,          -- active | resolved
    severity        TEXT,
    name            TEXT,
    device_id       TEXT,
    device_hostname TEXT,
    started_at      TEXT,
    resolved_at     TEXT,
    last_active_ms  INTEGER,
    last_resolve_ms INTEGER,
    data            TEXT    NOT NULL,
    first_seen_at   INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
  );
  CREATE INDEX alerts_state ON alerts(state, updated_at);

  CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    created_at       INTEGER NOT NULL,
    alert_key        TEXT    NOT NULL,
    level_alert_id   TEXT    NOT NULL,
    event_id         TEXT    NOT NULL,
    delivery_id      INTEGER,
    target           TEXT    NOT NULL,         -- which ilert alert source; the key itself is never stored here
    event_type       TEXT    NOT NULL,         -- ALERT | RESOLVE
    rank             INTEGER NOT NULL,         -- 0 first; see rankFor()
    payload          TEXT    NOT NULL,         -- ilert Event body without integrationKey
    status           TEXT    NOT NULL,         -- queued | in_flight | delivered | failed | skipped
    reason           TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    first_attempt_at INTEGER,
    last_attempt_at  INTEGER,
    last_status_code INTEGER,
    last_error       TEXT,
    maybe_delivered  INTEGER NOT NULL DEFAULT 0, -- an attempt's outcome is unknown (timeout, crash)
    updated_at       INTEGER NOT NULL
  );
  CREATE INDEX outbox_pending ON outbox(target, next_attempt_at) WHERE status IN ('queued', 'in_flight');
  CREATE INDEX outbox_alert_key ON outbox(alert_key, id);
  CREATE INDEX outbox_delivery ON outbox(delivery_id);
  CREATE INDEX outbox_status ON outbox(status, updated_at);

  CREATE TABLE attempts (
    id              INTEGER PRIMARY KEY,
    outbox_id       INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
    started_at      INTEGER NOT NULL,
    latency_ms      INTEGER,
    url             TEXT    NOT NULL,
    key_fingerprint TEXT    NOT NULL,
    request_body    TEXT    NOT NULL,          -- integrationKey masked
    status_code     INTEGER,
    error           TEXT,
    response_body   TEXT,
    manual          INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX attempts_outbox ON attempts(outbox_id);
  CREATE INDEX attempts_started ON attempts(key_fingerprint, started_at);

  CREATE TABLE devices (
    id          TEXT PRIMARY KEY,
    hostname    TEXT,
    group_id    TEXT,
    data        TEXT    NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL
  );

  CREATE TABLE groups (
    id          TEXT PRIMARY KEY,
    name        TEXT,
    parent_id   TEXT,
    data        TEXT    NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL
  );
  `,
  `
  -- Group routing: a Level group mapped to a named ilert target; subgroups inherit (see routing/).
  CREATE TABLE group_routes (
    group_id     TEXT PRIMARY KEY,
    target       TEXT    NOT NULL,
    routing_key  TEXT,
    min_severity TEXT,
    updated_at   INTEGER NOT NULL
  );

  ALTER TABLE outbox ADD COLUMN route_reason TEXT;

  ALTER TABLE alerts ADD COLUMN route_target TEXT;
  ALTER TABLE alerts ADD COLUMN route_reason TEXT;
  ALTER TABLE alerts ADD COLUMN group_path TEXT;
  -- ilert's view of the alert, read back with a user API key
  ALTER TABLE alerts ADD COLUMN ilert_status TEXT;
  ALTER TABLE alerts ADD COLUMN ilert_accepted_by TEXT;
  ALTER TABLE alerts ADD COLUMN ilert_accepted_at TEXT;
  ALTER TABLE alerts ADD COLUMN ilert_checked_at INTEGER;

  ALTER TABLE devices ADD COLUMN synced_at INTEGER;

  CREATE TABLE reconciliations (
    id          INTEGER PRIMARY KEY,
    trigger     TEXT    NOT NULL,              -- manual | schedule | start | wake
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    outcome     TEXT    NOT NULL,              -- running | ok | failed
    error       TEXT,
    checked     INTEGER NOT NULL DEFAULT 0,
    changes     TEXT    NOT NULL DEFAULT '[]'  -- JSON: [{levelAlertId, action, name, deliveryId}]
  );
  `,
  `
  -- Bodies live apart from the rows the delivery log, status and diagnosis scan, so megabytes of
  -- stored bodies never slow those down.
  CREATE TABLE delivery_bodies (
    delivery_id INTEGER PRIMARY KEY,
    body        BLOB    NOT NULL             -- as received; for a request that failed authentication only its first bytes
  );
  INSERT INTO delivery_bodies (delivery_id, body)
    SELECT id, CASE WHEN outcome = 'rejected' AND signature NOT IN ('valid', 'valid-previous', 'shared-secret') THEN substr(body, 1, 256) ELSE body END
    FROM deliveries WHERE body IS NOT NULL;
  ALTER TABLE deliveries DROP COLUMN body;
  ALTER TABLE deliveries ADD COLUMN body_sha256 TEXT;  -- set when only the first bytes of the body were kept
  ALTER TABLE deliveries ADD COLUMN kept_bytes INTEGER NOT NULL DEFAULT 0;  -- headers and body bytes a rejected delivery keeps
  UPDATE deliveries SET kept_bytes = length(headers) + coalesce((SELECT length(body) FROM delivery_bodies WHERE delivery_id = deliveries.id), 0)
    WHERE outcome = 'rejected';
  CREATE INDEX deliveries_rejected ON deliveries(id) WHERE outcome = 'rejected';

  -- Rejected requests are kept within a budget (see store/rejections.ts); what did not fit is counted.
  CREATE TABLE rejection_budget (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    kept          INTEGER NOT NULL,
    kept_bytes    INTEGER NOT NULL,
    dropped       INTEGER NOT NULL DEFAULT 0,
    dropped_since INTEGER,
    last_dropped_at INTEGER
  );
  INSERT INTO rejection_budget (id, kept, kept_bytes)
    SELECT 1, count(*), coalesce(sum(kept_bytes), 0) FROM deliveries WHERE outcome = 'rejected';
  -- Triggers keep the budget exact whoever deletes deliveries (retention, eviction).
  CREATE TRIGGER delivery_rejected AFTER INSERT ON deliveries WHEN NEW.outcome = 'rejected' BEGIN
    UPDATE rejection_budget SET kept = kept + 1, kept_bytes = kept_bytes + NEW.kept_bytes WHERE id = 1;
  END;
  CREATE TRIGGER delivery_deleted AFTER DELETE ON deliveries BEGIN
    DELETE FROM delivery_bodies WHERE delivery_id = OLD.id;
    UPDATE rejection_budget SET kept = kept - 1, kept_bytes = kept_bytes - OLD.kept_bytes WHERE id = 1 AND OLD.outcome = 'rejected';
  END;

  -- One row the store rewrites to find out whether it can write again after a failure.
  CREATE TABLE store_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL);
  `,
  `
  -- The team (see store/team.ts): people with a role and a personal token, only hashes stored.
  CREATE TABLE members (
    id                 INTEGER PRIMARY KEY,
    name               TEXT    NOT NULL,
    role               TEXT    NOT NULL,       -- viewer | operator | admin
    token_hash         TEXT UNIQUE,            -- SHA-256 hex of the personal token, once paired
    pairing_hash       TEXT UNIQUE,            -- SHA-256 hex of the single-use pairing code, until used
    pairing_expires_at INTEGER,
    created_at         INTEGER NOT NULL,
    created_by         TEXT    NOT NULL,
    paired_at          INTEGER,
    last_used_at       INTEGER,
    last_used_from     TEXT,
    revoked_at         INTEGER
  );

  -- Who did what and when; values of changed settings are never recorded, only their names.
  CREATE TABLE audit (
    id       INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,
    actor    TEXT    NOT NULL,
    role     TEXT    NOT NULL,
    action   TEXT    NOT NULL,
    detail   TEXT    NOT NULL
  );
  CREATE INDEX audit_at ON audit(at);
  `,
  `
  -- Facts that status, diagnoses and the tray read: kept by triggers in the same transaction as the
  -- rows they describe, so reading them never scans a table (Invariant 9). Names:
  --   jobs:<status>:<target>        outbox rows per status and target
  --   alerts:active:<severity>      active alerts per severity
  --   webhooks:accepted, webhooks:resolves   accepted Level webhooks ever, and how many were alert_resolved
  --   signature                     text = the last verdict on the webhook path, n = invalid ones in a row
  --   attempt:<target>              the last attempt for a target: n = status code (0: no answer), text = error
  --   delivered                     at = when ilert last answered 2xx
  CREATE TABLE facts (
    name TEXT PRIMARY KEY,
    n    INTEGER NOT NULL DEFAULT 0,
    text TEXT,
    at   INTEGER
  ) WITHOUT ROWID;

  -- Requests to paths the relay does not serve; n restarts when a path was quiet for a day.
  CREATE TABLE wrong_paths (
    path    TEXT PRIMARY KEY,
    n       INTEGER NOT NULL,
    last_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX wrong_paths_last ON wrong_paths(last_at);

  INSERT INTO facts (name, n) SELECT 'jobs:' || status || ':' || target, count(*) FROM outbox GROUP BY status, target;
  INSERT INTO facts (name, n) SELECT 'alerts:active:' || coalesce(severity, 'information'), count(*) FROM alerts WHERE state = 'active' GROUP BY coalesce(severity, 'information');
  INSERT INTO facts (name, n) SELECT 'webhooks:accepted', count(*) FROM deliveries WHERE source = 'webhook' AND outcome != 'rejected';
  INSERT INTO facts (name, n) SELECT 'webhooks:resolves', count(*) FROM deliveries WHERE source = 'webhook' AND outcome != 'rejected' AND event_type = 'alert_resolved';
  INSERT INTO facts (name, text, at) SELECT 'signature', signature, received_at FROM deliveries
    WHERE path = '/webhooks/level' AND signature IN ('valid', 'valid-previous', 'invalid', 'missing') ORDER BY id DESC LIMIT 1;
  INSERT INTO facts (name, n, text, at) SELECT 'attempt:' || o.target, coalesce(a.status_code, 0), a.error, a.started_at FROM attempts a JOIN outbox o ON o.id = a.outbox_id
    WHERE a.id IN (SELECT max(a2.id) FROM attempts a2 JOIN outbox o2 ON o2.id = a2.outbox_id GROUP BY o2.target);
  INSERT INTO facts (name, at) SELECT 'delivered', max(started_at) FROM attempts WHERE status_code BETWEEN 200 AND 299 HAVING max(started_at) IS NOT NULL;
  INSERT INTO wrong_paths (path, n, last_at) SELECT path, count(*), max(received_at) FROM deliveries WHERE status_code = 404 GROUP BY path;

  CREATE TRIGGER outbox_facts_insert AFTER INSERT ON outbox BEGIN
    INSERT INTO facts (name, n) VALUES ('jobs:' || NEW.status || ':' || NEW.target, 1) ON CONFLICT(name) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER outbox_facts_update AFTER UPDATE OF status, target ON outbox
    WHEN OLD.status != NEW.status OR OLD.target != NEW.target BEGIN
    UPDATE facts SET n = n - 1 WHERE name = 'jobs:' || OLD.status || ':' || OLD.target;
    INSERT INTO facts (name, n) VALUES ('jobs:' || NEW.status || ':' || NEW.target, 1) ON CONFLICT(name) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER outbox_facts_delete AFTER DELETE ON outbox BEGIN
    UPDATE facts SET n = n - 1 WHERE name = 'jobs:' || OLD.status || ':' || OLD.target;
  END;

  CREATE TRIGGER alerts_facts_insert AFTER INSERT ON alerts WHEN NEW.state = 'active' BEGIN
    INSERT INTO facts (name, n) VALUES ('alerts:active:' || coalesce(NEW.severity, 'information'), 1) ON CONFLICT(name) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER alerts_facts_update AFTER UPDATE OF state, severity ON alerts
    WHEN OLD.state IS NOT NEW.state OR OLD.severity IS NOT NEW.severity BEGIN
    UPDATE facts SET n = n - 1 WHERE OLD.state = 'active' AND name = 'alerts:active:' || coalesce(OLD.severity, 'information');
    INSERT INTO facts (name, n) SELECT 'alerts:active:' || coalesce(NEW.severity, 'information'), 1 WHERE NEW.state = 'active'
      ON CONFLICT(name) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER alerts_facts_delete AFTER DELETE ON alerts WHEN OLD.state = 'active' BEGIN
    UPDATE facts SET n = n - 1 WHERE name = 'alerts:active:' || coalesce(OLD.severity, 'information');
  END;

  -- History pruned by retention still counts as "has arrived": these are counts since install.
  CREATE TRIGGER deliveries_facts_accepted AFTER INSERT ON deliveries WHEN NEW.source = 'webhook' AND NEW.outcome != 'rejected' BEGIN
    INSERT INTO facts (name, n) VALUES ('webhooks:accepted', 1) ON CONFLICT(name) DO UPDATE SET n = n + 1;
    INSERT INTO facts (name, n) SELECT 'webhooks:resolves', 1 WHERE NEW.event_type = 'alert_resolved' ON CONFLICT(name) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER deliveries_facts_signature AFTER INSERT ON deliveries
    WHEN NEW.path = '/webhooks/level' AND NEW.signature IN ('valid', 'valid-previous', 'invalid', 'missing') BEGIN
    INSERT INTO facts (name, n, text, at) VALUES ('signature', NEW.signature = 'invalid', NEW.signature, NEW.received_at)
      ON CONFLICT(name) DO UPDATE SET text = excluded.text, at = excluded.at,
        n = CASE WHEN excluded.text = 'invalid' THEN (CASE WHEN text = 'invalid' THEN n ELSE 0 END) + 1 ELSE 0 END;
  END;
  CREATE TRIGGER deliveries_facts_wrong_path AFTER INSERT ON deliveries WHEN NEW.status_code = 404 BEGIN
    INSERT INTO wrong_paths (path, n, last_at) VALUES (NEW.path, 1, NEW.received_at)
      ON CONFLICT(path) DO UPDATE SET n = CASE WHEN last_at < excluded.last_at - 86400000 THEN 1 ELSE n + 1 END, last_at = excluded.last_at;
  END;

  CREATE TRIGGER attempts_facts AFTER INSERT ON attempts BEGIN
    INSERT INTO facts (name, n, text, at) SELECT 'attempt:' || target, coalesce(NEW.status_code, 0), NEW.error, NEW.started_at FROM outbox WHERE id = NEW.outbox_id
      ON CONFLICT(name) DO UPDATE SET n = excluded.n, text = excluded.text, at = excluded.at;
    INSERT INTO facts (name, at) SELECT 'delivered', NEW.started_at WHERE NEW.status_code BETWEEN 200 AND 299
      ON CONFLICT(name) DO UPDATE SET at = max(coalesce(at, 0), excluded.at);
  END;

  -- Hot-path lookups that must not scan: the oldest waiting job, recent 429s, long-active alerts.
  CREATE INDEX outbox_waiting_since ON outbox(created_at) WHERE status IN ('queued', 'in_flight');
  -- Deleting a delivery checks rerun_of (ON DELETE SET NULL): without this, each delete scans the table.
  CREATE INDEX deliveries_rerun_of ON deliveries(rerun_of) WHERE rerun_of IS NOT NULL;
  -- The forwarder keeps due work in memory now (DueQueue): one index less to update per new job.
  DROP INDEX outbox_pending;
  CREATE INDEX attempts_rate_limited ON attempts(started_at) WHERE status_code = 429;
  CREATE INDEX alerts_active_since ON alerts(first_seen_at) WHERE state = 'active';
  -- The alert board, paged (most severe first) and grouped by name or device.
  CREATE INDEX alerts_board ON alerts(state, (CASE severity WHEN 'emergency' THEN 0 WHEN 'critical' THEN 1 WHEN 'warning' THEN 2 ELSE 3 END), updated_at DESC);
  CREATE INDEX alerts_by_name ON alerts(state, name);
  CREATE INDEX alerts_by_device ON alerts(state, device_hostname);
  `,
  `
  -- Targets whose forwarding a technician paused (ilert maintenance): kept across restarts so a
  -- relay restarted mid-maintenance does not flush the backlog into an ilert that is down.
  CREATE TABLE target_pauses (
    target    TEXT PRIMARY KEY,
    paused_at INTEGER NOT NULL,
    paused_by TEXT NOT NULL
  ) WITHOUT ROWID;

  -- An Accept pressed in the app, kept with the alert (not only with its ACCEPT job, which
  -- retention may prune) so the row can say "Accept sent 14:05" for as long as the alert lives.
  ALTER TABLE alerts ADD COLUMN accept_requested_by TEXT;
  ALTER TABLE alerts ADD COLUMN accept_sent_at INTEGER;
  `,
  `
  -- ilert's own id of the alert, read back with its state, for an "Open in ilert" link.
  ALTER TABLE alerts ADD COLUMN ilert_alert_id INTEGER;
  `,
  `
  -- Alert state (issues 19, 20): an event dated far ahead of its receipt counts as received; the
  -- sender's own time is kept here to show it. Alerts routing holds back (under a minimum
  -- severity, unmapped) are found without a scan when their route may let them through.
  ALTER TABLE events ADD COLUMN claimed_occurred_at TEXT;
  CREATE INDEX alerts_held_by_route ON alerts(level_alert_id) WHERE state = 'active' AND route_target IS NULL;
  `,
  // Quiet nights (issue 22). Self-contained: if another migration lands first, this one just moves one place down.
  `
  -- Maintenance windows (see holds/): what they cover, when, and who made and ended them.
  CREATE TABLE maintenance_windows (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    reason      TEXT,
    scope       TEXT    NOT NULL,              -- JSON: {"all":true} | {"group":id} | {"device":id} | {"target":name}
    schedule    TEXT    NOT NULL,              -- JSON: {"kind":"once",startMs,endMs} | {"kind":"weekly",days,start,end,timeZone}
    created_at  INTEGER NOT NULL,
    created_by  TEXT    NOT NULL,
    ended_at    INTEGER,                       -- ended early by hand
    ended_by    TEXT
  );
  CREATE INDEX maintenance_windows_open ON maintenance_windows(id) WHERE ended_at IS NULL;

  -- A job the relay did not send at once (status 'held'): why, until when, and what held it
  -- (hold_ref 'window:<id>'), kept after it is released so the alert can show it was held.
  ALTER TABLE outbox ADD COLUMN held_reason TEXT;
  ALTER TABLE outbox ADD COLUMN held_until INTEGER;
  ALTER TABLE outbox ADD COLUMN hold_ref TEXT;
  ALTER TABLE outbox ADD COLUMN released TEXT;   -- how the hold ended: the window ended, sent by hand, resolved meanwhile
  CREATE INDEX outbox_held ON outbox(held_until) WHERE status = 'held';
  CREATE INDEX outbox_held_ref ON outbox(hold_ref) WHERE status = 'held';
  `,
  // Find by what technicians think in (issue 19). Self-contained: if another migration lands first, this one just moves one place down.
  `
  -- The alert board filtered by client (the Level group path) and found by device id, without a scan;
  -- and active alerts routing skipped (under a minimum severity, unmapped) counted apart, so the
  -- severity cards count what went to ilert.
  CREATE INDEX alerts_by_group_path ON alerts(state, group_path);
  CREATE INDEX alerts_by_device_id ON alerts(device_id);
  INSERT INTO facts (name, n) SELECT 'alerts:skipped:' || coalesce(severity, 'information'), count(*) FROM alerts
    WHERE state = 'active' AND route_target IS NULL AND route_reason IS NOT NULL GROUP BY coalesce(severity, 'information');
  CREATE TRIGGER alerts_facts_skipped_insert AFTER INSERT ON alerts
    WHEN NEW.state = 'active' AND NEW.route_target IS NULL AND NEW.route_reason IS NOT NULL BEGIN
    INSERT INTO facts (name, n) VALUES ('alerts:skipped:' || coalesce(NEW.severity, 'information'), 1) ON CONFLICT(name) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER alerts_facts_skipped_update AFTER UPDATE OF state, severity, route_target, route_reason ON alerts BEGIN
    UPDATE facts SET n = n - 1 WHERE OLD.state = 'active' AND OLD.route_target IS NULL AND OLD.route_reason IS NOT NULL
      AND name = 'alerts:skipped:' || coalesce(OLD.severity, 'information');
    INSERT INTO facts (name, n) SELECT 'alerts:skipped:' || coalesce(NEW.severity, 'information'), 1
      WHERE NEW.state = 'active' AND NEW.route_target IS NULL AND NEW.route_reason IS NOT NULL
      ON CONFLICT(name) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER alerts_facts_skipped_delete AFTER DELETE ON alerts
    WHEN OLD.state = 'active' AND OLD.route_target IS NULL AND OLD.route_reason IS NOT NULL BEGIN
    UPDATE facts SET n = n - 1 WHERE name = 'alerts:skipped:' || coalesce(OLD.severity, 'information');
  END;
  `,
  // The "held" ledger filter (issue 22, item 3). Self-contained: if another migration lands first, this one just moves one place down.
  `
  -- Alerts with a held job (in a window, or waiting for a paused target) are found from the outbox's
  -- held and pending indexes, then by their alert key here, so the "held" filter never walks the board.
  CREATE INDEX alerts_by_alert_key ON alerts(alert_key);
  `,
  // Level's maintenance mode and ilert maintenance windows (issue 22, items 6 and 7). Self-contained: if another migration lands first, this one just moves one place down.
  `
  -- When the relay first saw the device's maintenance_mode on (NULL while off): Level never ends it by
  -- itself, so Health warns about a device in maintenance for long; the partial index finds those
  -- without walking every device.
  ALTER TABLE devices ADD COLUMN maintenance_since INTEGER;
  CREATE INDEX devices_in_maintenance ON devices(maintenance_since) WHERE maintenance_since IS NOT NULL;
  UPDATE devices SET maintenance_since = updated_at WHERE deleted = 0 AND json_extract(data, '$.maintenance_mode') IN (1, 'true');

  -- The matching window in ilert (a relay window made with "also in ilert"), and what went wrong there.
  ALTER TABLE maintenance_windows ADD COLUMN ilert_window_id INTEGER;
  ALTER TABLE maintenance_windows ADD COLUMN ilert_problem TEXT;
  `,
  // Other sources' health (issue 23). Self-contained: if another migration lands first, this one just moves one place down.
  `
  -- Per source (the path's last part), kept by a trigger so Health and the template preview never
  -- scan deliveries:
  --   source:last:<slug>   n = id of the last request that passed the source's authentication (not a re-run), at = when
  --   source:auth:<slug>   n = requests refused with 401 since then, at = the last of them
  INSERT INTO facts (name, n, at) SELECT 'source:last:' || substr(path, 18), max(id), max(received_at) FROM deliveries
    WHERE path LIKE '/webhooks/source/%' AND source = 'webhook' AND signature IN ('valid', 'shared-secret') GROUP BY path;
  CREATE TRIGGER deliveries_facts_source_passed AFTER INSERT ON deliveries
    WHEN NEW.path LIKE '/webhooks/source/%' AND NEW.source = 'webhook' AND NEW.signature IN ('valid', 'shared-secret') BEGIN
    INSERT INTO facts (name, n, at) VALUES ('source:last:' || substr(NEW.path, 18), NEW.id, NEW.received_at)
      ON CONFLICT(name) DO UPDATE SET n = excluded.n, at = excluded.at;
    UPDATE facts SET n = 0 WHERE name = 'source:auth:' || substr(NEW.path, 18);
  END;
  CREATE TRIGGER deliveries_facts_source_refused AFTER INSERT ON deliveries
    WHEN NEW.path LIKE '/webhooks/source/%' AND NEW.status_code = 401 BEGIN
    INSERT INTO facts (name, n, at) VALUES ('source:auth:' || substr(NEW.path, 18), 1, NEW.received_at)
      ON CONFLICT(name) DO UPDATE SET n = n + 1, at = excluded.at;
  END;
  `,
  // Flapping and repeats (issue 22, item 4). Self-contained: if another migration lands first, this one just moves one place down.
  `
  -- A group route may override the hold-down and the resolve grace (seconds; NULL = the settings' default).
  -- Held jobs use the outbox's hold columns with hold_ref 'flap:<alertKey>' or 'grace:<alertKey>'.
  ALTER TABLE group_routes ADD COLUMN hold_down_seconds INTEGER;
  ALTER TABLE group_routes ADD COLUMN resolve_grace_seconds INTEGER;
  `,
  // Rules (issue 22). Self-contained: if another migration lands first, this one just moves one place down.
  `
  -- The ordered rules that decide what pages (see rules/): conditions and actions as JSON, as saved.
  CREATE TABLE rules (
    id          INTEGER PRIMARY KEY,
    position    INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    conditions  TEXT    NOT NULL,
    actions     TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL,
    updated_by  TEXT    NOT NULL
  );
  -- The dry run reads the last 7 days' alerts through this, newest first, never the whole table.
  CREATE INDEX alerts_first_seen ON alerts(first_seen_at);
  `,
  // Two stages (issue 24): the ack stores a delivery as 'received'; the processor (ingest/processor.ts)
  // applies it in order and settles it as 'accepted', or 'failed' with why.
  `
  -- The log's unprocessed tail, in arrival order, without walking what was already applied.
  CREATE INDEX deliveries_unprocessed ON deliveries(id) WHERE outcome = 'received';
  --   deliveries:received   deliveries acknowledged and not yet processed
  --   deliveries:failed     deliveries the processor could not apply (kept, with their reason); text = the last one's id
  CREATE TRIGGER deliveries_facts_received AFTER INSERT ON deliveries WHEN NEW.outcome = 'received' BEGIN
    INSERT INTO facts (name, n) VALUES ('deliveries:received', 1) ON CONFLICT(name) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER deliveries_facts_settled AFTER UPDATE OF outcome ON deliveries WHEN OLD.outcome IS NOT NEW.outcome BEGIN
    UPDATE facts SET n = n - 1 WHERE OLD.outcome = 'received' AND name = 'deliveries:received';
    INSERT INTO facts (name, n, text, at) SELECT 'deliveries:failed', 1, NEW.id, NEW.received_at WHERE NEW.outcome = 'failed'
      ON CONFLICT(name) DO UPDATE SET n = n + 1, text = excluded.text, at = excluded.at;
  END;
  CREATE TRIGGER deliveries_facts_unreceived AFTER DELETE ON deliveries WHEN OLD.outcome IN ('received', 'failed') BEGIN
    UPDATE facts SET n = n - 1 WHERE name = 'deliveries:' || OLD.outcome;
  END;
  `,
  // Memory bounded by a pass, not by the backlog (issue 24). Self-contained: if another migration lands first, this one just moves one place down.
  `
  -- The forwarder holds only the first jobs of each target's backlog and reads the next ones in
  -- backlog order (outbox.ts PRIORITY_AT: created_at + rank × RANK_STEP_MS, then id) through this.
  CREATE INDEX outbox_backlog ON outbox(target, created_at + rank * 300000, id) WHERE status = 'queued';
  `,
  // Health's "could not be processed" (issue 24): the failed deliveries of the last day that no later
  // delivery of the same event has taken back (a re-run or replay once the cause was fixed), read
  // through this (failed deliveries are few), where a counter kept by triggers could not forget a
  // failure that a re-run had put right.
  `
  CREATE INDEX deliveries_failed ON deliveries(received_at) WHERE outcome = 'failed';
  DROP TRIGGER deliveries_facts_settled;
  CREATE TRIGGER deliveries_facts_settled AFTER UPDATE OF outcome ON deliveries WHEN OLD.outcome = 'received' AND NEW.outcome IS NOT 'received' BEGIN
    UPDATE facts SET n = n - 1 WHERE name = 'deliveries:received';
  END;
  DROP TRIGGER deliveries_facts_unreceived;
  CREATE TRIGGER deliveries_facts_unreceived AFTER DELETE ON deliveries WHEN OLD.outcome = 'received' BEGIN
    UPDATE facts SET n = n - 1 WHERE name = 'deliveries:received';
  END;
  DELETE FROM facts WHERE name = 'deliveries:failed';
  `,
];
