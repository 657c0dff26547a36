import { z } from 'zod';
import {
  ZAddNote,
  ZCancelKickoff,
  ZCancelMatch,
  ZCompleteMatch,
  ZCompleteTask,
  ZContractStatusChange,
  ZContractType,
  ZEndEarly,
  ZExtend,
  ZPause,
  ZProposeKickoffSlotsRequest,
  ZRecordKickoff,
  ZResume,
  ZScheduleKickoffRequest,
} from '../../workflows/messages';
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
  type ActionResult,
} from '../../workflows/shared';
import type { UpdateDefinition } from '@temporalio/common';
import { actorOf } from '../auth';
import type { ApiDeps } from '../deps';
import type { ApiRoutes } from '../routing';
import { runAction } from '../services/actions';
import { matchInScope } from '../services/scope';
import { ZMatchParams } from './matches';
import { ZActionResult, ZProblem } from './schemas';
import { coordinatorParticipant, ZPersonInput } from '../services/matches';

// The bodies are the workflow's own message schemas (workflows/messages.ts); the path supplies the item's id.
export const ZCompleteTaskBody = ZCompleteTask.omit({ taskId: true });
export const ZReassignBody = z.object({ coordinator: ZPersonInput });

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
    beyondSchema?: string,
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
        // A body with nothing required may be left out.
        bodyOptional: schema.safeParse({}).success,
        beyondSchema,
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
        return {
          body: await runAction(
            deps,
            id,
            update,
            await toArg(body, params as Record<string, string>),
            actorOf(principal),
          ),
        };
      },
    );
  }

  action(
    'kickoff/proposals',
    'Propose kickoff slots to host and talent',
    ZProposeKickoffSlotsRequest,
    proposeKickoffSlotsUpdate,
    (b) => b,
  );
  action(
    'kickoff/schedule',
    'Schedule (or move) the kickoff; everyone gets an invite',
    ZScheduleKickoffRequest,
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
    {},
    'a reason when `held` is false',
  );
  action(
    'contracts/:type',
    "Set a contract document's status",
    ZContractStatusChange,
    setContractStatusUpdate,
    (b, p) => ({ type: p.type!, ...b }),
    { type: ZContractType },
    'a reason to reject a document',
  );
  action(
    'tasks/:taskId/done',
    'Mark a coordinator task done',
    ZCompleteTaskBody,
    completeTaskUpdate,
    (b, p) => ({ taskId: p.taskId!, note: b.note }),
    { taskId: ZCompleteTask.shape.taskId },
  );
  action('notes', "Add a note and the coordinator's own 1–5 read of the match", ZAddNote, addNoteUpdate, (b) => b);
  action('pause', 'Pause: no sends, timers held', ZPause, pauseUpdate, (b) => b);
  action('resume', 'Resume a paused match; held timers move later by the pause', ZResume, resumeUpdate, () => ({}));
  action('extend', 'Extend the planned end date', ZExtend, extendUpdate, (b) => b);
  action(
    'reassign',
    'Hand the match (and its open items) to another coordinator',
    ZReassignBody,
    reassignUpdate,
    ({ coordinator }, p) => coordinatorParticipant(deps.db, p.id!, coordinator).then((c) => ({ coordinator: c })),
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
