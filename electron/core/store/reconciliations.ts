import type { Reconciliation } from '../../../shared/contract.ts';
import { Repository } from './store.ts';
import { SQL } from './private.ts';

/** The log of reconciliation runs the dashboard lists; each start and finish is announced. */
export class Reconciliations extends Repository {
  start(trigger: Reconciliation['trigger'], startedAt: number): number {
    const id = Number(this.store[SQL].get(`INSERT INTO reconciliations (trigger, started_at, outcome) VALUES (?, ?, 'running')`).run(trigger, startedAt).lastInsertRowid);
    this.store.emit({ kind: 'reconciliation' });
    return id;
  }

  /** A run that ends after the store closed (the relay stopping) is not recorded. */
  finish(run: Reconciliation): void {
    const store = this.store;
    if (store.closed) return;
    store[SQL].get(`UPDATE reconciliations SET finished_at = ?, outcome = ?, error = ?, checked = ?, changes = ? WHERE id = ?`).run(
      run.finishedAt ?? null,
      run.outcome,
      run.error ?? null,
      run.checked,
      JSON.stringify(run.changes),
      run.id,
    );
    store.emit({ kind: 'reconciliation' });
  }

  list(limit: number): Reconciliation[] {
    const rows = this.store[SQL].get(`SELECT * FROM reconciliations ORDER BY id DESC LIMIT ?`).all(limit) as Record<string, unknown>[];
    return rows.map((row) => ({
      id: Number(row.id),
      trigger: String(row.trigger) as Reconciliation['trigger'],
      startedAt: Number(row.started_at),
      finishedAt: row.finished_at === null ? undefined : Number(row.finished_at),
      outcome: String(row.outcome) as Reconciliation['outcome'],
      error: row.error === null ? undefined : String(row.error),
      checked: Number(row.checked),
      changes: JSON.parse(String(row.changes)) as Reconciliation['changes'],
    }));
  }
}
