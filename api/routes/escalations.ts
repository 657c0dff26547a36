import type { Prisma } from '@prisma/client';
import { z } from 'zod';
import { actorOf, programScope } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import type { ApiRoutes } from '../routing';
import { ZText } from '../../workflows/text';
import { runAction } from '../services/actions';
import { ESCALATION_ACTIONS, ZEscalationParams } from '../services/coordinator-actions';
import { decodeCursor, encodeCursor, keysetAfter, ZLimit, ZQueryList } from '../services/pagination';
import { escalationInScope } from '../services/scope';
import { toEscalationBrief, ZEscalationBrief } from './matches';
import { ZActionResult, ZProblem } from './schemas';

export const ZListEscalationsQuery = z.object({
  status: ZQueryList(['open', 'acknowledged', 'snoozed', 'resolved']).optional(),
  coordinator: ZText.token({ max: 320 }).optional().describe('coordinator email'),
  program: ZText.token({ max: 64 }).optional(),
  overdue: z.enum(['true', 'false']).optional().describe('open, not acknowledged, past its due date'),
  cursor: ZText.token({ max: 500 }).optional(),
  limit: ZLimit,
});

const ZEscalationItem = ZEscalationBrief.extend({
  match: z.object({ id: z.string(), title: z.string(), programId: z.string() }),
  coordinator: z.object({ name: z.string(), email: z.string() }),
});

export function escalationRoutes(api: ApiRoutes, deps: ApiDeps): void {
  const { db } = deps;

  api.add(
    {
      method: 'get',
      path: '/escalations',
      summary: 'Escalations, soonest due first: filter by status, coordinator, program, overdue',
      tag: 'escalations',
      access: 'read',
      query: ZListEscalationsQuery,
      beyondSchema: 'a cursor is the nextCursor of this list',
      responses: {
        200: {
          description: 'A page of escalations',
          schema: z.object({ items: z.array(ZEscalationItem), nextCursor: z.string().nullable() }),
        },
        403: { description: 'The key does not cover that program', schema: ZProblem },
      },
    },
    async ({ query, principal }) => {
      const scope = programScope(principal);
      if (query.program && scope && !scope.includes(query.program)) {
        throw new AppError('forbidden', 'This API key does not cover that program.');
      }
      const dueAtSort = { field: 'dueAt', direction: 'asc', nullable: false, type: 'date' } as const;
      const after = query.cursor ? decodeCursor(query.cursor, 'dueAt', dueAtSort) : undefined;
      const where: Prisma.EscalationWhereInput = {
        AND: [
          scope ? { match: { programId: { in: scope } } } : {},
          query.program ? { match: { programId: query.program } } : {},
          query.coordinator ? { match: { coordinator: { email: query.coordinator.toLowerCase() } } } : {},
          query.status ? { status: { in: query.status } } : {},
          query.overdue === 'true' ? { status: 'open', dueAt: { lt: new Date() } } : {},
          query.overdue === 'false' ? { NOT: { status: 'open', dueAt: { lt: new Date() } } } : {},
          after ? keysetAfter(dueAtSort, after) : {},
        ],
      };
      const rows = await db.escalation.findMany({
        where,
        orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
        take: query.limit + 1,
        include: {
          match: {
            select: { id: true, title: true, programId: true, coordinator: { select: { name: true, email: true } } },
          },
        },
      });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        body: {
          items: page.map((e) => ({
            ...toEscalationBrief(e),
            match: { id: e.match.id, title: e.match.title, programId: e.match.programId },
            coordinator: e.match.coordinator,
          })),
          nextCursor: rows.length > query.limit && last ? encodeCursor('dueAt', last.dueAt, last.id) : null,
        },
      };
    },
  );

  // One POST route per entry of ESCALATION_ACTIONS (the table the workspace's forms use too).
  for (const [verb, action] of Object.entries(ESCALATION_ACTIONS)) {
    api.add(
      {
        method: 'post',
        path: `/escalations/:id/${verb}`,
        summary: action.summary,
        tag: 'escalations',
        access: 'act',
        params: ZEscalationParams,
        body: action.schema,
        // A body with nothing required may be left out.
        bodyOptional: action.schema.safeParse({}).success,
        responses: {
          200: { description: 'Done; the match phase and status', schema: ZActionResult },
          409: { description: "The escalation's state does not allow it", schema: ZProblem },
          422: { description: 'Unacceptable input', schema: ZProblem },
          503: { description: 'Temporal or its worker did not take the action in time', schema: ZProblem },
        },
      },
      async ({ params, body, principal, idempotency }) => {
        const escalation = await escalationInScope(db, principal, params.id, 'act');
        const arg = await action.arg(deps, body, { id: escalation.id });
        const options = { by: actorOf(principal), updateId: idempotency?.id };
        return { body: await runAction(deps, escalation.matchId, action.update, arg, options) };
      },
    );
  }
}
