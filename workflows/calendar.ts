/**
 * Schedule arithmetic in a program's time zone: when a send may go out, business days for escalation SLAs,
 * calendar dates to instants. Pure and deterministic (Intl and a fixed holiday table), so workflows, the API and
 * the tests share it.
 */
import holidays from '@holiday-jp/holiday_jp/lib/holidays';
import { DAY_MS } from './durations';

export type SendingPolicy = {
  timeZone: string;
  /** Local `HH:MM`; sends go out at or after `start` and before `end`. */
  sendingHours: { start: string; end: string };
  /** `weekdays`: Monday to Friday only; `all`: every day. */
  sendDays: 'weekdays' | 'all';
  /** Skip Japanese public holidays (祝日) for sends and business days. */
  skipHolidays: boolean;
};

type ZonedParts = {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
};

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** The wall-clock parts of an instant in a time zone (weekday: 0 = Sunday). */
export function zonedParts(ms: number, timeZone: string): ZonedParts {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: WEEKDAYS.indexOf(parts.weekday ?? ''),
  };
}

/** The instant of a wall-clock time in a time zone (the earlier one when a DST change makes it ambiguous). */
export function zonedTimeToMs(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  timeZone: string,
): number {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  let guess = asUtc;
  // Two rounds settle the offset, including across a DST change.
  for (let i = 0; i < 2; i++) {
    const p = zonedParts(guess, timeZone);
    const offset = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - guess;
    guess = asUtc - offset;
  }
  return guess;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The local calendar date (`YYYY-MM-DD`) of an instant. */
export function localDate(ms: number, timeZone: string): string {
  const p = zonedParts(ms, timeZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** Midnight at the start of a calendar date (`YYYY-MM-DD`) in a time zone. */
export function startOfDate(isoDate: string, timeZone: string): number {
  const [y, m, d] = isoDate.split('-').map(Number) as [number, number, number];
  return zonedTimeToMs(y, m, d, 0, 0, timeZone);
}

/** A Japanese public holiday (祝日, including substitute holidays), from the holiday_jp table. */
export function isJapaneseHoliday(isoDate: string): boolean {
  return Object.prototype.hasOwnProperty.call(holidays, isoDate);
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

function isWorkingDate(parts: ZonedParts, policy: Pick<SendingPolicy, 'sendDays' | 'skipHolidays'>): boolean {
  if (policy.sendDays === 'weekdays' && (parts.weekday === 0 || parts.weekday === 6)) return false;
  if (policy.skipHolidays && isJapaneseHoliday(`${parts.year}-${pad(parts.month)}-${pad(parts.day)}`)) return false;
  return true;
}

/**
 * Whether the policy lets email go out at every instant (every day, 00:00 to 24:00, holidays included). Answered from
 * the policy alone: the calendar arithmetic below costs a time-zone conversion per step, and proving that sending never
 * stops would walk a year of days for every email a match sends.
 */
function alwaysOpen(policy: SendingPolicy): boolean {
  return (
    policy.sendDays === 'all' &&
    !policy.skipHolidays &&
    minutesOf(policy.sendingHours.start) === 0 &&
    minutesOf(policy.sendingHours.end) >= 24 * 60
  );
}

/** Whether an email may go out at this instant under the policy. */
export function maySendAt(ms: number, policy: SendingPolicy): boolean {
  if (alwaysOpen(policy)) return true;
  const p = zonedParts(ms, policy.timeZone);
  const minute = p.hour * 60 + p.minute;
  return (
    isWorkingDate(p, policy) &&
    minute >= minutesOf(policy.sendingHours.start) &&
    minute < minutesOf(policy.sendingHours.end)
  );
}

/** The earliest instant at or after `ms` when an email may go out (the next sending window's opening). */
export function nextSendTime(ms: number, policy: SendingPolicy): number {
  if (maySendAt(ms, policy)) return ms;
  const start = minutesOf(policy.sendingHours.start);
  let p = zonedParts(ms, policy.timeZone);
  // Today's window if it has not opened yet, else the next working day's; a year bounds the search.
  let candidate = zonedTimeToMs(p.year, p.month, p.day, Math.floor(start / 60), start % 60, policy.timeZone);
  for (let i = 0; i < 370; i++) {
    if (candidate >= ms && maySendAt(candidate, policy)) return candidate;
    p = zonedParts(candidate + DAY_MS, policy.timeZone);
    candidate = zonedTimeToMs(p.year, p.month, p.day, Math.floor(start / 60), start % 60, policy.timeZone);
  }
  throw new RangeError('no sending window within a year: check sendingHours, sendDays and skipHolidays');
}

/**
 * The end of the sending window open at `ms` (`ms` itself when none is): the first instant after it when an email may
 * not go out. Null when sending never stops (every day, all day).
 */
export function sendingWindowEnd(ms: number, policy: SendingPolicy): number | null {
  if (alwaysOpen(policy)) return null;
  if (!maySendAt(ms, policy)) return ms;
  const end = minutesOf(policy.sendingHours.end);
  let p = zonedParts(ms, policy.timeZone);
  // Today's closing time; a window that closes at 24:00 goes on into the next day when that day opens at 00:00.
  for (let i = 0; i < 370; i++) {
    const closing = zonedTimeToMs(p.year, p.month, p.day, Math.floor(end / 60), end % 60, policy.timeZone);
    if (!maySendAt(closing, policy)) return closing;
    p = zonedParts(closing, policy.timeZone);
  }
  return null;
}

/**
 * The instant `days` business days after `ms` (Monday to Friday, without Japanese holidays when asked), at the same
 * local time of day: the due date of an escalation.
 */
export function addBusinessDays(
  ms: number,
  days: number,
  policy: Pick<SendingPolicy, 'timeZone' | 'skipHolidays'>,
): number {
  let at = ms;
  let left = days;
  while (left > 0) {
    at += DAY_MS;
    if (isWorkingDate(zonedParts(at, policy.timeZone), { sendDays: 'weekdays', skipHolidays: policy.skipHolidays }))
      left--;
  }
  return at;
}

/** `formatInstant`'s formatters, one per language and time zone: making one costs far more than using it. */
const instantFormatters = new Map<string, Intl.DateTimeFormat>();

/**
 * An instant for people to read, in a time zone and a language, with the zone named: 2026年12月3日(木) 10:00 JST or
 * Thu, 3 Dec 2026, 10:00 GMT+9. (dateStyle/timeStyle cannot be combined with timeZoneName, hence the fields.)
 */
export function formatInstant(iso: string, locale: 'ja' | 'en', timeZone: string): string {
  const key = `${locale} ${timeZone}`;
  let f = instantFormatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale === 'ja' ? 'ja-JP' : 'en-GB', {
      year: 'numeric',
      month: locale === 'ja' ? 'long' : 'short',
      day: 'numeric',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZone,
      timeZoneName: 'short',
    });
    instantFormatters.set(key, f);
  }
  return f.format(new Date(iso));
}
