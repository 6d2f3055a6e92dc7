import { WEEKDAYS, type CreateWindowInput, type Weekday, type WindowView } from '../../../../shared/contract.ts';

const DAY_WORDS: Record<Weekday, string> = { sun: 'Sun', mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat' };
/** The week as a person reads it, Monday first (WEEKDAYS follows JavaScript's Sunday-first days). */
export const WEEK: readonly Weekday[] = [...WEEKDAYS.slice(1), WEEKDAYS[0]];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export const dayWord = (day: Weekday) => DAY_WORDS[day];

/** The zone this browser is in: the one a technician most likely means. */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** "Sat 7 Dec 22:00", in the browser's zone. */
function when(ms: number): string {
  const date = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${dayWord(WEEKDAYS[date.getDay()]!)} ${date.getDate()} ${MONTHS[date.getMonth()]} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * A window's schedule in words: "Sat 22:00–Sun 04:00 Europe/Berlin", "Mon, Wed 22:00–06:00 next day
 * Europe/Berlin", "Sat 7 Dec 22:00–Sun 8 Dec 04:00".
 */
export function scheduleWords(window: Pick<WindowView, 'kind' | 'start' | 'end' | 'days' | 'timeZone'>): string {
  if (window.kind === 'once') return `${when(Date.parse(window.start))}–${when(Date.parse(window.end))}`;
  const days = WEEK.filter((day) => window.days?.includes(day));
  const crosses = window.end <= window.start;
  const zone = window.timeZone ? ` ${window.timeZone}` : '';
  if (!crosses) return `${days.map(dayWord).join(', ')} ${window.start}–${window.end}${zone}`;
  if (days.length === 1) {
    const next = WEEKDAYS[(WEEKDAYS.indexOf(days[0]!) + 1) % 7]!;
    return `${dayWord(days[0]!)} ${window.start}–${dayWord(next)} ${window.end}${zone}`;
  }
  return `${days.map(dayWord).join(', ')} ${window.start}–${window.end} next day${zone}`;
}

/** What a window covers, in words; `groupPath` names a group by its path when the routing table knows it. */
export function scopeWords(scope: WindowView['scope'], groupPath?: (groupId: string) => string | undefined): string {
  if ('all' in scope) return 'everything';
  if ('device' in scope) return `device ${scope.device}`;
  if ('target' in scope) return `ilert target “${scope.target}”`;
  return `group ${groupPath?.(scope.group) ?? scope.group} and its subgroups`;
}

export type ScheduleKind = 'now' | 'once' | 'weekly';
export type Length = '1h' | '2h' | 'until';
const HOUR = 3_600_000;

/** The end of a window from now: an hour or two, or the next time the clock shows HH:MM. */
export function endOf(length: Length, until: string, now: number): number | undefined {
  if (length !== 'until') return now + (length === '1h' ? HOUR : 2 * HOUR);
  const match = /^(\d\d):(\d\d)$/.exec(until);
  if (!match) return undefined;
  const end = new Date(now);
  end.setHours(Number(match[1]), Number(match[2]), 0, 0);
  if (end.getTime() <= now) end.setDate(end.getDate() + 1);
  return end.getTime();
}

/** What the dialog's "When" says, as the form holds it. */
export interface ScheduleDraft {
  kind: ScheduleKind;
  length: Length;
  until: string;
  /** datetime-local values, in the browser's zone. */
  from: string;
  to: string;
  days: Weekday[];
  startTime: string;
  endTime: string;
  timeZone: string;
}

export function newScheduleDraft(): ScheduleDraft {
  return { kind: 'now', length: '1h', until: '', from: '', to: '', days: [], startTime: '22:00', endTime: '04:00', timeZone: browserTimeZone() };
}

/**
 * The schedule part of createMaintenanceWindow, or what to fix first. Only what the form itself
 * can tell is checked here (a blank field); the relay judges the rest (start = end, an unknown zone)
 * and its words are shown.
 */
export function scheduleInput(draft: ScheduleDraft, now: number): Pick<CreateWindowInput, 'start' | 'end' | 'days' | 'timeZone'> | { problem: string } {
  if (draft.kind === 'now') {
    const end = endOf(draft.length, draft.until, now);
    return end === undefined ? { problem: 'Give the time the window ends, as HH:MM' } : { start: new Date(now).toISOString(), end: new Date(end).toISOString() };
  }
  if (draft.kind === 'once') {
    const start = Date.parse(draft.from);
    const end = Date.parse(draft.to);
    if (!Number.isFinite(start) || !Number.isFinite(end)) return { problem: 'Give the start and the end, each a date and a time' };
    return { start: new Date(start).toISOString(), end: new Date(end).toISOString() };
  }
  if (draft.days.length === 0) return { problem: 'Pick at least one day the window starts on' };
  return { start: draft.startTime, end: draft.endTime, days: WEEK.filter((day) => draft.days.includes(day)), timeZone: draft.timeZone.trim() };
}
