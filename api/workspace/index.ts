import path from 'node:path';
import express, { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import helmet from 'helmet';
import { z } from 'zod';
import { verifyingSecrets } from '../../activities/links';
import type { Locale } from '../../workflows/shared';
import { accountPrincipal } from '../auth';
import type { ApiDeps } from '../deps';
import { knownError, retryLater } from '../errors';
import { browserLocale } from '../pages/render';
import { contextOf, renderNotice, type WorkspaceContext } from './render';
import { csrfToken, csrfValid, currentSession, formBinding } from './sessions';
import { actionRoutes } from './actions';
import { adminRoutes } from './admins';
import { matchRoutes } from './match';
import { exportRoutes } from './exports';
import { importConfirmBody, importRoutes, importUpload } from './imports';
import { matchListRoutes } from './matches';
import { playbookBody, playbookRoutes } from './playbook';
import { programRoutes } from './programs';
import { signInRoutes } from './sign-in';
import { todayRoutes } from './today';
import { requestLog } from '../request-context';

/** Pages anyone may open: signing in. Everything else needs a session. */
const OPEN_PATHS = /^\/sign-in(\/|$)|^\/sign-out$|^\/assets\//;

/**
 * The workspace: server-rendered pages for coordinators and program managers, under `/workspace`. They read through
 * the same services as the JSON API and act through the same workflow updates, with the same authorization (a
 * signed-in person is a `Principal` like an API key). Every form works without JavaScript; the small script only
 * makes some of them quicker.
 */
export function workspaceRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.use('/assets', express.static(path.join(__dirname, 'assets'), { maxAge: '1h', fallthrough: false }));
  // The pages' own script and styles; nothing from anywhere else.
  router.use(
    helmet.contentSecurityPolicy({
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    }),
  );
  // The import's confirmation carries the checked file back: its own, larger limit (express reads a body once).
  router.post('/imports', importConfirmBody);
  // A playbook's form has a field per setting: more than other forms, however long its lists are.
  router.post(['/programs/:id/playbook', '/programs/:id/playbook/preview'], playbookBody);
  router.use(express.urlencoded({ extended: false, limit: '256kb', parameterLimit: 200 }));

  // Who is asking, in which language, and the CSRF value of this page's forms.
  const context: RequestHandler = async (req, res, next) => {
    const session = await currentSession(deps, req);
    const principal = session ? await accountPrincipal(deps.db, session.email) : null;
    // The language: asked for in the address, else the one the person chose or is registered with, else the browser's.
    const asked = z.enum(['ja', 'en']).safeParse(req.query.lang);
    let chosen: string | null | undefined;
    if (!asked.success && principal && session) {
      const [account, person] = await Promise.all([
        deps.db.account.findUnique({ where: { email: session.email }, select: { locale: true } }),
        deps.db.person.findFirst({
          where: { email: session.email },
          select: { locale: true },
          orderBy: { createdAt: 'asc' },
        }),
      ]);
      chosen = account?.locale ?? person?.locale;
    }
    const locale: Locale = asked.success
      ? asked.data
      : chosen === 'en' || chosen === 'ja'
        ? chosen
        : browserLocale(req);
    const binding = formBinding(deps, req, res, principal ? session : null);
    const ctx: WorkspaceContext = {
      locale,
      session: principal ? session : null,
      principal,
      csrf: csrfToken(deps.links.signingSecret, binding),
      here: req.originalUrl,
    };
    res.locals.workspace = ctx;
    res.locals.csrfBinding = binding;
    if (principal) res.locals.principal = principal;
    next();
  };
  router.use(context);
  // A file upload's fields (the CSRF value among them) are read before the check below.
  router.post('/imports/preview', importUpload);

  // Every form post carries the page's CSRF value and comes from this site.
  router.use((req, res, next) => {
    if (req.method !== 'POST') return next();
    const crossSite = req.get('sec-fetch-site') === 'cross-site';
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (crossSite || !csrfValid(verifyingSecrets(deps.links), res.locals.csrfBinding as string, body.csrf)) {
      return renderNotice(res, 403, { title: (t) => t.formExpiredTitle, body: (t) => t.formExpiredBody });
    }
    next();
  });

  signInRoutes(router, deps);

  router.use((req, res, next) => {
    if (contextOf(res).principal || OPEN_PATHS.test(req.path)) return next();
    if (req.method === 'GET') return res.redirect(303, '/workspace/sign-in');
    renderNotice(
      res,
      401,
      { title: (t) => t.formExpiredTitle, body: (t) => t.formExpiredBody },
      {
        href: '/workspace/sign-in',
        text: (t) => t.signInTitle,
      },
    );
  });

  todayRoutes(router, deps);
  exportRoutes(router, deps);
  matchListRoutes(router, deps);
  matchRoutes(router, deps);
  actionRoutes(router, deps);
  adminRoutes(router, deps);
  programRoutes(router, deps);
  playbookRoutes(router, deps);
  importRoutes(router, deps);

  router.post('/locale', async (req, res) => {
    const ctx = contextOf(res);
    const locale = z.enum(['ja', 'en']).safeParse((req.body as Record<string, unknown>).locale);
    if (locale.success && ctx.session) {
      await deps.db.account.upsert({
        where: { email: ctx.session.email },
        create: { email: ctx.session.email, locale: locale.data },
        update: { locale: locale.data },
      });
    }
    const back = (req.body as Record<string, unknown>).back;
    res.redirect(303, typeof back === 'string' && /^\/workspace(\/|\?|$)/.test(back) ? back : '/workspace');
  });

  router.use((_req, res) => renderNotice(res, 404, { title: (t) => t.notFoundTitle, body: (t) => t.forbiddenBody }));

  const errors: ErrorRequestHandler = (err: unknown, req, res, _next) => {
    if (!res.locals.workspace) {
      res.locals.workspace = { locale: browserLocale(req), session: null, principal: null, csrf: '', here: '' };
    }
    const known = knownError(err);
    if (known && (known.code === 'forbidden' || known.code === 'not_found')) {
      // Another program's match and a match that does not exist look the same.
      return renderNotice(res, 403, { title: (t) => t.forbiddenTitle, body: (t) => t.forbiddenBody });
    }
    if (known?.code === 'unavailable') {
      // Temporal or Postgres is down: nothing was done; say so, and when to try again.
      retryLater(res);
      return renderNotice(res, 503, { title: (t) => t.unavailableTitle, body: () => known.detail });
    }
    const status = (err as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return renderNotice(res, status, { title: (t) => t.formExpiredTitle, body: (t) => t.formExpiredBody });
    }
    requestLog(res).error({ err, path: `/workspace${req.path}` }, 'workspace error');
    renderNotice(res, 500, { title: (t) => t.errorTitle, body: (t) => t.errorBody });
  };
  router.use(errors);
  return router;
}
