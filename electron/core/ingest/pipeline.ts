import { toIlertEvent, alertKeyFor, type IlertEventBody } from '../ilert/event-mapping.ts';
import { withLevelTemplates } from '../ilert/level-templates.ts';
import type { LevelTemplates } from '../sources/source.ts';
import { isResolvedAlertEvent, type Envelope, type LevelAlert } from '../level/envelope.ts';
import type { RouteChoice } from '../routing/router.ts';
import { StoreUnavailableError } from '../store/database.ts';
import type { Store } from '../store/store.ts';
import type { AlertHistory, DeliveryDescription } from '../store/alert-ledger.ts';
import { FlapJobs } from '../store/flap-jobs.ts';
import { HeldJobs } from '../store/held-jobs.ts';
import { holdDown, laterHold, refireCommentText, refireReason, resolveGrace } from '../holds/flapping.ts';
import type { InboundDelivery, RejectedDelivery } from '../store/inbound-delivery.ts';
import type { Severity } from '../../../shared/contract.ts';
import type { Hold } from '../holds/hold.ts';
import { decideAlert, decideEvent } from './decide.ts';
import { verifyAutomation, verifyWebhook, type Verified, type WebhookSecrets } from './verify.ts';
import type { Logger } from '../logger.ts';

/** Decisions the ingest makes that depend on settings, read at ingest time. */
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

export interface AcceptedDelivery extends InboundDelivery {
  envelope: Envelope;
  alert: LevelAlert | undefined;
  /** What had to be assumed to accept it (e.g. a time without zone), shown as the delivery's reason. */
  note?: string | undefined;
  /** The sender's own occurred_at when it was too far ahead to count (the envelope then carries the time of receipt). */
  claimedOccurredAt?: string | undefined;
  /** From a source other than Level: its templates made the ilert event, its configuration chose the target. */
  shaped?: ShapedAlert | undefined;
}

/** An alert event a source's templates already turned into ilert's terms (see sources/). */
export interface ShapedAlert {
  alertKey: string;
  resolved: boolean;
  body: IlertEventBody;
  route: RouteChoice;
}

/**
 * How far ahead of its receipt an event's time may be and still count: clocks drift a little, but
 * one event dated in the future (a resolve dated 2099) would otherwise make every later real
 * event look stale, for good.
 */
const EVENT_TIME_AHEAD_LIMIT_MS = 5 * 60_000;

/** The event as it counts: a time far ahead of its receipt becomes the time of receipt, said in a note. */
function countedTime(envelope: Envelope, receivedAt: number): { envelope: Envelope; claimedOccurredAt?: string; note?: string } {
  const claimedMs = Date.parse(envelope.occurred_at);
  if (!(claimedMs > receivedAt + EVENT_TIME_AHEAD_LIMIT_MS)) return { envelope };
  const received = new Date(receivedAt).toISOString();
  const minutes = Math.round((claimedMs - receivedAt) / 60_000).toLocaleString('en');
  return {
    envelope: { ...envelope, occurred_at: received },
    claimedOccurredAt: envelope.occurred_at,
    note: `occurred_at ${envelope.occurred_at} is ${minutes} minutes after the relay received the event; counted as received (${received})`,
  };
}

/** The answer for whoever sent the delivery. */
export interface WebhookResult {
  statusCode: number;
  body: Record<string, unknown>;
}

export interface IngestOptions {
  log: Logger;
  store: Store;
  secrets: () => WebhookSecrets;
  policy: () => IngestPolicy;
  /** Before an alert is stored: e.g. look its device up so it can be routed by group. */
  beforeStore?: (alert: LevelAlert) => Promise<void>;
  /** After an accepted event is durable (e.g. refresh the device or group it names); never delays the answer. */
  accepted?: (envelope: Envelope) => void;
}

/**
 * From bytes and headers to a durable event and an answer: receive → verify → decide → persist.
 * The HTTP receiver, re-runs, reconciliation and the setup test all come in here, so every
 * event goes through exactly the same checks and the same state machine.
 */
export class IngestPipeline {
  readonly #options: IngestOptions;

  constructor(options: IngestOptions) {
    this.#options = options;
  }

  webhook(delivery: InboundDelivery, signatureHeader: string | undefined): Promise<WebhookResult> {
    return this.#receive(verifyWebhook(delivery, signatureHeader, this.#options.secrets()));
  }

  automation(delivery: InboundDelivery, secretHeader: string | undefined): Promise<WebhookResult> {
    return this.#receive(verifyAutomation(delivery, secretHeader, this.#options.secrets().automation));
  }

