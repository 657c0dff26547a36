import { posteriorTrace, type BoundSpec } from '../../dev/risk-bound';
import type { SimulatedMatch } from '../../dev/risk-simulator';
import type { CheckinAnswers, Respondent, ScaleQuestion } from '../../workflows/checkin-questions';
import { healthyAnswers } from '../support/answers';

const spec: BoundSpec = { troubleShare: 0.3, trouble: {}, asks: undefined, drift: undefined };
type Scores = Partial<Record<ScaleQuestion, number>>;

/** A match whose host answers as a healthy person does and whose talent answers as given (null: skipped). */
function match(talent: (Scores | null)[]): SimulatedMatch {
  const rounds = talent.map((scores, i) => {
    const answers: Partial<Record<Respondent, CheckinAnswers>> = { host: healthyAnswers() };
    if (scores) answers.talent = healthyAnswers({ scores });
    return {
      kind: 'round' as const,
      round: i + 1,
      at: new Date(Date.UTC(2027, 0, 11 + 14 * i)).toISOString(),
      answers,
    };
  });
  return { id: 'bound-test', trouble: null, rounds, people: {} as SimulatedMatch['people'] };
}

describe('the Bayes bound of the risk harness', () => {
  it('stays low on a steady match and is a probability each round', () => {
    const trace = posteriorTrace(match(Array.from({ length: 6 }, () => ({}))), spec);
    expect(trace).toHaveLength(6);
    expect(Math.max(...trace)).toBeLessThan(0.1);
    expect(trace.every((p) => p >= 0 && p <= 1)).toBe(true);
  });

  it('rises on a sustained fall from the person’s own usual answer, not at the first bad check-in', () => {
    const fell = [{}, {}, {}, {}, {}, { remote_tools: 2 }, { remote_tools: 2, satisfaction: 3 }, { remote_tools: 1 }];
    const trace = posteriorTrace(match(fell), spec);
    expect(trace[4]!).toBeLessThan(0.1);
    expect(trace[5]!).toBeLessThan(0.9);
    expect(trace[7]!).toBeGreaterThan(0.95);
    expect(trace[7]!).toBeGreaterThan(trace[5]!);
  });

  it('reads the same low answers as less alarming from someone who always gave them', () => {
    const always = posteriorTrace(match(Array.from({ length: 8 }, () => ({ remote_tools: 2 }))), spec);
    const fell = posteriorTrace(
      match([{}, {}, {}, {}, {}, { remote_tools: 2 }, { remote_tools: 2 }, { remote_tools: 2 }]),
      spec,
    );
    expect(always[7]!).toBeLessThan(fell[7]!);
  });
});
