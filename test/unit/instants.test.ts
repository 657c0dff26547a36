import {
  CALENDAR_STARTS,
  describeJst,
  FRIDAY_EVENING,
  GOLDEN_WEEK,
  HOLIDAY_EVE,
  inJstBusinessHours,
  jstSlot,
  sendingOpensAt,
  WORKING_DAY_MORNING,
  workingDaysBetween,
  YEAR_END,
} from '../support/instants';

const at = (iso: string) => Date.parse(iso);
const jst = (ms: number) => describeJst(ms);

describe('the instants scenarios start at (test support, from workflows/calendar.ts)', () => {
  // Friday 27 November 2026, 02:49 JST.
  const night = at('2026-11-27T02:49:00+09:00');

  it('finds the next instant of each kind, strictly after the clock', () => {
    expect(jst(WORKING_DAY_MORNING.next(night))).toBe('2026-11-27 (Fri) 10:00 JST');
    expect(jst(FRIDAY_EVENING.next(night))).toBe('2026-11-27 (Fri) 18:30 JST');
    // New Year's Day falls on a Friday: its eve is Thursday 31 December.
    expect(jst(HOLIDAY_EVE.next(night))).toBe('2026-12-31 (Thu) 17:30 JST');
    expect(jst(YEAR_END.next(night))).toBe('2026-12-28 (Mon) 18:30 JST');
    expect(jst(GOLDEN_WEEK.next(night))).toBe('2027-04-28 (Wed) 17:30 JST');
    // At the instant itself, the next one.
    expect(jst(WORKING_DAY_MORNING.next(at('2026-11-27T10:00:00+09:00')))).toBe('2026-11-30 (Mon) 10:00 JST');
    expect(jst(FRIDAY_EVENING.next(at('2026-11-27T18:30:00+09:00')))).toBe('2026-12-04 (Fri) 18:30 JST');
  });

  it('skips weekends and public holidays for a working-day morning', () => {
    expect(jst(WORKING_DAY_MORNING.next(at('2026-12-31T12:00:00+09:00')))).toBe('2027-01-04 (Mon) 10:00 JST');
    expect(jst(WORKING_DAY_MORNING.next(at('2027-04-30T12:00:00+09:00')))).toBe('2027-05-06 (Thu) 10:00 JST');
  });

  it('takes the eve of a holiday that follows a weekend as the Friday before it', () => {
    // Coming of Age Day, Monday 11 January 2027.
    expect(jst(HOLIDAY_EVE.next(at('2027-01-01T00:00:00+09:00')))).toBe('2027-01-08 (Fri) 17:30 JST');
    // Shōwa Day, Thursday 29 April 2027: the eve is Golden Week's.
    expect(HOLIDAY_EVE.next(at('2027-04-01T00:00:00+09:00'))).toBe(GOLDEN_WEEK.next(at('2027-04-01T00:00:00+09:00')));
  });

  it('finds every kind within the holiday table, each of the definition it names', () => {
    for (let year = 2026; year < 2050; year++) {
      const from = at(`${year}-03-15T12:00:00+09:00`);
      const found = Object.fromEntries(CALENDAR_STARTS.map((s) => [s.name, s.next(from)]));
      for (const ms of Object.values(found)) expect(ms).toBeGreaterThan(from);
      expect(jst(found['a working-day morning']!)).toMatch(/\((Mon|Tue|Wed|Thu|Fri)\) 10:00 JST$/);
      expect(jst(found['a Friday evening']!)).toMatch(/\(Fri\) 18:30 JST$/);
      expect(inJstBusinessHours(found['the eve of a public holiday']!)).toBe(true);
      expect(jst(found['year-end']!)).toMatch(new RegExp(`^${year}-12-28 .* 18:30 JST$`));
      expect(jst(found['Golden Week']!)).toMatch(new RegExp(`^${year}-04-28 .* 17:30 JST$`));
    }
  });

  it('picks kickoff slots on working days and knows when sending opens', () => {
    // From Friday evening, a day later is Saturday: the slot moves to Monday.
    expect(jstSlot(at('2026-11-27T18:30:00+09:00'), 1)).toBe('2026-11-30T01:00:00.000Z');
    expect(jstSlot(at('2026-11-24T08:00:00+09:00'), 2, 14)).toBe('2026-11-26T05:00:00.000Z');
    expect(jst(sendingOpensAt(at('2026-11-27T18:30:00+09:00')))).toBe('2026-11-30 (Mon) 09:00 JST');
    expect(jst(sendingOpensAt(at('2027-04-28T17:30:00+09:00')))).toBe('2027-04-28 (Wed) 17:30 JST');
    expect(jst(sendingOpensAt(at('2027-04-28T18:00:00+09:00')))).toBe('2027-04-30 (Fri) 09:00 JST');
  });

  it('counts working days as business-day due dates do', () => {
    // Thursday 31 December 2026 noon: New Year's Day and the weekend do not count.
    expect(workingDaysBetween(at('2026-12-31T12:00:00+09:00'), at('2027-01-05T12:00:00+09:00'))).toBe(2);
    expect(workingDaysBetween(at('2026-11-24T12:00:00+09:00'), at('2026-11-27T12:00:00+09:00'))).toBe(3);
    expect(workingDaysBetween(at('2026-11-27T12:00:00+09:00'), at('2026-11-27T18:00:00+09:00'))).toBe(0);
  });

  it('tells business hours on working days', () => {
    expect(inJstBusinessHours(at('2026-11-27T17:59:00+09:00'))).toBe(true);
    expect(inJstBusinessHours(at('2026-11-27T18:00:00+09:00'))).toBe(false);
    expect(inJstBusinessHours(at('2026-11-27T08:59:00+09:00'))).toBe(false);
    expect(inJstBusinessHours(at('2026-11-28T10:00:00+09:00'))).toBe(false); // Saturday
    expect(inJstBusinessHours(at('2027-01-11T10:00:00+09:00'))).toBe(false); // Coming of Age Day
  });
});
