/**
 * Why a job is not sent at once, and until when. One mechanism for everything that keeps an event
 * back on purpose (Invariant 11): maintenance windows (`window:<id>`), the flap hold-down of an
 * ALERT (`flap:<alertKey>`) and the resolve grace of a RESOLVE (`grace:<alertKey>`, see flapping.ts);
 * rules can add their own `ref` kinds. A held job waits in the outbox with status 'held' and is
 * released by the HoldReleaser when `until` passes (after asking again whether a window still holds
 * an ALERT), or by hand. A resolve is never held by a window or a rule; only the resolve grace
 * delays it, and only when its ALERT was already sent.
 */
export interface Hold {
  /** Shown on the alert and in the delivery detail: "held: maintenance window “Patch night”". */
  reason: string;
  /** Wall time the hold ends by itself; undefined: only by hand or when what holds it ends. */
  until: number | undefined;
  /** What holds it, e.g. "window:12": ending that early releases its jobs. */
  ref: string;
}

/** What a hold can be decided on: the alert's device, its group and the groups above it, and its ilert target. */
export interface HoldSubject {
  deviceId: string | undefined;
  /** The device's group first, then its ancestors (subgroups inherit a group's window, as routes do); looked up only when a group's window is open. */
  groupIds: () => readonly string[];
  target: string;
}
