import type { WindowScope } from '../../../shared/contract.ts';
import type { WindowSchedule } from '../holds/window-schedule.ts';
import { Repository } from './store.ts';
import { SQL } from './private.ts';

export interface StoredWindow {
  id: number;
  name: string;
  reason: string | undefined;
  scope: WindowScope;
  schedule: WindowSchedule;
  createdAt: number;
  createdBy: string;
  endedAt: number | undefined;
  endedBy: string | undefined;
  /** The matching window in ilert, when one was made for it. */
  ilertWindowId: number | undefined;
  /** What went wrong creating or deleting the ilert window. */
  ilertProblem: string | undefined;
}

interface WindowRow {
  id: number;
  name: string;
  reason: string | null;
  scope: string;
  schedule: string;
  created_at: number;
  created_by: string;
  ended_at: number | null;
  ended_by: string | null;
  ilert_window_id: number | null;
  ilert_problem: string | null;
}

function toWindow(row: WindowRow): StoredWindow {
  return {
    id: row.id,
    name: row.name,
    reason: row.reason ?? undefined,
    scope: JSON.parse(row.scope) as WindowScope,
    schedule: JSON.parse(row.schedule) as WindowSchedule,
    createdAt: row.created_at,
    createdBy: row.created_by,
    endedAt: row.ended_at ?? undefined,
    endedBy: row.ended_by ?? undefined,
    ilertWindowId: row.ilert_window_id ?? undefined,
    ilertProblem: row.ilert_problem ?? undefined,
  };
}

/** What holds a job for a window: the `hold_ref` of its held jobs. */
export const windowRef = (id: number) => `window:${id}`;

/** The maintenance windows as stored; holds/maintenance.ts decides what they mean. */
export class MaintenanceWindowRows extends Repository {
  insert(window: Omit<StoredWindow, 'id' | 'endedAt' | 'endedBy' | 'ilertWindowId' | 'ilertProblem'>): number {
    return this.store.transaction(() => {
      const result = this.store[SQL].get('INSERT INTO maintenance_windows (name, reason, scope, schedule, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)').run(
        window.name,
        window.reason ?? null,
        JSON.stringify(window.scope),
        JSON.stringify(window.schedule),
        window.createdAt,
        window.createdBy,
      );
      this.store.collect({ kind: 'windows' });
      return Number(result.lastInsertRowid);
    });
  }

  get(id: number): StoredWindow | undefined {
    const row = this.store[SQL].get('SELECT * FROM maintenance_windows WHERE id = ?').get(id) as WindowRow | undefined;
    return row && toWindow(row);
  }

  /** Windows nobody ended by hand (one-offs past their end included: the caller knows the time). */
  notEnded(): StoredWindow[] {
    const rows = this.store[SQL].get('SELECT * FROM maintenance_windows INDEXED BY maintenance_windows_open WHERE ended_at IS NULL ORDER BY id').all() as unknown as WindowRow[];
    return rows.map(toWindow);
  }

  /** The newest windows, whatever their state. */
  recent(limit: number): StoredWindow[] {
    const rows = this.store[SQL].get('SELECT * FROM maintenance_windows ORDER BY id DESC LIMIT ?').all(limit) as unknown as WindowRow[];
    return rows.map(toWindow);
  }

  /**
   * Ends a window by hand and makes what it holds due now, in one transaction, so a crash right
   * after still releases them on the next start. False if it was already ended.
   */
  end(id: number, endedBy: string, now: number): boolean {
    return this.store.transaction(() => {
      const ended = Number(this.store[SQL].get('UPDATE maintenance_windows SET ended_at = ?, ended_by = ? WHERE id = ? AND ended_at IS NULL').run(now, endedBy, id).changes) > 0;
      if (!ended) return false;
      this.store[SQL].get(`UPDATE outbox INDEXED BY outbox_held_ref SET held_until = ? WHERE hold_ref = ? AND status = 'held'`).run(now, windowRef(id));
      this.store.collect({ kind: 'windows' });
      return true;
    });
  }

  /** Records the ilert window made for a relay window (or that it is gone), and what went wrong there. */
  setIlert(id: number, ilert: { windowId: number | undefined; problem: string | undefined }): void {
    this.store.transaction(() => {
      this.store[SQL].get('UPDATE maintenance_windows SET ilert_window_id = ?, ilert_problem = ? WHERE id = ?').run(ilert.windowId ?? null, ilert.problem ?? null, id);
      this.store.collect({ kind: 'windows' });
    });
  }

  /** Jobs held right now, per hold (e.g. "window:12"). */
  heldCounts(): Map<string, number> {
    const rows = this.store[SQL].get(`SELECT hold_ref, count(*) AS n FROM outbox INDEXED BY outbox_held_ref WHERE status = 'held' GROUP BY hold_ref`).all() as {
      hold_ref: string | null;
      n: number;
    }[];
    return new Map(rows.map((row) => [row.hold_ref ?? '', row.n]));
  }
}
