import { WorkflowUpdateFailedError } from '@temporalio/client';
import {
  proposeKickoffSlotsUpdate,
  respondKickoffUpdate,
  addNoteUpdate,
  checkinAnsweredSignal,
  completeMatchUpdate,
  completeTaskUpdate,
  endEarlyUpdate,
  extendUpdate,
  pauseUpdate,
  reassignUpdate,
  recordKickoffUpdate,
  resumeUpdate,
  scheduleKickoffUpdate,
  setContractStatusUpdate,
  type TerminationReason,
} from '../../workflows/shared';
import { createHarness, DAY, HOUR, type Harness } from '../support/lifecycle';
import { eventually } from '../support/eventually';
import { deliverPendingAnswers } from '../../api/services/checkins';
import type { CheckinAnswers } from '../../workflows/checkin-questions';
import { DEFAULT_PLAYBOOK } from '../../workflows/playbook';
import { saveHistories } from '../support/histories';
import {
  advanceUntil,
  answerWhenAsked,
  completeOpenTasks,
  historiesOf,
  holdKickoff,
  jstSlot,
  nextRound,
  templateOf,
} from '../support/people';

/** The rejection an update got from the workflow's validator: its type (code) and message. */
async function rejection(promise: Promise<unknown>): Promise<{ type?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) {
      const cause = error.cause as { type?: string; message: string };
      return { type: cause.type, message: cause.message };
    }
    throw error;
  }
  throw new Error('the update was accepted');
}

