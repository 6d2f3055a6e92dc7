import { toIlertEvent, alertKeyFor } from '../ilert/event-mapping.ts';
import { withLevelTemplates } from '../ilert/level-templates.ts';
import type { LevelTemplates } from '../sources/source.ts';
import { isResolvedAlertEvent, type LevelAlert } from '../level/envelope.ts';
import type { RouteChoice } from '../routing/router.ts';
import type { Store } from '../store/store.ts';
import type { AlertHistory } from '../store/alert-ledger.ts';
import type { DeliverySource } from '../store/inbound-delivery.ts';
import { FlapJobs } from '../store/flap-jobs.ts';
import { HeldJobs } from '../store/held-jobs.ts';
import { holdDown, laterHold, refireCommentText, refireReason, resolveGrace } from '../holds/flapping.ts';
import type { Severity } from '../../../shared/contract.ts';
import type { Hold } from '../holds/hold.ts';
import { decideAlert, decideEvent } from './decide.ts';
import type { Interpretation } from './interpret.ts';

/** Decisions the processor makes that depend on settings, read when it applies an event. */
export interface IngestPolicy {
  highPrioritySeverities: readonly Severity[];
  routeFor(alert: LevelAlert): RouteChoice;
  /** Whether a new ALERT is kept back by a maintenance window, why and until when; never asked about a RESOLVE (the route's hold-down and resolve grace are applied here). */
  holdFor?(alert: LevelAlert, route: RouteChoice, now: number): Hold | undefined;
  /** The rules (rules/) on an alert another source's configuration already routed: they decide after it, as after Level's routing. */
  rulesFor?(alert: LevelAlert, route: RouteChoice): RouteChoice;
  /** A target's own summary and details for Level alerts, if it has them. */
  levelTemplatesFor?(target: string): LevelTemplates | undefined;
}

/** An acknowledged delivery, read back from the log, as the processor applies it. */
export interface LoggedEvent extends Interpretation {
  deliveryId: number;
  receivedAt: number;
  source: DeliverySource;
}

/**
 * Applies one acknowledged event inside the processor's transaction: the alert's new state and
 * the ilert work it causes, or the device and group mirror. The decision reads the alert's
 * history inside that transaction, so two events for one alert in one batch see each other.
 */
export function applyEvent(store: Store, event: LoggedEvent, policy: IngestPolicy): void {
  const { envelope, alert } = event;
  const decision = decideEvent({ eventType: envelope.event_type, hasAlert: alert !== undefined, alreadyReceived: false });
  if (decision === 'alert') persistAlert(store, event, alert!, event.deliveryId, policy);
  else if (decision === 'devices' || decision === 'groups') {
    store.collect({ kind: 'mirror' });
    store.mirror.applyWebhook(decision, envelope, event.receivedAt);
  }
}

