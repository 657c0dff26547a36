import { seedPeople, seedReadModel } from '../support/seed';
import { escalationRow, unique } from '../support/fixtures';
import { createDevStack, type DevStack } from '../support/stack';

type Summary = {
  id: string;
  programId: string;
  status: string;
  phase: string;
  region: string | null;
  health: { score: number | null; band: string };
  coordinator: { email: string };
  startDate: string;
};

const BANDS = ['green', 'amber', 'red', 'too_early'] as const;

/** The risk model's state of seeded match i: none of it (round-by-round rules), nothing, a watch, an escalation. */
function riskOf(i: number) {
  const cause = (name: string, level: 'watch' | 'escalated') => ({
    cause: name,
    level,
    score: 2,
    evidence: [],
    reason: { ja: '理由', en: 'reason' },
  });
  const causes = [
    [],
    [],
    [cause('remote_tools', 'watch')],
    [cause('priority_gap', 'escalated'), cause('remote_tools', 'watch')],
  ][i % 4]!;
  if (i % 5 === 0) return {};
  const level = causes.some((c) => c.level === 'escalated') ? 'escalated' : causes.length ? 'watch' : 'none';
  return { riskLevel: level, riskCauses: causes.map((c) => c.cause), risk: { level, causes } };
}
const STATUSES = ['open', 'open', 'open', 'paused', 'completed', 'terminated_early'] as const;

