import type { AlertRow, PushedEvent } from '../../../shared/contract.ts';
import type { ReadModels } from '../store/read-models.ts';
import type { DesktopEvent } from './notifications.ts';

/**
 * Turns batched store changes into what happened from a technician's point of view: an alert
 * became active, an alert resolved, a delivery to ilert gave up. Alerts already active when the
 * app starts are known, so a restart does not announce them again.
 */
export class AlertWatcher {
  readonly #read: ReadModels;
  readonly #states = new Map<string, 'active' | 'resolved'>();
  readonly #failedAnnounced = new Set<number>();

  constructor(read: ReadModels) {
    this.#read = read;
    // Only what is active matters: an alert not known here that resolves was not active before either.
    for (const id of read.activeAlertIds()) this.#states.set(id, 'active');
  }

  observe(changes: PushedEvent<'changes'>): DesktopEvent[] {
    const events = alertTransitions(this.#states, this.#read.alertsByIds(changes.alerts));
    const failed = this.#read.failedJobs(changes.jobs);
    for (const id of changes.jobs) if (!failed.some((job) => job.id === id)) this.#failedAnnounced.delete(id);
    for (const job of failed) {
      if (this.#failedAnnounced.has(job.id)) continue;
      this.#failedAnnounced.add(job.id);
      events.push({ kind: 'gave-up', jobId: job.id, deliveryId: job.deliveryId, reason: job.reason });
    }
    return events;
  }
}

/** Records each alert's state; an alert that became active, or resolved after being active, is news. */
export function alertTransitions(states: Map<string, 'active' | 'resolved'>, alerts: readonly AlertRow[]): DesktopEvent[] {
  const events: DesktopEvent[] = [];
  for (const alert of alerts) {
    const before = states.get(alert.levelAlertId);
    states.set(alert.levelAlertId, alert.state);
    if (alert.state === 'active' && before !== 'active') events.push({ kind: 'alert', alert });
    if (alert.state === 'resolved' && before === 'active') events.push({ kind: 'resolved', alert });
  }
  return events;
}
