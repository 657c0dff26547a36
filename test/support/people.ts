import {
  completeMatchUpdate,
  completeTaskUpdate,
  recordKickoffUpdate,
  scheduleKickoffUpdate,
  setContractStatusUpdate,
  type MatchState,
} from '../../workflows/shared';
import type { Respondent } from '../../workflows/checkin-questions';
import { jstSlot, sendingOpensAt } from './instants';
import { DAY, HOUR, type AnswerInput, type Harness, type RunningMatch } from './lifecycle';

/** The template an email was rendered from (bansou sets this header on every email). */
export const templateOf = (e: { mail: { headers: Map<string, unknown> } }) =>
  String(e.mail.headers.get('x-bansou-template'));

/**
 * Moves time forward in steps until `done` says so; fails with `what` if it takes longer than `within`.
 * The default step is a few hours so emails held for sending hours arrive in between.
 */
export async function advanceUntil<T>(
  h: Harness,
  what: string,
  done: () => Promise<T | false | undefined | null> | T | false | undefined | null,
  { step = 3 * HOUR, within = 30 * DAY } = {},
): Promise<T> {
  const start = await h.now();
  for (;;) {
    const value = await done();
    if (value) return value;
    if ((await h.now()) - start > within) throw new Error(`${what}: not within ${within / DAY} days of simulated time`);
    await h.advance(step);
  }
}

/** Waits (in simulated time) for this round's request email to reach `respondent`, then answers it. */
export async function answerWhenAsked(
  h: Harness,
  m: RunningMatch,
  round: number,
  respondent: Respondent,
  answers: AnswerInput = {},
) {
  const to = m.snapshot[respondent].email;
  await advanceUntil(
    h,
    `check-in ${round} email to ${respondent}`,
    () =>
      m.emails(
        (e) =>
          e.to === to &&
          ['checkin-request', 'closeout-survey'].includes(templateOf(e)) &&
          Boolean(e.mail.text?.includes('/checkins/')),
      ).length >= round,
  );
  await m.answer(round, respondent, answers);
}

/** The coordinator marks every open task done (whether or not its reminder has reached them). */
export async function completeOpenTasks(m: RunningMatch, state?: MatchState): Promise<string[]> {
  const s = state ?? (await m.state());
  const done: string[] = [];
  for (const task of s.tasks.filter((t) => t.status === 'open')) {
    await m.act(completeTaskUpdate, { taskId: task.id, note: `${task.key} done` });
    done.push(task.key);
  }
  return done;
}

/** The label of a task as its coordinator reads it in emails. */
const labelFor = (m: RunningMatch, task: MatchState['tasks'][number]) => task.label[m.snapshot.coordinator.locale];

/**
 * The coordinator does each open task once its reminder has reached them, as people do: a task done before its
 * reminder could go out (outside sending hours) would drop the reminder, so the emails a match sends would depend on
 * the hour. Returns the keys of the tasks done.
 */
export async function completeRemindedTasks(m: RunningMatch, state?: MatchState): Promise<string[]> {
  const s = state ?? (await m.state());
  const reminded = (label: string) =>
    m.emails((e) => templateOf(e) === 'task-reminder' && Boolean(e.mail.text?.includes(label))).length > 0;
  const done: string[] = [];
  for (const task of s.tasks.filter((t) => t.status === 'open' && reminded(labelFor(m, t)))) {
    await m.act(completeTaskUpdate, { taskId: task.id, note: `${task.key} done` });
    done.push(task.key);
  }
  return done;
}

/**
 * The coordinator schedules the kickoff directly a few days out, the signed contract is verified before it, the
 * meeting takes place and is recorded held.
 */
export async function holdKickoff(h: Harness, m: RunningMatch, inDays = 3): Promise<void> {
  const startsAt = jstSlot(await h.now(), inDays, 10);
  await m.act(scheduleKickoffUpdate, { startsAt, durationMinutes: 60 });
  if ((await m.state()).contracts.some((c) => c.type === 'outsourcing_contract' && c.status !== 'verified')) {
    await m.act(setContractStatusUpdate, { type: 'outsourcing_contract', status: 'verified' });
  }
  await h.advanceTo(Date.parse(startsAt) + 2 * HOUR);
  await m.act(recordKickoffUpdate, { held: true });
}

