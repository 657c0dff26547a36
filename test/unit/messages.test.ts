import {
  problemsWith,
  ZAddNote,
  ZCheckinAnswered,
  ZProposeKickoffSlots,
  ZProposeKickoffSlotsRequest,
  ZSetContractStatus,
} from '../../workflows/messages';
import { healthyAnswers } from '../support/answers';

describe('message schemas shared by the API and the workflow', () => {
  const startsAt = '2026-12-08T10:00:00+09:00';

  it('names each wrong field in one sentence', () => {
    expect(problemsWith(ZAddNote, { text: '良好', sentiment: 9 })).toBe('sentiment must be 1 to 5');
    expect(problemsWith(ZAddNote, { text: ' ' })).toBe('text must not be empty');
    expect(problemsWith(ZAddNote, {})).toBe('text is required');
    expect(problemsWith(ZAddNote, { text: '良好', sentiment: 4 })).toBeNull();
    expect(problemsWith(ZSetContractStatus, { type: 'Bad Type', status: 'verified' })).toBe(
      'type is not a document type',
    );
  });

  it('a slot lasts an hour when the API is not told otherwise; the workflow wants it said', () => {
    const request = ZProposeKickoffSlotsRequest.parse({ slots: [{ startsAt }] });
    expect(request.slots).toEqual([{ startsAt, durationMinutes: 60 }]);
    expect(problemsWith(ZProposeKickoffSlots, { slots: [{ startsAt }] })).toBe('slots[0].durationMinutes is required');
    expect(problemsWith(ZProposeKickoffSlots, request)).toBeNull();
    expect(problemsWith(ZProposeKickoffSlots, { slots: [{ startsAt: '2026-12-08 10:00', durationMinutes: 60 }] })).toBe(
      'slots[0].startsAt must be an ISO date-time with a zone, e.g. 2026-12-03T10:00:00+09:00',
    );
  });

  it('a saved check-in answer has every core score from 1 to 5', () => {
    const signal = {
      round: 1,
      respondent: 'talent',
      answerId: 'a-1',
      answers: healthyAnswers({ comment: '順調です', extra: { q1: 3, q2: 'メモ' } }),
      submittedAt: '2026-12-08T01:00:00.000Z',
    };
    expect(problemsWith(ZCheckinAnswered, signal)).toBeNull();
    expect(problemsWith(ZCheckinAnswered, { ...signal, answers: healthyAnswers({ scores: { priority: 6 } }) })).toMatch(
      /^answers\.scores\.priority /,
    );
    const { satisfaction: _missing, ...scores } = healthyAnswers().scores;
    expect(problemsWith(ZCheckinAnswered, { ...signal, answers: { ...signal.answers, scores } })).toBe(
      'answers.scores.satisfaction is required',
    );
  });
});
