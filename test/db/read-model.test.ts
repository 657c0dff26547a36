import { createReadModelActivities, EVENT_SKIPPED } from '../../activities/read-model';
import type { ActivityDeps } from '../../activities/deps';
import { DEFAULT_PLAYBOOK } from '../../workflows/playbook';
import { readModelOf } from '../../workflows/read-model';
import { initialState, nextStep } from '../../workflows/schedule';
import type { MatchSnapshot, PendingEvent } from '../../workflows/shared';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { matchRequest, seedMatch, seedProgram } from '../support/fixtures';

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
});
