import type { ApiDeps } from '../deps';
import type { ApiRoutes } from '../routing';
import { programKpis, ZKpiQuery, ZKpis } from '../services/kpis';
import { programInScope } from '../services/scope';
import { ZProgramId } from './programs';
import { ZProblem } from './schemas';
import { z } from 'zod';

export function kpiRoutes(api: ApiRoutes, { db }: ApiDeps): void {
  api.add(
    {
      method: 'get',
      path: '/programs/:id/kpis',
      summary:
        "A program's KPIs (completion, early termination, response rate, days to kickoff, escalations, health), by cohort and region",
      tag: 'programs',
      access: 'read',
      params: z.object({ id: ZProgramId }),
      query: ZKpiQuery,
      responses: {
        200: { description: 'The figures', schema: ZKpis },
        403: { description: 'Not covered by the key', schema: ZProblem },
      },
    },
    async ({ params, query, principal }) => {
      await programInScope(db, principal, params.id, 'read');
      return { body: await programKpis(db, params.id, query) };
    },
  );
}
