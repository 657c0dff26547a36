import type { Prisma } from '@prisma/client';
import { z } from 'zod';
import { matchWorkflowId, MATCH_ID_PATTERN } from '../../workflows/shared';
import { programScope, requirePermission } from '../auth';
import type { ApiDeps } from '../deps';
import type { ApiRoutes } from '../routing';
import { listMatches, ZListMatchesQuery, ZMatchList } from '../services/match-list';
import { toMatchView, ZCreateMatchRequest, ZMatchView } from '../services/matches';
import { registerMatch } from '../services/registration';
import {
  matchDetailJson,
  toEscalationBrief,
  ZEscalationBrief,
  ZMatchDetail,
  ZTimelineEvent,
  timelineSelect,
  toTimelineEvent,
} from '../services/match-detail';
import { decodeCursor, encodeCursor } from '../services/pagination';
import { AppError } from '../errors';
import { ZText } from '../../workflows/text';
import { matchInScope } from '../services/scope';
import { ZProblem } from './schemas';

export const ZMatchParams = z.object({
  id: z
    .string()
    .regex(MATCH_ID_PATTERN, 'is not a match id')
    .describe('`<programId>:<reference>`; a match registered before ids were per program keeps its reference alone'),
});

export const ZMatchDetailQuery = z.object({
  live: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true')
    .describe('also ask the workflow for its own state (a Temporal query, slower); the read model otherwise'),
  timelineLimit: z.coerce.number().int().min(1).max(200).default(50).describe('how many of the latest events'),
});
export const ZTimelineQuery = z.object({
  cursor: ZText.token({ max: 500 }).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(200),
});

const TIMELINE_SORT = 'timeline';

/** The keyset of a timeline page: the events after (occurredAt, id) of the last one shown. */
function timelineAfter(cursor: string | undefined): Prisma.MatchEventWhereInput {
  if (!cursor) return {};
  const after = decodeCursor(cursor, TIMELINE_SORT, { nullable: false, type: 'date' });
  if (!/^\d{1,19}$/.test(after.id)) {
    throw new AppError('validation_failed', 'The query has 1 invalid field(s).', [
      { field: 'cursor', message: 'is not a cursor from this list (with this sort)' },
    ]);
  }
  const at = new Date(after.value as string);
  return { OR: [{ occurredAt: { gt: at } }, { occurredAt: at, id: { gt: BigInt(after.id) } }] };
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
      beyondSchema:
        'endDate or endsAt (one of them, not before startDate; endDate after it); host and talent emails differ; the program exists',
      responses: {
        201: {
          description: 'Created; the workflow has started',
          schema: z.object({ match: ZMatchView, workflowId: z.string() }),
        },
        400: { description: 'Invalid fields, listed', schema: ZProblem },
        403: { description: 'The key does not cover the program', schema: ZProblem },
        409: { description: 'A match with this id exists, with other details', schema: ZProblem },
        503: {
          description:
            'Temporal cannot be reached, or did not confirm the start (then the match is saved and finished later)',
          schema: ZProblem,
        },
      },
    },
    async ({ body, principal }) => {
      requirePermission(principal, 'register', body.programId);
      const row = await registerMatch(deps, body);
      return {
        status: 201,
        headers: { location: `/matches/${row.id}` }, // match ids are URL-safe as they are
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
      beyondSchema: 'a cursor is the nextCursor of this list with the same sort',
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
      summary:
        'One match from the read model: contracts, tasks, escalations, check-ins (both sides), the latest events; live=true adds the workflow state',
      tag: 'matches',
      access: 'read',
      params: ZMatchParams,
      query: ZMatchDetailQuery,
      responses: {
        200: { description: 'The match', schema: ZMatchDetail },
        403: { description: 'Not covered by the key', schema: ZProblem },
        404: { description: 'No such match', schema: ZProblem },
      },
    },
    async ({ params, query, principal, res }) => ({
      // The scope is checked on the match row read with everything else (one statement).
      json: await matchDetailJson(deps, principal, params.id, {
        requestId: res.locals.requestId as string | undefined,
        live: query.live,
        timelineLimit: query.timelineLimit,
      }),
    }),
  );

  api.add(
    {
      method: 'get',
      path: '/matches/:id/timeline',
      summary: "A match's timeline: every step the workflow took and every action taken on it",
      tag: 'matches',
      access: 'read',
      params: ZMatchParams,
      query: ZTimelineQuery,
      responses: {
        200: {
          description: 'Oldest first, a page at a time (nextCursor)',
          schema: z.object({ items: z.array(ZTimelineEvent), nextCursor: z.string().nullable() }),
        },
      },
    },
    async ({ params, query, principal }) => {
      await matchInScope(db, principal, params.id, 'read');
      const rows = await db.matchEvent.findMany({
        where: { matchId: params.id, ...timelineAfter(query.cursor) },
        orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }],
        take: query.limit + 1,
        select: timelineSelect,
      });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        body: {
          items: page.map(toTimelineEvent),
          nextCursor:
            rows.length > query.limit && last ? encodeCursor(TIMELINE_SORT, last.occurredAt, String(last.id)) : null,
        },
      };
    },
  );
}

export { toEscalationBrief, ZEscalationBrief };