function persistAlert(store: Store, delivery: LoggedEvent, alert: LevelAlert, deliveryId: number, policy: IngestPolicy): void {
  const { envelope, receivedAt: now } = delivery;
  const ledger = store.ledger;
  const flaps = new FlapJobs(store);
  const { shaped } = delivery;
  const resolved = shaped?.resolved ?? isResolvedAlertEvent(envelope.event_type, alert);
  const occurredMs = Date.parse(envelope.occurred_at);
  const history = ledger.history(alert.id);
  const routed = shaped ? (policy.rulesFor?.(alert, shaped.route) ?? shaped.route) : policy.routeFor(alert);
  // A new Level alert for the same device and problem, while the last one's RESOLVE waits out its
  // grace, is that alert firing again: it joins the ilert alert that is still open (if its route
  // forwards it at all: one routing skips stays apart; a route without a grace holds no resolve
  // to join, so the look-up is spared).
  const sameProblem =
    !resolved && !history && !shaped && !routed.skip && (routed.resolveGraceSeconds ?? 0) > 0 && alert.device_id && alert.name
      ? flaps.graceHeldForSameProblem(alert.device_id, alert.name)
      : undefined;
  const alertKey = shaped?.alertKey ?? history?.alertKey ?? sameProblem?.alertKey ?? alertKeyFor(alert.id);
  // A resolve goes where its alert went, even if the routing changed in between.
  const sentTo = resolved ? ledger.targetOfSentAlert(alertKey) : undefined;
  // (Its route still says how long its resolve grace is.)
  const route: RouteChoice = sentTo ? { target: sentTo, reason: 'same target as the alert', resolveGraceSeconds: routed.resolveGraceSeconds } : routed;
  const body =
    shaped?.body ??
    withLevelTemplates(
      toIlertEvent(alert, resolved, {
        eventId: envelope.event_id,
        occurredAt: envelope.occurred_at,
        highPrioritySeverities: policy.highPrioritySeverities,
        routingKey: route.routingKey,
        enrichment: route.enrichment,
        alertKey,
      }),
      policy.levelTemplatesFor?.(route.target),
      alert,
      route.enrichment,
    );
  // A rule set ilert's priority or routing key (rules/): it wins over the severity's, or the source's templates'.
  if (route.priority) body.priority = route.priority;
  if (shaped && route.rule && route.routingKey && !resolved) body.routingKey = route.routingKey;
  // Events reconciliation makes say what Level's API answered: they override the stored times.
  const decision = decideAlert({ resolved, occurredMs, history, routeSkip: route.skip, fromLevelApi: delivery.source === 'reconciled' });
  const sends = decision.writeAlert && !decision.skip;
  // Fired again while its RESOLVE waits out the grace: that RESOLVE is cancelled, and ilert's alert,
  // still open, gets a COMMENT instead of an ALERT (nothing else holds it: nobody is paged by it).
  const refired = sends && !resolved ? (sameProblem ?? flaps.graceHeld(alertKey)) : undefined;
  // A resolve is never held by a window or a rule (Invariant 11): it goes, or is settled with the
  // ALERT it follows. Only the resolve grace delays it, and only once ilert has the ALERT.
  const hold = !sends || refired ? undefined : resolved ? graceFor(flaps, alertKey, route, now) : alertHold(flaps, policy, alert, alertKey, route, history, now);
  const target = refired?.target ?? route.target;
  if (decision.writeAlert) {
    ledger.writeAlert({
      alert,
      alertKey,
      resolved,
      resolvedAt: resolved ? (alert.resolved_at ?? envelope.occurred_at) : null,
      lastActiveMs: decision.lastActiveMs,
      lastResolveMs: decision.lastResolveMs,
      routeTarget: route.skip ? null : target,
      routeReason: route.skip ?? (refired ? 'fired again within the resolve grace: same target as the open alert' : route.reason),
      groupPath: route.groupPath,
      now,
    });
  }
  let job = body;
  if (refired) {
    const occurrence = flaps.occurrences(alertKey) + 1;
    const why = refireReason(envelope.occurred_at, occurrence, refired.heldUntil - refired.heldAt);
    new HeldJobs(store).drop(refired.id, why, why, now);
    job = {
      eventType: 'COMMENT',
      summary: body.summary,
      alertKey,
      comments: [{ creator: COMMENT_CREATOR, content: refireCommentText(envelope.occurred_at, occurrence, alert.id) }],
    };
  }
  ledger.insertJob({
    alertKey,
    levelAlertId: alert.id,
    eventId: envelope.event_id,
    deliveryId,
    target,
    routeReason: refired ? 'fired again within the resolve grace: a comment on the open ilert alert' : route.reason,
    body: job,
    severity: alert.severity,
    status: decision.skip ? 'skipped' : hold ? 'held' : 'queued',
    reason: decision.skip ?? hold?.reason ?? null,
    hold,
    now,
  });
  if (decision.writeAlert && decision.settle) ledger.settleResolvedBeforeDelivery(alertKey, now);
}

/** Who the relay's comments in ilert come from. */
const COMMENT_CREATOR = 'Level → ilert Relay';

/**
 * What keeps a new ALERT back: a maintenance window, the hold-down, or both — then the later
 * release wins (see laterHold). A repeat of an alert still held down waits as long as the first;
 * one ilert already has (active, not held down) is not held down again.
 */
function alertHold(
  flaps: FlapJobs,
  policy: IngestPolicy,
  alert: LevelAlert,
  alertKey: string,
  route: RouteChoice,
  history: AlertHistory | undefined,
  now: number,
): Hold | undefined {
  const windowHold = policy.holdFor?.(alert, route, now);
  const seconds = route.holdDownSeconds ?? 0;
  if (seconds <= 0) return windowHold;
  const heldDownUntil = flaps.heldDownUntil(alertKey);
  if (heldDownUntil === undefined && history?.state === 'active') return windowHold;
  const flap = holdDown(alertKey, seconds, now);
  return laterHold(windowHold, heldDownUntil === undefined ? flap : { ...flap, until: heldDownUntil });
}

/** The resolve grace, when it is on and ilert has the alert open (its ALERT was delivered). */
function graceFor(flaps: FlapJobs, alertKey: string, route: RouteChoice, now: number): Hold | undefined {
  const seconds = route.resolveGraceSeconds ?? 0;
  return seconds > 0 && flaps.alertDelivered(alertKey) ? resolveGrace(alertKey, seconds, now) : undefined;
}
