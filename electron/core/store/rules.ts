import { SQL } from './private.ts';
import type { RuleInput, RuleView } from '../../../shared/contract.ts';
import { Repository } from './store.ts';

interface RuleRow {
  id: number;
  name: string;
  conditions: string;
  actions: string;
  updated_at: number;
  updated_by: string;
}

/** What holds a job a rule dropped: the `hold_ref` of its held jobs. */
export const ruleRef = (id: number) => `rule:${id}`;

/** The rules as stored, in their order; rules/ decides what they mean. */
export class RuleRows extends Repository {
  all(): { rules: RuleView[]; updatedAt: number | undefined; updatedBy: string | undefined } {
    const rows = this.store[SQL].get('SELECT id, name, conditions, actions, updated_at, updated_by FROM rules ORDER BY position').all() as unknown as RuleRow[];
    const last = rows.reduce<RuleRow | undefined>((latest, row) => (!latest || row.updated_at > latest.updated_at ? row : latest), undefined);
    return {
      rules: rows.map((row) => ({ id: row.id, name: row.name, conditions: JSON.parse(row.conditions), actions: JSON.parse(row.actions) }) as RuleView),
      updatedAt: last?.updated_at,
      updatedBy: last?.updated_by,
    };
  }

  /** Replaces the whole list in one transaction; a rule saved with its id keeps it. Returns the ids in order. */
  replace(rules: readonly RuleInput[], by: string, now: number): number[] {
    return this.store.transaction(() => {
      const kept = new Set(rules.map((rule) => rule.id).filter((id): id is number => id !== undefined));
      const existing = this.store[SQL].get('SELECT id FROM rules').all() as { id: number }[];
      for (const { id } of existing) if (!kept.has(id)) this.store[SQL].get('DELETE FROM rules WHERE id = ?').run(id);
      const ids = rules.map((rule, position) => {
        const row = this.store[SQL].get(
          `INSERT INTO rules (id, position, name, conditions, actions, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT(id) DO UPDATE SET position = excluded.position, name = excluded.name, conditions = excluded.conditions,
               actions = excluded.actions, updated_at = excluded.updated_at, updated_by = excluded.updated_by
             RETURNING id`,
        ).get(rule.id ?? null, position, rule.name, JSON.stringify(rule.conditions), JSON.stringify(rule.actions), now, by) as { id: number };
        return row.id;
      });
      this.store.collect({ kind: 'rules' });
      return ids;
    });
  }

  /**
   * The alerts first seen since `from`, newest first, at most `limit`: what a dry run looks at.
   * Read through alerts_first_seen, so the cost is bounded by `limit`, not by the table.
   */
  recentAlerts(from: number, limit: number): { data: string }[] {
    return this.store[SQL].get('SELECT data FROM alerts INDEXED BY alerts_first_seen WHERE first_seen_at >= ? ORDER BY first_seen_at DESC LIMIT ?').all(from, limit) as {
      data: string;
    }[];
  }
}
