import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { verifyingSecrets, type LinkClaims } from '../../activities/links';
import { respondKickoffUpdate, type KickoffSlot, type Locale } from '../../workflows/shared';
import type { ApiDeps } from '../deps';
import type { ExtraRoute } from '../openapi';
import { AppError } from '../errors';
import { fill, formatInstant, PAGE_MESSAGES } from '../pages/messages';
import { openLink } from '../pages/links';
import { crossSite, csrfFor, csrfOk, renderMessage, renderPage, renderUnavailable } from '../pages/render';
import { fromArrival, runAction } from '../services/actions';
import { ZText } from '../../workflows/text';

type KickoffContext = {
  claims: LinkClaims;
  locale: Locale;
  title: string;
  programName: string;
  timeZone: string;
  status: string;
  proposal: number;
  slots: KickoffSlot[];
  location: string | null;
  startsAt: Date | null;
};

const ZKickoffForm = z.object({
  choice: z.union([z.literal('other'), z.coerce.number().int().min(0).max(4)]),
  note: ZText.lines({ max: 1000, blank: true }).optional(),
});

/** The kickoff pages in the OpenAPI document. */
export const KICKOFF_PAGE_ROUTES: ExtraRoute[] = [
  {
    method: 'get',
    path: '/kickoff/:token',
    summary: 'The proposed kickoff slots, to pick one or ask for others',
    tag: 'pages',
    responses: {
      200: 'The form (or the scheduled meeting)',
      404: 'Not a valid link',
      429: 'Too many requests from this client; wait a minute',
      410: 'Expired or replaced by a newer proposal',
    },
  },
  {
    method: 'post',
    path: '/kickoff/:token',
    summary: 'Answer the proposal',
    tag: 'pages',
    responses: {
      200: 'Thank you',
      400: 'No slot chosen',
      403: 'Not posted from the page',
      404: 'Not a valid link',
      429: 'Too many requests from this client; wait a minute',
      409: 'The proposal was replaced meanwhile',
      410: 'Expired or replaced by a newer proposal',
      413: 'The form is too large',
      503: 'Try again later',
    },
  },
];

