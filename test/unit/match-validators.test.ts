import { ApplicationFailure } from '@temporalio/common';
import { answerEffect, closedRound } from '../../workflows/match/checkins';
import { validateSetContractStatus } from '../../workflows/match/contracts';
import { validateAcknowledge, validateResolve, validateSnooze } from '../../workflows/match/escalations';
import {
  validateCancel as validateCancelKickoff,
  validateProposeSlots,
  validateRecord,
  validateRespond,
  validateSchedule,
} from '../../workflows/match/kickoff';
import {
  validateCancel,
  validateComplete,
  validateEndEarly,
  validateExtend,
  validatePause,
  validateReassign,
  validateResume,
} from '../../workflows/match/lifecycle';
import { overtaken, supersededByOverdue } from '../../workflows/match/mailer';
import { validateCompleteTask } from '../../workflows/match/tasks';
import type {
  CheckinAnsweredSignal,
  CheckinRoundState,
  EndEarly,
  MatchState,
  PendingEmail,
} from '../../workflows/shared';
import { healthyAnswers } from '../support/answers';
import { at, DAY, freshState, HOUR, NOW, person, SNAPSHOT } from '../support/match-state';

const fresh = () => freshState();

/** The workflow's refusal (code and reason), or null when the validator accepts. */
function refusal(validate: () => void): { type?: string; message: string } | null {
  try {
    validate();
    return null;
  } catch (error) {
    if (error instanceof ApplicationFailure) return { type: error.type ?? undefined, message: error.message };
    throw error;
  }
}

const scheduled = (startsAt: number): MatchState => {
  const s = fresh();
  s.kickoff.status = 'scheduled';
  s.kickoff.scheduled = { startsAt: at(startsAt), durationMinutes: 60, sequence: 1 };
  return s;
};

describe('kickoff validators', () => {
  const slot = (ms: number, durationMinutes = 60) => ({ startsAt: at(ms), durationMinutes });

  it('proposes 1 to 5 future slots of 15 to 480 minutes, naming the field that is wrong', () => {
    expect(refusal(() => validateProposeSlots(fresh(), { slots: [slot(NOW + DAY)] }, NOW))).toBeNull();
    expect(refusal(() => validateProposeSlots(fresh(), { slots: [] }, NOW))).toEqual({
      type: 'INVALID',
      message: 'slots propose 1 to 5 slots',
    });
    expect(refusal(() => validateProposeSlots(fresh(), { slots: [slot(NOW + DAY, 10)] }, NOW))).toEqual({
      type: 'INVALID',
      message: 'slots[0].durationMinutes must be 15 to 480',
    });
    expect(refusal(() => validateProposeSlots(fresh(), { slots: [slot(NOW - HOUR)] }, NOW))).toMatchObject({
      type: 'INVALID',
      message: expect.stringContaining('not in the future'),
    });
  });

  it('refuses new slots once a kickoff is scheduled or held (the state before the input)', () => {
    expect(refusal(() => validateProposeSlots(scheduled(NOW + DAY), { slots: [] }, NOW))).toMatchObject({
      type: 'WRONG_STATE',
      message: expect.stringContaining('move it (schedule) or cancel it'),
    });
    const held = fresh();
    held.kickoff.status = 'held';
    expect(refusal(() => validateSchedule(held, slot(NOW + DAY), NOW))).toMatchObject({ type: 'WRONG_STATE' });
  });

  it('takes an answer for the current proposal only, to a slot that exists and has not passed', () => {
    const s = fresh();
    s.kickoff.status = 'proposed';
    s.kickoff.proposal = 2;
    s.kickoff.slots = [slot(NOW + DAY), slot(NOW - HOUR)];
    expect(refusal(() => validateRespond(s, { respondent: 'host', choice: 0, proposal: 2 }, NOW))).toBeNull();
    expect(refusal(() => validateRespond(s, { respondent: 'host', choice: 'other' }, NOW))).toBeNull();
    expect(refusal(() => validateRespond(s, { respondent: 'host', choice: 0, proposal: 1 }, NOW))).toEqual({
      type: 'WRONG_STATE',
      message: 'proposal 1 was replaced by proposal 2',
    });
    expect(refusal(() => validateRespond(s, { respondent: 'host', choice: 2 }, NOW))).toEqual({
      type: 'INVALID',
      message: 'choice must be "other" or a slot number from 0 to 1',
    });
    expect(refusal(() => validateRespond(s, { respondent: 'host', choice: 1 }, NOW))).toMatchObject({
      type: 'WRONG_STATE',
      message: expect.stringContaining('has already passed'),
    });
    const nobody = { respondent: 'coordinator', choice: 0 } as unknown as Parameters<typeof validateRespond>[1];
    expect(refusal(() => validateRespond(s, nobody, NOW))).toEqual({
      type: 'INVALID',
      message: 'respondent must be host or talent',
    });
  });

  it('records a kickoff once it has started, and wants a reason when it was not held', () => {
    expect(refusal(() => validateRecord(fresh(), { held: true }, NOW))).toEqual({
      type: 'WRONG_STATE',
      message: 'the kickoff cannot be recorded: it is unscheduled, not scheduled',
    });
    expect(refusal(() => validateRecord(scheduled(NOW + HOUR), { held: true }, NOW))).toMatchObject({
      type: 'WRONG_STATE',
      message: 'the kickoff has not started yet',
    });
    expect(refusal(() => validateRecord(scheduled(NOW - HOUR), { held: true }, NOW))).toBeNull();
    expect(refusal(() => validateRecord(scheduled(NOW - HOUR), { held: false, reason: '  ' }, NOW))).toEqual({
      type: 'INVALID',
      message: 'reason must not be empty',
    });
    expect(refusal(() => validateRecord(scheduled(NOW - HOUR), { held: false }, NOW))).toEqual({
      type: 'INVALID',
      message: 'reason is required when the kickoff was not held',
    });
  });

  it('cancels only a scheduled kickoff, with a reason', () => {
    expect(refusal(() => validateCancelKickoff(fresh(), { reason: '延期' }))).toMatchObject({ type: 'WRONG_STATE' });
    expect(refusal(() => validateCancelKickoff(scheduled(NOW + DAY), { reason: '' }))).toMatchObject({
      type: 'INVALID',
    });
    expect(refusal(() => validateCancelKickoff(scheduled(NOW + DAY), { reason: '延期' }))).toBeNull();
  });
});

