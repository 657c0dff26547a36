import { ROUNDS_PER_RUN } from '../../workflows/match';
import { TRACING_PATCH } from '../../workflows/tracing';
import {
  acknowledgeEscalationUpdate,
  addNoteUpdate,
  resolveEscalationUpdate,
  setContractStatusUpdate,
  type MatchState,
} from '../../workflows/shared';
import { patchesIn, saveHistories } from '../support/histories';
import { WORKING_DAY_MORNING } from '../support/instants';
import { eventually } from '../support/eventually';
import { createHarness, DAY, HOUR, type Harness, type RunningMatch } from '../support/lifecycle';
import {
  advanceUntil,
  answerWhenAsked,
  historiesOf,
  holdKickoff,
  liveWellUntilClosed,
  nextRound,
  templateOf,
} from '../support/people';

/** What must survive a continue-as-new unchanged (the run counter and the history naturally do not). */
const durable = (s: MatchState) => ({
  phase: s.phase,
  kickoff: s.kickoff,
  contracts: s.contracts,
  tasks: s.tasks,
  // The closing round adds its evidence to the open escalation; everything else about it must carry over.
  escalations: s.escalations.map(({ evidence: _evidence, reasons: _reasons, ...rest }) => rest),
  signals: s.signals,
  checkins: { ...s.checkins, current: s.checkins.current?.round },
  sentiment: s.sentiment,
  endAt: s.endAt,
});

const TALENT_DRIFTS_AWAY = { priority: 1, expectation: 1 };