/** The page host and talent open from the kickoff proposal email to pick a slot (or ask for others). */
export function kickoffRoutes(deps: ApiDeps): Router {
  const router = Router();
  const secret = deps.links.signingSecret;
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 });

  /** Opens the link and loads the current proposal; answers the request itself when the link is unusable. */
  async function load(req: Request, res: Response): Promise<KickoffContext | null> {
    const opened = await openLink(deps, req, res, 'kickoff');
    if (!opened) return null;
    const kickoff = await deps.db.match.findUniqueOrThrow({
      where: { id: opened.claims.matchId },
      select: {
        kickoffStatus: true,
        kickoffProposal: true,
        kickoffSlots: true,
        kickoffLocation: true,
        kickoffAt: true,
      },
    });
    return {
      claims: opened.claims,
      locale: opened.locale,
      title: opened.title,
      programName: opened.programName,
      timeZone: opened.playbook.timeZone,
      status: kickoff.kickoffStatus,
      proposal: kickoff.kickoffProposal,
      slots: kickoff.kickoffSlots as KickoffSlot[],
      location: kickoff.kickoffLocation,
      startsAt: kickoff.kickoffAt,
    };
  }

  /** Answers the request when the proposal behind the link is no longer the one waiting for answers. */
  function unavailable(res: Response, ctx: KickoffContext): boolean {
    if ((ctx.status === 'scheduled' || ctx.status === 'held') && ctx.startsAt) {
      const startsAt = formatInstant(ctx.startsAt.toISOString(), ctx.locale, ctx.timeZone);
      renderMessage(
        res,
        200,
        ctx.locale,
        { title: (t) => t.kickoffScheduledTitle, body: (t) => fill(t.kickoffScheduledBody, { startsAt }) },
        { programName: ctx.programName },
      );
      return true;
    }
    if (ctx.proposal !== ctx.claims.n || ctx.status !== 'proposed') {
      renderMessage(
        res,
        410,
        ctx.locale,
        { title: (t) => t.kickoffReplacedTitle, body: (t) => t.kickoffReplacedBody },
        { programName: ctx.programName },
      );
      return true;
    }
    return false;
  }

  function showForm(
    req: Request,
    res: Response,
    ctx: KickoffContext,
    values: { choice?: string; note?: string },
    error?: string,
  ) {
    const t = PAGE_MESSAGES[ctx.locale];
    renderPage(res, error ? 400 : 200, 'kickoff', ctx.locale, {
      title: t.kickoffTitle,
      programName: ctx.programName,
      intro: fill(t.kickoffIntro, { title: ctx.title }),
      location: ctx.location,
      action: `/kickoff/${encodeURIComponent(String(req.params.token))}`,
      csrf: csrfFor(secret, String(req.params.token)),
      slots: ctx.slots.map((s) => ({
        when: formatInstant(s.startsAt, ctx.locale, ctx.timeZone),
        duration: fill(t.minutes, { minutes: s.durationMinutes }),
        passed: Date.parse(s.startsAt) <= Date.now(),
      })),
      choice: values.choice,
      note: values.note,
      error,
    });
  }

  router.get('/kickoff/:token', async (req, res) => {
    const ctx = await load(req, res);
    if (!ctx || unavailable(res, ctx)) return;
    showForm(req, res, ctx, {});
  });

  router.post('/kickoff/:token', form, async (req, res) => {
    const ctx = await load(req, res);
    if (!ctx) return;
    const body = (req.body ?? {}) as Record<string, string>;
    if (crossSite(req) || !csrfOk(verifyingSecrets(deps.links), String(req.params.token), body.csrf)) {
      return renderMessage(res, 403, ctx.locale, { title: (t) => t.invalidTitle, body: (t) => t.invalidBody });
    }
    if (unavailable(res, ctx)) return;
    const parsed = ZKickoffForm.safeParse(body);
    const noteIssue = parsed.error?.issues.find((issue) => issue.path[0] === 'note');
    if (noteIssue) {
      const t = PAGE_MESSAGES[ctx.locale];
      const message = noteIssue.code === 'too_big' ? t.tooLong : t.textInvalid;
      return showForm(req, res, ctx, { choice: body.choice, note: body.note }, message);
    }
    if (!parsed.success || (parsed.data.choice !== 'other' && parsed.data.choice >= ctx.slots.length)) {
      return showForm(req, res, ctx, { choice: body.choice, note: body.note }, PAGE_MESSAGES[ctx.locale].chooseSlot);
    }
    // A slot that has passed since the email went out (the workflow would refuse it too).
    const chosen = parsed.data.choice === 'other' ? undefined : ctx.slots[parsed.data.choice];
    if (chosen && Date.parse(chosen.startsAt) <= Date.now()) {
      return showForm(req, res, ctx, { note: parsed.data.note }, PAGE_MESSAGES[ctx.locale].slotPassed);
    }
    try {
      await fromArrival(res.locals.arrivedAt, () =>
        runAction(deps, ctx.claims.matchId, respondKickoffUpdate, {
          respondent: ctx.claims.respondent,
          proposal: ctx.claims.n,
          choice: parsed.data.choice,
          ...(parsed.data.note ? { note: parsed.data.note } : {}),
        }),
      );
    } catch (error) {
      if (error instanceof AppError && error.code === 'unavailable') {
        // Not taken (Temporal or its worker did not answer in time): the answer as typed, ready to send again. Should
        // Temporal still take the first one up later, sending it again records the same choice once more.
        return renderUnavailable(req, res);
      }
      if (error instanceof AppError) {
        return renderMessage(
          res,
          409,
          ctx.locale,
          { title: (t) => t.kickoffReplacedTitle, body: (t) => t.kickoffReplacedBody },
          { programName: ctx.programName },
        );
      }
      throw error;
    }
    renderMessage(
      res,
      200,
      ctx.locale,
      { title: (t) => t.kickoffThanksTitle, body: (t) => t.kickoffThanksBody },
      { programName: ctx.programName },
    );
  });

  return router;
}
