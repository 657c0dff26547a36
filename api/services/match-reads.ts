import {
  Prisma,
  type CheckinAnswer,
  type CheckinRound,
  type ContractDocument,
  type CoordinatorTask,
  type Escalation,
} from '@prisma/client';
import { sqlRows, type Database } from '../../prisma/client';
import { matchSelect, personSelect } from './matches';

/**
 * The reads the API serves most (a match's detail, the rows of a match list) in plain SQL on Prisma's own pool: the
 * same columns Prisma's selects name, returned in the same shapes, at a fraction of the cost of Prisma's query
 * compiler and client runtime (`npm run bench -- --only queries,reads`). Which rows a list shows, in what order, is
 * decided in one place, `listMatches`, as a condition this module's statement takes. `test/db/match-reads.test.ts`
 * holds each read to its Prisma twin.
 */

/** What a match's summary shows: the match with the read model's columns. */
export const summarySelect = {
  ...matchSelect,
  cohort: true,
  healthScore: true,
  healthBand: true,
  healthTrend: true,
  riskLevel: true,
  risk: true,
  openEscalations: true,
  kickoffStatus: true,
  kickoffAt: true,
  kickoffHeldAt: true,
  checkinsCompleted: true,
  checkinsAsked: true,
  checkinsAnswered: true,
  lastCheckinAt: true,
  lastCheckinResponse: true,
  nextStepAt: true,
  nextStep: true,
  outcomeReason: true,
  closedAt: true,
  deliveryProblems: true,
  updatedAt: true,
} satisfies Prisma.MatchSelect;

/** A match's summary row (the read model with its host, talent and coordinator). */
export type SummaryRow = Omit<Prisma.MatchGetPayload<{ select: typeof summarySelect }>, 'program'>;

const quoted = (name: string) => `"${name}"`;
/** The scalar columns the summary selects (its relations are joined below), written once: in `summarySelect`. */
const SUMMARY_COLUMNS = Object.entries(summarySelect)
  .filter(([, picked]) => picked === true)
  .map(([name]) => `m.${quoted(name)}`)
  .join(', ');
const personJson = (alias: string) =>
  `json_build_object(${Object.keys(personSelect)
    .map((name) => `'${name}', ${alias}.${quoted(name)}`)
    .join(', ')})`;

/** The summary's SELECT (the match, its host, talent and coordinator), with `more` columns, for the matches `where`. */
const summaryStatement = (where: string, more = '') => `
  SELECT ${SUMMARY_COLUMNS}, ${personJson('h')} AS host, ${personJson('t')} AS talent, ${personJson('c')} AS coordinator${more}
    FROM "Match" m
    JOIN "Person" h ON h.id = m."hostId"
    JOIN "Person" t ON t.id = m."talentId"
    JOIN "Person" c ON c.id = m."coordinatorId"
   WHERE ${where}`;

const SUMMARY_SQL = summaryStatement('m.id = ANY($1::text[])');

/**
 * The summary rows of the matches `where` (a condition on `m`, the match, and `h`, `t`, `c`, its host, talent and
 * coordinator, with `values` as its parameters), in `orderBy` order, at most `limit`: a list's page in one statement.
 */
export async function summaryRowsWhere(
  db: Database,
  where: { sql: string; values: unknown[] },
  orderBy: string,
  limit: number,
): Promise<SummaryRow[]> {
  const text = `${summaryStatement(where.sql)}\n   ORDER BY ${orderBy}\n   LIMIT $${where.values.length + 1}`;
  return sqlRows<SummaryRow>(db, text, [...where.values, limit]);
}

