import pg from 'pg';
import type { Principal } from '../api/auth';
import { matchDetail } from '../api/services/match-detail';
import { summarySelect } from '../api/services/match-reads';
import { createDatabase } from '../prisma/client';
import { ALWAYS_SEND, insertMatches, insertTimeline } from './matches';
import { figure, median, noteLoad, type BenchRun } from './report';
import type { BenchStack } from './stack';

/**
 * Is Prisma's query compiler the right tool on the read path? In this process, on the same database and a pool of the
 * same size: the match detail as the API reads it (`matchDetail`, plain SQL on Prisma's pool since the read path moved
 * off the query compiler), the same reads through Prisma (the seven queries `matchDetail` made before), and the same
 * seven SELECTs through a bare `pg` pool; one match row through Prisma against `pg`. Interleaved, as many at a time as
 * the API has requests in flight; no HTTP, no authentication, so only the query layer differs.
 */

const POOL = 10;
const IN_FLIGHT = 10;
const TIMELINE_EVENTS = 300;
const TIMELINE_LIMIT = 50;

const DETAIL_SQL = [
  `SELECT m.*, h.name AS "hostName", t.name AS "talentName", c.name AS "coordinatorName"
     FROM "Match" m JOIN "Person" h ON h.id = m."hostId" JOIN "Person" t ON t.id = m."talentId"
     JOIN "Person" c ON c.id = m."coordinatorId" WHERE m.id = $1`,
  `SELECT * FROM "ContractDocument" WHERE "matchId" = $1 ORDER BY type`,
  `SELECT * FROM "CoordinatorTask" WHERE "matchId" = $1 ORDER BY "openAt", id`,
  `SELECT * FROM "Escalation" WHERE "matchId" = $1 ORDER BY "openedAt"`,
  `SELECT id, type, payload, "occurredAt" FROM "MatchEvent" WHERE "matchId" = $1
    ORDER BY "occurredAt" DESC, id DESC LIMIT ${TIMELINE_LIMIT + 1}`,
  `SELECT * FROM "CheckinRound" WHERE "matchId" = $1 ORDER BY round`,
  `SELECT round, respondent, answers, "submittedAt", "signalledAt" FROM "CheckinAnswer" WHERE "matchId" = $1`,
];

/** Calls `once` with `inFlight` callers at a time for `seconds`; the calls completed per second. */
async function rate(seconds: number, inFlight: number, once: (n: number) => Promise<unknown>): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < until) await once(done++);
    }),
  );
  return done / seconds;
}

export async function queryBenchmark(
  stack: BenchStack,
  run: BenchRun,
  options: { reps: number; seconds: number },
): Promise<void> {
  const programId = 'bench-queries';
  await stack.seedProgram(programId, ALWAYS_SEND);
  const ids = await insertMatches(
    stack.db,
    programId,
    Array.from({ length: 60 }, (_, i) => `q-${i + 1}`),
  );
  await insertTimeline(stack.db, ids, TIMELINE_EVENTS);

  const prisma = createDatabase(stack.databaseUrl, { poolSize: POOL });
  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: POOL });
  const admin: Principal = { kind: 'api_key', id: 'bench', name: 'bench', admin: true, roles: {} };
  const deps = { db: prisma, temporal: stack.temporal.client };
  const idOf = (n: number) => ids[n % ids.length]!;
  const viaPrisma = (matchId: string) => {
    const where = { matchId };
    return Promise.all([
      prisma.match.findUnique({ where: { id: matchId }, select: summarySelect }),
      prisma.contractDocument.findMany({ where, orderBy: { type: 'asc' } }),
      prisma.coordinatorTask.findMany({ where, orderBy: [{ openAt: 'asc' }, { id: 'asc' }] }),
      prisma.escalation.findMany({ where, orderBy: { openedAt: 'asc' } }),
      prisma.matchEvent.findMany({
        where,
        orderBy: [{ occurredAt: 'desc' }, { id: 'desc' }],
        take: TIMELINE_LIMIT + 1,
        select: { id: true, type: true, payload: true, occurredAt: true },
      }),
      prisma.checkinRound.findMany({ where, orderBy: { round: 'asc' } }),
      prisma.checkinAnswer.findMany({
        where,
        select: { round: true, respondent: true, answers: true, submittedAt: true, signalledAt: true },
      }),
    ]);
  };
  const runs = {
    'detail app': (n: number) => matchDetail(deps, admin, idOf(n), { timelineLimit: TIMELINE_LIMIT }),
    'detail prisma': (n: number) => viaPrisma(idOf(n)),
    'detail pg': (n: number) => Promise.all(DETAIL_SQL.map((sql) => pool.query(sql, [idOf(n)]))),
    'row prisma': (n: number) => prisma.match.findUnique({ where: { id: idOf(n) } }),
    'row pg': (n: number) => pool.query('SELECT * FROM "Match" WHERE id = $1', [idOf(n)]),
  };
  const series: Record<string, number[]> = {};
  try {
    // Warm both (connections open, Prisma's compiler loaded) before anything counts.
    for (const once of Object.values(runs)) await rate(1, IN_FLIGHT, once);
    for (let rep = 1; rep <= options.reps; rep++) {
      noteLoad(run, 'queries');
      for (const [name, once] of Object.entries(runs)) {
        (series[name] ??= []).push(await rate(options.seconds, IN_FLIGHT, once));
      }
      process.stdout.write(
        `  rep ${rep}: ${Object.entries(series)
          .map(([k, v]) => `${k} ${v.at(-1)!.toFixed(0)}/s`)
          .join(', ')}\n`,
      );
    }
  } finally {
    await prisma.$disconnect();
    await pool.end();
  }

  const b = 'queries';
  const app = series['detail app']!;
  const bare = series['detail pg']!;
  figure(run, { benchmark: b, name: 'match detail as the API reads it', value: median(app), unit: '/s', reps: app });
  const appRatios = app.map((r, i) => r / bare[i]!);
  figure(run, {
    benchmark: b,
    name: 'match detail as the API reads it ÷ pg',
    value: median(appRatios),
    unit: '×',
    reps: appRatios,
  });
  for (const what of ['detail', 'row'] as const) {
    const viaPrisma = series[`${what} prisma`]!;
    const viaPg = series[`${what} pg`]!;
    const label = what === 'detail' ? 'match detail (7 queries)' : 'one match row';
    figure(run, { benchmark: b, name: `${label} via Prisma`, value: median(viaPrisma), unit: '/s', reps: viaPrisma });
    figure(run, { benchmark: b, name: `${label} via pg`, value: median(viaPg), unit: '/s', reps: viaPg });
    const ratios = viaPrisma.map((r, i) => r / viaPg[i]!);
    figure(run, { benchmark: b, name: `${label}: Prisma ÷ pg`, value: median(ratios), unit: '×', reps: ratios });
  }
}
