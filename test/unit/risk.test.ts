import type { CheckinAnswers, ScaleQuestion } from '../../workflows/checkin-questions';
import { DEFAULT_PLAYBOOK } from '../../workflows/playbook';
import { evaluateRound, type RoundContext } from '../../workflows/risk';
import { healthyAnswers } from '../support/answers';

const thresholds = DEFAULT_PLAYBOOK.risk;

const answers = (
  scores: Partial<Record<ScaleQuestion, number>> = {},
  extra: Partial<CheckinAnswers> = {},
): CheckinAnswers => healthyAnswers({ ...extra, scores });

const ctx = (partial: Partial<RoundContext>): RoundContext => ({
  round: 2,
  current: { host: answers(), talent: answers() },
  previous: {},
  missedInARow: { host: 0, talent: 0 },
  ...partial,
});

const types = (c: RoundContext) => evaluateRound(c, thresholds).map((s) => s.type);

describe('risk policy', () => {
  it('shows nothing for a healthy round', () => {
    expect(evaluateRound(ctx({}), thresholds)).toEqual([]);
  });

  it('missed check-in: medium for one round, high for two in a row', () => {
    const once = evaluateRound(ctx({ current: { host: answers() }, missedInARow: { host: 0, talent: 1 } }), thresholds);
    expect(once).toEqual([
      expect.objectContaining({
        type: 'missed_checkin',
        severity: 'medium',
        evidence: expect.objectContaining({ sides: ['talent'] }),
      }),
    ]);
    const twice = evaluateRound(
      ctx({ current: { host: answers() }, missedInARow: { host: 0, talent: 2 } }),
      thresholds,
    );
    expect(twice[0]).toMatchObject({ type: 'missed_checkin', severity: 'high' });
  });

  it('a round both sides skipped shows only the missed check-in', () => {
    expect(types(ctx({ current: {}, missedInARow: { host: 1, talent: 1 } }))).toEqual(['missed_checkin']);
  });

  it('priority gap at exactly 2 points, not at 1; 3+ is high', () => {
    expect(types(ctx({ current: { host: answers({ priority: 5 }), talent: answers({ priority: 4 }) } }))).toEqual([]);
    const two = evaluateRound(
      ctx({ current: { host: answers({ priority: 5 }), talent: answers({ priority: 3 }) } }),
      thresholds,
    );
    expect(two).toEqual([
      expect.objectContaining({
        type: 'priority_gap',
        severity: 'medium',
        evidence: expect.objectContaining({ gap: 2, host: 5, talent: 3 }),
      }),
    ]);
    const three = evaluateRound(
      ctx({ current: { host: answers({ priority: 5 }), talent: answers({ priority: 2 }) } }),
      thresholds,
    );
    expect(three.find((s) => s.type === 'priority_gap')?.severity).toBe('high');
  });

  it('expectation gap works the same way', () => {
    expect(types(ctx({ current: { host: answers({ expectation: 5 }), talent: answers({ expectation: 3 }) } }))).toEqual(
      ['expectation_gap'],
    );
  });

  it('low score at 2 (medium) and 1 (high), not at 3', () => {
    expect(types(ctx({ current: { host: answers({ remote_tools: 3 }), talent: answers() } }))).toEqual([]);
    const two = evaluateRound(ctx({ current: { host: answers({ remote_tools: 2 }), talent: answers() } }), thresholds);
    expect(two).toEqual([expect.objectContaining({ type: 'low_score', severity: 'medium' })]);
    const one = evaluateRound(
      ctx({ current: { host: answers(), talent: answers({ contract_admin: 1 }) } }),
      thresholds,
    );
    expect(one[0]).toMatchObject({
      type: 'low_score',
      severity: 'high',
      evidence: { scores: [{ side: 'talent', question: 'contract_admin', score: 1 }] },
    });
  });

  it('expectation is a gap question, not a watched scale: a lone low expectation is not a low score', () => {
    expect(types(ctx({ current: { host: answers({ expectation: 2 }), talent: answers({ expectation: 3 }) } }))).toEqual(
      [],
    );
  });

  it('falling score: a drop of 2 since the side’s last answers, not 1', () => {
    const previous = { host: answers({ satisfaction: 5 }), talent: answers({ working_style: 5 }) };
    expect(
      types(ctx({ previous, current: { host: answers({ satisfaction: 4 }), talent: answers({ working_style: 4 }) } })),
    ).toEqual([]);
    const drop = evaluateRound(
      ctx({ previous, current: { host: answers({ satisfaction: 3 }), talent: answers({ working_style: 4 }) } }),
      thresholds,
    );
    expect(drop).toEqual([
      expect.objectContaining({
        type: 'falling_score',
        severity: 'medium',
        evidence: expect.objectContaining({ scores: [{ side: 'host', question: 'satisfaction', from: 5, to: 3 }] }),
      }),
    ]);
  });

  it('"I would like to talk to the coordinator" from either side', () => {
    const s = evaluateRound(
      ctx({ current: { host: answers(), talent: answers({}, { wantsCoordinator: true }) } }),
      thresholds,
    );
    expect(s).toEqual([
      expect.objectContaining({ type: 'wants_coordinator', evidence: { round: 2, sides: ['talent'] } }),
    ]);
  });

  it('follows the playbook’s thresholds', () => {
    const strict = { ...thresholds, gapPoints: 1, lowScore: 3 };
    const c = ctx({ current: { host: answers({ priority: 4, task_clarity: 3 }), talent: answers({ priority: 3 }) } });
    expect(
      evaluateRound(c, strict)
        .map((s) => s.type)
        .sort(),
    ).toEqual(['low_score', 'priority_gap']);
  });
});
