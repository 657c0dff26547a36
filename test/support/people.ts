import { zonedParts, isJapaneseHoliday, localDate } from '../../workflows/calendar';
import {
  completeMatchUpdate,
  completeTaskUpdate,
  recordKickoffUpdate,
  scheduleKickoffUpdate,
  setContractStatusUpdate,
  type MatchState,
} from '../../workflows/shared';
import type { Respondent } from '../../workflows/checkin-questions';
import { DAY, HOUR, type AnswerInput, type Harness, type RunningMatch } from './lifecycle';

/** The template an email was rendered from (bansou sets this header on every email). */
export const templateOf = (e: { mail: { headers: Map<string, unknown> } }) =>
  String(e.mail.headers.get('x-bansou-template'));

/** True when an instant is inside 09:00–18:00 JST on a working day (no weekend, no public holiday). */
export function inJstBusinessHours(at: Date): boolean {
  const p = zonedParts(at.getTime(), 'Asia/Tokyo');
  const minutes = p.hour * 60 + p.minute;
  return (
    p.weekday >= 1 &&
    p.weekday <= 5 &&
    !isJapaneseHoliday(localDate(at.getTime(), 'Asia/Tokyo')) &&
    minutes >= 540 &&
    minutes < 1080
  );
}

/** The next weekday at `hour`:00 JST at least `days` days from `from`. */
export function jstSlot(from: number, days: number, hour = 10): string {
  let day = from + days * DAY;
  for (;;) {
    const p = zonedParts(day, 'Asia/Tokyo');
    const date = localDate(day, 'Asia/Tokyo');
    if (p.weekday >= 1 && p.weekday <= 5 && !isJapaneseHoliday(date)) {
      return new Date(`${date}T${String(hour).padStart(2, '0')}:00:00+09:00`).toISOString();
    }
    day += DAY;
  }
}

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

/** The coordinator marks every open task done. */
export async function completeOpenTasks(m: RunningMatch, state?: MatchState): Promise<string[]> {
  const s = state ?? (await m.state());
  const done: string[] = [];
  for (const task of s.tasks.filter((t) => t.status === 'open')) {
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

/** Moves time to just after the next check-in round opens (and its emails go out); returns its number. */
export async function nextRound(h: Harness, m: RunningMatch): Promise<number> {
  const before = (await m.state()).checkins.nextRound;
  await advanceUntil(
    h,
    `check-in ${before} to open`,
    async () => (await m.state()).checkins.current?.round === before,
    { step: 6 * HOUR, within: 40 * DAY },
  );
  await advanceUntil(
    h,
    `check-in ${before} emails`,
    () =>
      m.emails((e) => templateOf(e) === 'checkin-request' && Boolean(e.mail.text?.includes('/checkins/'))).length >=
      before * 2,
    { step: HOUR, within: 5 * DAY },
  );
  return before;
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
    await completeOpenTasks(m, state);
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
  // The retrospective opens at the close; the coordinator does it once reminded (a reminder still waiting for sending
  // hours when the task is done is dropped); once it is done the workflow ends.
  await advanceUntil(h, 'the retrospective task', async () =>
    (await m.state()).tasks.some((t) => t.key === 'retrospective' && t.status === 'open'),
  );
  await advanceUntil(
    h,
    'the retrospective reminder',
    async () => {
      const timeline = await m.timeline();
      const opened = timeline.findIndex((e) => e.type === 'task.opened' && e.payload.key === 'retrospective');
      return timeline.slice(opened).some((e) => e.type === 'email.sent' && e.payload.template === 'task-reminder');
    },
    { step: HOUR, within: 5 * DAY },
  );
  await completeOpenTasks(m);
  return round;
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
