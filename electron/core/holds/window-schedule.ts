/**
 * When a maintenance window is open. Pure: no store, no timers, so DST changes and clock steps can
 * be tested by asking about chosen instants.
 *
 * A weekly window follows the wall clock of its IANA time zone, through `Intl.DateTimeFormat`
 * (no bundled zone data): "Mon 22:00–06:00 Europe/Berlin" opens at 22:00 Berlin time on each
 * Monday, summer or winter. An occurrence is a pair of instants [start, end): a wall time that does
 * not exist (the hour skipped in spring) is read as the time after the gap, and one that happens
 * twice (the hour repeated in autumn) as the first, as `Temporal`'s "compatible" rule does.
 */

import { WEEKDAYS, type Weekday } from '../../../shared/contract.ts';

export { WEEKDAYS, type Weekday };

export type WindowSchedule =
  | { kind: 'once'; startMs: number; endMs: number }
  /** `days` are the days an occurrence starts on; an end at or before the start time is on the next day. */
  | { kind: 'weekly'; days: readonly Weekday[]; start: string; end: string; timeZone: string };

export interface Occurrence {
  startMs: number;
  endMs: number;
}

/** The time zone, as the runtime names it, or why it cannot be used. */
export function checkTimeZone(timeZone: string): { ok: true; timeZone: string } | { ok: false; reason: string } {
  try {
    return { ok: true, timeZone: new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone };
  } catch {
    return { ok: false, reason: `unknown time zone “${timeZone}”: use an IANA name such as Europe/Berlin or America/New_York` };
  }
}

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Minutes after midnight of "HH:MM", or undefined when it is not a time of day. */
export function minutesOf(time: string): number | undefined {
  const match = HH_MM.exec(time);
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined;
}

/** What is wrong with a schedule, or undefined when it can be saved. */
export function scheduleProblem(schedule: WindowSchedule): string | undefined {
  if (schedule.kind === 'once') {
    if (!Number.isFinite(schedule.startMs) || !Number.isFinite(schedule.endMs)) return 'start and end must be ISO times, e.g. 2026-12-07T22:00:00Z';
    if (schedule.endMs <= schedule.startMs) return 'the end must be after the start';
    return undefined;
  }
  const start = minutesOf(schedule.start);
  const end = minutesOf(schedule.end);
  if (start === undefined || end === undefined) return 'start and end must be times of day as HH:MM, e.g. 22:00';
  if (start === end) return 'start and end are the same time: a weekly window needs a length (it may cross midnight, e.g. 22:00–06:00)';
  if (schedule.days.length === 0) return 'a weekly window needs at least one day';
  const zone = checkTimeZone(schedule.timeZone);
  return zone.ok ? undefined : zone.reason;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallTimeAt(instantMs: number, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(instantMs)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

/** The zone's offset from UTC at an instant, in ms (Berlin in winter: +3,600,000). */
function offsetAt(instantMs: number, timeZone: string): number {
  const wall = wallTimeAt(instantMs, timeZone);
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  return asUtc - Math.floor(instantMs / 1000) * 1000;
}

/** The instant a wall-clock time happens in the zone (see the module comment for skipped and repeated times). */
export function instantOf(date: { year: number; month: number; day: number }, minutes: number, timeZone: string): number {
  const asUtc = Date.UTC(date.year, date.month - 1, date.day, Math.floor(minutes / 60), minutes % 60);
  // Offsets a day either side are the ones before and after any transition near this time.
  const before = offsetAt(asUtc - 86_400_000, timeZone);
  const after = offsetAt(asUtc + 86_400_000, timeZone);
  const valid = [before, after].filter((offset) => offsetAt(asUtc - offset, timeZone) === offset).map((offset) => asUtc - offset);
  if (valid.length > 0) return Math.min(...valid);
  // In the gap: the offset from before the change, which lands as far after the gap as the time was into it.
  return asUtc - before;
}

function addDays(date: { year: number; month: number; day: number }, days: number): { year: number; month: number; day: number; weekday: Weekday } {
  const at = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: at.getUTCFullYear(), month: at.getUTCMonth() + 1, day: at.getUTCDate(), weekday: WEEKDAYS[at.getUTCDay()]! };
}

/** The weekly window's occurrence that starts on a local date, if the window starts on that weekday. */
function weeklyOccurrenceOn(schedule: Extract<WindowSchedule, { kind: 'weekly' }>, date: ReturnType<typeof addDays>): Occurrence | undefined {
  if (!schedule.days.includes(date.weekday)) return undefined;
  const start = minutesOf(schedule.start)!;
  const end = minutesOf(schedule.end)!;
  const endDate = end > start ? date : addDays(date, 1);
  return { startMs: instantOf(date, start, schedule.timeZone), endMs: instantOf(endDate, end, schedule.timeZone) };
}

/**
 * The occurrence that contains the instant, or undefined. A weekly window whose time zone no
 * longer resolves (the system's zone data changed) is never open: it suppresses nothing.
 */
export function occurrenceAt(schedule: WindowSchedule, instantMs: number): Occurrence | undefined {
  if (schedule.kind === 'once') return schedule.startMs <= instantMs && instantMs < schedule.endMs ? schedule : undefined;
  if (!checkTimeZone(schedule.timeZone).ok || minutesOf(schedule.start) === undefined || minutesOf(schedule.end) === undefined) return undefined;
  const today = wallTimeAt(instantMs, schedule.timeZone);
  // An occurrence lasts less than a day, so only one starting today or yesterday (local) can contain the instant.
  for (const offset of [0, -1]) {
    const occurrence = weeklyOccurrenceOn(schedule, addDays(today, offset));
    if (occurrence && occurrence.startMs <= instantMs && instantMs < occurrence.endMs) return occurrence;
  }
  return undefined;
}

/** When the window next opens after the instant (not counting an occurrence under way), or undefined if never. */
export function nextStartAfter(schedule: WindowSchedule, instantMs: number): number | undefined {
  if (schedule.kind === 'once') return schedule.startMs > instantMs ? schedule.startMs : undefined;
  if (!checkTimeZone(schedule.timeZone).ok) return undefined;
  const today = wallTimeAt(instantMs, schedule.timeZone);
  for (let offset = 0; offset <= 8; offset++) {
    const occurrence = weeklyOccurrenceOn(schedule, addDays(today, offset));
    if (occurrence && occurrence.startMs > instantMs) return occurrence.startMs;
  }
  return undefined;
}
