import { createReadModelActivities } from '../../activities/read-model';
import type { ActivityDeps } from '../../activities/deps';
import { toTimelineEvent } from '../../api/services/match-detail';
import { detailRows, summaryRows, summarySelect } from '../../api/services/match-reads';
import { DEFAULT_PLAYBOOK } from '../../workflows/playbook';
import { readModelOf } from '../../workflows/read-model';
import { initialState, nextStep } from '../../workflows/schedule';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { escalationRow, matchRequest, seedMatch, seedProgram } from '../support/fixtures';

/**
 * The API's hot reads in plain SQL (`api/services/match-reads.ts`) give what Prisma gives for the same rows: every
 * column, dates and timestamps in UTC whatever the process's time zone, bigint ids, JSON, nulls, the order.
 */
describe('match reads in SQL match Prisma', () => {
  let database: TestDatabase;
  const zone = process.env.TZ;
  beforeAll(async () => {
    // pg's own parsers would read Prisma's zone-less timestamps in this zone, nine hours off.
    process.env.TZ = 'Asia/Tokyo';
    database = await createTestDatabase();
  });
  afterAll(async () => {
    process.env.TZ = zone;
    await database?.drop();
  });

  it('a match with its read model, contracts, tasks, escalations, rounds, answers and timeline, in one statement', async () => {
    const { db } = database;
    const program = await seedProgram(db);
    const match = await seedMatch(db, matchRequest(program.id));
    const state = initialState(match, { ...DEFAULT_PLAYBOOK, version: 0 }, Date.parse('2026-12-01T00:00:00Z'));
    await createReadModelActivities({ db } as ActivityDeps).syncMatch({
      matchId: match.id,
      events: [1, 2, 3].map((n) => ({
        key: `match:${match.id}/e${n}`,
        type: 'note.added',
        payload: { text: `メモ ${n}`, nested: { n } },
        at: `2026-12-0${n}T01:02:03.456Z`,
      })),
      model: readModelOf(state, nextStep(state)),
    });
    await db.escalation.createMany({
      data: [
        escalationRow(match.id, { reason: { ja: '理由', en: 'why' }, snoozedUntil: new Date('2026-12-03T00:00:00Z') }),
        escalationRow(match.id, { openedAt: new Date('2026-12-02T00:00:00Z') }),
      ],
    });
    const at = new Date('2026-12-05T10:00:00.123Z');
    await db.checkinRound.create({
      data: { matchId: match.id, round: 1, kind: 'regular', status: 'open', openedAt: at, closeAt: at, expiresAt: at },
    });
    await db.checkinAnswer.create({
      data: { matchId: match.id, round: 1, respondent: 'host', answers: { satisfaction: 4 }, submittedAt: at },
    });

    const [row] = await summaryRows(db, [match.id, 'no-such-match']);
    const { program: _program, ...viaPrisma } = await db.match.findUniqueOrThrow({
      where: { id: match.id },
      select: summarySelect,
    });
    expect(row).toEqual(viaPrisma);
    expect(row!.startDate.toISOString()).toBe(`${match.startDate}T00:00:00.000Z`);

    const where = { matchId: match.id };
    const { timeline, ...detail } = (await detailRows(db, match.id, 2))!;
    expect(detail).toEqual({
      summary: viaPrisma,
      contracts: await db.contractDocument.findMany({ where, orderBy: { type: 'asc' } }),
      tasks: await db.coordinatorTask.findMany({ where, orderBy: [{ openAt: 'asc' }, { id: 'asc' }] }),
      escalations: await db.escalation.findMany({ where, orderBy: { openedAt: 'asc' } }),
      timelineTruncated: true,
      rounds: await db.checkinRound.findMany({ where, orderBy: { round: 'asc' } }),
      answers: await db.checkinAnswer.findMany({
        where,
        select: { round: true, respondent: true, answers: true, submittedAt: true, signalledAt: true },
      }),
    });
    // The latest events as the API shows them (Prisma's rows through its mapping), oldest first, written by Postgres.
    const latest = await db.matchEvent.findMany({
      where,
      orderBy: [{ occurredAt: 'desc' }, { id: 'desc' }],
      take: 2,
      select: { id: true, type: true, payload: true, occurredAt: true },
    });
    expect(JSON.parse(timeline)).toEqual(latest.reverse().map(toTimelineEvent));
    expect((JSON.parse(timeline) as { at: string }[]).map((e) => e.at)).toEqual([
      '2026-12-02T01:02:03.456Z',
      '2026-12-03T01:02:03.456Z',
    ]);
    expect(detail.contracts.length).toBeGreaterThan(0);
    expect(detail.tasks.length).toBeGreaterThan(0);
    // Without a limit, the whole timeline, and nothing older.
    const whole = (await detailRows(db, match.id))!;
    expect((JSON.parse(whole.timeline) as unknown[]).length).toBeGreaterThanOrEqual(3);
    expect(whole.timelineTruncated).toBe(false);
    // Exactly as many events as the limit: nothing older.
    expect((await detailRows(db, match.id, (JSON.parse(whole.timeline) as unknown[]).length))!.timelineTruncated).toBe(
      false,
    );
    expect(await detailRows(db, 'no-such-match')).toBeNull();
  });
});
