import type { CreateWindowInput, WindowScope, WindowView } from '../../../shared/contract.ts';
import { BadInputError } from '../errors.ts';
import { windowRef, type MaintenanceWindowRows, type StoredWindow } from '../store/maintenance-windows.ts';
import type { Hold, HoldSubject } from '../holds/hold.ts';
import { checkTimeZone, nextStartAfter, occurrenceAt, scheduleProblem, type Occurrence, type WindowSchedule } from '../holds/window-schedule.ts';

/** Windows not ended at once; more would make every alert's check slower, so creating one more is refused. */
export const MAX_OPEN_WINDOWS = 1000;
const LISTED_WINDOWS = 200;

/** ISO 8601 with a date, a time and a zone: a time without a zone would mean different instants on different machines. */
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** A window as held in memory, with its last answer kept while the time stays inside the span it holds for. */
interface LiveWindow {
  window: StoredWindow;
  reason: string;
  ref: string;
  known: { from: number; until: number; occurrence: Occurrence | undefined } | undefined;
}

function covers(scope: WindowScope, subject: HoldSubject): boolean {
  if ('all' in scope) return true;
  if ('device' in scope) return subject.deviceId === scope.device;
  if ('target' in scope) return subject.target === scope.target;
  return subject.groupIds().includes(scope.group);
}

function describeScope(scope: WindowScope): string {
  if ('all' in scope) return 'everything';
  if ('device' in scope) return `Level device ${scope.device}`;
  if ('target' in scope) return `ilert target ${scope.target}`;
  return `Level group ${scope.group} and the groups under it`;
}

function describeSchedule(schedule: WindowSchedule): string {
  if (schedule.kind === 'once') return `from ${new Date(schedule.startMs).toISOString()} to ${new Date(schedule.endMs).toISOString()}`;
  return `every ${schedule.days.join(', ')} ${schedule.start}–${schedule.end} ${schedule.timeZone}`;
}

/**
 * Maintenance windows: saved with their checks, listed with their state, and asked at ingest whether
 * one holds a new ALERT. That question is answered from memory (the open windows, each with its last
 * answer kept until the time leaves the span it is valid for), so it costs a comparison per window.
 */
export class MaintenanceWindows {
  readonly #rows: MaintenanceWindowRows;
  #live: LiveWindow[] = [];

  constructor(rows: MaintenanceWindowRows) {
    this.#rows = rows;
    this.#reload(Date.now());
  }

