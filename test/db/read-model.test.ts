import { createReadModelActivities, EVENT_SKIPPED } from '../../activities/read-model';
import type { ActivityDeps } from '../../activities/deps';
import { DEFAULT_PLAYBOOK } from '../../workflows/playbook';
import { readModelOf } from '../../workflows/read-model';
import { initialState, nextStep } from '../../workflows/schedule';
import type { MatchSnapshot, PendingEvent } from '../../workflows/shared';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { matchRequest, seedMatch, seedProgram, unique } from '../support/fixtures';

/**
 * The read-model sync against real Postgres: whatever a running workflow carries (a note with NUL from before input
 * was checked, an event the database refuses), the match's read model keeps up and the timeline shows what was
 * skipped.
 */
describe('read-model sync cannot be wedged by one event', () => {
  let database: TestDatabase;
  let sync: ReturnType<typeof createReadModelActivities>['syncMatch'];
  beforeAll(async () => {
    database = await createTestDatabase();
    sync = createReadModelActivities({ db: database.db } as ActivityDeps).syncMatch;
  });
  afterAll(async () => {
    await database?.drop();
  });

  async function pausedMatch(): Promise<{ match: MatchSnapshot; model: ReturnType<typeof readModelOf> }> {
    const program = await seedProgram(database.db);
    const match = await seedMatch(database.db, matchRequest(program.id));
    const state = initialState(match, { ...DEFAULT_PLAYBOOK, version: 0 }, Date.parse('2026-12-01T00:00:00Z'));
    state.status = 'paused';
    state.paused = { since: '2026-12-02T00:00:00.000Z', reason: '繁忙期' };
    return { match, model: readModelOf(state, nextStep(state)) };
  }
  const timeline = (matchId: string) =>
    database.db.matchEvent.findMany({
      where: { matchId },
      orderBy: { key: 'asc' },
      select: { type: true, payload: true },
    });

  it('a NUL (or an unpaired surrogate) in a note is stored as U+FFFD, and the read model is written', async () => {
    const { match, model } = await pausedMatch();
    const events: PendingEvent[] = [
      {
        key: `match:${match.id}/e1`,
        type: 'note.added',
        payload: { text: 'メモ\u0000です\ud800' },
        at: '2026-12-02T00:00:00Z',
      },
      {
        key: `match:${match.id}/e2`,
        type: 'match.paused',
        payload: { 'reason\u0000': '繁忙期' },
        at: '2026-12-02T00:00:01Z',
      },
    ];
    await sync({ matchId: match.id, events, model });
    expect(await timeline(match.id)).toEqual([
      { type: 'note.added', payload: { text: 'メモ\ufffdです\ufffd' } },
      { type: 'match.paused', payload: { 'reason\ufffd': '繁忙期' } },
    ]);
    const row = await database.db.match.findUniqueOrThrow({ where: { id: match.id }, select: { paused: true } });
    expect(row.paused).toBe(true);
  });

  it('an event the database refuses is skipped and recorded on the timeline; the rest and the model are written', async () => {
    const { match, model } = await pausedMatch();
    const events: PendingEvent[] = [
      { key: `match:${match.id}/e1`, type: 'note.added', payload: { text: 'ok' }, at: '2026-12-02T00:00:00Z' },
      { key: `match:${match.id}/e2`, type: 'broken.event', payload: {}, at: 'not a time' },
      { key: `match:${match.id}/e3`, type: 'match.paused', payload: {}, at: '2026-12-02T00:00:01Z' },
    ];
    await sync({ matchId: match.id, events, model });
    // A retry of the same batch (the activity's own) writes nothing twice.
    await sync({ matchId: match.id, events, model });
    const written = await timeline(match.id);
    expect(written.map((e) => e.type)).toEqual(['note.added', EVENT_SKIPPED, 'match.paused']);
    expect(written[1]!.payload).toMatchObject({ key: `match:${match.id}/e2`, type: 'broken.event' });
    const row = await database.db.match.findUniqueOrThrow({ where: { id: match.id }, select: { paused: true } });
    expect(row.paused).toBe(true);
  });

  it('keeps the health as a sample each time it changes (at the workflow’s time), once however often it is synced', async () => {
    const { match, model } = await pausedMatch();
    const samples = () =>
      database.db.healthSample.findMany({
        where: { matchId: match.id },
        orderBy: { id: 'asc' },
        select: { at: true, score: true, band: true },
      });
    const amber = { ...model, health: { ...model.health, score: 55, band: 'amber' as const } };
    const event = (n: number, at: string): PendingEvent => ({
      key: `match:${match.id}/h${n}`,
      type: 'checkin.closed',
      payload: {},
      at,
    });
    await sync({ matchId: match.id, events: [event(1, '2026-12-08T00:00:00Z')], model: amber });
    await sync({ matchId: match.id, events: [event(1, '2026-12-08T00:00:00Z')], model: amber }); // a retry
    await sync({ matchId: match.id, events: [event(2, '2026-12-09T00:00:00Z')], model: amber }); // no change
    const red = { ...model, health: { ...model.health, score: 30, band: 'red' as const } };
    await sync({ matchId: match.id, events: [event(3, '2026-12-15T00:00:00Z')], model: red });
    expect(await samples()).toEqual([
      { at: new Date('2026-12-08T00:00:00Z'), score: 55, band: 'amber' },
      { at: new Date('2026-12-15T00:00:00Z'), score: 30, band: 'red' },
    ]);
  });
  it("makes a handed-over coordinator's person once: with the workflow's id, another if it is taken, or the address's", async () => {
    const { match, model } = await pausedMatch();
    const coordinatorOf = async () =>
      (await database.db.match.findUniqueOrThrow({ where: { id: match.id }, select: { coordinatorId: true } }))
        .coordinatorId;
    const people = (email: string) =>
      database.db.person.findMany({ where: { programId: match.programId, email }, select: { id: true, role: true } });
    const handOver = (personId: string, email: string) =>
      sync({
        matchId: match.id,
        events: [],
        model: { ...model, coordinator: { ...model.coordinator, personId, email, name: '新担当', locale: 'en' } },
      });

    // A new person, with the id the workflow was given; synced again, still that one.
    const fresh = unique('person');
    await handOver(fresh, `${fresh}@example.org`);
    await handOver(fresh, `${fresh}@example.org`);
    expect(await coordinatorOf()).toBe(fresh);
    expect(await people(`${fresh}@example.org`)).toEqual([{ id: fresh, role: 'coordinator' }]);

    // The id is another program's person's: a person of this program with another id.
    const other = await seedProgram(database.db);
    const taken = unique('person');
    await database.db.person.create({
      data: { id: taken, programId: other.id, email: `${taken}@example.org`, name: '他', role: 'coordinator' },
    });
    await handOver(taken, `${taken}@example.org`);
    const [made] = await people(`${taken}@example.org`);
    expect(made!.id).not.toBe(taken);
    expect(await coordinatorOf()).toBe(made!.id);

    // The program has a person with that address already: that person, whatever id the workflow was given.
    await handOver(unique('person'), `${fresh}@example.org`);
    expect(await coordinatorOf()).toBe(fresh);
    expect(await people(`${fresh}@example.org`)).toHaveLength(1);
  });

  it("writes the match's row as the read model has it", async () => {
    const { match, model } = await pausedMatch();
    const risk = { level: 'high' as const, causes: [{ cause: 'silence' }, { cause: 'satisfaction' }] };
    const written = {
      ...model,
      phase: 'active',
      health: { score: 42, band: 'amber' as const, trend: 'down' as const, signals: [{ s: 1 }] },
      risk,
      kickoff: { ...model.kickoff, status: 'held', proposal: 2, slots: [{ startsAt: '2026-12-03T01:00:00.000Z' }] },
      nextStep: { at: '2026-12-20T03:04:05.678Z', what: 'checkin' },
      deliveryProblems: [{ to: 'x@example.org' }],
    } as unknown as typeof model;
    const before = Date.now();
    await sync({ matchId: match.id, events: [], model: written });
    const row = await database.db.match.findUniqueOrThrow({ where: { id: match.id } });
    expect(row).toMatchObject({
      phase: 'active',
      paused: true,
      endDate: new Date(`${model.endDate}T00:00:00Z`),
      healthScore: 42,
      healthBand: 'amber',
      healthTrend: 'down',
      signals: [{ s: 1 }],
      riskLevel: 'high',
      riskCauses: ['silence', 'satisfaction'],
      risk,
      kickoffStatus: 'held',
      kickoffProposal: 2,
      kickoffSlots: [{ startsAt: '2026-12-03T01:00:00.000Z' }],
      nextStepAt: new Date('2026-12-20T03:04:05.678Z'),
      nextStep: 'checkin',
      closedAt: null,
      deliveryProblems: [{ to: 'x@example.org' }],
    });
    expect(row.updatedAt.getTime()).toBeGreaterThanOrEqual(before - 1_000);

    await sync({ matchId: match.id, events: [], model: { ...written, risk: null } });
    expect(await database.db.match.findUniqueOrThrow({ where: { id: match.id } })).toMatchObject({
      riskLevel: null,
      riskCauses: [],
      risk: null,
    });
  });

  it('writes the rounds, escalations, tasks and contracts as the model has them, and only what changed on a later sync', async () => {
    const { match, model } = await pausedMatch();
    expect(model.tasks.length).toBeGreaterThan(1);
    expect(model.contracts.length).toBeGreaterThan(0);
    const round = {
      round: 1,
      kind: 'regular' as const,
      status: 'open' as const,
      openedAt: '2026-12-07T00:00:00.000Z',
      closeAt: '2026-12-10T00:00:00.000Z',
      expiresAt: '2026-12-13T00:00:00.000Z',
      answered: ['host' as const],
    };
    const escalation = (id: string, extra: object = {}) => ({
      id,
      type: 'satisfaction' as const,
      severity: 'high' as const,
      reasons: ['満足度が低い'],
      evidence: { round: 1, scores: [2, null] },
      status: 'open' as const,
      level: 1 as const,
      openedAt: '2026-12-10T00:00:00.000Z',
      dueAt: '2026-12-11T00:00:00.000Z',
      snoozes: 0,
      ...extra,
    });
    const first = {
      ...model,
      checkins: { ...model.checkins, current: round },
      escalations: [escalation(`${match.id}-esc-1`, { reason: { ja: '低い', en: 'Low' } })],
    };
    await sync({ matchId: match.id, events: [], model: first });
    const rows = async () => ({
      rounds: await database.db.checkinRound.findMany({ where: { matchId: match.id }, omit: { matchId: true } }),
      escalations: await database.db.escalation.findMany({
        where: { matchId: match.id },
        orderBy: { id: 'asc' },
        omit: { matchId: true },
      }),
      tasks: await database.db.coordinatorTask.findMany({
        where: { matchId: match.id },
        orderBy: { id: 'asc' },
        omit: { matchId: true },
      }),
      contracts: await database.db.contractDocument.findMany({
        where: { matchId: match.id },
        orderBy: { type: 'asc' },
        omit: { matchId: true },
      }),
    });
    const before = await rows();
    const task = (t: (typeof model.tasks)[number]) => ({
      id: t.id,
      key: t.key,
      label: t.label,
      status: t.status,
      openAt: new Date(t.openAt),
      dueAt: new Date(t.dueAt),
      doneAt: t.doneAt ? new Date(t.doneAt) : null,
      note: t.note ?? null,
    });
    expect(before).toEqual({
      rounds: [
        {
          ...round,
          openedAt: new Date(round.openedAt),
          closeAt: new Date(round.closeAt),
          expiresAt: new Date(round.expiresAt),
        },
      ],
      escalations: [
        {
          id: `${match.id}-esc-1`,
          type: 'satisfaction',
          severity: 'high',
          status: 'open',
          level: 1,
          reasons: ['満足度が低い'],
          reason: { ja: '低い', en: 'Low' },
          evidence: { round: 1, scores: [2, null] },
          openedAt: new Date('2026-12-10T00:00:00Z'),
          dueAt: new Date('2026-12-11T00:00:00Z'),
          acknowledgedAt: null,
          snoozedUntil: null,
          snoozeReason: null,
          resolvedAt: null,
          resolvedBy: null,
          resolution: null,
          updatedAt: expect.any(Date),
        },
      ],
      tasks: model.tasks.map(task).sort((a, b) => (a.id < b.id ? -1 : 1)),
      contracts: model.contracts
        .map((c) => ({
          type: c.type,
          label: c.label,
          required: c.required,
          status: c.status,
          dueAt: c.dueAt ? new Date(c.dueAt) : null,
          reason: c.reason ?? null,
          updatedAt: new Date(c.updatedAt),
        }))
        .sort((a, b) => (a.type < b.type ? -1 : 1)),
    });

    // One task done, one escalation more, the round closed: those rows change, the others stay as they were.
    const [done, ...rest] = model.tasks;
    const doneTask = { ...done!, status: 'done' as const, doneAt: '2026-12-12T03:04:05.678Z', note: '済み' };
    const second = {
      ...first,
      checkins: { ...first.checkins, current: { ...round, status: 'closed' as const, answered: [] } },
      tasks: [doneTask, ...rest],
      escalations: [
        ...first.escalations,
        escalation(`${match.id}-esc-2`, {
          status: 'resolved',
          resolvedAt: '2026-12-12T00:00:00.000Z',
          resolution: { by: 'auto', note: '回復' },
        }),
      ],
    };
    await sync({ matchId: match.id, events: [], model: second });
    const after = await rows();
    expect(after.rounds).toEqual([{ ...before.rounds[0], status: 'closed', answered: [] }]);
    expect(after.tasks).toEqual(second.tasks.map(task).sort((a, b) => (a.id < b.id ? -1 : 1)));
    expect(after.contracts).toEqual(before.contracts);
    expect(after.escalations[0]).toEqual(before.escalations[0]); // unchanged, not rewritten (same updatedAt)
    expect(after.escalations[1]).toMatchObject({
      id: `${match.id}-esc-2`,
      status: 'resolved',
      reason: null,
      resolvedAt: new Date('2026-12-12T00:00:00Z'),
      resolvedBy: 'auto',
      resolution: '回復',
    });
  });
});
