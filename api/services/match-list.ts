import { z } from 'zod';
import type { Database } from '../../prisma/client';
import type { DeliveryProblem } from '../../workflows/shared';
import { AppError } from '../errors';
import { HEALTH_BANDS } from '../../workflows/health';
import { RISK_CAUSES } from '../../workflows/risk-model';
import { CAUSE_LABELS } from '../../workflows/risk-reasons';
import { ZText } from '../../workflows/text';
import { toMatchView, ZMatchView } from './matches';
import { summaryRowsWhere, type SummaryRow } from './match-reads';
import { decodeCursor, encodeCursor, ZLimit, ZQueryList, type SortSpec } from './pagination';

/** The match list of the read model: filters, sort and keyset cursors; the API's GET /matches and the CLI use it. */
const MATCH_SORTS = {
  health: { field: 'healthScore', nullable: true, type: 'integer' },
  startDate: { field: 'startDate', nullable: false, type: 'date' },
  endDate: { field: 'endDate', nullable: false, type: 'date' },
  nextStep: { field: 'nextStepAt', nullable: true, type: 'date' },
  updatedAt: { field: 'updatedAt', nullable: false, type: 'date' },
  id: { field: 'id', nullable: false, type: 'string' },
} as const satisfies Record<string, Omit<SortSpec, 'direction'>>;
const SORT_VALUES = Object.keys(MATCH_SORTS).flatMap((k) => [k, `-${k}`]) as [string, ...string[]];

export const ZListMatchesQuery = z.object({
  program: ZText.token({ max: 64 }).optional(),
  coordinator: ZText.token({ max: 320 }).optional().describe('coordinator email'),
  status: ZQueryList(['open', 'paused', 'completed', 'terminated_early', 'cancelled']).optional(),
  phase: ZQueryList(['onboarding', 'active', 'wrap_up', 'closed']).optional(),
  risk: ZQueryList(HEALTH_BANDS).optional().describe('health band'),
  riskLevel: ZQueryList(['none', 'watch', 'escalated'])
    .optional()
    .describe("the risk model's level (matches judged by the round-by-round rules have none of these)"),
  cause: ZQueryList(RISK_CAUSES).optional().describe('a cause watched or escalated now'),
  q: ZText.line({ max: 200 }).optional().describe('text in the id, title, host, talent or coordinator'),
  sort: z
    .enum(SORT_VALUES)
    .default('health')
    .describe('a field, "-" first for descending; health ascending puts the matches in trouble first'),
  cursor: ZText.token({ max: 500 }).optional(),
  limit: ZLimit,
});

export const ZHealthView = z.object({
  score: z.number().int().nullable(),
  band: z.enum(HEALTH_BANDS),
  trend: z.enum(['up', 'down', 'flat']).nullable(),
});

export const ZDeliveryProblem = z.object({
  template: z.string().describe('the email that could not be delivered'),
  role: z.enum(['host', 'talent', 'coordinator', 'program_manager']),
  name: z.string(),
  to: z.string(),
  error: z.string().describe("the mail server's answer, or why the email could not be made"),
  tries: z.number().int(),
  at: z.string(),
});

const ZRiskLevel = z.enum(['none', 'watch', 'escalated']);
const ZLocalizedView = z.object({ ja: z.string(), en: z.string() });

/** The risk model's state of a match: each cause watched or escalated, with its evidence and its reason in words. */
export const ZRiskView = z
  .object({
    level: ZRiskLevel,
    causes: z.array(
      z.object({
        cause: z.enum(RISK_CAUSES),
        label: ZLocalizedView,
        level: ZRiskLevel.exclude(['none']),
        score: z.number().nullable().describe('accumulated evidence (null for causes escalated at once)'),
        reason: ZLocalizedView,
        evidence: z.array(z.record(z.string(), z.unknown())),
        heldBack: z.enum(['cooldown', 'snoozed', 'final']).optional(),
      }),
    ),
  })
  .nullable()
  .describe('null: the match is judged by the round-by-round rules it started with');

export const ZMatchSummary = ZMatchView.extend({
  cohort: z.string(),
  health: ZHealthView,
  risk: z
    .object({
      level: ZRiskLevel,
      causes: z.array(z.object({ cause: z.enum(RISK_CAUSES), level: ZRiskLevel.exclude(['none']) })),
    })
    .nullable(),
  openEscalations: z.number().int(),
  kickoff: z.object({ status: z.string(), at: z.string().nullable(), heldAt: z.string().nullable() }),
  checkins: z.object({
    completed: z.number().int(),
    responseRate: z.number().nullable(),
    lastAt: z.string().nullable(),
    lastResponse: z.enum(['both', 'host', 'talent', 'none']).nullable(),
  }),
  nextStep: z.object({ at: z.string(), what: z.string() }).nullable(),
  outcomeReason: z.string().nullable(),
  closedAt: z.string().nullable(),
  deliveryProblems: z
    .array(ZDeliveryProblem)
    .describe('emails that could not be delivered, until mail to that address goes through again'),
});
export const ZMatchList = z.object({ items: z.array(ZMatchSummary), nextCursor: z.string().nullable() });

export const isoOrNull = (d: Date | null) => d?.toISOString() ?? null;

type RiskRow = {
  level: 'none' | 'watch' | 'escalated';
  causes: Omit<z.infer<typeof ZRiskView> & object, 'level'>['causes'];
};

/** The risk model's state as the read model keeps it, each cause with its name in both languages. */
export function toRiskView(m: Pick<SummaryRow, 'riskLevel' | 'risk'>): z.infer<typeof ZRiskView> {
  if (!m.riskLevel || !m.risk) return null;
  const risk = m.risk as RiskRow;
  return { level: risk.level, causes: risk.causes.map((c) => ({ ...c, label: CAUSE_LABELS[c.cause] })) };
}

