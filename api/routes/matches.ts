import type { Prisma } from '@prisma/client';
import { z } from 'zod';
import { matchStateQuery, matchWorkflowId, MATCH_ID_PATTERN, type MatchState } from '../../workflows/shared';
import { covers, programScope } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import type { ApiRoutes } from '../routing';
import { decodeCursor, encodeCursor, keysetAfter, ZLimit, type SortSpec } from '../services/pagination';
import { createMatch, matchSelect, toMatchView, ZCreateMatchRequest, ZMatchView } from '../services/matches';
import { matchInScope } from '../services/scope';
import { ZProblem } from './schemas';

export const ZMatchParams = z.object({ id: z.string().regex(MATCH_ID_PATTERN, 'is not a match id') });

const MATCH_SORTS = {
  health: { field: 'healthScore', nullable: true },
  startDate: { field: 'startDate', nullable: false },
  endDate: { field: 'endDate', nullable: false },
  nextStep: { field: 'nextStepAt', nullable: true },
  updatedAt: { field: 'updatedAt', nullable: false },
  id: { field: 'id', nullable: false },
} as const satisfies Record<string, Omit<SortSpec, 'direction'>>;
const SORT_VALUES = Object.keys(MATCH_SORTS).flatMap((k) => [k, `-${k}`]) as [string, ...string[]];

const csv = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .transform((s) => s.split(',').map((v) => v.trim()))
    .pipe(z.array(z.enum(values)).min(1));

export const ZListMatchesQuery = z.object({
  program: z.string().min(1).max(64).optional(),
  coordinator: z.string().min(1).max(320).optional().describe('coordinator email'),
  status: csv(['open', 'paused', 'completed', 'terminated_early', 'cancelled']).optional(),
  phase: csv(['onboarding', 'active', 'wrap_up', 'closed']).optional(),
  risk: csv(['green', 'amber', 'red', 'too_early']).optional().describe('health band'),
  q: z.string().trim().min(1).max(200).optional().describe('text in the id, title, host, talent or coordinator'),
  sort: z
    .enum(SORT_VALUES)
    .default('health')
    .describe('a field, "-" first for descending; health ascending puts the matches in trouble first'),
  cursor: z.string().max(500).optional(),
  limit: ZLimit,
});

const ZHealthView = z.object({
  score: z.number().int().nullable(),
  band: z.enum(['green', 'amber', 'red', 'too_early']),
  trend: z.enum(['up', 'down', 'flat']).nullable(),
});

export const ZMatchSummary = ZMatchView.extend({
  cohort: z.string(),
  health: ZHealthView,
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
});
export const ZMatchList = z.object({ items: z.array(ZMatchSummary), nextCursor: z.string().nullable() });

const ZTimelineEvent = z.object({ type: z.string(), at: z.string(), payload: z.record(z.string(), z.unknown()) });
const ZCheckinRoundView = z.object({
  round: z.number().int(),
  kind: z.string().nullable(),
  status: z.string().nullable(),
  openedAt: z.string().nullable(),
  closeAt: z.string().nullable(),
  host: z.record(z.string(), z.unknown()).nullable(),
  talent: z.record(z.string(), z.unknown()).nullable(),
});
export const ZMatchDetail = z.object({
  match: ZMatchSummary,
  contracts: z.array(
    z.object({
      type: z.string(),
      required: z.boolean(),
      status: z.string(),
      dueAt: z.string().nullable(),
      reason: z.string().nullable(),
    }),
  ),
  tasks: z.array(
    z.object({
      id: z.string(),
      key: z.string(),
      status: z.string(),
      openAt: z.string(),
      dueAt: z.string(),
      doneAt: z.string().nullable(),
    }),
  ),
  escalations: z.array(z.lazy(() => ZEscalationBrief)),
  checkins: z.array(ZCheckinRoundView),
  timeline: z.array(ZTimelineEvent),
  live: z.record(z.string(), z.unknown()).nullable().describe("the workflow's own state (a query), when it answers"),
  liveError: z.string().optional(),
});
const ZEscalationBrief = z.object({
  id: z.string(),
  type: z.string(),
  severity: z.string(),
  status: z.string(),
  level: z.number().int(),
  reasons: z.array(z.string()),
  openedAt: z.string(),
  dueAt: z.string(),
  snoozedUntil: z.string().nullable(),
  resolvedAt: z.string().nullable(),
});

const summarySelect = {
  ...matchSelect,
  cohort: true,
  healthScore: true,
  healthBand: true,
  healthTrend: true,
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
  updatedAt: true,
} satisfies Prisma.MatchSelect;
type SummaryRow = Prisma.MatchGetPayload<{ select: typeof summarySelect }>;

const isoOrNull = (d: Date | null) => d?.toISOString() ?? null;