describe('contract, task and escalation validators', () => {
  it('a document must exist, move along its transitions, and a rejection needs a reason', () => {
    const s = fresh();
    expect(refusal(() => validateSetContractStatus(s, { type: 'deed', status: 'verified' }))).toMatchObject({
      type: 'UNKNOWN',
      message: expect.stringContaining('outsourcing_contract, nda'),
    });
    // missing → rejected is not a transition: the state is refused before the missing reason.
    expect(
      refusal(() => validateSetContractStatus(s, { type: 'outsourcing_contract', status: 'rejected' })),
    ).toMatchObject({ type: 'WRONG_STATE', message: 'a missing document cannot become rejected' });
    s.contracts[0]!.status = 'submitted';
    expect(refusal(() => validateSetContractStatus(s, { type: 'outsourcing_contract', status: 'rejected' }))).toEqual({
      type: 'INVALID',
      message: 'reason is required to reject a document',
    });
    expect(
      refusal(() =>
        validateSetContractStatus(s, { type: 'outsourcing_contract', status: 'rejected', reason: '押印漏れ' }),
      ),
    ).toBeNull();
  });

  it('a task can be done while it is open', () => {
    const s = fresh();
    const task = s.tasks[0]!;
    expect(refusal(() => validateCompleteTask(s, { taskId: 'nope' }))).toEqual({
      type: 'UNKNOWN',
      message: 'no task "nope" on this match',
    });
    task.status = 'scheduled';
    expect(refusal(() => validateCompleteTask(s, { taskId: task.id }))).toMatchObject({ type: 'WRONG_STATE' });
    task.status = 'open';
    expect(refusal(() => validateCompleteTask(s, { taskId: task.id, note: '済み' }))).toBeNull();
  });

  it('an escalation is acknowledged while open, resolved with a note, snoozed into the future', () => {
    const s = fresh();
    s.escalations.push({
      id: 'e-1',
      type: 'low_score',
      severity: 'medium',
      reasons: ['low'],
      evidence: {},
      status: 'acknowledged',
      level: 1,
      openedAt: at(NOW),
      dueAt: at(NOW + 3 * DAY),
      snoozes: 0,
    });
    expect(refusal(() => validateAcknowledge(s, { escalationId: 'e-2' }))).toMatchObject({ type: 'UNKNOWN' });
    expect(refusal(() => validateAcknowledge(s, { escalationId: 'e-1' }))).toEqual({
      type: 'WRONG_STATE',
      message: 'the escalation is acknowledged',
    });
    expect(refusal(() => validateResolve(s, { escalationId: 'e-1', note: ' ' }))).toEqual({
      type: 'INVALID',
      message: 'note must not be empty',
    });
    expect(
      refusal(() => validateSnooze(s, { escalationId: 'e-1', until: at(NOW - HOUR), reason: '繁忙期' }, NOW)),
    ).toEqual({ type: 'INVALID', message: 'snooze until a time in the future' });
    expect(
      refusal(() => validateSnooze(s, { escalationId: 'e-1', until: at(NOW + DAY), reason: '繁忙期' }, NOW)),
    ).toBeNull();
  });
});