/** Each scenario starts on a working-day morning; what it checks does not depend on the calendar after that. */
describe('continue-as-new', () => {
  let h: Harness;
  /** Moves time a minute at a time until the match runs in its second run; returns that run's state. */
  const newRun = (m: RunningMatch) =>
    advanceUntil(
      h,
      'the new run',
      async () => {
        const s = await m.state();
        return s.run === 2 && s;
      },
      { step: 60_000, within: DAY },
    );
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it(`continues as new after ${ROUNDS_PER_RUN} rounds without losing state or a message sent at that moment`, async () => {
    await h.startAt(WORKING_DAY_MORNING);
    const m = await h.startMatch({ months: 6 });
    await holdKickoff(h, m); // the contract is verified on the way
    await m.act(addNoteUpdate, { text: '初回面談: 良好', sentiment: 4 });

    for (let round = 1; round < ROUNDS_PER_RUN; round++) {
      await nextRound(h, m);
      // From round 2 on the talent's priority and expectations fall while the host's priority rises: escalated at
      // round 3, the escalation stays open across the new run.
      await answerWhenAsked(h, m, round, 'host', round >= 2 ? { scores: { priority: 5 } } : {});
      await answerWhenAsked(h, m, round, 'talent', round >= 2 ? { scores: TALENT_DRIFTS_AWAY } : {});
    }
    const [gap] = (await m.state()).escalations;
    expect(gap).toMatchObject({ type: 'priority_gap' });
    await m.act(acknowledgeEscalationUpdate, { escalationId: gap!.id });

    // The last round of this run: the talent's answer closes it (and with it the run) while a note arrives too.
    const last = await nextRound(h, m);
    await answerWhenAsked(h, m, last, 'host', { scores: { priority: 5 } });
    const before = await m.state();
    expect(before.run).toBe(1);
    await Promise.all([
      answerWhenAsked(h, m, last, 'talent', { scores: TALENT_DRIFTS_AWAY }),
      m.act(addNoteUpdate, { text: '同時に届いたメモ', sentiment: 2 }),
    ]);

    const after = await newRun(m);
    expect(durable(after)).toEqual({
      ...durable(before),
      checkins: expect.objectContaining({
        completedRounds: ROUNDS_PER_RUN,
        asked: ROUNDS_PER_RUN * 2,
        answered: ROUNDS_PER_RUN * 2,
      }),
      signals: expect.anything(),
      sentiment: 2, // the note that arrived with the closing answer was not lost
    });
    expect(after.escalations).toEqual([expect.objectContaining({ id: gap!.id, status: 'acknowledged' })]);
    // The risk model's history carries over whole: the new run judges on everything the match has seen.
    expect(after.risk!.history.slice(0, before.risk!.history.length)).toEqual(before.risk!.history);
    expect(after.risk!.history.filter((e) => e.kind === 'round')).toHaveLength(ROUNDS_PER_RUN);
    // The new run writes what the old one carried to the read model (its syncer, a moment after it starts).
    const timeline = (await eventually(async () => {
      const events = await m.timeline();
      return events.some((e) => e.type === 'workflow.continued') ? events : undefined;
    }))!;
    expect(timeline.filter((e) => e.type === 'note.added').map((e) => e.payload.text)).toEqual([
      '初回面談: 良好',
      '同時に届いたメモ',
    ]);
    expect(timeline.filter((e) => e.type === 'workflow.continued')).toHaveLength(1);

    // The next round still opens on schedule in the new run, and the match reaches its end.
    const r5 = await nextRound(h, m);
    expect(r5).toBe(ROUNDS_PER_RUN + 1);
    expect(m.emails((e) => templateOf(e) === 'checkin-request').length).toBe(r5 * 2);
  });

  it('keeps a twelve-month match far below the history limits', async () => {
    await h.startAt(WORKING_DAY_MORNING);
    const m = await h.startMatch({ months: 12 });
    await holdKickoff(h, m);
    const rounds = await liveWellUntilClosed(h, m);
    const result = await m.result();
    expect(result.outcome.status).toBe('completed');
    expect(rounds).toBeGreaterThanOrEqual(24);

    const histories = await historiesOf(h, m.handle.workflowId, m.handle.firstExecutionRunId);
    saveHistories('twelve-month-completed', histories);
    const lengths = histories.map(({ history }) => history.events!.length);
    expect(histories.length).toBe(result.runs);
    expect(Math.max(...lengths)).toBeLessThan(2000);
    expect(lengths.slice(0, -1).every((n) => n > 0)).toBe(true);
    // The tests' worker runs with tracing off: none of its runs is traced, so none records the tracing patch.
    expect(histories.flatMap(({ history }) => patchesIn(history))).not.toContain(TRACING_PATCH);
    expect(histories.flatMap(({ history }) => patchesIn(history))).toContain('mail-retries-in-sending-hours');
  });

  it('a milestone escalation resolved by hand stays resolved in the next run (nothing fires twice)', async () => {
    await h.startAt(WORKING_DAY_MORNING);
    const m = await h.startMatch({ months: 6 });
    await m.act(setContractStatusUpdate, { type: 'outsourcing_contract', status: 'verified' });
    // The kickoff is never held: at its deadline it escalates; the coordinator resolves it by hand.
    await h.advanceTo(Date.parse((await m.state()).kickoff.deadlineAt) + HOUR);
    const [escalation] = (await m.state()).escalations;
    expect(escalation).toMatchObject({ type: 'kickoff_not_held', status: 'open' });
    await m.act(resolveEscalationUpdate, { escalationId: escalation!.id, note: '日程調整中。来週実施予定' });

    // Check-ins start a week after the deadline; four rounds later the workflow continues as new.
    for (let round = 1; round <= ROUNDS_PER_RUN; round++) {
      await nextRound(h, m);
      await answerWhenAsked(h, m, round, 'host');
      await answerWhenAsked(h, m, round, 'talent');
    }
    const after = await newRun(m);
    await h.advance(DAY);
    expect(after.escalations.filter((e) => e.type === 'kickoff_not_held')).toEqual([
      expect.objectContaining({
        id: escalation!.id,
        status: 'resolved',
        resolution: { by: 'coordinator', note: '日程調整中。来週実施予定' },
      }),
    ]);
    expect((await m.state()).escalations).toHaveLength(1);
    expect(m.emails((e) => templateOf(e) === 'escalation')).toHaveLength(1);
  });
});