function toSummary(m: SummaryRow): z.infer<typeof ZMatchSummary> {
  return {
    ...toMatchView(m),
    cohort: m.cohort,
    health: { score: m.healthScore, band: m.healthBand as 'green', trend: m.healthTrend as 'up' | null },
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
  };
}

type RoundRow = { round: number; kind: string; status: string; openedAt: Date; closeAt: Date };
type AnswerRow = { round: number; respondent: string; answers: unknown; submittedAt: Date; signalledAt: Date | null };

/** Check-in rounds with each side's answer (answers saved for a round the read model has not seen yet included). */
function checkinView(rounds: RoundRow[], answers: AnswerRow[]) {
  const numbers = [...new Set([...rounds.map((r) => r.round), ...answers.map((a) => a.round)])].sort((a, b) => a - b);
  return numbers.map((n) => {
    const round = rounds.find((r) => r.round === n);
    const side = (who: string) => {
      const a = answers.find((x) => x.round === n && x.respondent === who);
      return a
        ? { ...(a.answers as object), submittedAt: a.submittedAt.toISOString(), delivered: Boolean(a.signalledAt) }
        : null;
    };
    return {
      round: n,
      kind: round?.kind ?? null,
      status: round?.status ?? null,
      openedAt: isoOrNull(round?.openedAt ?? null),
      closeAt: isoOrNull(round?.closeAt ?? null),
      host: side('host'),
      talent: side('talent'),
    };
  });
}

