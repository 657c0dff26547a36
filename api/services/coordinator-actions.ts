import type { UpdateDefinition } from '@temporalio/common';
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
  ZEscalationAction,
  ZExtend,
  ZPause,
  ZProposeKickoffSlotsRequest,
  ZRecordKickoff,
  ZResolveEscalation,
  ZResume,
  ZScheduleKickoffRequest,
  ZSnoozeEscalation,
} from '../../workflows/messages';
import {
  acknowledgeEscalationUpdate,
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
  resolveEscalationUpdate,
  resumeUpdate,
  scheduleKickoffUpdate,
  setContractStatusUpdate,
  snoozeEscalationUpdate,
  type ActionResult,
} from '../../workflows/shared';
import type { ApiDeps } from '../deps';
import { coordinatorParticipant, ZPersonInput } from './matches';

// The bodies are the workflow's own message schemas (workflows/messages.ts); the path supplies the item's id.
export const ZCompleteTaskBody = ZCompleteTask.omit({ taskId: true });
export const ZReassignBody = z.object({ coordinator: ZPersonInput });
export const ZResolve = ZResolveEscalation.omit({ escalationId: true });
export const ZSnooze = ZSnoozeEscalation.omit({ escalationId: true });

/**
 * One coordinator action: the body it takes (checked by the schema), the workflow update it runs and how the body
 * and the path become the update's argument. The JSON API (`POST /matches/:id/<path>`, `POST /escalations/:id/<path>`)
 * and the workspace's forms both run these entries, so each action is declared once.
 */
export type CoordinatorAction<S extends z.ZodType = z.ZodType, A = unknown> = {
  summary: string;
  schema: S;
  update: UpdateDefinition<ActionResult, [A]>;
  /** The update's argument from the decoded body and the path's parameters (`id`, `type`, `taskId`). */
  arg: (deps: ApiDeps, body: z.infer<S>, params: Record<string, string>) => A | Promise<A>;
  /** Parameters of the path beyond the match's or escalation's id. */
  params?: z.ZodRawShape;
  /** The rules its schema cannot state, for the spec (a 400 may refuse input the schema allows only for these). */
  beyondSchema?: string;
};

const action = <S extends z.ZodType, A>(a: CoordinatorAction<S, A>) => a as unknown as CoordinatorAction;
const same = <B>(_deps: ApiDeps, body: B) => body;

/** The actions on a match, by their path under `/matches/:id/`. */
export const MATCH_ACTIONS = {
  'kickoff/proposals': action({
    summary: 'Propose kickoff slots to host and talent',
    schema: ZProposeKickoffSlotsRequest,
    update: proposeKickoffSlotsUpdate,
    arg: same,
  }),
  'kickoff/schedule': action({
    summary: 'Schedule (or move) the kickoff; everyone gets an invite',
    schema: ZScheduleKickoffRequest,
    update: scheduleKickoffUpdate,
    arg: same,
  }),
  'kickoff/cancel': action({
    summary: 'Cancel the scheduled kickoff (METHOD:CANCEL)',
    schema: ZCancelKickoff,
    update: cancelKickoffUpdate,
    arg: same,
  }),
  'kickoff/record': action({
    summary: 'Record the kickoff held, or not held with a reason',
    schema: ZRecordKickoff,
    update: recordKickoffUpdate,
    arg: same,
    beyondSchema: 'a reason when `held` is false',
  }),
  'contracts/:type': action({
    summary: "Set a contract document's status",
    schema: ZContractStatusChange,
    update: setContractStatusUpdate,
    arg: (_deps, body, p) => ({ type: p.type!, ...body }),
    params: { type: ZContractType },
    beyondSchema: 'a reason to reject a document',
  }),
  'tasks/:taskId/done': action({
    summary: 'Mark a coordinator task done',
    schema: ZCompleteTaskBody,
    update: completeTaskUpdate,
    arg: (_deps, body, p) => ({ taskId: p.taskId!, note: body.note }),
    params: { taskId: ZCompleteTask.shape.taskId },
  }),
  notes: action({
    summary: "Add a note and the coordinator's own 1–5 read of the match",
    schema: ZAddNote,
    update: addNoteUpdate,
    arg: same,
  }),
  pause: action({ summary: 'Pause: no sends, timers held', schema: ZPause, update: pauseUpdate, arg: same }),
  resume: action({
    summary: 'Resume a paused match; held timers move later by the pause',
    schema: ZResume,
    update: resumeUpdate,
    arg: () => ({}),
  }),
  extend: action({ summary: 'Extend the planned end date', schema: ZExtend, update: extendUpdate, arg: same }),
  reassign: action({
    summary: 'Hand the match (and its open items) to another coordinator',
    schema: ZReassignBody,
    update: reassignUpdate,
    arg: async (deps, body, p) => ({ coordinator: await coordinatorParticipant(deps.db, p.id!, body.coordinator) }),
  }),
  'end-early': action({
    summary: 'End the match early, with a reason from the taxonomy',
    schema: ZEndEarly,
    update: endEarlyUpdate,
    arg: same,
  }),
  complete: action({
    summary: 'Record the match completed (in its wrap-up phase)',
    schema: ZCompleteMatch,
    update: completeMatchUpdate,
    arg: same,
  }),
  cancel: action({
    summary: 'Cancel a match that has not started',
    schema: ZCancelMatch,
    update: cancelMatchUpdate,
    arg: same,
  }),
} satisfies Record<string, CoordinatorAction>;
export type MatchActionPath = keyof typeof MATCH_ACTIONS;

/** The actions on an escalation, by their path under `/escalations/:id/`. */
export const ESCALATION_ACTIONS = {
  ack: action({
    summary: 'Acknowledge: the coordinator is on it (stops the ladder)',
    schema: z.object({}),
    update: acknowledgeEscalationUpdate,
    arg: (_deps, _body, p) => ({ escalationId: p.id! }),
  }),
  resolve: action({
    summary: 'Resolve with a note',
    schema: ZResolve,
    update: resolveEscalationUpdate,
    arg: (_deps, body, p) => ({ escalationId: p.id!, note: body.note }),
  }),
  snooze: action({
    summary: 'Snooze until a date, with a reason (the ladder waits; it reopens then if not cleared)',
    schema: ZSnooze,
    update: snoozeEscalationUpdate,
    arg: (_deps, body, p) => ({
      escalationId: p.id!,
      until: new Date(body.until).toISOString(),
      reason: body.reason,
    }),
  }),
} satisfies Record<string, CoordinatorAction>;
export type EscalationActionPath = keyof typeof ESCALATION_ACTIONS;

export const ZEscalationParams = z.object({ id: ZEscalationAction.shape.escalationId });
