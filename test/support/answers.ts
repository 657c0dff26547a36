import type { CheckinAnswers, ScaleQuestion } from '../../workflows/checkin-questions';

export type AnswerInput = Partial<Omit<CheckinAnswers, 'scores'>> & { scores?: Partial<Record<ScaleQuestion, number>> };

/** A check-in answer from someone for whom things are going fine; `input` overrides any part of it. */
export function healthyAnswers(input: AnswerInput = {}): CheckinAnswers {
  const { scores, ...rest } = input;
  return {
    scores: {
      working_style: 4,
      remote_tools: 4,
      priority: 4,
      expectation: 4,
      task_clarity: 4,
      contract_admin: 5,
      satisfaction: 4,
      ...scores,
    },
    wantsCoordinator: false,
    hoursSpent: 6,
    ...rest,
  };
}
