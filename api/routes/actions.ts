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
import type { ApiRoutes } from '../routing';
import { runAction } from '../services/actions';
import { matchInScope } from '../services/scope';
import { ZMatchParams } from './matches';
import { ZActionResult, ZProblem } from './schemas';
import { ZPersonInput } from '../services/matches';

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
export function actionRoutes(api: ApiRoutes, deps: ApiDeps): void {
  /** One POST route per action: decode the body, run the update, answer with the match's phase and status. */
  function action<S extends z.ZodType, A>(
    path: string,
    summary: string,
    schema: S,
    update: UpdateDefinition<ActionResult, [A]>,
    toArg: (body: z.infer<S>, params: Record<string, string>) => A | Promise<A>,
    extraParams: z.ZodRawShape = {},
  ) {
    api.add(
      {
        method: 'post',
        path: `/matches/:id/${path}`,
        summary,
        tag: 'actions',
        access: 'act',
        params: ZMatchParams.extend(extraParams),
        body: schema,
        responses: {
          200: { description: "The workflow accepted it; the match's phase and status now", schema: ZActionResult },
          400: { description: 'Invalid input', schema: ZProblem },
          403: { description: 'Not a coordinator (or admin) key for this program', schema: ZProblem },
          409: { description: "The workflow rejected it: it does not fit the match's state", schema: ZProblem },
          422: { description: 'The workflow rejected it: unacceptable input or unknown item', schema: ZProblem },
          503: { description: 'Temporal or its worker did not take the action in time', schema: ZProblem },
        },
      },
      async ({ params, body, principal }) => {
        const { id } = params as { id: string };
        await matchInScope(deps.db, principal, id, 'act');
        return { body: await runAction(deps, id, update, await toArg(body, params as Record<string, string>)) };
      },
    );
  }

  action(
    'kickoff/proposals',
    'Propose kickoff slots to host and talent',
    ZProposeKickoffSlots,
    proposeKickoffSlotsUpdate,
    (b) => b,
  );
  action(
    'kickoff/schedule',
    'Schedule (or move) the kickoff; everyone gets an invite',
    ZScheduleKickoff,
    scheduleKickoffUpdate,
    (b) => b,
  );
  action(
    'kickoff/cancel',
    'Cancel the scheduled kickoff (METHOD:CANCEL)',
    ZCancelKickoff,
    cancelKickoffUpdate,
    (b) => b,
  );
  action(
    'kickoff/record',
    'Record the kickoff held, or not held with a reason',
    ZRecordKickoff,
    recordKickoffUpdate,
    (b) => b,
  );
  action(
    'contracts/:type',
    "Set a contract document's status",
    ZSetContractStatus,
    setContractStatusUpdate,
    (b, p) => ({ type: p.type!, ...b }),
    {
      type: z.string().regex(/^[a-z][a-z0-9_]{0,40}$/, 'is not a document type'),
    },
  );
  action(
    'tasks/:taskId/done',
    'Mark a coordinator task done',
    ZCompleteTask,
    completeTaskUpdate,
    (b, p) => ({ taskId: p.taskId!, note: b.note }),
    {
      taskId: z.string().min(1).max(200),
    },
  );
  action('notes', "Add a note and the coordinator's own 1–5 read of the match", ZAddNote, addNoteUpdate, (b) => b);
  action('pause', 'Pause: no sends, timers held', ZPause, pauseUpdate, (b) => b);
  action('resume', 'Resume a paused match; held timers move later by the pause', ZResume, resumeUpdate, () => ({}));
  action('extend', 'Extend the planned end date', ZExtend, extendUpdate, (b) => b);
  action(
    'reassign',
    'Hand the match (and its open items) to another coordinator',
    ZReassign,
    reassignUpdate,
    async ({ coordinator }) => {
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
    },
  );
  action('end-early', 'End the match early, with a reason from the taxonomy', ZEndEarly, endEarlyUpdate, (b) => b);
  action(
    'complete',
    'Record the match completed (in its wrap-up phase)',
    ZCompleteMatch,
    completeMatchUpdate,
    (b) => b,
  );
  action('cancel', 'Cancel a match that has not started', ZCancelMatch, cancelMatchUpdate, (b) => b);
}
