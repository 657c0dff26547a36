import {
  addBusinessDays,
  isJapaneseHoliday,
  localDate,
  maySendAt,
  nextSendTime,
  sendingWindowEnd,
  startOfDate,
  type SendingPolicy,
} from '../../workflows/calendar';
import { durationMs } from '../../workflows/durations';

const jst: SendingPolicy = {
  timeZone: 'Asia/Tokyo',
  sendingHours: { start: '09:00', end: '18:00' },
  sendDays: 'weekdays',
  skipHolidays: true,
};
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('durations', () => {
  it('reads playbook durations down to seconds', () => {
    expect(durationMs('14d')).toBe(14 * 86_400_000);
    expect(durationMs('1d12h')).toBe(36 * 3_600_000);
    expect(durationMs('2w')).toBe(14 * 86_400_000);
    expect(durationMs('90m')).toBe(5_400_000);
    expect(durationMs('30s')).toBe(30_000);
  });
  it('refuses anything else', () => {
    for (const bad of ['', '14', 'd', '1.5d', '-1d', '1y', '3 d']) expect(() => durationMs(bad)).toThrow(RangeError);
  });
});

describe('calendar in the program time zone', () => {
  it('turns calendar dates into local midnight', () => {
    expect(iso(startOfDate('2026-12-01', 'Asia/Tokyo'))).toBe('2026-11-30T15:00:00.000Z');
    expect(iso(startOfDate('2026-07-01', 'America/New_York'))).toBe('2026-07-01T04:00:00.000Z');
    expect(localDate(at('2026-11-30T15:00:00Z'), 'Asia/Tokyo')).toBe('2026-12-01');
  });

  it('knows Japanese public holidays, substitute holidays included', () => {
    expect(isJapaneseHoliday('2027-01-01')).toBe(true); // 元日
    expect(isJapaneseHoliday('2027-01-11')).toBe(true); // 成人の日
    expect(isJapaneseHoliday('2026-05-06')).toBe(true); // 振替休日
    expect(isJapaneseHoliday('2026-12-01')).toBe(false);
  });

  it('never sends at 03:00 JST: the next window opens at 09:00', () => {
    const threeAm = at('2026-12-01T18:00:00Z'); // Wed 2 Dec 03:00 JST
    expect(maySendAt(threeAm, jst)).toBe(false);
    expect(iso(nextSendTime(threeAm, jst))).toBe('2026-12-02T00:00:00.000Z');
  });

  it('sends at once inside the window, and respects its edges', () => {
    expect(nextSendTime(at('2026-12-02T00:00:00Z'), jst)).toBe(at('2026-12-02T00:00:00Z')); // 09:00 exactly
    expect(iso(nextSendTime(at('2026-12-02T08:59:59Z'), jst))).toBe('2026-12-02T08:59:59.000Z'); // 17:59:59
    expect(iso(nextSendTime(at('2026-12-02T09:00:00Z'), jst))).toBe('2026-12-03T00:00:00.000Z'); // 18:00 → tomorrow
  });

  it('skips weekends and holidays: New Year’s Eve evening goes out on Monday 4 January', () => {
    expect(iso(nextSendTime(at('2026-12-31T10:00:00Z'), jst))).toBe('2027-01-04T00:00:00.000Z');
    expect(iso(nextSendTime(at('2026-12-31T10:00:00Z'), { ...jst, skipHolidays: false }))).toBe(
      '2027-01-01T00:00:00.000Z',
    );
    expect(iso(nextSendTime(at('2026-12-31T10:00:00Z'), { ...jst, sendDays: 'all', skipHolidays: false }))).toBe(
      '2027-01-01T00:00:00.000Z',
    );
  });

  it('sends around the clock with a 00:00–24:00 window on all days', () => {
    const always: SendingPolicy = {
      ...jst,
      sendingHours: { start: '00:00', end: '24:00' },
      sendDays: 'all',
      skipHolidays: false,
    };
    expect(nextSendTime(at('2027-01-01T18:00:00Z'), always)).toBe(at('2027-01-01T18:00:00Z'));
  });

  it('counts business days past weekends and holidays for SLAs', () => {
    // Thu 31 Dec 10:00 JST + 3 business days: 1 Jan holiday, 2–3 weekend → Wed 6 Jan 10:00 JST.
    expect(iso(addBusinessDays(at('2026-12-31T01:00:00Z'), 3, jst))).toBe('2027-01-06T01:00:00.000Z');
    // Fri + 1 business day → Mon.
    expect(iso(addBusinessDays(at('2026-12-04T01:00:00Z'), 1, jst))).toBe('2026-12-07T01:00:00.000Z');
  });
});

describe('the end of a sending window', () => {
  it('is the closing time of the window open now, or now when none is', () => {
    expect(iso(sendingWindowEnd(at('2026-12-02T01:00:00Z'), jst)!)).toBe('2026-12-02T09:00:00.000Z'); // 10:00 → 18:00
    expect(sendingWindowEnd(at('2026-12-02T09:00:00Z'), jst)).toBe(at('2026-12-02T09:00:00Z')); // 18:00: closed
    expect(sendingWindowEnd(at('2026-12-05T01:00:00Z'), jst)).toBe(at('2026-12-05T01:00:00Z')); // a Saturday
  });

  it('runs on past midnight into a day that opens at 00:00, and is null when sending never stops', () => {
    const allDay: SendingPolicy = { ...jst, sendingHours: { start: '00:00', end: '24:00' } };
    // Thursday 10:00 JST: open until Saturday 00:00 JST.
    expect(iso(sendingWindowEnd(at('2026-12-03T01:00:00Z'), allDay)!)).toBe('2026-12-04T15:00:00.000Z');
    expect(sendingWindowEnd(at('2026-12-03T01:00:00Z'), { ...allDay, sendDays: 'all', skipHolidays: false })).toBe(
      null,
    );
  });

  it('never stops only when every day, holidays included, is open from 00:00 to 24:00', () => {
    const everyDay: SendingPolicy = { ...jst, sendingHours: { start: '00:00', end: '24:00' }, sendDays: 'all' };
    // Holidays skipped: open until New Year's Day (元日) begins, 1 Jan 00:00 JST.
    expect(iso(sendingWindowEnd(at('2026-12-30T01:00:00Z'), everyDay)!)).toBe('2026-12-31T15:00:00.000Z');
    // A minute short of midnight: closes at 23:59 the same day.
    const almost: SendingPolicy = { ...everyDay, skipHolidays: false, sendingHours: { start: '00:00', end: '23:59' } };
    expect(iso(sendingWindowEnd(at('2026-12-30T01:00:00Z'), almost)!)).toBe('2026-12-30T14:59:00.000Z');
    // Always open, across a daylight-saving change too: every instant may send, and the window never ends.
    const newYork: SendingPolicy = { ...everyDay, skipHolidays: false, timeZone: 'America/New_York' };
    for (const instant of ['2026-03-08T06:30:00Z', '2026-03-08T07:30:00Z', '2026-11-01T05:30:00Z']) {
      expect(maySendAt(at(instant), newYork)).toBe(true);
      expect(sendingWindowEnd(at(instant), newYork)).toBeNull();
    }
  });
});
