/**
 * Instants the scenarios start at, chosen from the program calendar (`workflows/calendar.ts`) rather than taken from
 * whatever day the suite happens to run on: a working-day morning, a Friday evening, the eve of a public holiday,
 * year-end, Golden Week. Each finder returns the first such instant strictly after `from`, so a test moves the
 * time-skipping server forward to it (the server cannot go back).
 */
import { isJapaneseHoliday, localDate, nextSendTime, zonedParts, zonedTimeToMs } from '../../workflows/calendar';
import { DAY_MS } from '../../workflows/durations';
import { DEFAULT_PLAYBOOK } from '../../workflows/playbook';

export const JST = 'Asia/Tokyo';

/** Far enough to reach the next 28 April from anywhere; the holiday table is checked for gaps by the unit tests. */
const SEARCH_DAYS = 400;

/** The JST calendar date `days` after `isoDate`. */
export function addDays(isoDate: string, days: number): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Weekday of a JST calendar date (0 = Sunday). */
export function weekdayOf(isoDate: string): number {
  return new Date(`${isoDate}T00:00:00Z`).getUTCDay();
}

/** Monday to Friday and not a public holiday: a day the default playbook sends email on. */
export function isWorkingDay(isoDate: string): boolean {
  const weekday = weekdayOf(isoDate);
  return weekday >= 1 && weekday <= 5 && !isJapaneseHoliday(isoDate);
}

/** `hour:minute` JST on a calendar date. */
export function jstAt(isoDate: string, hour: number, minute = 0): number {
  const [y, m, d] = isoDate.split('-').map(Number) as [number, number, number];
  return zonedTimeToMs(y, m, d, hour, minute, JST);
}

/** The first instant strictly after `from` at `hour:minute` JST on a date that `accept` takes. */
export function firstDateAt(from: number, hour: number, minute: number, accept: (isoDate: string) => boolean): number {
  const first = localDate(from, JST);
  for (let i = 0; i < SEARCH_DAYS; i++) {
    const date = addDays(first, i);
    const at = jstAt(date, hour, minute);
    if (at > from && accept(date)) return at;
  }
  throw new RangeError(`no such date within ${SEARCH_DAYS} days of ${new Date(from).toISOString()}`);
}

/** The last working day before a public holiday (or a run of days off that holds one): its eve. */
function isHolidayEve(isoDate: string): boolean {
  if (!isWorkingDay(isoDate)) return false;
  for (let next = addDays(isoDate, 1); !isWorkingDay(next); next = addDays(next, 1)) {
    if (isJapaneseHoliday(next)) return true;
  }
  return false;
}

/** A kind of instant a scenario starts at. */
export type CalendarStart = { name: string; next(from: number): number };

/** 10:00 JST on a working day: emails go out at once. */
export const WORKING_DAY_MORNING: CalendarStart = {
  name: 'a working-day morning',
  next: (from) => firstDateAt(from, 10, 0, isWorkingDay),
};

/** 18:30 JST on a Friday: sending hours have just closed for the weekend. */
export const FRIDAY_EVENING: CalendarStart = {
  name: 'a Friday evening',
  next: (from) => firstDateAt(from, 18, 30, (date) => weekdayOf(date) === 5),
};

/** 17:30 JST on the last working day before a public holiday: half an hour of sending left, then days off. */
export const HOLIDAY_EVE: CalendarStart = {
  name: 'the eve of a public holiday',
  next: (from) => firstDateAt(from, 17, 30, isHolidayEve),
};

/** 18:30 JST on 28 December: the year turns and New Year's Day (元日) follows within days. */
export const YEAR_END: CalendarStart = {
  name: 'year-end',
  next: (from) => firstDateAt(from, 18, 30, (date) => date.endsWith('-12-28')),
};

/** 17:30 JST on 28 April, the eve of Shōwa Day: Golden Week's holidays follow. */
export const GOLDEN_WEEK: CalendarStart = {
  name: 'Golden Week',
  next: (from) => firstDateAt(from, 17, 30, (date) => date.endsWith('-04-28')),
};

/** Every kind, for the scenarios whose outcome depends on the calendar (run with `it.each`). */
export const CALENDAR_STARTS: CalendarStart[] = [
  WORKING_DAY_MORNING,
  FRIDAY_EVENING,
  HOLIDAY_EVE,
  YEAR_END,
  GOLDEN_WEEK,
];

/** When an email queued at `ms` goes out under the default playbook (09:00–18:00 JST on working days). */
export function sendingOpensAt(ms: number): number {
  return nextSendTime(ms, DEFAULT_PLAYBOOK);
}

/** `hour`:00 JST on the first working day on or after the date `days` days from `from` (a kickoff slot). */
export function jstSlot(from: number, days: number, hour = 10): string {
  let date = localDate(from + days * DAY_MS, JST);
  while (!isWorkingDay(date)) date = addDays(date, 1);
  return new Date(jstAt(date, hour)).toISOString();
}

/** Working days after `from`'s date up to and including `to`'s (JST): how business-day due dates are counted. */
export function workingDaysBetween(from: number, to: number): number {
  let count = 0;
  for (let date = addDays(localDate(from, JST), 1); date <= localDate(to, JST); date = addDays(date, 1)) {
    if (isWorkingDay(date)) count++;
  }
  return count;
}

/** Inside 09:00–18:00 JST on a working day: when the default playbook may send. */
export function inJstBusinessHours(at: Date | number): boolean {
  const ms = typeof at === 'number' ? at : at.getTime();
  const p = zonedParts(ms, JST);
  const minutes = p.hour * 60 + p.minute;
  return isWorkingDay(localDate(ms, JST)) && minutes >= 9 * 60 && minutes < 18 * 60;
}

/** How an instant reads in JST, for test names and failure messages: `2027-04-28 (Wed) 17:30 JST`. */
export function describeJst(ms: number): string {
  const p = zonedParts(ms, JST);
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][p.weekday];
  const time = `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
  return `${localDate(ms, JST)} (${weekday}) ${time} JST`;
}
