import { Router } from 'express';
import { z } from 'zod';
import { CONTRACT_STATUSES } from '../../workflows/shared';
import {
  addNoteUpdate,
  cancelKickoffUpdate,
  cancelMatchUpdate,
  completeMatchUpdate,
  completeTaskUpdate,
  endEarlyUpdate,
  extendUpdate,
  MATCH_ID_PATTERN,
  pauseUpdate,
  proposeKickoffSlotsUpdate,
  reassignUpdate,
  recordKickoffUpdate,
  resumeUpdate,
  scheduleKickoffUpdate,
  setContractStatusUpdate,
  TERMINATION_REASONS,
  type ActionResult,
} from '../../workflows/shared';
import type { UpdateDefinition } from '@temporalio/common';
import type { ApiDeps } from '../deps';
import { AppError, parseInput } from '../errors';
import { runAction } from '../services/actions';
import { ZPersonInput } from '../services/matches';

const ZMatchParams = z.object({ id: z.string().regex(MATCH_ID_PATTERN, 'is not a match id') });
const ZInstant = z.iso.datetime({
  offset: true,
  error: 'must be an ISO date-time with a zone, e.g. 2026-12-03T10:00:00+09:00',
});
const ZReason = z.string().trim().min(1).max(1000);
const ZSlot = z.object({ startsAt: ZInstant, durationMinutes: z.int().min(15).max(480).default(60) });

export const ZProposeKickoffSlots = z.object({
  slots: z.array(ZSlot).min(1).max(5),
  location: z.string().trim().max(500).optional(),
});
export const ZScheduleKickoff = ZSlot.extend({ location: z.string().trim().max(500).optional() });
export const ZCancelKickoff = z.object({ reason: ZReason });
export const ZRecordKickoff = z.object({ held: z.boolean(), reason: ZReason.optional() });
export const ZSetContractStatus = z.object({ status: z.enum(CONTRACT_STATUSES), reason: ZReason.optional() });
export const ZCompleteTask = z.object({ note: z.string().trim().max(2000).optional() });
export const ZAddNote = z.object({
  text: z.string().trim().min(1).max(5000),
  sentiment: z.int().min(1).max(5).optional(),
});
export const ZPause = z.object({ reason: ZReason });
export const ZResume = z.object({}).strict();
export const ZExtend = z.object({ endDate: z.iso.date({ error: 'must be a date as YYYY-MM-DD' }) });
export const ZReassign = z.object({ coordinator: ZPersonInput });
export const ZEndEarly = z.object({
  reason: z.enum(TERMINATION_REASONS),
  note: z.string().trim().max(2000).optional(),
});
export const ZCompleteMatch = z.object({ note: z.string().trim().max(2000).optional() });
export const ZCancelMatch = z.object({ reason: ZReason });

/** Coordinator actions on a match: each one is a workflow update; the workflow's rejection comes back as 409/422. */
export function actionRoutes(deps: ApiDeps): Router {
  const router = Router();

  const requireMatch = async (id: string) => {
    const match = await deps.db.match.findUnique({ where: { id }, select: { id: true } });
    if (!match) throw new AppError('not_found', `No match with id "${id}".`);
  };

  /** One POST route per action: decode the body, run the update, answer with the match's phase and status. */
  function action<S extends z.ZodType, A>(
    path: string,
    schema: S,
    update: UpdateDefinition<ActionResult, [A]>,
    toArg: (body: z.infer<S>, params: Record<string, string>) => A | Promise<A>,
  ) {
    router.post(`/matches/:id/${path}`, async (req, res) => {
      const { id } = parseInput(ZMatchParams, req.params, 'path');
      const body = parseInput(schema, req.body ?? {});
      await requireMatch(id);
      res.json(await runAction(deps, id, update, await toArg(body, req.params as Record<string, string>)));
    });
  }

  action('kickoff/proposals', ZProposeKickoffSlots, proposeKickoffSlotsUpdate, (b) => b);
  action('kickoff/schedule', ZScheduleKickoff, scheduleKickoffUpdate, (b) => b);
  action('kickoff/cancel', ZCancelKickoff, cancelKickoffUpdate, (b) => b);
  action('kickoff/record', ZRecordKickoff, recordKickoffUpdate, (b) => b);
  action('contracts/:type', ZSetContractStatus, setContractStatusUpdate, (b, p) => ({ type: p.type!, ...b }));
  action('tasks/:taskId/done', ZCompleteTask, completeTaskUpdate, (b, p) => ({ taskId: p.taskId!, note: b.note }));
  action('notes', ZAddNote, addNoteUpdate, (b) => b);
  action('pause', ZPause, pauseUpdate, (b) => b);
  action('resume', ZResume, resumeUpdate, () => ({}));
  action('extend', ZExtend, extendUpdate, (b) => b);
  action('reassign', ZReassign, reassignUpdate, async ({ coordinator }) => {
    // The new coordinator is a person of the read model before the workflow hands the match over.
    const person = await deps.db.person.upsert({
      where: { email: coordinator.email },
      create: { email: coordinator.email, name: coordinator.name, locale: coordinator.locale, role: 'coordinator' },
      update: {},
      select: { id: true },
    });
    return {
      coordinator: {
        personId: person.id,
        name: coordinator.name,
        email: coordinator.email,
        locale: coordinator.locale,
      },
    };
  });
  action('end-early', ZEndEarly, endEarlyUpdate, (b) => b);
  action('complete', ZCompleteMatch, completeMatchUpdate, (b) => b);
  action('cancel', ZCancelMatch, cancelMatchUpdate, (b) => b);

  return router;
}
