import { Router } from 'express';
import { z } from 'zod';
import { matchStateQuery, matchWorkflowId, MATCH_ID_PATTERN, type MatchState } from '../../workflows/shared';
import type { ApiDeps } from '../deps';
import { AppError, parseInput } from '../errors';
import { createMatch, matchSelect, toMatchView, ZCreateMatchRequest } from '../services/matches';

const ZMatchParams = z.object({ id: z.string().regex(MATCH_ID_PATTERN, 'is not a match id') });

type RoundRow = { round: number; kind: string; status: string; openedAt: Date; closeAt: Date };
type AnswerRow = { round: number; respondent: string; answers: unknown; submittedAt: Date; signalledAt: Date | null };

/** Check-in rounds with each side's answer (answers saved for a round the read model has not seen yet included). */
function checkinView(rounds: RoundRow[], answers: AnswerRow[]) {
  const numbers = [...new Set([...rounds.map((r) => r.round), ...answers.map((a) => a.round)])].sort((a, b) => a - b);
  return numbers.map((n) => {
    const round = rounds.find((r) => r.round === n);
    const side = (who: string) => {
      const a = answers.find((x) => x.round === n && x.respondent === who);
      return a
        ? { ...(a.answers as object), submittedAt: a.submittedAt.toISOString(), delivered: Boolean(a.signalledAt) }
        : null;
    };
    return {
      round: n,
      kind: round?.kind ?? null,
      status: round?.status ?? null,
      openedAt: round?.openedAt.toISOString() ?? null,
      closeAt: round?.closeAt.toISOString() ?? null,
      host: side('host'),
      talent: side('talent'),
    };
  });
}

export function matchRoutes(deps: ApiDeps): Router {
  const router = Router();

  router.post('/matches', async (req, res) => {
    const input = parseInput(ZCreateMatchRequest, req.body);
    const row = await createMatch(deps, input);
    res
      .status(201)
      .location(`/matches/${encodeURIComponent(row.id)}`)
      .json({ match: toMatchView(row), workflowId: matchWorkflowId(row.id) });
  });

  router.get('/matches/:id', async (req, res) => {
    const { id } = parseInput(ZMatchParams, req.params, 'path');
    const row = await deps.db.match.findUnique({ where: { id }, select: matchSelect });
    if (!row) throw new AppError('not_found', `No match with id "${id}".`);
    const [events, rounds, answers] = await Promise.all([
      deps.db.matchEvent.findMany({
        where: { matchId: id },
        orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }],
        select: { type: true, payload: true, occurredAt: true },
      }),
      deps.db.checkinRound.findMany({ where: { matchId: id }, orderBy: { round: 'asc' } }),
      deps.db.checkinAnswer.findMany({
        where: { matchId: id },
        select: { round: true, respondent: true, answers: true, submittedAt: true, signalledAt: true },
      }),
    ]);
    let live: MatchState | null = null;
    let liveError: string | undefined;
    try {
      live = await deps.temporal.workflow.getHandle(matchWorkflowId(id)).query(matchStateQuery);
    } catch (error) {
      // The stored match and timeline are still worth returning when the workflow cannot be asked right now.
      liveError = error instanceof Error ? error.message : String(error);
    }
    res.json({
      match: toMatchView(row),
      timeline: events.map((e) => ({ type: e.type, at: e.occurredAt.toISOString(), payload: e.payload })),
      // Both sides' answers, for the coordinator; host and talent never see each other's.
      checkins: checkinView(rounds, answers),
      live,
      ...(liveError ? { liveError } : {}),
    });
  });

  return router;
}
