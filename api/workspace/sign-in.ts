import type { Response, Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { WORKSPACE_MESSAGES, fill } from './messages';
import { contextOf, renderNotice, renderView } from './render';
import { retryLater } from '../errors';
import {
  canSendSignInLinks,
  consumeSignInLink,
  endSession,
  inspectSignInLink,
  requestSignIn,
  SESSION_POLICY,
  startSession,
  type LinkState,
} from './sessions';
import { reasonOf } from '../../telemetry/log';
import { requestLog } from '../request-context';

const ZEmail = z
  .email()
  .max(320)
  .transform((e) => e.toLowerCase());

/** Sign-in requests per client per 15 minutes, unless the deps say otherwise. */
export const SIGN_IN_REQUESTS_PER_CLIENT = 20;

/** Sign in by email link, and sign out. */
export function signInRoutes(router: Router, deps: ApiDeps): void {
  const perClient = rateLimit({
    windowMs: SESSION_POLICY.LINK_WINDOW_MS,
    limit: deps.signInRateLimit ?? SIGN_IN_REQUESTS_PER_CLIENT,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, res) => renderNotice(res, 429, { title: (t) => t.tooManyTitle, body: (t) => t.tooManyBody }),
  });

  router.get('/sign-in', (req, res) => {
    if (contextOf(res).principal) return res.redirect(303, '/workspace');
    renderView(res, 200, 'sign-in', { email: '', signedOut: req.query.signedOut === '1' });
  });

  router.post('/sign-in', perClient, async (req, res) => {
    const ctx = contextOf(res);
    const parsed = ZEmail.safeParse((req.body as Record<string, unknown>).email);
    if (!parsed.success) {
      const typed = String((req.body as Record<string, unknown>).email ?? '').slice(0, 320);
      return renderView(res, 400, 'sign-in', { email: typed, error: WORKSPACE_MESSAGES[ctx.locale].emailInvalid });
    }
    // Known or not, the same page at once: the email (if any) is prepared after the answer, so neither the page nor
    // its timing says whether bansou knows the address. While Temporal does not answer no email could be started:
    // every address is told so, with what was typed kept, and nothing is stored.
    const email = parsed.data;
    if (!(await canSendSignInLinks(deps))) {
      retryLater(res);
      return renderView(res, 503, 'sign-in', { email, unavailable: true });
    }
    setImmediate(() => {
      requestSignIn(deps, email, ctx.locale).catch((error: unknown) =>
        requestLog(res).warn({ reason: reasonOf(error) }, 'sign-in email not started'),
      );
    });
    const t = WORKSPACE_MESSAGES[ctx.locale];
    renderNotice(res, 200, {
      title: () => t.checkInboxTitle,
      body: () => fill(t.checkInboxBody, { email, minutes: SESSION_POLICY.LINK_MINUTES }),
    });
  });

  /** A link that cannot sign anyone in: a forged one is a 404, a used or expired one a 410; ask for a new one. */
  const unusable = (res: Response, state: Exclude<LinkState, { ok: true }>) =>
    renderNotice(
      res,
      state.reason === 'invalid' ? 404 : 410,
      {
        title: (t) =>
          state.reason === 'used'
            ? t.linkUsedTitle
            : state.reason === 'expired'
              ? t.linkExpiredTitle
              : t.linkInvalidTitle,
        body: (t) => t.linkAgain,
      },
      { href: '/workspace/sign-in', text: (t) => t.requestAgain },
    );

  // Opening the link only asks; a mail scanner that follows it signs nobody in.
  router.get('/sign-in/:token', async (req, res) => {
    const state = await inspectSignInLink(deps, String(req.params.token));
    if (!state.ok) return unusable(res, state);
    renderView(res, 200, 'sign-in-confirm', {
      email: state.email,
      action: `/workspace/sign-in/${encodeURIComponent(String(req.params.token))}`,
    });
  });

  router.post('/sign-in/:token', async (req, res) => {
    const state = await consumeSignInLink(deps, String(req.params.token));
    if (!state.ok) return unusable(res, state);
    // A new session id on every sign-in; the one the browser came with (if any) is revoked.
    await startSession(deps, req, res, state.email);
    res.redirect(303, '/workspace');
  });

  router.post('/sign-out', async (req, res) => {
    await endSession(deps, req, res);
    res.redirect(303, '/workspace/sign-in?signedOut=1');
  });
}
