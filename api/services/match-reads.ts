import type {
  CheckinAnswer,
  CheckinRound,
  ContractDocument,
  CoordinatorTask,
  Escalation,
  MatchEvent,
  Prisma,
} from '@prisma/client';
import { sqlRows, type Database } from '../../prisma/client';
import { matchSelect, personSelect } from './matches';

/**
 * The reads the API serves most (a match's detail, the rows of a match list) in plain SQL on Prisma's own pool: the
 * same columns Prisma's selects name, returned in the same shapes, at a fraction of the cost of Prisma's query
 * compiler and client runtime (`npm run bench -- --only queries,reads`). Which rows a list shows, in what order, is
 * still decided in one place, `listMatches`; this module only reads what it picked. `test/db/match-reads.test.ts`
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

const SUMMARY_SQL = `
  SELECT ${SUMMARY_COLUMNS}, ${personJson('h')} AS host, ${personJson('t')} AS talent, ${personJson('c')} AS coordinator
    FROM "Match" m
    JOIN "Person" h ON h.id = m."hostId"
    JOIN "Person" t ON t.id = m."talentId"
    JOIN "Person" c ON c.id = m."coordinatorId"
   WHERE m.id = ANY($1::text[])`;

/** The summary rows of these matches, in the order of `ids` (missing ones left out). */
export async function summaryRows(db: Database, ids: string[]): Promise<SummaryRow[]> {
  if (ids.length === 0) return [];
  const rows = await sqlRows<SummaryRow>(db, SUMMARY_SQL, [ids]);
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

export type TimelineRow = Pick<MatchEvent, 'id' | 'type' | 'payload' | 'occurredAt'>;
type AnswerRow = Pick<CheckinAnswer, 'round' | 'respondent' | 'answers' | 'submittedAt' | 'signalledAt'>;

/** Everything a match's detail shows beside its summary; the timeline newest first, `timelineLimit` + 1 of it. */
export type DetailRows = {
  contracts: ContractDocument[];
  tasks: CoordinatorTask[];
  escalations: Escalation[];
  latest: TimelineRow[];
  rounds: CheckinRound[];
  answers: AnswerRow[];
};

export async function detailRows(db: Database, matchId: string, timelineLimit?: number): Promise<DetailRows> {
  const rows = <R extends object>(text: string, values: unknown[] = [matchId]) => sqlRows<R>(db, text, values);
  const [contracts, tasks, escalations, latest, rounds, answers] = await Promise.all([
    rows<ContractDocument>(`SELECT * FROM "ContractDocument" WHERE "matchId" = $1 ORDER BY type`),
    rows<CoordinatorTask>(`SELECT * FROM "CoordinatorTask" WHERE "matchId" = $1 ORDER BY "openAt", id`),
    rows<Escalation>(`SELECT * FROM "Escalation" WHERE "matchId" = $1 ORDER BY "openedAt"`),
    rows<TimelineRow>(
      `SELECT id, type, payload, "occurredAt" FROM "MatchEvent" WHERE "matchId" = $1
        ORDER BY "occurredAt" DESC, id DESC LIMIT $2`,
      // LIMIT NULL is no limit.
      [matchId, timelineLimit === undefined ? null : timelineLimit + 1],
    ),
    rows<CheckinRound>(`SELECT * FROM "CheckinRound" WHERE "matchId" = $1 ORDER BY round`),
    rows<AnswerRow>(
      `SELECT round, respondent, answers, "submittedAt", "signalledAt" FROM "CheckinAnswer" WHERE "matchId" = $1`,
    ),
  ]);
  return { contracts, tasks, escalations, latest, rounds, answers };
}
