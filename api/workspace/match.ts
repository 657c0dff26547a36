import type { Request, Response, Router } from 'express';
import { SCALE_QUESTIONS } from '../../workflows/checkin-questions';
import { TERMINATION_REASONS } from '../../workflows/shared';
import { may } from '../auth';
import type { ApiDeps } from '../deps';
import { matchDetail } from '../services/match-detail';
import { matchInScope } from '../services/scope';
import { lineChart } from './charts';
import { describeEvent, describeNextStep, escalationLines } from './describe';
import { label, QUESTION_SHORT, RESPONDENTS } from './labels';
import { doneNotice, type PageNotice } from './notices';
import { contextOf, formattersFor, renderView, signedIn } from './render';

type Scores = { scores?: Record<string, number>; comment?: string; wantsCoordinator?: boolean } | null;

/** One match: who, when, how it is going, the two sides' answers over time, and every action on it. */
export function matchRoutes(router: Router, deps: ApiDeps): void {
  router.get('/matches/:id', (req, res) => showMatch(deps, req, res, String(req.params.id)));
}

/** The emails of a match as people read the record: sent, failed (and why), or skipped (and why). */
async function emailRecord(
  deps: ApiDeps,
  matchId: string,
  skipped: { at: string; payload: Record<string, unknown> }[],
) {
  const rows = await deps.db.email.findMany({
    where: { matchId },
    orderBy: { createdAt: 'desc' },
    take: 200,
    select: { template: true, to: true, subject: true, status: true, error: true, createdAt: true, sentAt: true },
  });
  return [
    ...rows.map((r) => ({
      at: (r.sentAt ?? r.createdAt).toISOString(),
      template: r.template,
      to: r.to,
      subject: r.subject,
      status: r.status,
      why: r.error,
    })),
    ...skipped.map((e) => ({
      at: e.at,
      template: String(e.payload.template ?? ''),
      to: String(e.payload.role ?? ''),
      subject: '',
      status: 'skipped',
      why: String(e.payload.reason ?? ''),
    })),
  ].sort((a, b) => b.at.localeCompare(a.at));
}

export async function showMatch(
  deps: ApiDeps,
  req: Request,
  res: Response,
  matchId: string,
  notice?: PageNotice,
): Promise<void> {
  const principal = signedIn(res);
  const { locale } = contextOf(res);
  const { programId } = await matchInScope(deps.db, principal, matchId, 'read');
  const [detail, program] = await Promise.all([
    matchDetail(deps, principal, matchId, { live: false, requestId: res.locals.requestId as string | undefined }),
    deps.db.program.findUniqueOrThrow({ where: { id: programId }, select: { name: true } }),
  ]);
  const seesAnswers = may(principal, 'read_answers', programId);
  const answered = detail.checkins.filter((r) => r.host || r.talent);
  const rounds = answered.map((r) => (locale === 'ja' ? `第${r.round}回` : `#${r.round}`));
  const side = (r: (typeof answered)[number], who: 'host' | 'talent') => r[who] as Scores;
  const charts = seesAnswers
    ? SCALE_QUESTIONS.map((q) => {
        const host = answered.map((r) => side(r, 'host')?.scores?.[q] ?? null);
        const talent = answered.map((r) => side(r, 'talent')?.scores?.[q] ?? null);
        return {
          id: q,
          title: QUESTION_SHORT[q][locale],
          svg: lineChart({
            labels: rounds,
            min: 1,
            max: 5,
            series: [
              { name: label(RESPONDENTS, 'host', locale), values: host, style: 'a' },
              { name: label(RESPONDENTS, 'talent', locale), values: talent, style: 'b' },
            ],
          }),
          rows: rounds.map((round, i) => ({ round, host: host[i], talent: talent[i] })),
        };
      })
    : [];
  const comments = seesAnswers
    ? answered.flatMap((r) =>
        (['host', 'talent'] as const)
          .filter((who) => side(r, who)?.comment || side(r, who)?.wantsCoordinator)
          .map((who) => ({
            round: r.round,
            who,
            comment: side(r, who)?.comment,
            wants: side(r, who)?.wantsCoordinator,
          })),
      )
    : [];
  const timeline = [...detail.timeline].reverse();
  const escalations = detail.escalations.map((e) => ({
    ...e,
    match: { id: matchId },
    overdue: e.status === 'open' && Date.parse(e.dueAt) < Date.now(),
  }));
  const evidenceOf = new Map(
    (await deps.db.escalation.findMany({ where: { matchId }, select: { id: true, evidence: true, reason: true } })).map(
      ({ id, evidence, reason }) => [id, { evidence, reason }],
    ),
  );
  const now = Date.now();
  renderView(res, notice?.status ?? 200, 'match', {
    title: detail.match.title,
    nav: 'matches',
    wide: true,
    m: detail.match,
    programName: program.name,
    canAct: may(principal, 'act', programId),
    seesAnswers,
    charts,
    comments,
    timeline,
    notes: timeline.filter((e) => e.type === 'note.added'),
    escalations: escalations.map((e) => ({ ...e, evidence: undefined, reason: undefined, ...evidenceOf.get(e.id) })),
    tasks: detail.tasks.map((task) => ({
      ...task,
      matchId,
      overdue: task.status === 'open' && Date.parse(task.dueAt) < now,
    })),
    contracts: detail.contracts.map((c) => ({
      ...c,
      matchId,
      overdue: c.status !== 'verified' && c.dueAt !== null && Date.parse(c.dueAt) < now,
    })),
    emails: await emailRecord(
      deps,
      matchId,
      detail.timeline.filter((e) => e.type === 'email.skipped'),
    ),
    kickoffResponses: detail.timeline.filter((e) => e.type === 'kickoff.responded'),
    terminationReasons: TERMINATION_REASONS,
    evidence: (e: { evidence?: unknown; reason?: unknown }) => escalationLines(e, locale),
    describe: (type: string, payload: Record<string, unknown>) => describeEvent(type, payload, locale),
    nextStep: (what: string) => describeNextStep(what, locale),
    slotDefaults: [3, 4, 5].map(
      (days) =>
        formattersFor(locale)
          .localInput(now + days * 86_400_000)
          .slice(0, 11) + '10:00',
    ),
    snoozeDefault: formattersFor(locale).localInput(now + 3 * 86_400_000),
    back: `/workspace/matches/${encodeURIComponent(matchId)}`,
    notice: notice ?? doneNotice(req, locale),
  });
}