  async #receive(verified: Verified): Promise<WebhookResult> {
    if (!verified.ok) {
      await this.reject({ ...verified.delivery, statusCode: verified.statusCode, reason: verified.reason });
      return { statusCode: verified.statusCode, body: { error: verified.reason } };
    }
    return this.parsed(verified.delivery, verified.envelope, verified.alert, verified.notes);
  }

  /** Logs a refused delivery; the answer to the sender does not depend on whether that worked. */
  async reject(rejected: RejectedDelivery): Promise<void> {
    try {
      await this.#options.store.recordRejected(rejected);
    } catch {
      // Store unavailable: the status code still tells the sender what was wrong.
    }
  }

  /** From a verified, parsed event (or one the relay made up) to a durable one: routing look-ups first, then one transaction. */
  async parsed(delivery: InboundDelivery, sent: Envelope, alert: LevelAlert | undefined, parseNotes: readonly string[] = [], shaped?: ShapedAlert): Promise<WebhookResult> {
    const { store, beforeStore, policy, accepted } = this.#options;
    if (alert && beforeStore && !shaped) await beforeStore(alert);
    const { envelope, claimedOccurredAt, note: timeNote } = countedTime(sent, delivery.receivedAt);
    const notes = timeNote ? [...parseNotes, timeNote] : parseNotes;
    // What had to be assumed (a time without zone, say) goes to the delivery log and the log.
    const note = notes.length > 0 ? notes.join('; ') : undefined;
    if (note) this.#options.log.warn(`event ${envelope.event_id.slice(0, 80)}: ${note}`);
    try {
      const outcome = await persist(store, { ...delivery, envelope, alert, note, claimedOccurredAt, shaped }, policy());
      if (outcome === 'duplicate') return { statusCode: 200, body: { duplicate: true, event_id: envelope.event_id } };
      if (!shaped) accepted?.(envelope);
      return { statusCode: 202, body: { accepted: true, event_id: envelope.event_id } };
    } catch (error) {
      if (error instanceof StoreUnavailableError) return { statusCode: 503, body: { error: 'store unavailable, retry later' } };
      // Not the store: something in this event itself could not be processed. Answering 5xx would
      // only make Level send the same bytes again; a recorded 422 shows the user what it was.
      const reason = `the relay could not process this event: ${(error as Error).message}`.slice(0, 500);
      await this.reject({ ...delivery, statusCode: 422, reason, eventId: envelope.event_id, eventType: envelope.event_type });
      return { statusCode: 422, body: { error: reason } };
    }
  }
}

/**
 * Stores a verified, parsed delivery in the next group commit: the delivery, the event, the
 * alert's new state and the ilert work it causes, all in one transaction. The decision reads the
 * alert's history inside that transaction, so two events for one alert in one batch see each other.
 */
export function persist(store: Store, delivery: AcceptedDelivery, policy: IngestPolicy): Promise<'accepted' | 'duplicate'> {
  return store.write(() => {
    const { envelope, alert } = delivery;
    const ledger = store.ledger;
    const described = describe(envelope, alert);
    const event = { eventId: envelope.event_id, eventType: envelope.event_type };
    const decision = decideEvent({ eventType: envelope.event_type, hasAlert: alert !== undefined, alreadyReceived: ledger.eventKnown(envelope.event_id) });
    if (decision === 'duplicate') {
      ledger.insertDelivery(delivery, { statusCode: 200, outcome: 'duplicate', reason: 'event_id already received', ...event }, described);
      return 'duplicate';
    }
    const deliveryId = ledger.insertDelivery(delivery, { statusCode: 202, outcome: 'accepted', reason: delivery.note, ...event }, described);
    ledger.insertEvent({
      ...event,
      deliveryId,
      occurredAt: envelope.occurred_at,
      claimedOccurredAt: delivery.claimedOccurredAt,
      resourceId: envelope.data.id,
      receivedAt: delivery.receivedAt,
    });
    if (decision === 'alert') persistAlert(store, delivery, alert!, deliveryId, policy);
    else if (decision !== 'keep') {
      store.collect({ kind: 'mirror' });
      store.mirror.applyWebhook(decision, envelope, delivery.receivedAt);
    }
    return 'accepted';
  });
}

function persistAlert(store: Store, delivery: AcceptedDelivery, alert: LevelAlert, deliveryId: number, policy: IngestPolicy): void {
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
  // forwards it at all: one routing skips stays apart).
  const sameProblem = !resolved && !history && !shaped && !routed.skip && alert.device_id && alert.name ? flaps.graceHeldForSameProblem(alert.device_id, alert.name) : undefined;
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

function describe(envelope: Envelope, alert: LevelAlert | undefined): DeliveryDescription {
  const data = envelope.data as Record<string, unknown>;
  return {
    levelAlertId: alert?.id,
    name: alert?.name ?? (typeof data.name === 'string' ? data.name : undefined),
    hostname: alert?.device_hostname ?? (typeof data.hostname === 'string' ? data.hostname : undefined),
    severity: alert?.severity,
  };
}
