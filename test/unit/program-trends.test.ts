import { MAX_MONTHS, trendsFrom } from '../../api/services/program-trends';

/** The program's month-by-month figures, from read-model rows (months in Japan's calendar). */
describe('program trends', () => {
  const at = (iso: string) => new Date(iso);

  it('takes each match’s last health in a month, and counts the bands of those', () => {
    const trends = trendsFrom({
      samples: [
        { matchId: 'a', at: at('2026-03-02T00:00:00Z'), score: 80, band: 'green' },
        { matchId: 'a', at: at('2026-03-20T00:00:00Z'), score: 40, band: 'red' }, // later: this one counts
        { matchId: 'b', at: at('2026-03-10T00:00:00Z'), score: 65, band: 'amber' },
        { matchId: 'c', at: at('2026-03-11T00:00:00Z'), score: null, band: 'too_early' },
        { matchId: 'b', at: at('2026-05-01T00:00:00Z'), score: 90, band: 'green' },
      ],
      rounds: [],
      escalations: [],
    });
    expect(trends.months).toEqual(['2026-03', '2026-04', '2026-05']); // no gap for a month without figures
    expect(trends.health).toEqual([
      { month: '2026-03', meanScore: 52.5, green: 0, amber: 1, red: 1 },
      { month: '2026-04', meanScore: null, green: 0, amber: 0, red: 0 },
      { month: '2026-05', meanScore: 90, green: 1, amber: 0, red: 0 },
    ]);
  });

  it('puts an instant in the month of Japan’s calendar: 2026-03-31T15:00Z is April 1st there', () => {
    const trends = trendsFrom({
      samples: [{ matchId: 'a', at: at('2026-03-31T15:00:00Z'), score: 70, band: 'green' }],
      rounds: [],
      escalations: [],
    });
    expect(trends.months).toEqual(['2026-04']);
  });

  it('answer rates of host and talent apart, by the month a round opened', () => {
    const trends = trendsFrom({
      samples: [],
      rounds: [
        { openedAt: at('2026-06-01T00:00:00Z'), answered: ['host', 'talent'] },
        { openedAt: at('2026-06-08T00:00:00Z'), answered: ['host'] },
        { openedAt: at('2026-06-15T00:00:00Z'), answered: [] },
        { openedAt: at('2026-06-22T00:00:00Z'), answered: ['host'] },
      ],
      escalations: [],
    });
    expect(trends.answers).toEqual([
      { month: '2026-06', rounds: 4, hostAnswered: 3, talentAnswered: 1, hostRate: 0.75, talentRate: 0.25 },
    ]);
  });

  it('escalations opened and resolved, each in its own month', () => {
    const trends = trendsFrom({
      samples: [],
      rounds: [],
      escalations: [
        { openedAt: at('2026-07-01T00:00:00Z'), resolvedAt: at('2026-08-03T00:00:00Z') },
        { openedAt: at('2026-07-05T00:00:00Z'), resolvedAt: null },
      ],
    });
    expect(trends.escalations).toEqual([
      { month: '2026-07', opened: 2, resolved: 0 },
      { month: '2026-08', opened: 0, resolved: 1 },
    ]);
  });

  it(`keeps the latest ${MAX_MONTHS} months, and has nothing to show without rows`, () => {
    const trends = trendsFrom({
      samples: [
        { matchId: 'a', at: at('2025-01-10T00:00:00Z'), score: 50, band: 'amber' },
        { matchId: 'a', at: at('2026-06-10T00:00:00Z'), score: 60, band: 'amber' },
      ],
      rounds: [],
      escalations: [],
    });
    expect(trends.months).toHaveLength(MAX_MONTHS);
    expect([trends.months[0], trends.months.at(-1)]).toEqual(['2025-07', '2026-06']);
    expect(trendsFrom({ samples: [], rounds: [], escalations: [] })).toEqual({
      months: [],
      health: [],
      answers: [],
      escalations: [],
    });
  });
});
