import { deliverPendingAnswers } from '../../api/services/checkins';
import { addBusinessDays, nextSendTime, zonedParts, zonedTimeToMs } from '../../workflows/calendar';
import { durationMs } from '../../workflows/durations';
import { DEFAULT_PLAYBOOK } from '../../workflows/playbook';
import {
  pauseUpdate,
  recordKickoffUpdate,
  resumeUpdate,
  scheduleKickoffUpdate,
  setContractStatusUpdate,
  type MatchState,
} from '../../workflows/shared';
import { healthyAnswers } from '../support/answers';
import { saveHistories } from '../support/histories';
import { createHarness, DAY, HOUR, type Harness, type RunningMatch, type Timeline } from '../support/lifecycle';
import { eventually } from '../support/eventually';
import { jstSlot } from '../support/instants';
import { historiesOf, holdKickoff, nextRound, templateOf, untilRoundCloses } from '../support/people';

const TZ = 'Asia/Tokyo';
const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The first instant at `hour`:00 JST on the given weekday (0 = Sunday) at least `days` days after `from`: scenarios
 * choose their weekday and hour instead of taking whatever the clock says when the suite runs.
 */
function nextJst(from: number, days: number, weekday: number, hour: number): number {
  for (let day = from + days * DAY; ; day += DAY) {
    const p = zonedParts(day, TZ);
    if (p.weekday === weekday) return zonedTimeToMs(p.year, p.month, p.day, hour, 0, TZ);
  }
}

/** When an email queued at `at` can go out under the default playbook (09:00–18:00 JST on working days). */
const sendable = (at: string | number) => nextSendTime(typeof at === 'string' ? Date.parse(at) : at, DEFAULT_PLAYBOOK);

const keep = async (h: Harness, m: RunningMatch, name: string) =>
  saveHistories(name, await historiesOf(h, m.handle.workflowId, m.handle.firstExecutionRunId));

/**
 * Timers that must be fair to people: an answer window or an escalation's due date starts when its email can go out,
 * not at night or at a weekend; a pause holds every due date; an answer saved before its round closed belongs to it.
 * Each scenario acts first and asserts after the history is kept (the histories replay in CI).
 */
