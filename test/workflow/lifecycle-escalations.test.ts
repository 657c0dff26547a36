import { acknowledgeEscalationUpdate, snoozeEscalationUpdate } from '../../workflows/shared';
import { eventually } from '../support/eventually';
import { saveHistories } from '../support/histories';
import {
  CALENDAR_STARTS,
  inJstBusinessHours,
  sendingOpensAt,
  WORKING_DAY_MORNING,
  workingDaysBetween,
} from '../support/instants';
import { createHarness, DAY, HOUR, type Harness } from '../support/lifecycle';
import {
  advanceUntil,
  answerWhenAsked,
  historiesOf,
  holdKickoff,
  nextRound,
  templateOf,
  untilRoundCloses,
} from '../support/people';

/**
 * Matches started before the risk model (their playbook has no `riskModel`) keep the round-by-round rules of
 * workflows/risk.ts for life; the escalation ladder is the same for both.
 */
const ROUND_BY_ROUND = { riskModel: undefined };

describe('match lifecycle on the round-by-round rules: risk signals and the escalation ladder', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  // The SLA counts business days (no weekends, no public holidays): run from every kind of start.
  it.each(CALENDAR_STARTS)(
    'missed check-ins escalate to the coordinator, then up to the program manager after the SLA, and clear when answered (from $name)',
    async (start) => {
      await h.startAt(start);
      const m = await h.startMatch({ months: 6, playbook: ROUND_BY_ROUND });
      await holdKickoff(h, m);

      // Round 1: nobody answers. It closes after 7 days with a missed check-in for both sides.
      const r1 = await nextRound(h, m);
      await advanceUntil(
        h,
        'the check-in reminder',
        () => m.emails((e) => templateOf(e) === 'checkin-reminder').length === 2,
        { step: 6 * HOUR },
      );
      await untilRoundCloses(h, m, r1);
      let s = await m.state();
      expect(s.escalations).toEqual([
        expect.objectContaining({
          type: 'missed_checkin',
          severity: 'medium',
          status: 'open',
          level: 1,
          evidence: expect.objectContaining({ sides: ['host', 'talent'] }),
        }),
      ]);
      const escalation = s.escalations[0]!;
      await advanceUntil(
        h,
        'the escalation email',
        () => m.emails((e) => templateOf(e) === 'escalation').length === 1,
        {
          step: HOUR,
        },
      );
      const toCoordinator = m.emails((e) => templateOf(e) === 'escalation')[0]!;
      expect(toCoordinator.to).toBe(m.snapshot.coordinator.email);
      expect(toCoordinator.mail.text).toContain(escalation.id);
      expect(s.health).toMatchObject({ score: 80, signals: [expect.objectContaining({ type: 'missed_checkin' })] });

      // Nobody acknowledges: three business days later (at the same time of day) it goes up to the program manager,
      // in business hours.
      const [openedAt, dueAt] = [Date.parse(escalation.openedAt), Date.parse(escalation.dueAt)];
      expect(workingDaysBetween(openedAt, dueAt)).toBe(3);
      expect((dueAt - openedAt) % DAY).toBe(0);
      await h.advanceTo(dueAt - HOUR);
      expect(m.emails((e) => templateOf(e) === 'escalation-raised')).toHaveLength(0);
      await advanceUntil(h, 'the ladder', () => m.emails((e) => templateOf(e) === 'escalation-raised').length === 1, {
        step: HOUR,
        within: sendingOpensAt(dueAt) - dueAt + 2 * HOUR,
      });
      const raised = m.emails((e) => templateOf(e) === 'escalation-raised')[0]!;
      expect(raised.to).toBe(m.programManagerEmail);
      expect((await m.state()).escalations[0]).toMatchObject({ level: 2, status: 'open' });
      const raisedAt = (await m.timeline()).find(
        (e) => e.type === 'email.sent' && e.payload.to === m.programManagerEmail,
      )!.at;
      expect(inJstBusinessHours(raisedAt)).toBe(true);

      // Round 2 missed as well: two in a row is high severity, on the same escalation (one per type while open).
      const r2 = await nextRound(h, m);
      await untilRoundCloses(h, m, r2);
      s = await m.state();
      expect(s.escalations).toHaveLength(1);
      expect(s.escalations[0]).toMatchObject({
        severity: 'high',
        reasons: [expect.stringContaining('check-in 1'), expect.stringContaining('2 in a row')],
      });
      expect(m.emails((e) => templateOf(e) === 'escalation')).toHaveLength(1);

      // Round 3 answered by both: the condition cleared, so the escalation closes by itself.
      const r3 = await nextRound(h, m);
      await answerWhenAsked(h, m, r3, 'host');
      await answerWhenAsked(h, m, r3, 'talent');
      s = await m.state();
      expect(s.escalations[0]).toMatchObject({
        status: 'resolved',
        resolution: { by: 'auto', note: `check-in ${r3} no longer shows it` },
      });
      // The read model follows (written by the workflow's next sync).
      await eventually(async () => {
        const row = await h.database.db.escalation.findUniqueOrThrow({ where: { id: escalation.id } });
        expect(row).toMatchObject({ status: 'resolved', level: 2, resolvedBy: 'auto' });
        return true;
      });
    },
  );

  it('a priority gap escalates; a snooze holds the ladder; the next round that agrees closes it', async () => {
    await h.startAt(WORKING_DAY_MORNING);
    const m = await h.startMatch({ months: 6, playbook: ROUND_BY_ROUND });
    await holdKickoff(h, m);

    const r1 = await nextRound(h, m);
    await answerWhenAsked(h, m, r1, 'host', { scores: { priority: 5 } });
    await answerWhenAsked(h, m, r1, 'talent', { scores: { priority: 3 } });
    let s = await m.state();
    expect(s.escalations).toEqual([
      expect.objectContaining({
        type: 'priority_gap',
        severity: 'medium',
        evidence: expect.objectContaining({ host: 5, talent: 3, gap: 2 }),
      }),
    ]);
    const id = s.escalations[0]!.id;

    // Snoozed for 10 days: past the 3-business-day SLA nothing goes up to the program manager.
    const until = new Date((await h.now()) + 10 * DAY).toISOString();
    await m.act(snoozeEscalationUpdate, { escalationId: id, until, reason: '来週の定例で双方と話す' });
    await h.advance(6 * DAY);
    expect(m.emails((e) => templateOf(e) === 'escalation-raised')).toHaveLength(0);
    expect((await m.state()).escalations[0]).toMatchObject({
      status: 'snoozed',
      snoozeReason: '来週の定例で双方と話す',
    });

    // Round 2: they agree now; the snoozed escalation closes by itself.
    const r2 = await nextRound(h, m);
    // While round 2 is open, the read model still shows how round 1 was answered.
    await eventually(async () => {
      const row = await h.database.db.match.findUniqueOrThrow({ where: { id: m.id } });
      return row.checkinsCompleted === 1 && row.lastCheckinResponse === 'both';
    });
    await answerWhenAsked(h, m, r2, 'host', { scores: { priority: 4 } });
    await answerWhenAsked(h, m, r2, 'talent', { scores: { priority: 4 } });
    s = await m.state();
    expect(s.escalations[0]).toMatchObject({ status: 'resolved', resolution: { by: 'auto' } });
    expect(s.health.band).toBe('green');
    expect(s.health.trend).toBe('up');
  });

  it('a snooze that ends on an open condition reopens it; an acknowledged escalation does not climb the ladder', async () => {
    await h.startAt(WORKING_DAY_MORNING);
    const m = await h.startMatch({ months: 6, playbook: ROUND_BY_ROUND });
    await holdKickoff(h, m);
    const r1 = await nextRound(h, m);
    await answerWhenAsked(h, m, r1, 'host', { wantsCoordinator: true });
    await answerWhenAsked(h, m, r1, 'talent');
    const [escalation] = (await m.state()).escalations;
    expect(escalation).toMatchObject({ type: 'wants_coordinator', status: 'open' });

    await m.act(snoozeEscalationUpdate, {
      escalationId: escalation!.id,
      until: new Date((await h.now()) + 2 * DAY).toISOString(),
      reason: '出張中',
    });
    await advanceUntil(h, 'the snooze to end', async () => (await m.state()).escalations[0]!.status === 'open', {
      step: 6 * HOUR,
      within: 3 * DAY,
    });
    await advanceUntil(h, 'the reopened email', () => m.emails((e) => templateOf(e) === 'escalation').length === 2, {
      step: HOUR,
    });

    await m.act(acknowledgeEscalationUpdate, { escalationId: escalation!.id });
    await h.advance(7 * DAY);
    expect((await m.state()).escalations[0]).toMatchObject({ status: 'acknowledged', level: 1 });
    expect(m.emails((e) => templateOf(e) === 'escalation-raised')).toHaveLength(0);
  });

  it('silence clears nothing but a missed check-in: a gap stays open when only one side answers the next round', async () => {
    await h.startAt(WORKING_DAY_MORNING);
    const m = await h.startMatch({ months: 6, playbook: ROUND_BY_ROUND });
    await holdKickoff(h, m);
    const r1 = await nextRound(h, m);
    await answerWhenAsked(h, m, r1, 'host', { scores: { priority: 5 } });
    await answerWhenAsked(h, m, r1, 'talent', { scores: { priority: 3 } });
    expect((await m.state()).escalations.map((e) => e.type)).toEqual(['priority_gap']);

    const r2 = await nextRound(h, m);
    await answerWhenAsked(h, m, r2, 'host', { scores: { priority: 4 } });
    await untilRoundCloses(h, m, r2);
    const s = await m.state();
    expect(s.escalations.find((e) => e.type === 'priority_gap')?.status).not.toBe('resolved');
    // Kept for the replay test: this history has the `silence-clears-nothing` patch marker.
    saveHistories('silence-keeps-gap', await historiesOf(h, m.handle.workflowId, m.handle.firstExecutionRunId));
    expect(s.escalations.find((e) => e.type === 'missed_checkin')).toMatchObject({
      status: 'open',
      evidence: expect.objectContaining({ sides: ['talent'] }),
    });
  });
});
