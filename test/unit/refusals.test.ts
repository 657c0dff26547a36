import { ApplicationFailure } from '@temporalio/common';
import { refusalInWords } from '../../api/workspace/actions';
import { problemIn } from '../../api/workspace/problem-words';
import { ZCreateMatchRequest } from '../../api/services/matches';
import { fieldIssues, ZAddNote, ZProposeKickoffSlotsRequest } from '../../workflows/messages';
import { validateCompleteTask } from '../../workflows/match/tasks';
import { validateComplete } from '../../workflows/match/lifecycle';
import { asRefusalDetail, REFUSALS, refusalText } from '../../workflows/refusals';
import { freshState } from '../support/match-state';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;

/** The failure a validator throws. */
function thrown(validate: () => void): ApplicationFailure {
  try {
    validate();
  } catch (error) {
    if (error instanceof ApplicationFailure) return error;
    throw error;
  }
  throw new Error('the validator accepted');
}

describe('the workflow’s refusals, in both languages', () => {
  it.each(Object.entries(REFUSALS))('%s names in Japanese only values the refusal carries', (_key, refusal) => {
    // An id (of a task, an escalation) the person cannot read is left out of the Japanese on purpose.
    for (const name of placeholders(refusal.ja)) expect(placeholders(refusal.en)).toContain(name);
    expect(refusal.ja).toMatch(JAPANESE);
  });

  it('a refusal carries its key and values: the message is the English, the workspace words it in Japanese', () => {
    const state = freshState();
    state.tasks.push({ ...state.tasks[0]!, id: 'done-task', status: 'done' });
    const failure = thrown(() => validateCompleteTask(state, { taskId: 'done-task' }));
    expect(failure).toMatchObject({ type: 'WRONG_STATE', message: 'the task is done, not open' });
    const detail = asRefusalDetail(failure.details?.[0]);
    expect(detail).toEqual({ refusal: 'taskNotOpen', values: { taskStatus: 'done' } });
    expect(refusalInWords(detail!, 'ja')).toBe('このタスクは「完了」のため、完了にできません。');
    expect(refusalInWords(detail!, 'en')).toBe('the task is Done, not open');

    const phase = asRefusalDetail(thrown(() => validateComplete(freshState(), {})).details?.[0]);
    expect(refusalInWords(phase!, 'ja')).toContain('（現在: 立ち上げ）');
    expect(refusalText(phase!, 'en')).toBe(
      'a match is completed in its wrap-up phase (it is onboarding); use end early otherwise',
    );
  });

  it('anything else in the details is not taken for a refusal', () => {
    expect(asRefusalDetail({ refusal: 'noSuchRefusal', values: {} })).toBeUndefined();
    expect(asRefusalDetail('the match is closed')).toBeUndefined();
    expect(asRefusalDetail(undefined)).toBeUndefined();
  });
});

describe('what is wrong with a field, in the person’s language', () => {
  const problems = (schema: { safeParse: (v: unknown) => unknown }, value: unknown) => {
    const result = schema.safeParse(value) as { success: boolean; error?: Parameters<typeof fieldIssues>[0] };
    return result.success ? [] : fieldIssues(result.error!);
  };

  it('every problem of a bad CSV row or a bad form reads in Japanese, figures kept', () => {
    const row = problems(ZCreateMatchRequest, {
      id: '-bad',
      programId: 'p',
      title: 'x'.repeat(201),
      startDate: '2026/13/45',
      endDate: '2026-01-01',
      host: { name: 'A', email: 'not-an-email', organization: 'O', locale: 'fr' },
      talent: { name: '', email: 'b@example.jp' },
      coordinator: { name: 'C' },
    });
    const note = problems(ZAddNote, { text: '\u0000', sentiment: 9 });
    const slots = problems(ZProposeKickoffSlotsRequest, { slots: [] });
    const all = [...row, ...note, ...slots];
    expect(all.length).toBeGreaterThanOrEqual(8);
    for (const issue of all)
      expect([issue.message, problemIn(issue.message, 'ja')]).toEqual([issue.message, expect.stringMatching(JAPANESE)]);
    expect(problemIn('must be at most 200 characters', 'ja')).toBe('200 文字以内で入力してください');
    expect(problemIn('the same id as row 3', 'ja')).toBe('3 行目と同じ ID です');
    expect(problemIn('must be an email address', 'en')).toBe('must be an email address');
  });
});
