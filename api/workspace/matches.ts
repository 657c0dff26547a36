import type { Request, Router } from 'express';
import { programScope, type Principal } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import type { ExportFormat } from '../services/export-table';
import { listMatches, ZListMatchesQuery } from '../services/match-list';
import { describeNextStep } from './describe';
import { contextOf, renderView, signedIn } from './render';

/** The filters the page offers, each a value of the API's own query (GET /matches). */
const FILTERS = {
  phase: ['onboarding', 'active', 'wrap_up', 'closed'],
  status: ['open', 'paused', 'completed', 'terminated_early', 'cancelled'],
  risk: ['red', 'amber', 'green', 'too_early'],
} as const;
const SORTS = ['health', '-health', 'nextStep', 'startDate', '-startDate', '-updatedAt'] as const;

/**
 * The list's query from the address: empty fields of the filter form mean "any"; the rest is the API's query (GET
 * /matches), checked by the API's schema (the list and its downloads read it alike). Another program is a 403.
 */
export function listQuery(req: Request, principal: Principal) {
  const scope = programScope(principal);
  const raw = Object.fromEntries(
    Object.entries(req.query).filter(([, v]) => typeof v === 'string' && v.trim() !== ''),
  ) as Record<string, string>;
  const parsed = ZListMatchesQuery.safeParse({ limit: '25', ...raw });
  const query = parsed.success ? parsed.data : ZListMatchesQuery.parse({ limit: '25' });
  if (query.program && scope && !scope.includes(query.program)) {
    throw new AppError('forbidden', 'You do not cover that program.');
  }
  return { raw, valid: parsed.success, query, scope };
}

/** The match list: the read model through the same service as GET /matches, with filters, search, sort and pages. */
export function matchListRoutes(router: Router, deps: ApiDeps): void {
  router.get('/matches', async (req, res) => {
    const { raw, valid, query, scope } = listQuery(req, signedIn(res));
    const [page, programs] = await Promise.all([
      listMatches(deps.db, scope, query),
      deps.db.program.findMany({
        where: scope ? { id: { in: scope } } : {},
        orderBy: { id: 'asc' },
        select: { id: true, name: true },
      }),
    ]);
    const params = new URLSearchParams(raw);
    params.delete('cursor');
    const base = params.toString();
    renderView(res, valid ? 200 : 400, 'matches', {
      nav: 'matches',
      wide: true,
      items: page.items,
      next: page.nextCursor
        ? `/workspace/matches?${base ? `${base}&` : ''}cursor=${encodeURIComponent(page.nextCursor)}`
        : null,
      first: query.cursor ? `/workspace/matches${base ? `?${base}` : ''}` : null,
      values: raw,
      programs,
      filters: FILTERS,
      sorts: SORTS,
      invalid: !valid,
      download: (format: ExportFormat) => `/workspace/matches.${format}${base ? `?${base}` : ''}`,
      nextStep: (what: string) => describeNextStep(what, contextOf(res).locale),
    });
  });
}