describe('match lifecycle: fair timers, pauses and late answers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('a round opened on Friday evening gives the full answer window from when its email goes out', async () => {
    const m = await h.startMatch({ months: 3 });
    await m.act(setContractStatusUpdate, { type: 'outsourcing_contract', status: 'verified' });
    // The kickoff is held on a Friday evening, so the first round opens a week later on a Friday evening.
    const kickoff = nextJst(await h.now(), 3, 5, 18);
    await m.act(scheduleKickoffUpdate, { startsAt: iso(kickoff), durationMinutes: 60 });
    await h.advanceTo(kickoff + HOUR);
    await m.act(recordKickoffUpdate, { held: true });
    const heldAt = Date.parse((await m.state()).kickoff.heldAt!);
    await h.advanceTo(heldAt + 7 * DAY + MINUTE);
    const round = (await m.state()).checkins.current!;
    const sendAt = sendable(round.openedAt);
    // Both answer six and a half days after the request went out: within the window they were given.
    await h.advanceTo(sendAt + 6 * DAY + 12 * HOUR);
    await m.answer(round.round, 'host');
    await m.answer(round.round, 'talent');
    await untilRoundCloses(h, m, round.round);
    const s = await m.state();
    const timeline = await m.timeline();
    await keep(h, m, 'round-opened-friday-evening');

    expect(zonedParts(Date.parse(round.openedAt), TZ)).toMatchObject({ weekday: 5, hour: 19 });
    expect(sendAt - Date.parse(round.openedAt)).toBeGreaterThan(2 * DAY);
    expect(round.remindAt).toBe(iso(sendAt + 3 * DAY));
    expect(round.closeAt).toBe(iso(sendAt + 7 * DAY));
    const requests = timeline.filter((e) => e.type === 'email.sent' && e.payload.template === 'checkin-request');
    expect(requests).toHaveLength(2);
    for (const sent of requests) expect(sent.at.getTime()).toBeGreaterThanOrEqual(sendAt);
    expect(timeline.map((e) => e.type)).not.toContain('checkin.late_answer');
    expect(s.checkins.lastClosed).toMatchObject({ round: round.round, answered: ['host', 'talent'] });
    expect(s.escalations).toEqual([]);
  });

  it('an escalation raised at a weekend is due three business days after its email can go out', async () => {
    const m = await h.startMatch({ months: 3 });
    // The kickoff, and so the contract's due date, on a Saturday morning: the contract escalates then.
    const saturday = nextJst(await h.now(), 3, 6, 10);
    await m.act(scheduleKickoffUpdate, { startsAt: iso(saturday), durationMinutes: 60 });
    await h.advanceTo(saturday + HOUR);
    const escalation = (await m.state()).escalations.find((e) => e.type === 'contract_overdue')!;
    const sendAt = sendable(escalation.openedAt);
    const fairDue = addBusinessDays(sendAt, DEFAULT_PLAYBOOK.escalation.slaBusinessDays, DEFAULT_PLAYBOOK);
    const hastyDue = addBusinessDays(
      Date.parse(escalation.openedAt),
      DEFAULT_PLAYBOOK.escalation.slaBusinessDays,
      DEFAULT_PLAYBOOK,
    );
    const level = async () => (await m.state()).escalations.find((e) => e.id === escalation.id)!.level;
    await h.advanceTo(hastyDue + HOUR);
    const levelAfterHastyDue = await level();
    await h.advanceTo(fairDue + HOUR);
    const levelAfterFairDue = await level();
    const emailedAt = (await m.timeline()).find(
      (e) => e.type === 'email.sent' && e.payload.template === 'escalation',
    )?.at;
    await keep(h, m, 'escalation-at-weekend');

    expect(zonedParts(Date.parse(escalation.openedAt), TZ).weekday).toBe(6);
    expect(fairDue).toBeGreaterThan(hastyDue);
    expect(escalation.dueAt).toBe(iso(fairDue));
    expect(emailedAt?.getTime()).toBeGreaterThanOrEqual(sendAt);
    // Not raised to the program managers before the coordinator had three business days from the email.
    expect(levelAfterHastyDue).toBe(1);
    expect(levelAfterFairDue).toBe(2);
    expect(m.emails((e) => templateOf(e) === 'escalation-raised').map((e) => e.to)).toEqual([m.programManagerEmail]);
  });

  it('a pause holds the contract due date and the first check-in after the kickoff', async () => {
    const m = await h.startMatch({ months: 3 });
    const kickoffAt = jstSlot(await h.now(), 10, 10);
    await m.act(scheduleKickoffUpdate, { startsAt: kickoffAt, durationMinutes: 60 });
    // Paused for four days before the kickoff: the documents are due as much later.
    await m.act(pauseUpdate, { reason: '受入企業の繁忙期' });
    await h.advance(4 * DAY);
    await m.act(resumeUpdate, {});
    const afterFirstPause = await m.state();
    await h.advanceTo(Date.parse(kickoffAt) + 2 * HOUR);
    const escalationsAtKickoff = (await m.state()).escalations.map((e) => e.type);
    await m.act(setContractStatusUpdate, { type: 'outsourcing_contract', status: 'verified' });
    await m.act(recordKickoffUpdate, { held: true });
    const heldAt = Date.parse((await m.state()).kickoff.heldAt!);
    const firstRoundAt = heldAt + durationMs(DEFAULT_PLAYBOOK.checkins.firstAfterKickoff);
    // Paused again from the day after the kickoff for three days: the first check-in moves as much later.
    await h.advanceTo(heldAt + DAY);
    await m.act(pauseUpdate, { reason: '人材の出張' });
    await h.advance(3 * DAY);
    await m.act(resumeUpdate, {});
    const afterSecondPause = await m.state();
    await h.advanceTo(firstRoundAt + HOUR);
    const roundAtFirstTime = (await m.state()).checkins.current?.round ?? null;
    await h.advanceTo(firstRoundAt + 3 * DAY + HOUR);
    const roundAfterHold = (await m.state()).checkins.current?.round ?? null;
    await keep(h, m, 'paused-before-contract-and-first-checkin');

    // Later by the pause, to the minute (the workflow measures the pause itself, a few milliseconds apart from here).
    const contractDue = Date.parse(afterFirstPause.contracts.find((c) => c.type === 'outsourcing_contract')!.dueAt!);
    expect(contractDue - Date.parse(kickoffAt)).toBeGreaterThanOrEqual(4 * DAY);
    expect(contractDue - Date.parse(kickoffAt)).toBeLessThan(4 * DAY + MINUTE);
    expect(escalationsAtKickoff).toEqual([]);
    const firstRoundMoved = Date.parse(afterSecondPause.checkins.nextOpenAt!) - firstRoundAt;
    expect(firstRoundMoved).toBeGreaterThanOrEqual(3 * DAY);
    expect(firstRoundMoved).toBeLessThan(3 * DAY + MINUTE);
    expect(roundAtFirstTime).toBeNull();
    expect(roundAfterHold).toBe(1);
  });

  it('an answer saved before its round closed, delivered after, belongs to the round; one saved after is missed', async () => {
    const m = await h.startMatch({ months: 3 });
    await holdKickoff(h, m);
    const r1 = await nextRound(h, m);
    await m.answer(r1, 'host');
    // The talent answers while Temporal cannot be reached: the page has saved the answer, the signal failed.
    const saveOnly = async (round: number) =>
      h.database.db.checkinAnswer.create({
        data: {
          matchId: m.id,
          round,
          respondent: 'talent',
          answers: healthyAnswers(),
          submittedAt: new Date(await h.now()),
        },
      });
    await saveOnly(r1);
    await untilRoundCloses(h, m, r1);
    // Temporal is back: the relay delivers the saved answer after the round has closed.
    const deliveredLate = await deliverPendingAnswers(h.database.db, h.env.client);
    const afterFirst = await m.state();
    // The next round: the talent answers only after it has closed.
    const r2 = await nextRound(h, m);
    await m.answer(r2, 'host');
    await untilRoundCloses(h, m, r2);
    await saveOnly(r2);
    const deliveredAfterClose = await deliverPendingAnswers(h.database.db, h.env.client);
    const afterSecond = await m.state();
    // The timeline is written by the syncer after the change: wait for the last answer's event.
    const lastAnswerWritten = (events: Timeline) =>
      events.some((e) => e.type.startsWith('checkin.') && e.payload.round === r2 && e.payload.respondent === 'talent');
    const timeline = (await eventually(async () => {
      const events = await m.timeline();
      return lastAnswerWritten(events) ? events : undefined;
    }))!;
    await keep(h, m, 'answer-saved-before-close');

    expect(deliveredLate).toBeGreaterThanOrEqual(1);
    expect(deliveredAfterClose).toBeGreaterThanOrEqual(1);
    const late = timeline.filter((e) => e.type === 'checkin.late_answer').map((e) => e.payload.round);
    expect(late).toEqual([r2]);
    // What the risk model read of each round: who answered it.
    const answeredIn = (s: MatchState, round: number) =>
      s.risk!.history.flatMap((e) => (e.kind === 'round' && e.round === round ? Object.keys(e.answers).sort() : []));
    expect(afterFirst.checkins).toMatchObject({ answered: 2, asked: 2, missedInARow: { host: 0, talent: 0 } });
    expect(afterFirst.checkins.lastClosed?.answered).toEqual(['host', 'talent']);
    expect(answeredIn(afterFirst, r1)).toEqual(['host', 'talent']);
    expect(afterSecond.checkins).toMatchObject({ answered: 3, asked: 4, missedInARow: { host: 0, talent: 1 } });
    expect(answeredIn(afterSecond, r2)).toEqual(['host']);
    // One check-in missed by a side that answers is nothing to the risk model: no escalation.
    expect(afterSecond.escalations).toEqual([]);
  });
});
