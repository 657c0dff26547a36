import {
  proposeKickoffSlotsUpdate,
  recordKickoffUpdate,
  respondKickoffUpdate,
  setContractStatusUpdate,
} from '../../workflows/shared';
import { saveHistories } from '../support/histories';
import { CALENDAR_STARTS, inJstBusinessHours, jstSlot } from '../support/instants';
import { createHarness, DAY, HOUR, type Harness } from '../support/lifecycle';
import { advanceUntil, completeOpenTasks, historiesOf, liveWellUntilClosed, templateOf } from '../support/people';

/**
 * A six-month match that goes well, from the match to `completed`, on the time-skipping server with the real
 * activities (Postgres, SMTP). Host and talent answer every check-in, the coordinator does every task once reminded.
 * Which days its emails wait over depends on when it starts, so it runs from every kind of start.
 */
describe('match lifecycle: a six-month match that goes well', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each(CALENDAR_STARTS)(
    'runs kickoff, contracts, fortnightly check-ins, tasks and close-out, every email in JST business hours (from $name)',
    async (start) => {
      await h.startAt(start);
      const m = await h.startMatch({ months: 6 });
      const { host, talent, coordinator } = m.snapshot;

      // Day 1: the signed contract is in and verified; the coordinator proposes two kickoff slots; both pick the
      // second; everyone gets an invite.
      await h.advance(1 * DAY);
      await m.act(setContractStatusUpdate, { type: 'outsourcing_contract', status: 'submitted' });
      await m.act(setContractStatusUpdate, { type: 'outsourcing_contract', status: 'verified' });
      const slots = [jstSlot(await h.now(), 4, 10), jstSlot(await h.now(), 5, 14)].map((startsAt) => ({
        startsAt,
        durationMinutes: 60,
      }));
      await m.act(proposeKickoffSlotsUpdate, { slots, location: 'https://meet.example.jp/kickoff' });
      // Proposing the slots was the preparation: the coordinator marks it done once its reminder is in, not after the
      // proposals go out (before a long holiday they wait days for sending hours, and the task would fall due).
      await advanceUntil(
        h,
        'the kickoff prep reminder',
        () => m.emails((e) => e.to === coordinator.email && templateOf(e) === 'task-reminder').length > 0,
      );
      expect(await completeOpenTasks(m)).toEqual(['kickoff_prep']);
      await advanceUntil(
        h,
        'kickoff proposals',
        () => m.emails((e) => templateOf(e) === 'kickoff-proposal').length === 2,
      );
      await m.act(respondKickoffUpdate, { respondent: 'host', choice: 1 });
      await m.act(respondKickoffUpdate, { respondent: 'talent', choice: 1 });
      expect((await m.state()).kickoff).toMatchObject({
        status: 'scheduled',
        scheduled: { startsAt: slots[1]!.startsAt, sequence: 1 },
      });

      // The day before, a reminder; after the meeting, the coordinator records it held.
      await h.advanceTo(Date.parse(slots[1]!.startsAt) + 2 * HOUR);
      expect(
        m
          .emails((e) => templateOf(e) === 'kickoff-reminder')
          .map((e) => e.to)
          .sort(),
      ).toEqual([coordinator.email, host.email, talent.email].sort());
      await m.act(recordKickoffUpdate, { held: true });
      expect((await m.state()).phase).toBe('active');

      // Check-ins every 14 days; both answer; the coordinator does each task as it comes and records the outcome.
      const round = await liveWellUntilClosed(h, m);
      const result = await m.result();

      expect(result.outcome.status).toBe('completed');
      expect(result.completedRounds).toBe(round);
      expect(round).toBeGreaterThanOrEqual(11); // ~6 months of fortnightly rounds plus the final one
      expect(result.responseRate).toBe(1);
      expect(result.runs).toBeGreaterThanOrEqual(3); // continued as new every few rounds

      // Every email went out in JST business hours, on a working day.
      const timeline = await m.timeline();
      const sent = timeline.filter((e) => e.type === 'email.sent');
      expect(sent.length).toBe(m.emails().length);
      for (const e of sent)
        expect({ at: e.at.toISOString(), ok: inJstBusinessHours(e.at) }).toEqual({ at: e.at.toISOString(), ok: true });

      // Each person got exactly the emails of a good match, in order.
      const templatesTo = (email: string) => m.emails((e) => e.to === email).map(templateOf);
      const checkins = Array.from({ length: round - 1 }, () => 'checkin-request');
      for (const side of [host, talent]) {
        expect(templatesTo(side.email)).toEqual([
          'match-opened',
          'kickoff-proposal',
          'kickoff-confirmed',
          'kickoff-reminder',
          ...checkins,
          'closeout-survey',
        ]);
      }
      expect(templatesTo(coordinator.email)).toEqual([
        'match-opened',
        'task-reminder', // kickoff prep, at the match
        'kickoff-confirmed',
        'kickoff-reminder',
        'task-reminder', // mid-point review
        'task-reminder', // wrap-up interview
        'task-reminder', // record the outcome
        'task-reminder', // retrospective
      ]);
      expect(m.emails((e) => e.to === m.programManagerEmail)).toEqual([]);

      // Tasks opened at their playbook points: mid-point at half the term, wrap-up 14 days before the end.
      const final = await m.state();
      const startAt = Date.parse(final.startAt);
      const endAt = Date.parse(final.endAt);
      const opened = (key: string) =>
        timeline.find((e) => e.type === 'task.opened' && e.payload.key === key)!.at.getTime();
      expect(Math.abs(opened('midpoint_review') - (startAt + (endAt - startAt) / 2))).toBeLessThan(DAY);
      expect(Math.abs(opened('wrap_up_interview') - (endAt - 14 * DAY))).toBeLessThan(DAY);
      expect(final.tasks.every((t) => t.status === 'done')).toBe(true);

      // Rounds opened 14 days apart, the first 7 days after the kickoff.
      const opens = timeline
        .filter((e) => e.type === 'checkin.opened' && e.payload.kind === 'regular')
        .map((e) => e.at.getTime());
      const heldAt = timeline.find((e) => e.type === 'kickoff.held')!.at.getTime();
      expect(Math.abs(opens[0]! - (heldAt + 7 * DAY))).toBeLessThan(HOUR);
      for (let i = 1; i < opens.length; i++) expect(Math.abs(opens[i]! - opens[i - 1]! - 14 * DAY)).toBeLessThan(HOUR);

      // No escalation, health green, phases in order, and the read model agrees.
      expect(final.escalations).toEqual([]);
      expect(final.health).toMatchObject({ band: 'green', score: 100 });
      expect(timeline.filter((e) => e.type === 'match.phase').map((e) => e.payload.to)).toEqual([
        'active',
        'wrap_up',
        'closed',
      ]);
      const row = await h.database.db.match.findUniqueOrThrow({ where: { id: m.id } });
      expect(row).toMatchObject({
        status: 'completed',
        phase: 'closed',
        healthBand: 'green',
        checkinsCompleted: round,
        openEscalations: 0,
      });
      expect(row.checkinsAnswered).toBe(row.checkinsAsked);

      // Histories stay short: every run far below Temporal's limits. Kept for the replay test (see test/histories/).
      const histories = await historiesOf(h, m.handle.workflowId, m.handle.firstExecutionRunId);
      saveHistories('six-month-completed', histories);
      for (const { history } of histories) expect(history.events!.length).toBeLessThan(2000);
    },
  );
});
