import { computeHealth } from '../../workflows/health';
import type { RiskSignal } from '../../workflows/risk';

const signal = (severity: RiskSignal['severity'], type: RiskSignal['type'] = 'low_score'): RiskSignal => ({
  type,
  severity,
  reason: '',
  evidence: {},
});

describe('health policy', () => {
  it('is too early before the first completed round, when nothing is wrong', () => {
    expect(computeHealth({ signals: [], completedRounds: 0, unverifiedRequiredDocuments: 1 })).toEqual({
      score: null,
      band: 'too_early',
      signals: [],
      trend: null,
    });
  });

  it('is not too early once a signal is open, even before any round', () => {
    const h = computeHealth({
      signals: [signal('high', 'kickoff_not_held')],
      completedRounds: 0,
      unverifiedRequiredDocuments: 1,
    });
    expect(h).toMatchObject({ score: 65, band: 'amber' });
  });

  it('bands at the boundaries: 80 green, 75 amber, 50 amber, 45 red', () => {
    const base = { completedRounds: 1, unverifiedRequiredDocuments: 0 };
    expect(computeHealth({ ...base, signals: [signal('medium')] })).toMatchObject({ score: 80, band: 'green' });
    expect(computeHealth({ ...base, signals: [signal('medium')], sentiment: 2 })).toMatchObject({
      score: 75,
      band: 'amber',
    });
    expect(computeHealth({ ...base, signals: [signal('high'), signal('low'), signal('low')] })).toMatchObject({
      score: 55,
      band: 'amber',
    });
    expect(
      computeHealth({ ...base, signals: [signal('medium'), signal('medium'), signal('low'), signal('low')] }),
    ).toMatchObject({ score: 50, band: 'amber' });
    expect(computeHealth({ ...base, signals: [signal('high'), signal('medium')] })).toMatchObject({
      score: 45,
      band: 'red',
    });
  });

  it('any high-severity signal keeps a match out of green', () => {
    expect(
      computeHealth({ signals: [signal('high')], completedRounds: 3, unverifiedRequiredDocuments: 0, sentiment: 5 })
        .band,
    ).toBe('amber');
  });

  it('counts unverified required contracts once check-ins have started, and the coordinator’s read', () => {
    expect(computeHealth({ signals: [], completedRounds: 2, unverifiedRequiredDocuments: 1 }).score).toBe(95);
    expect(computeHealth({ signals: [], completedRounds: 2, unverifiedRequiredDocuments: 0, sentiment: 1 }).score).toBe(
      90,
    );
    expect(computeHealth({ signals: [], completedRounds: 2, unverifiedRequiredDocuments: 0, sentiment: 5 }).score).toBe(
      100,
    );
  });

  it('stays within 0–100', () => {
    const many = Array.from({ length: 6 }, () => signal('high'));
    expect(
      computeHealth({ signals: many, completedRounds: 3, unverifiedRequiredDocuments: 2, sentiment: 1 }).score,
    ).toBe(0);
  });

  it('trends against the previous score with a 5-point tolerance', () => {
    const base = { completedRounds: 2, unverifiedRequiredDocuments: 0 };
    expect(computeHealth({ ...base, signals: [signal('medium')], previousScore: 100 }).trend).toBe('down');
    expect(computeHealth({ ...base, signals: [signal('low')], previousScore: 100 }).trend).toBe('flat');
    expect(computeHealth({ ...base, signals: [], previousScore: 85 }).trend).toBe('up');
    expect(computeHealth({ ...base, signals: [] }).trend).toBeNull();
  });
});
