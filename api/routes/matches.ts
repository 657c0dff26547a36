import { Router } from 'express';
import { z } from 'zod';
import { matchStateQuery, matchWorkflowId, MATCH_ID_PATTERN, type MatchState } from '../../workflows/shared';
import type { ApiDeps } from '../deps';
import { AppError, parseInput } from '../errors';
import { createMatch, matchSelect, toMatchView, ZCreateMatchRequest } from '../services/matches';

const ZMatchParams = z.object({ id: z.string().regex(MATCH_ID_PATTERN, 'is not a match id') });

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
    const events = await deps.db.matchEvent.findMany({
      where: { matchId: id },
      orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }],
      select: { type: true, payload: true, occurredAt: true },
    });
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
      live,
      ...(liveError ? { liveError } : {}),
    });
  });

  return router;
}
