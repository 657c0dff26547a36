import { EVENTS_PER_RUN, RUNS_END_BY_HISTORY_LENGTH } from '../../workflows/match';
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
  /** Moves time a minute at a time until the match runs in a run after its first; returns that run's state. */
  const newRun = (m: RunningMatch) =>
    advanceUntil(
      h,
      'the new run',
      async () => {
        const s = await m.state();
        return s.run >= 2 && s;
      },
      { step: 60_000, within: DAY },
    );
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it(`continues as new once a run's history reaches ${EVENTS_PER_RUN} events, losing nothing sent meanwhile`, async () => {
    await h.startAt(WORKING_DAY_MORNING);
    const m = await h.startMatch({ months: 6 });
    await holdKickoff(h, m); // the contract is verified on the way
    await m.act(addNoteUpdate, { text: '初回面談: 良好', sentiment: 4 });
    const before = await m.state();

    const ROUNDS = 4;
    for (let round = 1; round <= ROUNDS; round++) {
      expect(await nextRound(h, m)).toBe(round);
      // From round 2 on the talent's priority and expectations fall while the host's priority rises: escalated at
      // round 3, the escalation stays open across the runs that follow.
      await answerWhenAsked(h, m, round, 'host', round >= 2 ? { scores: { priority: 5 } } : {});
      // The talent's answer closes the round while a note arrives too, whichever run takes them.
      await Promise.all([
        answerWhenAsked(h, m, round, 'talent', round >= 2 ? { scores: TALENT_DRIFTS_AWAY } : {}),
        m.act(addNoteUpdate, { text: `メモ ${round}`, sentiment: 2 }),
      ]);
      if (round === 3) {
        const [gap] = (await m.state()).escalations;
        expect(gap).toMatchObject({ type: 'priority_gap' });
        await m.act(acknowledgeEscalationUpdate, { escalationId: gap!.id });
      }
    }
    const histories = await historiesOf(h, m.handle.workflowId, m.handle.firstExecutionRunId);
    saveHistories('continued-by-length', histories);

    const after = await m.state();
    expect(after.run).toBeGreaterThan(2);
    expect(histories).toHaveLength(after.run);
    // Each run ends at the first quiet moment past the limit: no run is much longer.
    for (const { history } of histories) expect(history.events!.length).toBeLessThan(2 * EVENTS_PER_RUN);
    expect(histories.flatMap(({ history }) => patchesIn(history))).toContain(RUNS_END_BY_HISTORY_LENGTH);
    expect(durable(after)).toEqual({
      ...durable(before),
      phase: 'active',
      // Tasks may open on the way; every one there before is still there.
      tasks: expect.arrayContaining(before.tasks.map((t) => expect.objectContaining({ id: t.id }))),
      escalations: [expect.objectContaining({ type: 'priority_gap', status: 'acknowledged' })],
      checkins: expect.objectContaining({ completedRounds: ROUNDS, asked: ROUNDS * 2, answered: ROUNDS * 2 }),
      signals: expect.anything(),
      sentiment: 2,
    });
    // The risk model's history carries over whole: each run judges on everything the match has seen.
    expect(after.risk!.history.slice(0, before.risk!.history.length)).toEqual(before.risk!.history);
    expect(after.risk!.history.filter((e) => e.kind === 'round')).toHaveLength(ROUNDS);
    // Every note reaches the timeline once, in order, and each new run is on it once.
    const notes = ['初回面談: 良好', ...Array.from({ length: ROUNDS }, (_, i) => `メモ ${i + 1}`)];
    const timeline = (await eventually(async () => {
      const events = await m.timeline();
      return events.filter((e) => e.type === 'note.added').length === notes.length ? events : undefined;
    }))!;
    expect(timeline.filter((e) => e.type === 'note.added').map((e) => e.payload.text)).toEqual(notes);
    expect(timeline.filter((e) => e.type === 'workflow.continued')).toHaveLength(after.run - 1);

    // The next round still opens on schedule, and no email went out twice.
    expect(await nextRound(h, m)).toBe(ROUNDS + 1);
    expect(m.emails((e) => templateOf(e) === 'checkin-request').length).toBe((ROUNDS + 1) * 2);
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
    expect(Math.max(...lengths)).toBeLessThan(2 * EVENTS_PER_RUN);
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

    // Check-ins start a week after the deadline; a round or two later the workflow continues as new.
    for (let round = 1; (await m.state()).run === 1; round++) {
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
