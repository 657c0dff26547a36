import type { Request, Response, Router } from 'express';
import { requirePermission } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import { listAdmins, markAdmin, unmarkAdmin, ZAccountEmail } from '../services/accounts';
import { WORKSPACE_MESSAGES, fill } from './messages';
import type { PageNotice } from './notices';
import { contextOf, renderView, signedIn } from './render';
import { revokeSessions } from './sessions';

/** Admins mark other admins (and can sign a person out everywhere). */
export function adminRoutes(router: Router, deps: ApiDeps): void {
  async function show(_req: Request, res: Response, notice?: PageNotice) {
    requirePermission(signedIn(res), 'administer');
    renderView(res, notice?.status ?? 200, 'admins', {
      nav: 'admins',
      admins: await listAdmins(deps.db),
      notice,
    });
  }
  router.get('/admins', (req, res) => show(req, res));

  const act =
    (run: (email: string, by: string) => Promise<unknown>, done: (t: (typeof WORKSPACE_MESSAGES)['ja']) => string) =>
    async (req: Request, res: Response) => {
      const principal = signedIn(res);
      requirePermission(principal, 'administer');
      const t = WORKSPACE_MESSAGES[contextOf(res).locale];
      const email = ZAccountEmail.safeParse((req.body as Record<string, unknown>).email);
      if (!email.success) return show(req, res, { status: 400, kind: 'error', text: t.emailInvalid });
      try {
        await run(email.data, principal.id);
      } catch (error) {
        if (error instanceof AppError && error.code === 'conflict') {
          return show(req, res, { status: 409, kind: 'error', text: fill(t.refused, { reason: error.detail }) });
        }
        throw error;
      }
      await show(req, res, { status: 200, kind: 'ok', text: fill(done(t), { email: email.data }) });
    };
  router.post(
    '/admins',
    act(
      (email, by) => markAdmin(deps.db, email, by),
      (t) => t.adminAdded,
    ),
  );
  router.post(
    '/admins/remove',
    act(
      (email, by) => unmarkAdmin(deps.db, email, by),
      (t) => t.adminRemoved,
    ),
  );
  router.post(
    '/admins/sign-out',
    act(
      (email) => revokeSessions(deps, email),
      (t) => t.signedOutEverywhere,
    ),
  );
}