export function matchRoutes(api: ApiRoutes, deps: ApiDeps): void {
  const { db } = deps;

  api.add(
    {
      method: 'post',
      path: '/matches',
      summary: 'Register a match and start its workflow (match:<id>)',
      tag: 'matches',
      access: 'register',
      body: ZCreateMatchRequest,
      responses: {
        201: {
          description: 'Created; the workflow has started',
          schema: z.object({ match: ZMatchView, workflowId: z.string() }),
        },
        400: { description: 'Invalid fields, listed', schema: ZProblem },
        403: { description: 'The key does not cover the program', schema: ZProblem },
        409: { description: 'A match with this id exists', schema: ZProblem },
      },
    },
    async ({ body, principal }) => {
      if (!covers(principal, body.programId))
        throw new AppError('forbidden', 'This API key does not cover that program.');
      const row = await createMatch(deps, body);
      return {
        status: 201,
        headers: { location: `/matches/${encodeURIComponent(row.id)}` },
        body: { match: toMatchView(row), workflowId: matchWorkflowId(row.id) },
      };
    },
  );

  api.add(
    {
      method: 'get',
      path: '/matches',
      summary: 'List matches (read model): filter, sort, cursor-paginate',
      tag: 'matches',
      access: 'read',
      query: ZListMatchesQuery,
      responses: {
        200: { description: 'A page of matches', schema: ZMatchList },
        400: { description: 'Bad filter', schema: ZProblem },
      },
    },
    async ({ query, principal }) => {
      const scope = programScope(principal);
      if (query.program && scope && !scope.includes(query.program)) {
        throw new AppError('forbidden', 'This API key does not cover that program.');
      }
      const direction = query.sort.startsWith('-') ? 'desc' : 'asc';
      const sort: SortSpec = { ...MATCH_SORTS[query.sort.replace(/^-/, '') as keyof typeof MATCH_SORTS], direction };
      const after = query.cursor ? decodeCursor(query.cursor, query.sort) : undefined;
      const where: Prisma.MatchWhereInput = {
        AND: [
          scope ? { programId: { in: scope } } : {},
          query.program ? { programId: query.program } : {},
          query.coordinator ? { coordinator: { email: query.coordinator.toLowerCase() } } : {},
          query.status ? { status: { in: query.status } } : {},
          query.phase ? { phase: { in: query.phase } } : {},
          query.risk ? { healthBand: { in: query.risk } } : {},
          query.q
            ? {
                OR: [
                  { id: { contains: query.q, mode: 'insensitive' } },
                  { title: { contains: query.q, mode: 'insensitive' } },
                  { host: { organization: { contains: query.q, mode: 'insensitive' } } },
                  { host: { name: { contains: query.q, mode: 'insensitive' } } },
                  { talent: { name: { contains: query.q, mode: 'insensitive' } } },
                  { coordinator: { name: { contains: query.q, mode: 'insensitive' } } },
                ],
              }
            : {},
          after ? keysetAfter(sort, after) : {},
        ],
      };
      const rows = await db.match.findMany({
        where,
        orderBy: [
          sort.nullable ? { [sort.field]: { sort: sort.direction, nulls: 'last' } } : { [sort.field]: sort.direction },
          { id: 'asc' },
        ],
        take: query.limit + 1,
        select: summarySelect,
      });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      const nextCursor =
        rows.length > query.limit && last
          ? encodeCursor(query.sort, (last as Record<string, unknown>)[sort.field], last.id)
          : null;
      return { body: { items: page.map(toSummary), nextCursor } };
    },
  );

  api.add(
    {
      method: 'get',
      path: '/matches/:id',
      summary: 'One match: read model, contracts, tasks, escalations, check-ins (both sides), timeline and live state',
      tag: 'matches',
      access: 'read',
      params: ZMatchParams,
      responses: {
        200: { description: 'The match', schema: ZMatchDetail },
        403: { description: 'Not covered by the key', schema: ZProblem },
        404: { description: 'No such match', schema: ZProblem },
      },
    },
    async ({ params, principal }) => {
      await matchInScope(db, principal, params.id, 'read');
      const [row, contracts, tasks, escalations, events, rounds, answers] = await Promise.all([
        db.match.findUniqueOrThrow({ where: { id: params.id }, select: summarySelect }),
        db.contractDocument.findMany({ where: { matchId: params.id }, orderBy: { type: 'asc' } }),
        db.coordinatorTask.findMany({ where: { matchId: params.id }, orderBy: [{ openAt: 'asc' }, { id: 'asc' }] }),
        db.escalation.findMany({ where: { matchId: params.id }, orderBy: { openedAt: 'asc' } }),
        db.matchEvent.findMany({
          where: { matchId: params.id },
          orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }],
          select: { type: true, payload: true, occurredAt: true },
        }),
        db.checkinRound.findMany({ where: { matchId: params.id }, orderBy: { round: 'asc' } }),
        db.checkinAnswer.findMany({
          where: { matchId: params.id },
          select: { round: true, respondent: true, answers: true, submittedAt: true, signalledAt: true },
        }),
      ]);
      let live: MatchState | null = null;
      let liveError: string | undefined;
      try {
        live = await deps.temporal.withDeadline(Date.now() + 5000, () =>
          deps.temporal.workflow.getHandle(matchWorkflowId(params.id)).query(matchStateQuery),
        );
      } catch (error) {
        // The stored match and timeline are still worth returning when the workflow cannot be asked right now.
        liveError = error instanceof Error ? error.message : String(error);
      }
      return {
        body: {
          match: toSummary(row),
          contracts: contracts.map((c) => ({
            type: c.type,
            required: c.required,
            status: c.status,
            dueAt: isoOrNull(c.dueAt),
            reason: c.reason,
          })),
          tasks: tasks.map((t) => ({
            id: t.id,
            key: t.key,
            status: t.status,
            openAt: t.openAt.toISOString(),
            dueAt: t.dueAt.toISOString(),
            doneAt: isoOrNull(t.doneAt),
          })),
          escalations: escalations.map(toEscalationBrief),
          // Both sides' answers, for the coordinator; host and talent never see each other's.
          checkins: checkinView(rounds, answers),
          timeline: events.map((e) => ({
            type: e.type,
            at: e.occurredAt.toISOString(),
            payload: e.payload as Record<string, unknown>,
          })),
          live: live as unknown as Record<string, unknown> | null,
          ...(liveError ? { liveError } : {}),
        },
      };
    },
  );

  api.add(
    {
      method: 'get',
      path: '/matches/:id/timeline',
      summary: "A match's timeline: every step the workflow took and every action taken on it",
      tag: 'matches',
      access: 'read',
      params: ZMatchParams,
      responses: { 200: { description: 'Oldest first', schema: z.object({ items: z.array(ZTimelineEvent) }) } },
    },
    async ({ params, principal }) => {
      await matchInScope(db, principal, params.id, 'read');
      const events = await db.matchEvent.findMany({
        where: { matchId: params.id },
        orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }],
        select: { type: true, payload: true, occurredAt: true },
      });
      return {
        body: {
          items: events.map((e) => ({
            type: e.type,
            at: e.occurredAt.toISOString(),
            payload: e.payload as Record<string, unknown>,
          })),
        },
      };
    },
  );
}

export function toEscalationBrief(e: {
  id: string;
  type: string;
  severity: string;
  status: string;
  level: number;
  reasons: unknown;
  openedAt: Date;
  dueAt: Date;
  snoozedUntil: Date | null;
  resolvedAt: Date | null;
}): z.infer<typeof ZEscalationBrief> {
  return {
    id: e.id,
    type: e.type,
    severity: e.severity,
    status: e.status,
    level: e.level,
    reasons: e.reasons as string[],
    openedAt: e.openedAt.toISOString(),
    dueAt: e.dueAt.toISOString(),
    snoozedUntil: isoOrNull(e.snoozedUntil),
    resolvedAt: isoOrNull(e.resolvedAt),
  };
}

export { ZEscalationBrief };
