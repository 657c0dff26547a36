import type { Request, Response, Router } from 'express';
import { may, programScope } from '../auth';
import type { ApiDeps } from '../deps';
import { needsAttention } from '../services/attention';
import { escalationLines } from './describe';
import { backTo, contextOf, formattersFor, renderView, signedIn } from './render';
import { doneNotice, type PageNotice } from './notices';

/** Today: what needs the person signed in, with each action right there. */
export function todayRoutes(router: Router, deps: ApiDeps): void {
  router.get('/', (req, res) => showToday(deps, req, res));
}

/** Renders Today (also after a form on it was refused, with the reason and what was typed). */
export async function showToday(deps: ApiDeps, req: Request, res: Response, notice?: PageNotice): Promise<void> {
  const principal = signedIn(res);
  const { locale } = contextOf(res);
  // A coordinator sees their own matches first; the whole program is one click away (and the default for others).
  const coordinates = Object.values(principal.roles).some((roles) => roles.includes('coordinator'));
  const mine = coordinates && req.query.scope !== 'all';
  const attention = await needsAttention(deps.db, {
    programIds: programScope(principal),
    ...(mine ? { coordinatorEmail: principal.id } : {}),
  });
  const now = Date.now();
  renderView(res, notice?.status ?? 200, 'today', {
    nav: 'today',
    coordinates,
    mine,
    attention,
    evidence: (e: { evidence?: unknown; reason?: unknown }) => escalationLines(e, locale),
    actsIn: (programId: string) => may(principal, 'act', programId),
    snoozeDefault: formattersFor(locale).localInput(now + 3 * 86_400_000),
    back: req.method === 'GET' ? contextOf(res).here : backTo(req, '/workspace'),
    notice: notice ?? doneNotice(req, contextOf(res).locale),
  });
}
