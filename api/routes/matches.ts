import { z } from 'zod';
import { matchStateQuery, matchWorkflowId, MATCH_ID_PATTERN, type MatchState } from '../../workflows/shared';
import { covers, programScope } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import type { ApiRoutes } from '../routing';
import {
  isoOrNull,
  listMatches,
  summarySelect,
  toSummary,
  ZListMatchesQuery,
  ZMatchList,
  ZMatchSummary,
} from '../services/match-list';
import { createMatch, toMatchView, ZCreateMatchRequest, ZMatchView } from '../services/matches';
import { matchInScope } from '../services/scope';
import { ZProblem } from './schemas';

export const ZMatchParams = z.object({ id: z.string().regex(MATCH_ID_PATTERN, 'is not a match id') });

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

type RoundRow = { round: number; kind: string; status: string; openedAt: Date; closeAt: Date };
type AnswerRow = { round: number; respondent: string; answers: unknown; submittedAt: Date; signalledAt: Date | null };

/** The workflow's state without what host and talent wrote (for program managers). */
function withoutAnswers(state: MatchState): MatchState {
  const current = state.checkins.current;
  return {
    ...state,
    checkins: {
      ...state.checkins,
      lastAnswers: {},
      current: current && {
        ...current,
        answers: Object.fromEntries(
          Object.entries(current.answers).map(([who, a]) => [who, { answerId: a!.answerId, at: a!.at }]),
        ),
      },
    },
  } as MatchState;
}

/**
 * Check-in rounds with each side's answer (answers saved for a round the read model has not seen yet included);
 * without `withAnswers` only whether and when each side answered.
 */
function checkinView(rounds: RoundRow[], answers: AnswerRow[], withAnswers: boolean) {
  const numbers = [...new Set([...rounds.map((r) => r.round), ...answers.map((a) => a.round)])].sort((a, b) => a - b);
  return numbers.map((n) => {
    const round = rounds.find((r) => r.round === n);
    const side = (who: string) => {
      const a = answers.find((x) => x.round === n && x.respondent === who);
      if (!a) return null;
      const meta = { submittedAt: a.submittedAt.toISOString(), delivered: Boolean(a.signalledAt) };
      return withAnswers ? { ...(a.answers as object), ...meta } : { answered: true, ...meta };
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
    async ({ query, principal }) => ({ body: await listMatches(db, programScope(principal), query) }),
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
    async ({ params, principal, res }) => {
      await matchInScope(db, principal, params.id, 'read');
      // Host's and talent's own words are for the coordinator (and admins); program managers see who answered.
      const seesAnswers = principal.role !== 'program_manager';
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
        liveError = 'The match workflow did not answer just now; the rest of this answer is from the read model.';
        deps.log?.('live state query failed', {
          matchId: params.id,
          error: String(error),
          requestId: res.locals.requestId,
        });
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
          checkins: checkinView(rounds, answers, seesAnswers),
          timeline: events.map((e) => ({
            type: e.type,
            at: e.occurredAt.toISOString(),
            payload: e.payload as Record<string, unknown>,
          })),
          live: (live && !seesAnswers ? withoutAnswers(live) : live) as unknown as Record<string, unknown> | null,
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
