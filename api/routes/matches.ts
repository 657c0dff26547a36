import { z } from 'zod';
import { matchWorkflowId, MATCH_ID_PATTERN } from '../../workflows/shared';
import { programScope, requirePermission } from '../auth';
import type { ApiDeps } from '../deps';
import type { ApiRoutes } from '../routing';
import { listMatches, ZListMatchesQuery, ZMatchList } from '../services/match-list';
import { toMatchView, ZCreateMatchRequest, ZMatchView } from '../services/matches';
import { registerMatch } from '../services/registration';
import {
  matchDetail,
  toEscalationBrief,
  ZEscalationBrief,
  ZMatchDetail,
  ZTimelineEvent,
} from '../services/match-detail';
import { matchInScope } from '../services/scope';
import { ZProblem } from './schemas';

export const ZMatchParams = z.object({
  id: z
    .string()
    .regex(MATCH_ID_PATTERN, 'is not a match id')
    .describe('`<programId>:<reference>`; a match registered before ids were per program keeps its reference alone'),
});

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
      return {
        body: await matchDetail(deps, principal, params.id, { requestId: res.locals.requestId as string | undefined }),
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

export { toEscalationBrief, ZEscalationBrief };
