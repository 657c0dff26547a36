import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { verifyingSecrets, type LinkClaims } from '../../activities/links';
import { SCALE_QUESTIONS, type CheckinAnswers, type ScaleQuestion } from '../../workflows/checkin-questions';
import type { ExtraQuestion } from '../../workflows/playbook';
import type { Locale } from '../../workflows/shared';
import type { ApiDeps } from '../deps';
import type { ExtraRoute } from '../openapi';
import { fill, formatInstant, PAGE_MESSAGES } from '../pages/messages';
import { PAGE_SCALE_QUESTIONS } from '../pages/questions';
import { openLink } from '../pages/links';
import { crossSite, csrfFor, csrfOk, renderMessage, renderPage } from '../pages/render';
import { saveAndDeliverAnswer } from '../services/checkins';
import { ZText } from '../../workflows/text';

type CheckinContext = {
  claims: LinkClaims;
  locale: Locale;
  title: string;
  programName: string;
  timeZone: string;
  extraQuestions: ExtraQuestion[];
  round: { status: 'open' | 'closed'; kind: string; closeAt: Date } | null;
  answer: CheckinAnswers | null;
};

const ZScore = z.coerce.number().int().min(1).max(5);

/** The form as posted (application/x-www-form-urlencoded): every core scale required, the rest optional. */
function formSchema(extra: ExtraQuestion[]) {
  return z.object({
    ...Object.fromEntries(SCALE_QUESTIONS.map((q) => [q, ZScore])),
    ...Object.fromEntries(
      extra.map((q) => [
        `extra_${q.id}`,
        q.kind === 'scale' ? ZScore : ZText.lines({ max: 2000, blank: true }).optional(),
      ]),
    ),
    hoursSpent: z
      .union([z.literal(''), z.coerce.number().min(0).max(1000)])
      .optional()
      .transform((v) => (v === '' || v === undefined ? undefined : v)),
    comment: ZText.lines({ max: 5000, blank: true }).optional(),
    wantsCoordinator: z.literal('yes').optional(),
  });
}

function toAnswers(form: Record<string, unknown>, extra: ExtraQuestion[]): CheckinAnswers {
  const scores = Object.fromEntries(SCALE_QUESTIONS.map((q) => [q, form[q] as number])) as Record<
    ScaleQuestion,
    number
  >;
  const extraAnswers = Object.fromEntries(
    extra
      .map((q) => [q.id, form[`extra_${q.id}`] as number | string | undefined])
      .filter(([, v]) => v !== undefined && v !== ''),
  ) as Record<string, number | string>;
  return {
    scores,
    hoursSpent: form.hoursSpent as number | undefined,
    comment: (form.comment as string | undefined) || undefined,
    wantsCoordinator: form.wantsCoordinator === 'yes',
    ...(Object.keys(extraAnswers).length ? { extra: extraAnswers } : {}),
  };
}

/** The check-in pages in the OpenAPI document (HTML, no API key: the signed link is the credential). */
export const CHECKIN_PAGE_ROUTES: ExtraRoute[] = [
  {
    method: 'get',
    path: '/checkins/:token',
    summary: 'The check-in form (a one-click value in the query only preselects)',
    tag: 'pages',
    responses: {
      200: 'The form, or the closed round with your answers',
      404: 'Not a valid link',
      429: 'Too many requests from this client; wait a minute',
      410: 'The link expired',
    },
  },
  {
    method: 'post',
    path: '/checkins/:token',
    summary: 'Save the answers (to Postgres first, then the workflow is told)',
    tag: 'pages',
    responses: {
      200: 'Thank you',
      400: 'The form again, with what is missing',
      403: 'Not posted from the page',
      404: 'Not a valid link',
      429: 'Too many requests from this client; wait a minute',
      410: 'The link expired',
      409: 'The round closed',
      413: 'The form is too large',
    },
  },
];

/**
 * The check-in page people open from their email: no login, the signed link is the credential. GET shows the form
 * (a one-click value from the email is only preselected); POST saves to Postgres first, then tells the workflow.
 */
