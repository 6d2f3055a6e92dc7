import type { Severity } from '../../../shared/contract.ts';
import { Repository } from './store.ts';
import { SQL } from './private.ts';

/** Where alerts from a Level group (and the groups under it) go. */
export interface GroupRoute {
  target: string;
  routingKey?: string | undefined;
  minSeverity?: Severity | undefined;
  /** Overrides the settings' hold-down and resolve grace for alerts on this route (0 = off here). */
  holdDownSeconds?: number | undefined;
  resolveGraceSeconds?: number | undefined;
}

/** The routing table: Level group → ilert target, as the Routing tab sets it. */
export class GroupRoutes extends Repository {
  all(): Map<string, GroupRoute> {
    const rows = this.store[SQL].get('SELECT group_id, target, routing_key, min_severity, hold_down_seconds, resolve_grace_seconds FROM group_routes').all() as {
      group_id: string;
      target: string;
      routing_key: string | null;
      min_severity: Severity | null;
      hold_down_seconds: number | null;
      resolve_grace_seconds: number | null;
    }[];
    return new Map(
      rows.map((row) => [
        row.group_id,
        {
          target: row.target,
          routingKey: row.routing_key ?? undefined,
          minSeverity: row.min_severity ?? undefined,
          holdDownSeconds: row.hold_down_seconds ?? undefined,
          resolveGraceSeconds: row.resolve_grace_seconds ?? undefined,
        },
      ]),
    );
  }

  /** Sets the group's route, or removes it (null). */
  set(groupId: string, route: GroupRoute | null, now: number): void {
    this.store.transaction(() => {
      if (route) {
        this.store[SQL].get(
          `INSERT INTO group_routes (group_id, target, routing_key, min_severity, hold_down_seconds, resolve_grace_seconds, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT(group_id) DO UPDATE SET target = excluded.target, routing_key = excluded.routing_key, min_severity = excluded.min_severity,
               hold_down_seconds = excluded.hold_down_seconds, resolve_grace_seconds = excluded.resolve_grace_seconds, updated_at = excluded.updated_at`,
        ).run(groupId, route.target, route.routingKey?.trim() || null, route.minSeverity ?? null, route.holdDownSeconds ?? null, route.resolveGraceSeconds ?? null, now);
      } else {
        this.store[SQL].get('DELETE FROM group_routes WHERE group_id = ?').run(groupId);
      }
      this.store.collect({ kind: 'routing' });
    });
  }
}
