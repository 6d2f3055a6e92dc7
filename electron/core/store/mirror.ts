import type { Envelope } from '../level/envelope.ts';
import type { LevelDevice, LevelGroup } from '../level/level-api.ts';
import type { Statements, StoreChange } from './database.ts';

type MirrorTable = 'groups' | 'devices';

/**
 * The one writer of the device and group mirror. Two sources feed it, with different rules on
 * purpose: Level's API gives the whole current record, which replaces what is kept; a webhook
 * may carry only some fields, so it fills in what it has and keeps the rest (and a `*_deleted`
 * webhook keeps the last known data, so a deleted device's alerts still show its name).
 */
export class Mirror {
  readonly #sql: Statements;
  readonly #collect: (change: StoreChange) => void;
  /** Bumped by every write here (the only writer of devices and groups): a copy read at the same count is current. */
  writes = 0;

  constructor(sql: Statements, collect: (change: StoreChange) => void) {
    this.#sql = sql;
    this.#collect = collect;
  }

  /**
   * Level's per-device `maintenance_mode` (https://docs.level.io, "Enable maintenance mode action"):
   * kept as the time the relay first saw it on, since Level never ends it by itself. A record
   * without the field (a partial webhook) leaves it as it was. When it flips, the device's active
   * alerts are announced as changed, so open alert lists show or drop the badge at once.
   */
  #applyMaintenance(id: string, mode: unknown, now: number): void {
    if (typeof mode !== 'boolean') return;
    const flipped = mode
      ? this.#sql.get('UPDATE devices SET maintenance_since = ? WHERE id = ? AND maintenance_since IS NULL').run(now, id)
      : this.#sql.get('UPDATE devices SET maintenance_since = NULL WHERE id = ? AND maintenance_since IS NOT NULL').run(id);
    if (Number(flipped.changes) === 0) return;
    const alerts = this.#sql.get(`SELECT level_alert_id FROM alerts INDEXED BY alerts_by_device_id WHERE device_id = ? AND state = 'active' LIMIT 1000`).all(id) as {
      level_alert_id: string;
    }[];
    for (const alert of alerts) this.#collect({ kind: 'alert', levelAlertId: alert.level_alert_id });
  }

  /** A device_* or group_* webhook, inside the ingest's transaction. */
  applyWebhook(table: MirrorTable, envelope: Envelope, now: number): void {
    this.writes++;
    const data = envelope.data as Record<string, unknown>;
    const deleted = envelope.event_type.endsWith('_deleted') ? 1 : 0;
    const text = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : null);
    if (table === 'devices') {
      this.#sql
        .get(
          `INSERT INTO devices (id, hostname, group_id, data, deleted, updated_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(id) DO UPDATE SET
             hostname = coalesce(excluded.hostname, hostname), group_id = coalesce(excluded.group_id, group_id),
             data = CASE WHEN excluded.deleted THEN data ELSE excluded.data END, deleted = excluded.deleted, updated_at = excluded.updated_at`,
        )
        .run(envelope.data.id, text(data.hostname), text(data.group_id), JSON.stringify(data), deleted, now);
      // A deleted device is in no one's maintenance any more: Health stops warning about it.
      this.#applyMaintenance(envelope.data.id, deleted ? false : data.maintenance_mode, now);
    } else {
      this.#sql
        .get(
          `INSERT INTO groups (id, name, parent_id, data, deleted, updated_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(id) DO UPDATE SET
             name = coalesce(excluded.name, name), parent_id = CASE WHEN excluded.deleted THEN parent_id ELSE excluded.parent_id END,
             data = CASE WHEN excluded.deleted THEN data ELSE excluded.data END, deleted = excluded.deleted, updated_at = excluded.updated_at`,
        )
        .run(envelope.data.id, text(data.name), text(data.parent_id), JSON.stringify(data), deleted, now);
    }
  }

  upsertGroup(group: LevelGroup, now: number): void {
    this.writes++;
    this.#sql
      .get(
        `INSERT INTO groups (id, name, parent_id, data, deleted, updated_at) VALUES (?, ?, ?, ?, 0, ?)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, parent_id = excluded.parent_id, data = excluded.data, deleted = 0, updated_at = excluded.updated_at`,
      )
      .run(group.id, group.name, group.parent_id ?? null, JSON.stringify(group), now);
  }

  upsertDevice(device: LevelDevice, now: number): void {
    this.writes++;
    this.#sql
      .get(
        `INSERT INTO devices (id, hostname, group_id, data, deleted, updated_at, synced_at) VALUES (?, ?, ?, ?, 0, ?, ?)
         ON CONFLICT(id) DO UPDATE SET hostname = excluded.hostname, group_id = excluded.group_id, data = excluded.data, deleted = 0,
           updated_at = excluded.updated_at, synced_at = excluded.synced_at`,
      )
      .run(device.id, device.hostname ?? null, device.group_id ?? null, JSON.stringify(device), now, now);
    this.#applyMaintenance(device.id, device.maintenance_mode, now);
  }

  markDeleted(table: MirrorTable, id: string, now: number): void {
    this.writes++;
    this.#sql.get(`UPDATE ${table} SET deleted = 1, updated_at = ? WHERE id = ?`).run(now, id);
    if (table === 'devices') this.#applyMaintenance(id, false, now);
  }

  /** After a full listing: whatever Level no longer lists is deleted. */
  markMissingDeleted(table: MirrorTable, present: readonly string[], now: number): void {
    const keep = new Set(present);
    const rows = this.#sql.get(`SELECT id FROM ${table} WHERE deleted = 0`).all() as { id: string }[];
    for (const row of rows) if (!keep.has(row.id)) this.markDeleted(table, row.id, now);
  }

  lastSyncedAt(): number | undefined {
    return (this.#sql.get(`SELECT max(synced_at) AS at FROM devices`).get() as { at: number | null }).at ?? undefined;
  }

  /** When the device was last fetched from Level's API; undefined when never, or when it is deleted. */
  deviceSyncedAt(id: string): number | null | undefined {
    return (this.#sql.get('SELECT synced_at FROM devices WHERE id = ? AND deleted = 0').get(id) as { synced_at: number | null } | undefined)?.synced_at;
  }

  hasGroup(id: string): boolean {
    return this.#sql.get('SELECT 1 FROM groups WHERE id = ? AND deleted = 0').get(id) !== undefined;
  }

  device(id: string): { data: string; group_id: string | null } | undefined {
    return this.#sql.get('SELECT data, group_id FROM devices WHERE id = ? AND deleted = 0').get(id) as { data: string; group_id: string | null } | undefined;
  }

  devices(): { id: string; group_id: string | null; maintenance_since: number | null }[] {
    return this.#sql.get('SELECT id, group_id, maintenance_since FROM devices WHERE deleted = 0').all() as {
      id: string;
      group_id: string | null;
      maintenance_since: number | null;
    }[];
  }

  /** Devices in Level's maintenance mode since before `before`, longest first, through the partial index; and how many there are (counted up to 1000). */
  longInMaintenance(before: number, limit: number): { devices: { id: string; hostname: string | null; since: number }[]; total: number } {
    const devices = this.#sql
      .get('SELECT id, hostname, maintenance_since AS since FROM devices INDEXED BY devices_in_maintenance WHERE maintenance_since < ? ORDER BY maintenance_since LIMIT ?')
      .all(before, limit) as { id: string; hostname: string | null; since: number }[];
    const total =
      devices.length < limit
        ? devices.length
        : (
            this.#sql.get('SELECT count(*) AS n FROM (SELECT 1 FROM devices INDEXED BY devices_in_maintenance WHERE maintenance_since < ? LIMIT 1000)').get(before) as {
              n: number;
            }
          ).n;
    return { devices, total };
  }

  groups(): { id: string; name: string; parent_id: string | null }[] {
    return this.#sql.get('SELECT id, coalesce(name, id) AS name, parent_id FROM groups WHERE deleted = 0').all() as { id: string; name: string; parent_id: string | null }[];
  }
}