describe('lifecycle validators', () => {
  it('pause and resume each fit one state', () => {
    const s = fresh();
    expect(refusal(() => validateResume(s, {}))).toEqual({ type: 'WRONG_STATE', message: 'the match is not paused' });
    expect(refusal(() => validatePause(s, { reason: '' }))).toMatchObject({ type: 'INVALID' });
    s.paused = { since: at(NOW), reason: '繁忙期' };
    expect(refusal(() => validatePause(s, { reason: '繁忙期' }))).toMatchObject({ type: 'WRONG_STATE' });
    expect(refusal(() => validateResume(s, {}))).toBeNull();
  });

  it('extends to a later date, before the final survey', () => {
    const s = fresh();
    expect(refusal(() => validateExtend(s, { endDate: '2027/06/30' }))).toEqual({
      type: 'INVALID',
      message: 'endDate must be a date as YYYY-MM-DD',
    });
    expect(refusal(() => validateExtend(s, { endDate: '2027-05-01' }))).toEqual({
      type: 'INVALID',
      message: 'the new end date must be after 2027-05-31',
    });
    expect(refusal(() => validateExtend(s, { endDate: '2027-06-30' }))).toBeNull();
    s.checkins.finalSent = true;
    expect(refusal(() => validateExtend(s, { endDate: '2027-06-30' }))).toMatchObject({ type: 'WRONG_STATE' });
  });

  it('hands over to another coordinator only', () => {
    const s = fresh();
    expect(refusal(() => validateReassign(s, { coordinator: SNAPSHOT.coordinator }))).toEqual({
      type: 'INVALID',
      message: 'that is already the coordinator',
    });
    const next = person('高橋 三郎', 'not-an-address');
    expect(refusal(() => validateReassign(s, { coordinator: next }))).toEqual({
      type: 'INVALID',
      message: 'coordinator.email must be an email address',
    });
    expect(refusal(() => validateReassign(s, { coordinator: { ...next, email: 'takahashi@example.jp' } }))).toBeNull();
  });

  it('ends early with a reason from the taxonomy, completes in wrap-up, cancels before the start', () => {
    const s = fresh();
    expect(refusal(() => validateEndEarly(s, { reason: 'bored' } as unknown as EndEarly))).toMatchObject({
      type: 'INVALID',
      message: expect.stringContaining('reason must be one of working_style_mismatch'),
    });
    expect(refusal(() => validateComplete(s, {}))).toMatchObject({
      type: 'WRONG_STATE',
      message: expect.stringContaining('wrap-up'),
    });
    expect(refusal(() => validateCancel(s, { reason: '受入中止' }))).toBeNull();
    s.kickoff.status = 'held';
    expect(refusal(() => validateCancel(s, { reason: '受入中止' }))).toMatchObject({ type: 'WRONG_STATE' });
  });

  it('a closed match takes no action', () => {
    const s = fresh();
    s.phase = 'closed';
    expect(refusal(() => validateEndEarly(s, { reason: 'other' }))).toEqual({
      type: 'WRONG_STATE',
      message: 'the match is closed',
    });
    expect(refusal(() => validateProposeSlots(s, { slots: [] }, NOW))).toMatchObject({ type: 'WRONG_STATE' });
  });
});

