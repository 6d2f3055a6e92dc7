import { SQL } from './private.ts';
import { Repository } from './store.ts';

export interface TargetPause {
  target: string;
  pausedAt: number;
  pausedBy: string;
}

/** Which ilert targets forwarding is paused for: the durable half of the forwarder's pause. */
export class TargetPauses extends Repository {
  all(): TargetPause[] {
    const rows = this.store[SQL].get('SELECT target, paused_at, paused_by FROM target_pauses ORDER BY target').all() as { target: string; paused_at: number; paused_by: string }[];
    return rows.map((row) => ({ target: row.target, pausedAt: row.paused_at, pausedBy: row.paused_by }));
  }

  /** Pauses the target; pausing it again keeps the first pause's time, since that is when sending stopped. */
  pause(target: string, pausedBy: string, now: number): TargetPause {
    this.store.transaction(() => {
      this.store[SQL].get('INSERT INTO target_pauses (target, paused_at, paused_by) VALUES (?, ?, ?) ON CONFLICT(target) DO NOTHING').run(target, now, pausedBy);
    });
    return this.all().find((pause) => pause.target === target)!;
  }

  /** Whether the target was paused. */
  resume(target: string): boolean {
    return this.store.transaction(() => Number(this.store[SQL].get('DELETE FROM target_pauses WHERE target = ?').run(target).changes) > 0);
  }
}
