import type { Hold } from './hold.ts';

/**
 * Flapping and repeats (issue 22, item 4), in words and holds; the store side is store/flap-jobs.ts,
 * the decisions are made at ingest (ingest/pipeline.ts) and released by quiet/hold-releaser.ts.
 *
 * - Hold-down: a new ALERT waits N seconds (a hold with ref `flap:<alertKey>`); resolved sooner, it
 *   is a flap and nothing is sent, otherwise the HoldReleaser sends it when the hold ends.
 * - Resolve grace: the RESOLVE of an alert ilert has (its ALERT was delivered) waits M seconds (ref
 *   `grace:<alertKey>`); a refire within M cancels it and sends ilert a COMMENT on the still-open
 *   alert instead, otherwise the RESOLVE goes when the grace ends.
 */
export const FLAP_REF_PREFIX = 'flap:';
export const GRACE_REF_PREFIX = 'grace:';

/** "45 s", "10 min", "1 h 30 min": how long, as a technician says it. */
export function spokenDuration(ms: number): string {
  const seconds = Math.max(Math.round(ms / 1000), 0);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 === 0 || minutes >= 10 ? `${minutes} min` : `${minutes} min ${seconds % 60} s`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}

/** The ALERT waits until `receivedAt + seconds`; shown as "held until 03:20: hold-down 10 min". */
export function holdDown(alertKey: string, seconds: number, receivedAt: number): Hold {
  return { reason: `held: hold-down ${spokenDuration(seconds * 1000)}`, until: receivedAt + seconds * 1000, ref: `${FLAP_REF_PREFIX}${alertKey}` };
}

/** The RESOLVE waits until `receivedAt + seconds`; shown as "held until 03:20: resolve grace 5 min". */
export function resolveGrace(alertKey: string, seconds: number, receivedAt: number): Hold {
  return { reason: `held: resolve grace ${spokenDuration(seconds * 1000)}`, until: receivedAt + seconds * 1000, ref: `${GRACE_REF_PREFIX}${alertKey}` };
}

/**
 * When a maintenance window and the hold-down both hold an ALERT, the later release wins: the job
 * carries that one hold. A window that ends later covers the hold-down (the ALERT waits for it
 * anyway); a hold-down that ends later keeps the ALERT past the window's end, and the releaser
 * asks the windows again when it ends. Ending a window early, or "Send now", is a person's
 * decision and releases at once, even inside a hold-down it covered.
 */
export function laterHold(a: Hold | undefined, b: Hold | undefined): Hold | undefined {
  if (!a || !b) return a ?? b;
  if (a.until === undefined) return a;
  if (b.until === undefined) return b;
  return b.until > a.until ? b : a;
}

/** Why a held-down ALERT and its RESOLVE send nothing: "flap: resolved after 3 min, within the 10 min hold-down". */
export function flapReason(heldAt: number, heldUntil: number, resolvedAt: number): string {
  return `flap: resolved after ${spokenDuration(resolvedAt - heldAt)}, within the ${spokenDuration(heldUntil - heldAt)} hold-down`;
}

/** "03:12 UTC on 2026-12-07": the relay may serve people in several zones, so it says which. */
function spokenTime(iso: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const text = at.toISOString();
  return `${text.slice(11, 16)} UTC on ${text.slice(0, 10)}`;
}

/** Why a RESOLVE held in its grace is not sent after all. */
export function refireReason(occurredAt: string, occurrence: number, graceMs: number): string {
  return `cancelled: fired again at ${spokenTime(occurredAt)} (occurrence ${occurrence}), within the ${spokenDuration(graceMs)} resolve grace; ilert’s alert stays open and gets a comment`;
}

/** What the COMMENT on the still-open ilert alert says (ilert's Events API, eventType COMMENT: https://api.ilert.com/api-docs/#tag/Events). */
export function refireCommentText(occurredAt: string, occurrence: number, levelAlertId: string): string {
  return `fired again at ${spokenTime(occurredAt)}, occurrence ${occurrence} (Level alert ${levelAlertId}): it resolved and fired again within the resolve grace, so this alert stayed open`;
}