/** Moves time to just after the next check-in round opens; returns the round. */
export async function untilRoundOpens(h: Harness, m: RunningMatch) {
  const next = (await m.state()).checkins.nextRound;
  return advanceUntil(
    h,
    `check-in ${next} to open`,
    async () => {
      const current = (await m.state()).checkins.current;
      return current?.round === next && current;
    },
    { step: 6 * HOUR, within: 40 * DAY },
  );
}

/** Moves time to just after the next check-in round opens and its emails go out (in sending hours); returns it. */
export async function nextRound(h: Harness, m: RunningMatch): Promise<number> {
  const { round, openedAt } = await untilRoundOpens(h, m);
  await advanceUntil(
    h,
    `check-in ${round} emails`,
    () =>
      m.emails((e) => templateOf(e) === 'checkin-request' && Boolean(e.mail.text?.includes('/checkins/'))).length >=
      round * 2,
    { step: HOUR, within: sendingOpensAt(Date.parse(openedAt)) - (await h.now()) + 2 * HOUR },
  );
  return round;
}

/** Moves time until the current round has closed. */
export async function untilRoundCloses(h: Harness, m: RunningMatch, round: number): Promise<void> {
  await advanceUntil(
    h,
    `check-in ${round} to close`,
    async () => {
      const s = await m.state();
      return s.checkins.completedRounds >= round;
    },
    { step: 6 * HOUR, within: 10 * DAY },
  );
}

/**
 * Everyone does their part until the match closes: host and talent answer every check-in, the coordinator does
 * every task and records the outcome as completed in the wrap-up phase. Returns the last round number.
 */
export async function liveWellUntilClosed(h: Harness, m: RunningMatch): Promise<number> {
  let round = 0;
  let state = await m.state();
  while (state.phase !== 'closed') {
    await completeRemindedTasks(m, state);
    const current = state.checkins.current;
    if (current?.status === 'open' && current.round > round) {
      round = current.round;
      for (const side of ['host', 'talent'] as const) await answerWhenAsked(h, m, round, side);
    } else if (state.phase === 'wrap_up' && state.checkins.finalSent && current?.status === 'closed') {
      await m.act(completeMatchUpdate, { note: '予定どおり完了' });
    } else {
      await h.advance(DAY);
    }
    state = await m.state();
  }
  // The retrospective opens at the close; once the coordinator has done it, the workflow ends.
  await advanceUntil(h, 'the retrospective, reminded and done', async () =>
    (await completeRemindedTasks(m)).includes('retrospective'),
  );
  return round;
}

/**
 * Moves time a minute at a time until the match's three opening emails and the coordinator's first task reminder are
 * sent and all four are on the timeline; returns every run's history (`historiesOf`).
 */
export async function untilOpened(h: Harness, m: RunningMatch) {
  await advanceUntil(
    h,
    'the opening emails and the first task reminder, on the timeline',
    async () =>
      m.emails((e) => templateOf(e) === 'match-opened').length === 3 &&
      m.emails((e) => templateOf(e) === 'task-reminder').length === 1 &&
      (await m.timeline()).filter((e) => e.type === 'email.sent').length === 4,
    { step: 60_000, within: HOUR },
  );
  return historiesOf(h, m.handle.workflowId, m.handle.firstExecutionRunId);
}

/** Every run's event history of a workflow, following continue-as-new from the first run. */
export async function historiesOf(h: Harness, workflowId: string, firstRunId: string) {
  const histories = [];
  let runId: string | undefined = firstRunId;
  while (runId) {
    const history = await h.env.client.workflow.getHandle(workflowId, runId).fetchHistory();
    histories.push({ runId, history });
    const last = history.events?.at(-1);
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return histories;
}
