import type { Router } from 'express';
import { programScope } from '../auth';
import type { ApiDeps } from '../deps';
import { programKpis } from '../services/kpis';
import { programInScope } from '../services/scope';
import { renderView, signedIn } from './render';

/** The programs a person covers, each with its KPIs (the same figures as GET /programs/:id/kpis). */
export function programRoutes(router: Router, deps: ApiDeps): void {
  router.get('/programs', async (_req, res) => {
    const scope = programScope(signedIn(res));
    const programs = await deps.db.program.findMany({
      where: scope ? { id: { in: scope } } : {},
      orderBy: { id: 'asc' },
      select: { id: true, name: true, region: true },
    });
    renderView(res, 200, 'programs', { nav: 'programs', programs });
  });

  router.get('/programs/:id', async (req, res) => {
    const program = await programInScope(deps.db, signedIn(res), String(req.params.id), 'read');
    renderView(res, 200, 'program', {
      nav: 'programs',
      wide: true,
      program,
      kpis: await programKpis(deps.db, program.id, {}),
    });
  });
}