/** The summary rows of these matches, in the order of `ids` (missing ones left out). */
export async function summaryRows(db: Database, ids: string[]): Promise<SummaryRow[]> {
  if (ids.length === 0) return [];
  const rows = await sqlRows<SummaryRow>(db, SUMMARY_SQL, [ids]);
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

type AnswerRow = Pick<CheckinAnswer, 'round' | 'respondent' | 'answers' | 'submittedAt' | 'signalledAt'>;

/** A match's detail: its summary and everything beside it. */
export type DetailRows = {
  summary: SummaryRow;
  contracts: ContractDocument[];
  tasks: CoordinatorTask[];
  escalations: Escalation[];
  /**
   * The latest `timelineLimit` events (all without it), oldest first, as JSON text in the shape the API answers with
   * (`[{ type, at, payload }]`, `at` as `Date#toISOString` writes it): sent as Postgres wrote it, never parsed and
   * written again on the way.
   */
  timeline: string;
  /** Older events exist (only with a `timelineLimit`). */
  timelineTruncated: boolean;
  rounds: CheckinRound[];
  answers: AnswerRow[];
};

/** A `timestamp` (UTC, milliseconds) as `Date#toISOString` writes it, in `to_char`'s words. */
const ISO_UTC = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** Each list beside the summary: the model its rows come from, and the aggregate that reads them for match `m`. */
const DETAIL_LISTS = {
  contracts: [
    'ContractDocument',
    `SELECT json_agg(x ORDER BY x.type) FROM "ContractDocument" x WHERE x."matchId" = m.id`,
  ],
  tasks: [
    'CoordinatorTask',
    `SELECT json_agg(x ORDER BY x."openAt", x.id) FROM "CoordinatorTask" x WHERE x."matchId" = m.id`,
  ],
  escalations: ['Escalation', `SELECT json_agg(x ORDER BY x."openedAt") FROM "Escalation" x WHERE x."matchId" = m.id`],
  rounds: ['CheckinRound', `SELECT json_agg(x ORDER BY x.round) FROM "CheckinRound" x WHERE x."matchId" = m.id`],
  answers: [
    'CheckinAnswer',
    `SELECT json_agg(json_build_object('round', x.round, 'respondent', x.respondent, 'answers', x.answers,
                                       'submittedAt', x."submittedAt", 'signalledAt', x."signalledAt"))
       FROM "CheckinAnswer" x WHERE x."matchId" = m.id`,
  ],
} as const satisfies Record<
  Exclude<keyof DetailRows, 'summary' | 'timeline' | 'timelineTruncated'>,
  [Prisma.ModelName, string]
>;

/**
 * The timeline beside them, for the match `d.id`: the latest `$2` events (LIMIT NULL is no limit) oldest first, and
 * whether there are more. Text, not JSON, so pg hands it over as Postgres wrote it.
 */
const DETAIL_TIMELINE = {
  timeline: `SELECT json_agg(json_build_object('type', x.type, 'at', to_char(x."occurredAt", ${ISO_UTC}), 'payload', x.payload)
                    ORDER BY x."occurredAt", x.id)::text
               FROM (SELECT id, type, payload, "occurredAt" FROM "MatchEvent" WHERE "matchId" = d.id
                      ORDER BY "occurredAt" DESC, id DESC LIMIT $2) x`,
  timelineTruncated: `SELECT count(*) > $2 FROM (SELECT 1 FROM "MatchEvent" WHERE "matchId" = d.id LIMIT $2 + 1) x`,
};

/**
 * The summary with its lists as one JSON value (`detail`), and the timeline beside it: three columns where the summary's
 * own would be some fifty, each of which pg would describe, read and parse on its own for every request.
 */
const DETAIL_SQL = `
SELECT row_to_json(d) AS detail${Object.entries(DETAIL_TIMELINE)
  .map(([name, sql]) => `,\n       (${sql}) AS ${quoted(name)}`)
  .join('')}
  FROM (${summaryStatement(
    'm.id = $1',
    Object.entries(DETAIL_LISTS)
      .map(([name, [, sql]]) => `,\n         (${sql}) AS ${quoted(name)}`)
      .join(''),
  )}) d`;

/** A model's columns that Prisma gives as Date or bigint and JSON cannot, from Prisma's own datamodel. */
const typedColumns = new Map(
  Prisma.dmmf.datamodel.models.map((model) => {
    const named = (type: string) =>
      model.fields.filter((f) => f.kind === 'scalar' && f.type === type).map((f) => f.name);
    return [model.name, { dates: named('DateTime'), bigints: named('BigInt') }];
  }),
);

/**
 * Rows as JSON gives them back as Prisma gives them: a `timestamp` (kept without a zone, UTC) and a `date` as a Date,
 * a bigint (a JSON number, exact only below 2^53; no model the detail reads has one) as a bigint.
 */
function revived<R>(model: Prisma.ModelName, rows: Record<string, unknown>[] | null): R[] {
  const { dates, bigints } = typedColumns.get(model) ?? { dates: [], bigints: [] };
  for (const row of rows ?? []) {
    for (const name of dates) {
      const text = row[name];
      if (typeof text === 'string') row[name] = new Date(text.length === 10 ? `${text}T00:00:00Z` : `${text}Z`);
    }
    for (const name of bigints)
      if (row[name] !== null && row[name] !== undefined) row[name] = BigInt(row[name] as string);
  }
  return (rows ?? []) as R[];
}

/**
 * A match's detail in one statement (one round trip): the summary row, which also decides the caller's scope, with
 * each list beside it aggregated as JSON. `null` when there is no such match.
 */
export async function detailRows(db: Database, matchId: string, timelineLimit?: number): Promise<DetailRows | null> {
  const [row] = await sqlRows<{
    detail: Record<string, unknown>;
    timeline: string | null;
    timelineTruncated: boolean | null;
  }>(db, DETAIL_SQL, [matchId, timelineLimit ?? null]);
  if (!row) return null;
  const { detail } = row;
  const lists = Object.fromEntries(
    Object.entries(DETAIL_LISTS).map(([name, [model]]) => {
      const rows = detail[name] as Record<string, unknown>[] | null;
      delete detail[name];
      return [name, revived(model, rows)];
    }),
  ) as Omit<DetailRows, 'summary' | 'timeline' | 'timelineTruncated'>;
  const [summary] = revived<SummaryRow>('Match', [detail]);
  return {
    summary: summary!,
    ...lists,
    timeline: row.timeline ?? '[]',
    timelineTruncated: row.timelineTruncated === true,
  };
}
