/**
 * Why a job is not sent at once, and until when. One mechanism for everything that keeps an event
 * back on purpose (Invariant 11): maintenance windows now; flap hold-down and rules can add their
 * own `ref` kinds later. A held job waits in the outbox with status 'held' and is released by the
 * HoldReleaser when `until` passes (after asking again whether something still holds it), or by hand.
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