describe('lists, filters, pagination and KPIs on the read model', () => {
  let stack: DevStack;
  let programId: string;
  let coordinators: { email: string }[];
  const total = 300;

  beforeAll(async () => {
    stack = await createDevStack();
    programId = stack.programId;
    const db = stack.database.db;
    const coords = await seedPeople(db, programId, 4, 'coordinator', (i) => `コーディネーター${i}`);
    coordinators = coords;
    await seedReadModel(
      db,
      programId,
      total,
      (i) => {
        const band = BANDS[i % 4]!;
        return {
          title: i % 50 === 0 ? `温泉旅館の予約システム刷新 ${i}` : `案件 ${i}`,
          status: STATUSES[i % 6]!,
          phase:
            STATUSES[i % 6] === 'completed' || STATUSES[i % 6] === 'terminated_early'
              ? 'closed'
              : (['onboarding', 'active', 'wrap_up'] as const)[i % 3]!,
          healthBand: band,
          healthScore:
            band === 'too_early' ? null : band === 'green' ? 80 + (i % 20) : band === 'amber' ? 50 + (i % 30) : i % 50,
          region: i % 2 ? '長野県' : '高知県',
          startDate: new Date(Date.UTC(2026, i % 12, 1 + (i % 28))),
          cohort: `2026-${String((i % 12) + 1).padStart(2, '0')}`,
          ...riskOf(i),
        };
      },
      coords,
    );
    // Another program's matches must never show up here.
    const other = unique('other').toLowerCase();
    await db.program.create({ data: { id: other, name: 'other' } });
    await seedReadModel(db, other, 20, () => ({}));
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** Walks every page of a list; checks no row repeats. */
  async function walk(query: string, limit: number): Promise<Summary[]> {
    const items: Summary[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 100; page++) {
      const res: { status: number; body: { items: Summary[]; nextCursor: string | null } } = await stack.api.request(
        'GET',
        `/matches?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
    return items;
  }

  it('pages through all matches of the program, health ascending (missing scores last), nothing repeated or skipped', async () => {
    const items = await walk(`program=${programId}&sort=health`, 37);
    expect(items).toHaveLength(total);
    const scores = items.map((i) => i.health.score);
    const withScore = scores.filter((s): s is number => s !== null);
    expect(withScore).toEqual([...withScore].sort((a, b) => a - b));
    expect(scores.slice(withScore.length).every((s) => s === null)).toBe(true);
  });

  it('filters by status, phase, risk band and coordinator, alone and together', async () => {
    const red = await walk(`program=${programId}&risk=red`, 50);
    expect(red.length).toBe(total / 4);
    expect(red.every((m) => m.health.band === 'red')).toBe(true);

    const openOrPaused = await walk(`program=${programId}&status=open,paused`, 100);
    expect(openOrPaused.length).toBe(200);
    const coordinator = coordinators[1]!.email;
    const combined = await walk(
      `program=${programId}&status=open&phase=active&risk=amber,red&coordinator=${encodeURIComponent(coordinator)}`,
      10,
    );
    const expected = (
      await stack.database.db.match.findMany({
        where: {
          programId,
          status: 'open',
          phase: 'active',
          healthBand: { in: ['amber', 'red'] },
          coordinator: { email: coordinator },
        },
        select: { id: true },
      })
    ).map((m) => m.id);
    expect(combined.map((m) => m.id).sort()).toEqual(expected.sort());
    expect(combined.length).toBeGreaterThan(0);
  });

  it("filters by the risk model's level and by a cause watched or escalated", async () => {
    const expected = (where: object) =>
      stack.database.db.match
        .findMany({ where: { programId, ...where }, select: { id: true } })
        .then((rows) => rows.map((m) => m.id).sort());
    const watched = await walk(`program=${programId}&riskLevel=watch,escalated`, 50);
    expect(watched.map((m) => m.id).sort()).toEqual(await expected({ riskLevel: { in: ['watch', 'escalated'] } }));
    expect(watched.length).toBeGreaterThan(0);
    const remote = await walk(`program=${programId}&cause=remote_tools`, 50);
    expect(remote.map((m) => m.id).sort()).toEqual(await expected({ riskCauses: { has: 'remote_tools' } }));
    const escalated = await walk(`program=${programId}&riskLevel=escalated&cause=priority_gap`, 50);
    expect(escalated.map((m) => m.id).sort()).toEqual(await expected({ riskLevel: 'escalated' }));
    expect(escalated.length).toBeGreaterThan(0);
    expect(escalated.length).toBeLessThan(remote.length);
    // Each match says its level and its causes; one judged by the round-by-round rules has no risk state.
    const page = await stack.api.request('GET', `/matches?program=${programId}&sort=id&limit=100`);
    const levels = new Set(page.body.items.map((m: { risk: { level: string } | null }) => m.risk?.level ?? null));
    expect([...levels].sort()).toEqual(['escalated', 'none', 'watch', null].sort());
    expect(escalated[0]).toMatchObject({
      risk: {
        level: 'escalated',
        causes: [
          { cause: 'priority_gap', level: 'escalated' },
          { cause: 'remote_tools', level: 'watch' },
        ],
      },
    });
    const bad = await stack.api.request('GET', `/matches?program=${programId}&cause=bad_luck`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['cause[0]']);
  });

  it('searches text and sorts by start date, newest first', async () => {
    const found = await walk(`program=${programId}&q=${encodeURIComponent('温泉旅館')}`, 50);
    expect(found.length).toBe(total / 50);
    const newest = await walk(`program=${programId}&sort=-startDate`, 64);
    const dates = newest.map((m) => m.startDate);
    expect(dates).toEqual([...dates].sort().reverse());
  });

  it('answers a bad filter or a cursor of another sort with 400 naming the field', async () => {
    const bad = await stack.api.request('GET', '/matches?risk=purple&limit=1000');
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['limit', 'risk[0]']);
    const first = await stack.api.request('GET', `/matches?program=${programId}&sort=health&limit=5`);
    const wrongSort = await stack.api.request(
      'GET',
      `/matches?program=${programId}&sort=-startDate&cursor=${first.body.nextCursor}`,
    );
    expect(wrongSort.status).toBe(400);
    expect(wrongSort.body.errors).toEqual([
      { field: 'cursor', message: 'is not a cursor from this list (with this sort)' },
    ]);
    // A hand-made cursor with a value of the wrong type is a 400 too, not a database error.
    const forged = Buffer.from(JSON.stringify({ s: 'health', v: 'DROP TABLE', id: 'x' })).toString('base64url');
    expect((await stack.api.request('GET', `/matches?sort=health&cursor=${forged}`)).status).toBe(400);
  });

  it('answers a hand-made cursor whose value the database could not take with 400 naming the cursor', async () => {
    const cursor = (s: string, v: unknown) => Buffer.from(JSON.stringify({ s, v, id: 'x' })).toString('base64url');
    const refused = [
      `/matches?sort=startDate&cursor=${cursor('startDate', '2024')}`,
      `/matches?sort=-updatedAt&cursor=${cursor('-updatedAt', '2024-05-01')}`,
      `/matches?sort=nextStep&cursor=${cursor('nextStep', 'May 1, 2024')}`,
      `/matches?sort=health&cursor=${cursor('health', 1.5)}`,
      `/matches?sort=health&cursor=${cursor('health', 1e12)}`,
      `/escalations?cursor=${cursor('dueAt', '2024')}`,
      `/escalations?cursor=${cursor('dueAt', 1714521600000)}`,
    ];
    for (const path of refused) {
      const res = await stack.api.request('GET', path);
      expect({ path, status: res.status, errors: res.body.errors }).toEqual({
        path,
        status: 400,
        errors: [{ field: 'cursor', message: 'is not a cursor from this list (with this sort)' }],
      });
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    // Full date-times and whole numbers, as the API's own cursors hold, are taken.
    for (const path of [
      `/matches?sort=startDate&cursor=${cursor('startDate', '2026-06-01T00:00:00.000Z')}`,
      `/matches?sort=health&cursor=${cursor('health', 50)}`,
      `/escalations?cursor=${cursor('dueAt', '2024-05-01T09:00:00+09:00')}`,
    ]) {
      expect({ path, status: (await stack.api.request('GET', path)).status }).toEqual({ path, status: 200 });
    }
  });

  it('lists overdue escalations of the program by due date', async () => {
    const db = stack.database.db;
    const [a, b] = (await stack.api.request('GET', `/matches?program=${programId}&limit=2&sort=id`)).body
      .items as Summary[];
    const hour = 3_600_000;
    await db.escalation.createMany({
      data: [
        escalationRow(a!.id, { severity: 'high', dueAt: new Date(Date.now() - 2 * hour) }),
        escalationRow(b!.id, { type: 'missed_checkin', level: 2, dueAt: new Date(Date.now() - hour) }),
        escalationRow(b!.id, { type: 'priority_gap', dueAt: new Date(Date.now() + hour) }),
        escalationRow(a!.id, { type: 'wants_coordinator', status: 'acknowledged', dueAt: new Date(Date.now() - hour) }),
      ],
    });
    const overdue = await stack.api.request('GET', `/escalations?program=${programId}&overdue=true`);
    expect(overdue.body.items.map((e: { type: string }) => e.type)).toEqual(['low_score', 'missed_checkin']);
    const open = await stack.api.request('GET', `/escalations?program=${programId}&status=open`);
    expect(open.body.items.map((e: { type: string }) => e.type)).toEqual([
      'low_score',
      'missed_checkin',
      'priority_gap',
    ]);
    expect(open.body.items[0].match).toMatchObject({ id: a!.id, programId });
  });

  it('KPIs for a seeded cohort of 32 with 31 completed: 96.9% completion, 3.1% early termination', async () => {
    const db = stack.database.db;
    const cohortProgram = unique('cohort').toLowerCase();
    await db.program.create({ data: { id: cohortProgram, name: '2018年度型コホート' } });
    await seedReadModel(db, cohortProgram, 32, (i) => ({
      status: i === 31 ? 'terminated_early' : 'completed',
      phase: 'closed',
      cohort: '2026-04',
      region: i < 16 ? '長野県' : '高知県',
      checkinsAsked: 12,
      checkinsAnswered: i < 24 ? 12 : 9,
      healthScore: 90,
      kickoffHeldAt: new Date(Date.parse('2026-03-31T15:00:00Z') + (5 + (i % 5)) * 86_400_000),
    }));
    await seedReadModel(db, cohortProgram, 4, (i) => ({
      status: 'open',
      phase: 'active',
      cohort: '2026-10',
      region: '長野県',
      startDate: new Date('2026-10-01T00:00:00Z'),
      healthScore: 40 + i,
      healthBand: i === 0 ? 'red' : 'amber',
    }));

    const res = await stack.api.request('GET', `/programs/${cohortProgram}/kpis?cohort=2026-04`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      started: 32,
      completed: 31,
      terminatedEarly: 1,
      active: 0,
      medianDaysToKickoff: 7,
      kickoffsHeld: 32,
      // Every match of the cohort has closed: none is running, so none counts by health band.
      healthBands: { green: 0, amber: 0, red: 0, too_early: 0 },
    });
    expect((res.body.completionRate * 100).toFixed(1)).toBe('96.9');
    expect((res.body.earlyTerminationRate * 100).toFixed(1)).toBe('3.1');
    expect(res.body.checkinResponseRate).toBeCloseTo((24 * 12 + 8 * 9) / (32 * 12), 10);

    const all = await stack.api.request('GET', `/programs/${cohortProgram}/kpis`);
    expect(all.body).toMatchObject({
      started: 36,
      active: 4,
      meanHealth: Number(((32 * 90 + 40 + 41 + 42 + 43) / 36).toFixed(1)),
      healthBands: { green: 0, amber: 3, red: 1, too_early: 0 },
    });
    expect(all.body.byCohort.map((c: { healthBands: object }) => c.healthBands)).toEqual([
      { green: 0, amber: 0, red: 0, too_early: 0 },
      { green: 0, amber: 3, red: 1, too_early: 0 },
    ]);
    expect(all.body.byCohort.map((c: { cohort: string; started: number }) => [c.cohort, c.started])).toEqual([
      ['2026-04', 32],
      ['2026-10', 4],
    ]);
    expect(
      all.body.byRegion.map((r: { region: string; started: number; completed: number }) => [
        r.region,
        r.started,
        r.completed,
      ]),
    ).toEqual([
      ['長野県', 20, 16],
      ['高知県', 16, 15],
    ]);
    const kochi = await stack.api.request(
      'GET',
      `/programs/${cohortProgram}/kpis?region=${encodeURIComponent('高知県')}`,
    );
    expect(kochi.body).toMatchObject({ started: 16, completed: 15, terminatedEarly: 1 });
    const since = await stack.api.request('GET', `/programs/${cohortProgram}/kpis?from=2026-09-01`);
    expect(since.body.started).toBe(4);
    const bad = await stack.api.request('GET', `/programs/${cohortProgram}/kpis?cohort=April`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('cohort');
  });
});