export function checkinRoutes(deps: ApiDeps): Router {
  const router = Router();
  const secret = deps.links.signingSecret;
  // Japanese text takes 9 bytes a character once percent-encoded: room for every field at its maxlength.
  const form = express.urlencoded({ extended: false, limit: '256kb', parameterLimit: 100 });

  /** Opens the link and loads the round and any earlier answer; answers the request itself when the link is unusable. */
  async function load(req: Request, res: Response): Promise<CheckinContext | null> {
    const opened = await openLink(deps, req, res, 'checkin');
    if (!opened) return null;
    const { claims } = opened;
    const [round, saved] = await Promise.all([
      deps.db.checkinRound.findUnique({
        where: { matchId_round: { matchId: claims.matchId, round: claims.n } },
        select: { status: true, kind: true, closeAt: true },
      }),
      deps.db.checkinAnswer.findUnique({
        where: {
          matchId_round_respondent: { matchId: claims.matchId, round: claims.n, respondent: claims.respondent },
        },
        select: { answers: true },
      }),
    ]);
    return {
      claims,
      locale: opened.locale,
      title: opened.title,
      programName: opened.programName,
      timeZone: opened.playbook.timeZone,
      extraQuestions: opened.playbook.checkins.extraQuestions,
      round: round && { status: round.status as 'open' | 'closed', kind: round.kind, closeAt: round.closeAt },
      answer: (saved?.answers as CheckinAnswers | undefined) ?? null,
    };
  }

  const questionsFor = (ctx: CheckinContext) =>
    PAGE_SCALE_QUESTIONS.map((q) => ({
      id: q.id,
      label: q.label[ctx.claims.respondent][ctx.locale],
      low: q.low[ctx.locale],
      high: q.high[ctx.locale],
    }));
  const extraFor = (ctx: CheckinContext) =>
    ctx.extraQuestions.map((q) => ({ id: q.id, kind: q.kind, label: q.label[ctx.locale] }));

  function showClosed(res: Response, ctx: CheckinContext, status: number) {
    renderMessage(
      res,
      status,
      ctx.locale,
      { title: (t) => t.closedTitle, body: (t) => t.closedBody },
      {
        programName: ctx.programName,
        answers: ctx.answer,
        showNoAnswer: !ctx.answer,
        questions: questionsFor(ctx),
        extraQuestions: extraFor(ctx),
      },
    );
  }

  function showForm(
    req: Request,
    res: Response,
    ctx: CheckinContext,
    values: Record<string, unknown>,
    errors: { field: string; label: string; message: string }[] = [],
  ) {
    const t = PAGE_MESSAGES[ctx.locale];
    const final = ctx.round?.kind === 'final';
    renderPage(res, errors.length ? 400 : 200, 'checkin', ctx.locale, {
      title: final ? t.finalTitle : fill(t.checkinTitle, { round: ctx.claims.n }),
      programName: ctx.programName,
      intro: fill(t.checkinIntro, { title: ctx.title }),
      privacy: fill(t.privacy, { other: t.otherSide[ctx.claims.respondent] }),
      closesAt: ctx.round
        ? fill(t.closesAt, { closeAt: formatInstant(ctx.round.closeAt.toISOString(), ctx.locale, ctx.timeZone) })
        : '',
      answeredBefore: Boolean(ctx.answer),
      action: `/checkins/${encodeURIComponent(String(req.params.token))}`,
      csrf: csrfFor(secret, String(req.params.token)),
      questions: questionsFor(ctx),
      extraQuestions: extraFor(ctx),
      values,
      errors,
      errorFor: (field: string) => errors.find((e) => e.field === field)?.message,
    });
  }

  /** Form values from a stored answer. */
  const valuesOf = (answer: CheckinAnswers | null): Record<string, unknown> =>
    answer
      ? {
          ...answer.scores,
          ...Object.fromEntries(Object.entries(answer.extra ?? {}).map(([k, v]) => [`extra_${k}`, v])),
          hoursSpent: answer.hoursSpent,
          comment: answer.comment,
          wantsCoordinator: answer.wantsCoordinator,
        }
      : {};

  router.get('/checkins/:token', async (req, res) => {
    const ctx = await load(req, res);
    if (!ctx) return;
    if (ctx.round?.status === 'closed') return showClosed(res, ctx, 200);
    const values = valuesOf(ctx.answer);
    // One click in the email preselects that answer; it is saved only when the person sends the form.
    for (const q of SCALE_QUESTIONS) {
      const preset = ZScore.safeParse(req.query[q]);
      if (preset.success) values[q] = preset.data;
    }
    showForm(req, res, ctx, values);
  });

  router.post('/checkins/:token', form, async (req, res) => {
    const ctx = await load(req, res);
    if (!ctx) return;
    const body = (req.body ?? {}) as Record<string, string>;
    if (crossSite(req) || !csrfOk(verifyingSecrets(deps.links), String(req.params.token), body.csrf)) {
      return renderMessage(res, 403, ctx.locale, { title: (t) => t.invalidTitle, body: (t) => t.invalidBody });
    }
    if (ctx.round?.status === 'closed') return showClosed(res, ctx, 409);

    const parsed = formSchema(ctx.extraQuestions).safeParse(body);
    const submitted: Record<string, unknown> = {
      ...Object.fromEntries(
        Object.entries(body).map(([k, v]) => [k, /^\d+$/.test(v) && k !== 'comment' ? Number(v) : v]),
      ),
      wantsCoordinator: body.wantsCoordinator === 'yes',
    };
    if (!parsed.success) {
      const t = PAGE_MESSAGES[ctx.locale];
      const labels = new Map<string, string>([
        ...questionsFor(ctx).map((q) => [q.id, q.label] as [string, string]),
        ...extraFor(ctx).map((q) => [`extra_${q.id}`, q.label] as [string, string]),
        ['hoursSpent', t.hours],
        ['comment', t.comment],
      ]);
      const errors = parsed.error.issues.map((issue) => {
        const field = String(issue.path[0]);
        const message =
          field === 'hoursSpent'
            ? t.hoursInvalid
            : issue.code === 'too_big'
              ? t.tooLong
              : issue.code === 'custom'
                ? t.textInvalid
                : t.chooseOne;
        return { field, label: labels.get(field) ?? field, message };
      });
      return showForm(req, res, ctx, submitted, errors);
    }
    await saveAndDeliverAnswer(deps.db, deps.temporal, {
      matchId: ctx.claims.matchId,
      round: ctx.claims.n,
      respondent: ctx.claims.respondent,
      answers: toAnswers(parsed.data as Record<string, unknown>, ctx.extraQuestions),
    });
    renderMessage(
      res,
      200,
      ctx.locale,
      { title: (t) => t.thanksTitle, body: (t) => t.thanksBody },
      { programName: ctx.programName },
    );
  });

  return router;
}