describe('check-in answers and the mailer', () => {
  const round = (overrides: Partial<CheckinRoundState> = {}): CheckinRoundState => ({
    round: 1,
    kind: 'regular',
    openedAt: at(NOW),
    remindAt: at(NOW + 3 * DAY),
    closeAt: at(NOW + 7 * DAY),
    expiresAt: at(NOW + 21 * DAY),
    status: 'open',
    answers: {},
    reminded: [],
    ...overrides,
  });
  const answer = (overrides: Partial<CheckinAnsweredSignal> = {}): CheckinAnsweredSignal => ({
    round: 1,
    respondent: 'host',
    answerId: 'a-1',
    answers: healthyAnswers(),
    submittedAt: at(NOW + DAY),
    ...overrides,
  });
  const patchedAll = { twiceCountsOnce: () => true, olderChangesNothing: () => true, lateJoinsRound: () => true };
  const unpatched = { twiceCountsOnce: () => false, olderChangesNothing: () => false, lateJoinsRound: () => false };
  const effect = (current: CheckinRoundState | undefined, a = answer(), patches = patchedAll) =>
    answerEffect({ current }, a, patches);
  const hostAnswered = { host: { answerId: 'a-1', at: at(NOW + DAY), answers: healthyAnswers() } };

  it('an answer belongs to the open round it is for; once, and never overwritten by an older one', () => {
    expect(effect(undefined)).toBe('late');
    expect(effect(round({ status: 'closed' }))).toBe('late');
    expect(effect(round({ round: 2 }))).toBe('late');
    expect(effect(round())).toBe('answered');
    const answered = round({ answers: hostAnswered });
    expect(effect(answered)).toBe('duplicate');
    expect(effect(answered, answer({ submittedAt: at(NOW + 2 * DAY) }))).toBe('updated');
    expect(effect(answered, answer({ submittedAt: at(NOW) }))).toBe('older');
    // Runs from before those fixes counted both as updates.
    expect(effect(answered, answer(), unpatched)).toBe('updated');
    expect(effect(answered, answer({ submittedAt: at(NOW) }), unpatched)).toBe('updated');
  });

  it('an answer the closed round already counted, delivered again after the close, changes nothing', () => {
    const closed = round({ status: 'closed', answers: hostAnswered });
    expect(effect(closed)).toBe('duplicate');
    expect(effect(closed, answer(), unpatched)).toBe('late');
    // A newer submission saved after the close is late.
    expect(effect(closed, answer({ submittedAt: at(NOW + 8 * DAY) }))).toBe('late');
    // The next round has opened: the last closed round says who it counted.
    const lastClosed = { ...closedRound(closed), answered: ['host' as const] };
    expect(answerEffect({ current: round({ round: 2 }), lastClosed }, answer(), patchedAll)).toBe('duplicate');
    expect(
      answerEffect({ current: round({ round: 2 }), lastClosed }, answer({ respondent: 'talent' }), patchedAll),
    ).toBe('late');
  });

  it('a closed round keeps its times and who answered', () => {
    const closed = closedRound(
      round({ status: 'closed', answers: { talent: { answerId: 'a-2', at: at(NOW), answers: healthyAnswers() } } }),
    );
    expect(closed).toEqual({
      round: 1,
      kind: 'regular',
      openedAt: at(NOW),
      remindAt: at(NOW + 3 * DAY),
      closeAt: at(NOW + 7 * DAY),
      expiresAt: at(NOW + 21 * DAY),
      answered: ['talent'],
    });
  });

  it('a queued reminder is overtaken by an answer, a closed round or a finished task', () => {
    const s = fresh();
    const reminder = {
      key: 'k',
      template: 'checkin-reminder',
      to: 'host',
      recipient: SNAPSHOT.host,
      data: {},
      checkin: { round: 1, respondent: 'host', expiresAt: at(NOW) },
      queuedAt: at(NOW),
    } satisfies PendingEmail;
    expect(overtaken(s, reminder)).toBe('the round has closed');
    s.checkins.current = round();
    expect(overtaken(s, reminder)).toBeUndefined();
    s.checkins.current.answers.host = { answerId: 'a-1', at: at(NOW), answers: healthyAnswers() };
    expect(overtaken(s, reminder)).toBe('answered meanwhile');
    const task = s.tasks[0]!;
    const taskReminder = { ...reminder, template: 'task-reminder', checkin: undefined, data: { task } };
    task.status = 'open';
    expect(overtaken(s, taskReminder)).toBeUndefined();
    task.status = 'done';
    expect(overtaken(s, taskReminder)).toBe('the task is done');
  });

  it("a task's opening reminder gives way to its overdue one, and only that", () => {
    const s = fresh();
    const task: MatchState['tasks'][number] = { ...s.tasks[0]!, status: 'open' };
    s.tasks[0] = task;
    const email = (overdue: boolean) =>
      ({
        key: overdue ? 'overdue' : 'open',
        template: 'task-reminder',
        to: 'coordinator',
        recipient: SNAPSHOT.coordinator,
        data: { task, overdue },
        queuedAt: at(NOW),
      }) satisfies PendingEmail;
    expect(supersededByOverdue(s, email(false))).toBeUndefined();
    task.overdueReminded = true;
    expect(supersededByOverdue(s, email(false))).toBe('the overdue reminder replaces it');
    expect(supersededByOverdue(s, email(true))).toBeUndefined();
    expect(supersededByOverdue(s, { ...email(false), template: 'checkin-reminder' })).toBeUndefined();
    task.status = 'done';
    expect(supersededByOverdue(s, email(false))).toBeUndefined();
  });
});