describe('match lifecycle: milestones, coordinator actions and their rejections', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('an unsigned contract: the host is reminded before and at the due date, then it escalates until verified', async () => {
    const m = await h.startMatch();
    const startsAt = jstSlot(await h.now(), 7, 10);
    await m.act(scheduleKickoffUpdate, { startsAt, durationMinutes: 60 });
    expect((await m.state()).contracts[0]).toMatchObject({
      type: 'outsourcing_contract',
      required: true,
      status: 'missing',
      dueAt: startsAt,
    });

    // Three days before the kickoff, then at it: reminders to the host; at the due date an escalation.
    await h.advanceTo(Date.parse(startsAt) - 3 * DAY - HOUR);
    const reminders = () => m.emails((e) => templateOf(e) === 'contract-reminder');
    expect(reminders()).toHaveLength(0);
    await advanceUntil(h, 'the first contract reminder', () => reminders().length === 1, {
      step: HOUR,
      within: 3 * DAY,
    });
    expect(await h.now()).toBeLessThan(Date.parse(startsAt));
    expect(reminders().map((e) => e.to)).toEqual([m.snapshot.host.email]);
    expect(reminders()[0]!.mail.text).toContain('業務委託契約書');
    await h.advanceTo(Date.parse(startsAt) + 2 * HOUR);
    expect(reminders()).toHaveLength(2);
    let s = await m.state();
    expect(s.escalations).toEqual([
      expect.objectContaining({ type: 'contract_overdue', severity: 'high', status: 'open' }),
    ]);
    expect(s.health.signals.map((x) => x.type)).toContain('contract_overdue');

    // Rejected, then submitted again and verified: the escalation closes by itself.
    await m.act(setContractStatusUpdate, { type: 'outsourcing_contract', status: 'submitted' });
    await m.act(setContractStatusUpdate, { type: 'outsourcing_contract', status: 'rejected', reason: '押印漏れ' });
    await m.act(setContractStatusUpdate, { type: 'outsourcing_contract', status: 'submitted' });
    await m.act(setContractStatusUpdate, { type: 'outsourcing_contract', status: 'verified' });
    s = await m.state();
    expect(s.escalations[0]).toMatchObject({
      status: 'resolved',
      resolution: { by: 'auto', note: 'all required documents are verified' },
    });
    expect(s.contracts[0]).toMatchObject({ status: 'verified' });
    await eventually(async () => {
      const rows = await h.database.db.contractDocument.findMany({
        where: { matchId: m.id },
        orderBy: { type: 'asc' },
      });
      expect(rows.map((r) => [r.type, r.status, r.required])).toEqual([
        ['nda', 'missing', false],
        ['outsourcing_contract', 'verified', true],
      ]);
      return true;
    });
    // The optional NDA never triggers a reminder or an escalation.
    expect(reminders().every((e) => !e.mail.text?.includes('NDA'))).toBe(true);
  });

  it('a kickoff never held escalates at its deadline and clears once it is held', async () => {
    const m = await h.startMatch();
    const deadline = Date.parse((await m.state()).kickoff.deadlineAt);
    await h.advanceTo(deadline + HOUR);
    let s = await m.state();
    // The contract was due by the same deadline, so it is overdue too: two escalations, one per type.
    expect(s.escalations.map((e) => [e.type, e.severity]).sort()).toEqual([
      ['contract_overdue', 'high'],
      ['kickoff_not_held', 'high'],
    ]);
    expect(s.health.band).toBe('red');
    await advanceUntil(h, 'the escalation emails', () => m.emails((e) => templateOf(e) === 'escalation').length === 2);

    await holdKickoff(h, m, 2); // the contract is verified before the meeting, the meeting is held
    s = await m.state();
    expect(s.escalations.find((e) => e.type === 'kickoff_not_held')).toMatchObject({
      status: 'resolved',
      resolution: { by: 'auto', note: 'the kickoff was held' },
    });
    expect(s.escalations.every((e) => e.status === 'resolved')).toBe(true);
    expect(s.phase).toBe('active');
  });

  it('ends early with a reason from the taxonomy: closed, a close-out survey to both, a retrospective for the coordinator', async () => {
    const m = await h.startMatch();
    await holdKickoff(h, m);
    const reason: TerminationReason = 'host_circumstances';
    const bad = await rejection(m.act(endEarlyUpdate, { reason: 'bored' as TerminationReason }));
    expect(bad).toMatchObject({ type: 'INVALID', message: expect.stringContaining('host_circumstances') });

    await m.act(endEarlyUpdate, { reason, note: '受入企業の事業再編のため' });
    const s = await m.state();
    expect(s).toMatchObject({
      phase: 'closed',
      status: 'terminated_early',
      outcome: { status: 'terminated_early', reason },
    });
    await advanceUntil(h, 'close-out surveys', () => m.emails((e) => templateOf(e) === 'closeout-survey').length === 2);
    const final = (await m.state()).checkins.current!;
    expect(final).toMatchObject({ kind: 'final', status: 'open' });
    await answerWhenAsked(h, m, final.round, 'host');
    await answerWhenAsked(h, m, final.round, 'talent');
    await advanceUntil(h, 'the retrospective', async () =>
      (await m.state()).tasks.some((t) => t.key === 'retrospective' && t.status === 'open'),
    );
    expect(await completeOpenTasks(m)).toEqual(expect.arrayContaining(['retrospective']));
    const result = await m.handle.result();
    expect(result.outcome).toMatchObject({ status: 'terminated_early', reason, note: '受入企業の事業再編のため' });
    const row = await h.database.db.match.findUniqueOrThrow({ where: { id: m.id } });
    expect(row).toMatchObject({ status: 'terminated_early', phase: 'closed', outcomeReason: reason });
    // Tasks that had not opened yet (mid-point review, …) were cancelled with the match.
    const tasks = await h.database.db.coordinatorTask.findMany({ where: { matchId: m.id } });
    expect(tasks.find((t) => t.key === 'midpoint_review')?.status).toBe('cancelled');
  });

  it('pause holds every timer and every send; resume moves them later; extend and reassign carry the open work', async () => {
    const m = await h.startMatch({ months: 4 });
    await holdKickoff(h, m);
    const before = await m.state();
    const nextOpen = Date.parse(
      before.checkins.nextOpenAt ?? new Date(Date.parse(before.kickoff.heldAt!) + 7 * DAY).toISOString(),
    );

    // Paused for 10 days across the first check-in: nothing opens, nothing is sent.
    await m.act(pauseUpdate, { reason: '人材の繁忙期' });
    expect((await m.state()).status).toBe('paused');
    const sentBefore = m.emails().length;
    await h.advanceTo(nextOpen + 3 * DAY);
    expect((await m.state()).checkins.current).toBeUndefined();
    expect(m.emails().length).toBe(sentBefore);
    await h.advance(7 * DAY);
    await m.act(resumeUpdate, {});
    const resumed = await m.state();
    expect(resumed.status).toBe('open');
    // Tasks not yet open moved later by the pause; the planned end did not move.
    const midpoint = (s: typeof before) => Date.parse(s.tasks.find((t) => t.key === 'midpoint_review')!.openAt);
    expect(midpoint(resumed) - midpoint(before)).toBeGreaterThanOrEqual(10 * DAY - HOUR);
    expect(resumed.endAt).toBe(before.endAt);
    // The first check-in was waiting for its week after the kickoff when the pause began: it waits the rest of that
    // week after the resume (it does not open the moment the pause ends), then its emails go out.
    const pausedFor = Date.parse(resumed.checkins.nextOpenAt!) - nextOpen;
    expect(pausedFor).toBeGreaterThanOrEqual(10 * DAY);
    await h.advanceTo(nextOpen + pausedFor - HOUR);
    expect((await m.state()).checkins.current).toBeUndefined();
    await advanceUntil(
      h,
      'the first check-in emails',
      () => m.emails((e) => templateOf(e) === 'checkin-request').length === 2,
      { step: HOUR, within: 4 * DAY },
    );
    expect((await m.state()).checkins.current).toMatchObject({ round: 1, status: 'open' });

    // Extended by a month: the end-anchored tasks and the wrap-up follow the new end.
    const newEnd = new Date(Date.parse(`${before.match.endDate}T00:00:00Z`) + 31 * DAY).toISOString().slice(0, 10);
    await m.act(extendUpdate, { endDate: newEnd });
    const extended = await m.state();
    expect(extended.match.endDate).toBe(newEnd);
    const wrapUp = (s: typeof before) => Date.parse(s.tasks.find((t) => t.key === 'wrap_up_interview')!.openAt);
    expect(wrapUp(extended) - wrapUp(before)).toBe(31 * DAY);

    // Reassigned: the new coordinator gets a handover email, then the reminders; the read model follows.
    const next = {
      personId: 'new-coordinator',
      name: '高橋 三郎',
      email: `takahashi.${m.id}@npo.example.jp`,
      locale: 'ja' as const,
    };
    await m.act(reassignUpdate, { coordinator: next });
    await advanceUntil(h, 'the handover email', () =>
      h.smtp.received.some((e) => e.to === next.email && templateOf(e) === 'match-opened'),
    );
    await m.act(addNoteUpdate, { text: '引き継ぎ面談済み', sentiment: 4 });
    await advanceUntil(
      h,
      'the mid-point review',
      () => h.smtp.received.some((e) => e.to === next.email && templateOf(e) === 'task-reminder'),
      { step: DAY, within: 90 * DAY },
    );
    const row = await h.database.db.match.findUniqueOrThrow({ where: { id: m.id }, include: { coordinator: true } });
    expect(row.coordinator.email).toBe(next.email);
    expect(row.endDate.toISOString().slice(0, 10)).toBe(newEnd);
    const timeline = await m.timeline();
    expect(timeline.map((e) => e.type)).toEqual(
      expect.arrayContaining(['match.paused', 'match.resumed', 'match.extended', 'match.reassigned', 'note.added']),
    );
  });

  it('rejects actions that do not fit, with a reason, and changes nothing', async () => {
    const m = await h.startMatch();
    const before = await m.state();
    expect(await rejection(m.act(recordKickoffUpdate, { held: true }))).toEqual({
      type: 'WRONG_STATE',
      message: 'the kickoff cannot be recorded: it is unscheduled, not scheduled',
    });
    expect(await rejection(m.act(completeMatchUpdate, {}))).toMatchObject({
      type: 'WRONG_STATE',
      message: expect.stringContaining('wrap-up'),
    });
    expect(await rejection(m.act(completeTaskUpdate, { taskId: 'nope' }))).toEqual({
      type: 'UNKNOWN',
      message: 'no task "nope" on this match',
    });
    expect(
      await rejection(m.act(setContractStatusUpdate, { type: 'outsourcing_contract', status: 'rejected' })),
    ).toMatchObject({ type: 'WRONG_STATE' });
    expect(
      await rejection(
        m.act(scheduleKickoffUpdate, { startsAt: new Date((await h.now()) - DAY).toISOString(), durationMinutes: 60 }),
      ),
    ).toMatchObject({
      type: 'INVALID',
      message: expect.stringContaining('not in the future'),
    });
    expect(await rejection(m.act(addNoteUpdate, { text: 'x', sentiment: 9 }))).toEqual({
      type: 'INVALID',
      message: 'sentiment must be 1 to 5',
    });
    expect(await rejection(m.act(resumeUpdate, {}))).toEqual({
      type: 'WRONG_STATE',
      message: 'the match is not paused',
    });
    const after = await m.state();
    expect(after.kickoff).toEqual(before.kickoff);
    expect(after.contracts).toEqual(before.contracts);
    expect(after.status).toBe('open');
  });

  it('a match ended while paused still finishes: its close-out goes out, and it cannot be resumed', async () => {
    const m = await h.startMatch();
    await holdKickoff(h, m);
    await m.act(pauseUpdate, { reason: '受入企業の繁忙期' });
    await m.act(endEarlyUpdate, { reason: 'host_circumstances' });
    const s = await m.state();
    expect(s).toMatchObject({ status: 'terminated_early', phase: 'closed' });
    expect(s.paused).toBeUndefined();
    expect(await rejection(m.act(resumeUpdate, {}))).toEqual({ type: 'WRONG_STATE', message: 'the match is closed' });
    await advanceUntil(h, 'close-out surveys', () => m.emails((e) => templateOf(e) === 'closeout-survey').length === 2);
    await advanceUntil(h, 'the retrospective', async () =>
      (await m.state()).tasks.some((t) => t.key === 'retrospective' && t.status === 'open'),
    );
    await completeOpenTasks(m);
    await advanceUntil(
      h,
      'the final round to close',
      async () => (await m.state()).checkins.current?.status === 'closed',
      { step: DAY, within: 10 * DAY },
    );
    expect((await m.handle.result()).outcome.status).toBe('terminated_early');
  });

  it('refuses an answer for a replaced kickoff proposal, new slots while a kickoff is scheduled, and extending after the final survey', async () => {
    const m = await h.startMatch({ days: 20 });
    const now = await h.now();
    const slots = (d: number) => [{ startsAt: jstSlot(now, d, 10), durationMinutes: 60 }];
    await m.act(proposeKickoffSlotsUpdate, { slots: slots(3) });
    await m.act(proposeKickoffSlotsUpdate, { slots: slots(4) });
    expect(await rejection(m.act(respondKickoffUpdate, { respondent: 'host', choice: 0, proposal: 1 }))).toEqual({
      type: 'WRONG_STATE',
      message: 'proposal 1 was replaced by proposal 2',
    });
    await m.act(respondKickoffUpdate, { respondent: 'host', choice: 0, proposal: 2 });
    await m.act(respondKickoffUpdate, { respondent: 'talent', choice: 0, proposal: 2 });
    expect((await m.state()).kickoff.status).toBe('scheduled');
    expect(await rejection(m.act(proposeKickoffSlotsUpdate, { slots: slots(5) }))).toMatchObject({
      type: 'WRONG_STATE',
      message: expect.stringContaining('move it (schedule) or cancel it'),
    });

    // The end comes; the final survey goes out; extending now would need new check-ins the workflow has finished.
    await advanceUntil(h, 'the final survey', async () => (await m.state()).checkins.finalSent, {
      step: DAY,
      within: 30 * DAY,
    });
    const later = new Date(Date.parse(`${(await m.state()).match.endDate}T00:00:00Z`) + 30 * DAY)
      .toISOString()
      .slice(0, 10);
    expect(await rejection(m.act(extendUpdate, { endDate: later }))).toMatchObject({
      type: 'WRONG_STATE',
      message: expect.stringContaining('record the outcome'),
    });
  });

  it('an answer delivered twice (by the page and by the relay) counts once; answering again updates it', async () => {
    const m = await h.startMatch({ months: 3 });
    await holdKickoff(h, m);
    const r1 = await nextRound(h, m);
    const answerEvents = async () =>
      (await m.timeline()).filter((e) => e.type.startsWith('checkin.answer') && e.payload.respondent === 'host');
    await m.answer(r1, 'host', { scores: { satisfaction: 3 } });
    await eventually(async () => (await answerEvents()).length === 1);
    // The page's signal went through, but the row was not marked before the relay looked (e.g. a replica's relay
    // ran in between): the relay delivers the same submission again.
    const where = { matchId_round_respondent: { matchId: m.id, round: r1, respondent: 'host' } };
    await h.database.db.checkinAnswer.update({ where, data: { signalledAt: null } });
    expect(await deliverPendingAnswers(h.database.db, h.env.client)).toBeGreaterThanOrEqual(1);
    expect((await h.database.db.checkinAnswer.findUniqueOrThrow({ where })).signalledAt).not.toBeNull();
    // The host changes their mind before the round closes: a new submission, which does update the answer.
    await m.state(); // the duplicate has been handled
    const first = await h.database.db.checkinAnswer.findUniqueOrThrow({ where });
    await m.answer(r1, 'host', { scores: { satisfaction: 2 } });
    // A relay that read the first submission before this one delivers it late: the newer answer stands.
    await m.handle.signal(checkinAnsweredSignal, {
      round: r1,
      respondent: 'host',
      answerId: first.id,
      answers: first.answers as CheckinAnswers,
      submittedAt: first.submittedAt.toISOString(),
    });
    await eventually(async () => (await answerEvents()).length >= 2);
    // Kept for the replay test: this history has the `answer-delivered-twice-counts-once` patch marker.
    saveHistories('answer-delivered-twice', await historiesOf(h, m.handle.workflowId, m.handle.firstExecutionRunId));
    expect((await answerEvents()).map((e) => e.type)).toEqual(['checkin.answered', 'checkin.answer_updated']);
    expect((await m.state()).checkins.current?.answers.host?.answers.scores.satisfaction).toBe(2);
  });

  it('after an early end, the close-out survey opens no escalation and open tasks are cancelled, not chased', async () => {
    const m = await h.startMatch({ months: 3 });
    expect((await m.state()).tasks.find((t) => t.key === 'kickoff_prep')?.status).toBe('open');
    await m.act(endEarlyUpdate, { reason: 'talent_circumstances' });
    const final = await advanceUntil(h, 'the close-out survey', async () => {
      const round = (await m.state()).checkins.current;
      return round?.kind === 'final' && round;
    });
    await answerWhenAsked(h, m, final.round, 'host', { scores: { satisfaction: 1, task_clarity: 1 } });
    await advanceUntil(h, 'the close-out survey to close', async () => {
      const round = (await m.state()).checkins.current;
      return round?.status === 'closed' && round;
    });
    await h.advance(10 * DAY);
    const s = await m.state();
    // Kept for the replay test: this history has the `close-cancels-open-tasks` and `closed-match-raises-nothing`
    // patch markers.
    saveHistories('closed-early-survey', await historiesOf(h, m.handle.workflowId, m.handle.firstExecutionRunId));
    expect(s.tasks.find((t) => t.key === 'kickoff_prep')?.status).toBe('cancelled');
    // The survey's signals are on record (health and timeline), but nobody is escalated to about a closed match.
    expect(s.signals.round.map((x) => x.type)).toEqual(expect.arrayContaining(['low_score', 'missed_checkin']));
    expect(s.escalations).toEqual([]);
    const sentAfterClose = m.emails().map(templateOf);
    expect(sentAfterClose).not.toContain('escalation');
    expect(sentAfterClose).not.toContain('escalation-raised');
    const overdue = (await m.timeline()).filter((e) => e.type === 'task.overdue').map((e) => e.payload.key);
    expect(overdue).not.toContain('kickoff_prep');
    const row = await h.database.db.match.findUniqueOrThrow({ where: { id: m.id } });
    expect(row.openEscalations).toBe(0);
  });

  it('refuses a kickoff slot that has already passed; asking for other times still works', async () => {
    const m = await h.startMatch({ months: 3 });
    const soon = new Date((await h.now()) + 2 * HOUR).toISOString();
    const later = jstSlot(await h.now(), 5, 10);
    await m.act(proposeKickoffSlotsUpdate, {
      slots: [
        { startsAt: soon, durationMinutes: 60 },
        { startsAt: later, durationMinutes: 60 },
      ],
    });
    await m.act(respondKickoffUpdate, { respondent: 'host', choice: 0 });
    await h.advance(3 * HOUR);
    expect(await rejection(m.act(respondKickoffUpdate, { respondent: 'talent', choice: 0 }))).toMatchObject({
      type: 'WRONG_STATE',
      message: 'slot 0 has already passed; choose another or ask for other times',
    });
    expect((await m.state()).kickoff.status).toBe('proposed');
    await m.act(respondKickoffUpdate, { respondent: 'talent', choice: 'other', note: '来週以降でお願いします' });
    expect((await m.state()).tasks.some((t) => t.key === 'propose_kickoff_slots' && t.status === 'open')).toBe(true);
  });

  it('a reminder that waited for sending hours is dropped for whoever answered meanwhile', async () => {
    // Reminders fall due at midnight JST (3.5 days after a round opens at noon): they wait for 09:00.
    const m = await h.startMatch({
      months: 3,
      playbook: { checkins: { ...DEFAULT_PLAYBOOK.checkins, reminderAfter: '3d12h' } },
    });
    await holdKickoff(h, m);
    const r1 = await nextRound(h, m);
    const remindAt = Date.parse((await m.state()).checkins.current!.remindAt);
    expect(new Date(remindAt).toLocaleTimeString('en-GB', { timeZone: 'Asia/Tokyo' })).toBe('00:00:00');
    await h.advanceTo(remindAt + HOUR);
    await m.answer(r1, 'host'); // at 01:00, while the reminders wait
    const reminders = () => m.emails((e) => templateOf(e) === 'checkin-reminder');
    await advanceUntil(h, 'the reminder to the talent', () => reminders().length > 0, { step: HOUR, within: 5 * DAY });
    await h.advance(DAY);
    // Kept for the replay test: this history has the `mail-drops-overtaken-reminders` patch marker.
    saveHistories('reminder-overtaken', await historiesOf(h, m.handle.workflowId, m.handle.firstExecutionRunId));
    expect(reminders().map((e) => e.to)).toEqual([m.snapshot.talent.email]);
    const skipped = (await m.timeline()).filter((e) => e.type === 'email.skipped');
    expect(skipped.map((e) => e.payload)).toEqual([
      { template: 'checkin-reminder', role: 'host', reason: 'answered meanwhile' },
    ]);
  });

  it('a coordinator email that waited for sending hours goes to the coordinator the match has when it is sent', async () => {
    const m = await h.startMatch({ days: 60 });
    await holdKickoff(h, m);
    // The mid-point review opens at midnight JST (half of a 60-day term); its email waits for 09:00.
    const midpoint = (await m.state()).tasks.find((t) => t.key === 'midpoint_review')!;
    expect(new Date(midpoint.openAt).toLocaleTimeString('en-GB', { timeZone: 'Asia/Tokyo' })).toBe('00:00:00');
    await h.advanceTo(Date.parse(midpoint.openAt) + HOUR);
    expect((await m.state()).tasks.find((t) => t.key === 'midpoint_review')?.status).toBe('open');
    const next = {
      personId: 'night-handover',
      name: '高橋 三郎',
      email: `takahashi.${m.id}@npo.example.jp`,
      locale: 'ja' as const,
    };
    await m.act(reassignUpdate, { coordinator: next });
    const midpointEmails = () =>
      h.smtp.received.filter(
        (e) =>
          [m.snapshot.coordinator.email, next.email].includes(e.to) &&
          templateOf(e) === 'task-reminder' &&
          Boolean(e.mail.text?.includes('中間振り返り')),
      );
    await advanceUntil(h, 'the mid-point review email', () => midpointEmails().length > 0, {
      step: HOUR,
      within: 5 * DAY,
    });
    // Kept for the replay test: this history has the `coordinator-mail-follows-reassign` patch marker.
    saveHistories('reassigned-at-night', await historiesOf(h, m.handle.workflowId, m.handle.firstExecutionRunId));
    expect(midpointEmails().map((e) => e.to)).toEqual([next.email]);
  });

  it('a task done before its reminder could go out gets no reminder', async () => {
    const m = await h.startMatch({ days: 60 });
    await holdKickoff(h, m);
    // The mid-point review opens at midnight JST; the coordinator marks it done at 01:00, before its email's 09:00.
    const midpoint = (await m.state()).tasks.find((t) => t.key === 'midpoint_review')!;
    await h.advanceTo(Date.parse(midpoint.openAt) + HOUR);
    await m.act(completeTaskUpdate, { taskId: midpoint.id, note: '前倒しで実施済み' });
    await h.advance(2 * DAY);
    const midpointEmails = m.emails(
      (e) => templateOf(e) === 'task-reminder' && Boolean(e.mail.text?.includes('中間振り返り')),
    );
    expect(midpointEmails).toEqual([]);
    const skipped = (await m.timeline()).filter((e) => e.type === 'email.skipped').map((e) => e.payload);
    expect(skipped).toEqual([{ template: 'task-reminder', role: 'coordinator', reason: 'the task is done' }]);
  });
});