  #reload(now: number): void {
    this.#live = this.#rows
      .notEnded()
      .filter((window) => window.schedule.kind === 'weekly' || window.schedule.endMs > now)
      .map((window) => ({ window, reason: `held: maintenance window “${window.name}”`, ref: windowRef(window.id), known: undefined }));
  }

  #occurrence(live: LiveWindow, now: number): Occurrence | undefined {
    const known = live.known;
    // Asked again only when the time leaves the span of the last answer, in either direction (a clock set back).
    if (known && known.from <= now && now < known.until) return known.occurrence;
    const occurrence = occurrenceAt(live.window.schedule, now);
    const until = occurrence ? occurrence.endMs : (nextStartAfter(live.window.schedule, now) ?? Number.POSITIVE_INFINITY);
    live.known = { from: now, until, occurrence };
    return occurrence;
  }

  /** The open window that covers the subject now and stays open longest, as a hold; undefined when none does. */
  holdFor(subject: HoldSubject, now: number): Hold | undefined {
    // The device's groups are looked up once per alert, however many group windows are open.
    let groups: readonly string[] | undefined;
    const asked: HoldSubject = { ...subject, groupIds: () => (groups ??= subject.groupIds()) };
    let best: { live: LiveWindow; endMs: number } | undefined;
    for (const live of this.#live) {
      const occurrence = this.#occurrence(live, now);
      if (!occurrence || (best && occurrence.endMs <= best.endMs) || !covers(live.window.scope, asked)) continue;
      best = { live, endMs: occurrence.endMs };
    }
    return best && { reason: best.live.reason, until: best.endMs, ref: best.live.ref };
  }

  create(input: CreateWindowInput, createdBy: string, now: number): { view: WindowView; described: string } {
    const schedule = toSchedule(input);
    const problem = scheduleProblem(schedule);
    if (problem) throw new BadInputError(problem);
    if (schedule.kind === 'once' && schedule.endMs <= now) throw new BadInputError('the window would already be over: its end is in the past');
    if (this.#live.length >= MAX_OPEN_WINDOWS) throw new BadInputError(`there are already ${MAX_OPEN_WINDOWS} open maintenance windows: end some first`);
    const id = this.#rows.insert({ name: input.name, reason: input.reason || undefined, scope: input.scope, schedule, createdAt: now, createdBy });
    this.#reload(now);
    return { view: this.#view(this.#rows.get(id)!, now, new Map()), described: `${describeScope(input.scope)}, ${describeSchedule(schedule)}` };
  }

  /**
   * Ends a window now; its held jobs become due at once. Undefined when there is no such window.
   * `endedEarly`: it was scheduled or active until now (not a one-off already past its end).
   */
  end(id: number, endedBy: string, now: number): { view: WindowView; wasOpen: boolean; endedEarly: boolean } | undefined {
    const before = this.#rows.get(id);
    if (!before) return undefined;
    const endedEarly = this.#view(before, now, new Map()).state !== 'ended';
    const wasOpen = this.#rows.end(id, endedBy, now);
    this.#reload(now);
    return { view: this.#view(this.#rows.get(id)!, now, this.#rows.heldCounts()), wasOpen, endedEarly: wasOpen && endedEarly };
  }

  /** One window as listed; undefined when there is no such window. */
  get(id: number, now: number): WindowView | undefined {
    const window = this.#rows.get(id);
    return window && this.#view(window, now, this.#rows.heldCounts());
  }

  list(now: number): WindowView[] {
    const held = this.#rows.heldCounts();
    return this.#rows.recent(LISTED_WINDOWS).map((window) => this.#view(window, now, held));
  }

  #view(window: StoredWindow, now: number, held: Map<string, number>): WindowView {
    const { schedule } = window;
    const ended = window.endedAt !== undefined || (schedule.kind === 'once' && schedule.endMs <= now);
    const occurrence = ended ? undefined : occurrenceAt(schedule, now);
    const zoneGone = schedule.kind === 'weekly' && !checkTimeZone(schedule.timeZone).ok;
    return {
      id: window.id,
      name: window.name,
      reason: window.reason,
      scope: window.scope,
      kind: schedule.kind,
      start: schedule.kind === 'once' ? new Date(schedule.startMs).toISOString() : schedule.start,
      end: schedule.kind === 'once' ? new Date(schedule.endMs).toISOString() : schedule.end,
      days: schedule.kind === 'weekly' ? [...schedule.days] : undefined,
      timeZone: schedule.kind === 'weekly' ? schedule.timeZone : undefined,
      state: ended ? 'ended' : occurrence ? 'active' : 'scheduled',
      activeUntil: occurrence?.endMs,
      nextStart: ended || occurrence ? undefined : nextStartAfter(schedule, now),
      createdAt: window.createdAt,
      createdBy: window.createdBy,
      endedAt: window.endedAt,
      endedBy: window.endedBy,
      held: held.get(windowRef(window.id)) ?? 0,
      problem: zoneGone && !ended ? `its time zone “${schedule.timeZone}” is unknown to this system, so it holds nothing` : undefined,
      ilert: window.ilertWindowId !== undefined || window.ilertProblem ? { windowId: window.ilertWindowId, problem: window.ilertProblem } : undefined,
    };
  }
}

function toSchedule(input: CreateWindowInput): WindowSchedule {
  if (input.days) {
    if (!input.timeZone) throw new BadInputError('a weekly window needs a timeZone, an IANA name such as Europe/Berlin');
    const zone = checkTimeZone(input.timeZone);
    if (!zone.ok) throw new BadInputError(zone.reason);
    return { kind: 'weekly', days: [...new Set(input.days)], start: input.start, end: input.end, timeZone: zone.timeZone };
  }
  if (input.timeZone) throw new BadInputError('timeZone is for weekly windows (with days); a one-off window takes ISO times with their zone');
  for (const [field, value] of [
    ['start', input.start],
    ['end', input.end],
  ] as const) {
    if (!ISO_WITH_ZONE.test(value) || Number.isNaN(Date.parse(value))) {
      throw new BadInputError(`${field} must be an ISO time with its zone, e.g. 2026-12-07T22:00:00Z or 2026-12-07T23:00:00+01:00 (got “${value}”)`);
    }
  }
  return { kind: 'once', startMs: Date.parse(input.start), endMs: Date.parse(input.end) };
}