export function toSummary(m: SummaryRow): z.infer<typeof ZMatchSummary> {
  const risk = toRiskView(m);
  // Added onto the match's view, not spread into a new object: V8 builds a spread of its 14 fields followed by 11 more
  // about seven times slower (25 µs a summary, 50 on a list's page; `docs/performance-log.md`).
  return Object.assign(toMatchView(m), {
    cohort: m.cohort,
    health: { score: m.healthScore, band: m.healthBand as 'green', trend: m.healthTrend as 'up' | null },
    risk: risk && { level: risk.level, causes: risk.causes.map((c) => ({ cause: c.cause, level: c.level })) },
    openEscalations: m.openEscalations,
    kickoff: { status: m.kickoffStatus, at: isoOrNull(m.kickoffAt), heldAt: isoOrNull(m.kickoffHeldAt) },
    checkins: {
      completed: m.checkinsCompleted,
      responseRate: m.checkinsAsked ? m.checkinsAnswered / m.checkinsAsked : null,
      lastAt: isoOrNull(m.lastCheckinAt),
      lastResponse: m.lastCheckinResponse as 'both' | null,
    },
    nextStep: m.nextStepAt && m.nextStep ? { at: m.nextStepAt.toISOString(), what: m.nextStep } : null,
    outcomeReason: m.outcomeReason,
    closedAt: isoOrNull(m.closedAt),
    deliveryProblems: m.deliveryProblems as DeliveryProblem[],
  });
}

/**
 * The text of `q` as a literal inside LIKE: Prisma's `contains` passes `%` and `_` through as wildcards, so they (and
 * the escape character itself) are escaped with Postgres's default escape, the backslash.
 */
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Where `q` looks: the id, the title, the host's organization and name, the talent's and the coordinator's name. */
const TEXT_COLUMNS = ['m.id', 'm.title', 'h.organization', 'h.name', 't.name', 'c.name'];
/** Each list filter of the query and the match column it picks from. */
const LIST_FILTERS = {
  status: 'm.status',
  phase: 'm.phase',
  risk: 'm."healthBand"',
  riskLevel: 'm."riskLevel"',
} as const satisfies Partial<Record<keyof z.infer<typeof ZListMatchesQuery>, string>>;

/**
 * The matches a list shows, as SQL on the summary's tables (`m`, and `h`, `t`, `c` for host, talent and
 * coordinator): the scope, each filter, and the rows after the cursor in (sort field, id) order, nulls last.
 */
function listCondition(
  scope: string[] | undefined,
  query: z.infer<typeof ZListMatchesQuery>,
  sort: SortSpec,
  after: { value: string | number | null; id: string } | undefined,
): { sql: string; values: unknown[] } {
  const values: unknown[] = [];
  const param = (value: unknown) => `$${values.push(value)}`;
  const conditions: string[] = [];
  if (scope) conditions.push(`m."programId" = ANY(${param(scope)}::text[])`);
  if (query.program) conditions.push(`m."programId" = ${param(query.program)}`);
  if (query.coordinator) conditions.push(`c.email = ${param(query.coordinator.toLowerCase())}`);
  for (const [name, column] of Object.entries(LIST_FILTERS)) {
    const picked = query[name as keyof typeof LIST_FILTERS];
    if (picked) conditions.push(`${column} = ANY(${param(picked)}::text[])`);
  }
  if (query.cause) conditions.push(`m."riskCauses" && ${param(query.cause)}::text[]`);
  if (query.q) {
    const like = param(`%${likeLiteral(query.q)}%`);
    conditions.push(`(${TEXT_COLUMNS.map((column) => `${column} ILIKE ${like}`).join(' OR ')})`);
  }
  if (after) {
    const field = `m."${sort.field}"`;
    const id = param(after.id);
    if (after.value === null) conditions.push(`(${field} IS NULL AND m.id > ${id})`);
    else {
      // A date as UTC ISO text: pg would send a Date in the process's time zone, and the columns keep none.
      const value = param(sort.type === 'date' ? new Date(after.value).toISOString() : after.value);
      const beyond = `${field} ${sort.direction === 'asc' ? '>' : '<'} ${value}`;
      conditions.push(
        `(${beyond} OR (${field} = ${value} AND m.id > ${id})${sort.nullable ? ` OR ${field} IS NULL` : ''})`,
      );
    }
  }
  return { sql: conditions.join(' AND ') || 'true', values };
}

export async function listMatches(db: Database, scope: string[] | undefined, query: z.infer<typeof ZListMatchesQuery>) {
  if (query.program && scope && !scope.includes(query.program)) {
    throw new AppError('forbidden', 'This API key does not cover that program.');
  }
  const direction = query.sort.startsWith('-') ? 'desc' : 'asc';
  const sort: SortSpec = { ...MATCH_SORTS[query.sort.replace(/^-/, '') as keyof typeof MATCH_SORTS], direction };
  const after = query.cursor ? decodeCursor(query.cursor, query.sort, sort) : undefined;
  // Which matches, in what order, and their rows: one statement.
  const order = `m."${sort.field}" ${sort.direction.toUpperCase()}${sort.nullable ? ' NULLS LAST' : ''}, m.id ASC`;
  const rows = await summaryRowsWhere(db, listCondition(scope, query, sort, after), order, query.limit + 1);
  const more = rows.length > query.limit;
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const nextCursor =
    more && last ? encodeCursor(query.sort, (last as Record<string, unknown>)[sort.field], last.id) : null;
  return { items: page.map(toSummary), nextCursor };
}
