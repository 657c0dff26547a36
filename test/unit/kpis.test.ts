import { kpiFigures, type KpiRow } from '../../api/services/kpis';

const DAY = 86_400_000;
const now = new Date('2027-06-01T00:00:00Z');

function row(overrides: Partial<KpiRow> = {}): KpiRow {
  return {
    cohort: '2026-04',
    region: '長野県',
    status: 'completed',
    startDate: new Date('2026-04-01T00:00:00Z'),
    kickoffHeldAt: null,
    checkinsAsked: 0,
    checkinsAnswered: 0,
    healthScore: null,
    healthBand: 'too_early',
    escalations: [],
    ...overrides,
  };
}

describe('program KPIs (pure)', () => {
  it('a cohort like the seed’s: 32 matches, 31 completed, 1 ended early → 96.9% completion, 3.1% early termination', () => {
    const rows = [...Array.from({ length: 31 }, () => row()), row({ status: 'terminated_early' })];
    const k = kpiFigures(rows, now);
    expect(k).toMatchObject({ started: 32, completed: 31, terminatedEarly: 1, cancelled: 0, active: 0 });
    expect(k.completionRate).toBe(31 / 32);
    expect((k.completionRate! * 100).toFixed(1)).toBe('96.9');
    expect((k.earlyTerminationRate! * 100).toFixed(1)).toBe('3.1');
  });

  it('counts rates among matches that have ended; running ones and ones cancelled before the start do not count', () => {
    const k = kpiFigures(
      [
        row(),
        row({ status: 'terminated_early' }),
        row({ status: 'cancelled' }),
        row({ status: 'open' }),
        row({ status: 'paused' }),
      ],
      now,
    );
    expect(k).toMatchObject({ started: 4, active: 2, completed: 1, terminatedEarly: 1, cancelled: 1 });
    expect(k.completionRate).toBe(0.5);
    expect(k.earlyTerminationRate).toBe(0.5);
  });

  it('has no rates, no median and no mean when there is nothing to measure', () => {
    expect(kpiFigures([], now)).toEqual({
      started: 0,
      active: 0,
      completed: 0,
      terminatedEarly: 0,
      cancelled: 0,
      completionRate: null,
      earlyTerminationRate: null,
      checkinResponseRate: null,
      medianDaysToKickoff: null,
      kickoffsHeld: 0,
      openEscalations: 0,
      overdueEscalations: 0,
      meanHealth: null,
      healthBands: { green: 0, amber: 0, red: 0, too_early: 0 },
    });
  });

  it('response rate over all check-ins sent; median days from the start date to the kickoff (0 if held before)', () => {
    const start = new Date('2026-04-01T00:00:00Z'); // 09:00 JST; the start of the day is 2026-03-31T15:00Z
    const k = kpiFigures(
      [
        row({
          checkinsAsked: 10,
          checkinsAnswered: 9,
          startDate: start,
          kickoffHeldAt: new Date(Date.parse('2026-03-31T15:00:00Z') + 5 * DAY),
        }),
        row({
          checkinsAsked: 10,
          checkinsAnswered: 6,
          startDate: start,
          kickoffHeldAt: new Date(Date.parse('2026-03-31T15:00:00Z') + 12 * DAY),
        }),
        row({
          checkinsAsked: 0,
          startDate: start,
          kickoffHeldAt: new Date(Date.parse('2026-03-31T15:00:00Z') - 2 * DAY),
        }),
      ],
      now,
    );
    expect(k.checkinResponseRate).toBe(15 / 20);
    expect(k.medianDaysToKickoff).toBe(5); // 5, 12 and 0 (held two days before the start)
    expect(k.kickoffsHeld).toBe(3);
  });

  it('open, overdue escalations and mean health', () => {
    const k = kpiFigures(
      [
        row({
          status: 'open',
          healthScore: 80,
          escalations: [
            { status: 'open', dueAt: new Date(now.getTime() - DAY) },
            { status: 'open', dueAt: new Date(now.getTime() + DAY) },
            { status: 'acknowledged', dueAt: new Date(now.getTime() - DAY) },
            { status: 'resolved', dueAt: new Date(now.getTime() - DAY) },
          ],
        }),
        row({ status: 'open', healthScore: 45 }),
        row({ status: 'open', healthScore: null }),
      ],
      now,
    );
    expect(k).toMatchObject({ openEscalations: 3, overdueEscalations: 1, meanHealth: 62.5 });
  });

  it('counts the running matches (open or paused) by their health band now; closed ones are left out', () => {
    const k = kpiFigures(
      [
        row({ status: 'open', healthBand: 'green' }),
        row({ status: 'paused', healthBand: 'green' }),
        row({ status: 'open', healthBand: 'amber' }),
        row({ status: 'open', healthBand: 'red' }),
        row({ status: 'open', healthBand: 'too_early' }),
        row({ status: 'completed', healthBand: 'red' }),
        row({ status: 'terminated_early', healthBand: 'amber' }),
      ],
      now,
    );
    expect(k.healthBands).toEqual({ green: 2, amber: 1, red: 1, too_early: 1 });
    expect(k.active).toBe(5);
  });
});
