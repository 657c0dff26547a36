import { WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError, type UpdateDefinition } from '@temporalio/common';
import { asRefusalDetail } from '../../workflows/refusals';
import { matchWorkflowId, REJECTION_CODES, type ActionResult } from '../../workflows/shared';
import type { Actor } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError, isTemporalUnreachable } from '../errors';

const isGrpcError = (error: unknown, code: number) =>
  typeof error === 'object' && error !== null && (error as { code?: number }).code === code;
const GRPC_NOT_FOUND = 5;

/** How long a caller (a person on a page, or an API client) waits for Temporal: to take an action, to start a match. */
export const TEMPORAL_DEADLINE_MS = 10_000;

/**
 * Runs a coordinator action as a workflow update and turns the workflow's own rejection into an API error:
 * an action that does not fit the match's state is a 409, an unacceptable input or an unknown item a 422, both with
 * the workflow's reason. Temporal gets `deps.temporalDeadlineMs` (10 s) to complete the update; when it cannot be reached
 * or no worker runs the workflow in that time, the action is a 503 (`unavailable`).
 */
export async function runAction<A>(
  deps: ApiDeps,
  matchId: string,
  update: UpdateDefinition<ActionResult, [A]>,
  arg: A,
  actor?: Actor,
): Promise<ActionResult> {
  try {
    const handle = deps.temporal.workflow.getHandle(matchWorkflowId(matchId));
    // Who took the action travels beside its fields; the workflow records it on the timeline.
    const args = [actor ? { ...arg, by: actor } : arg] as [A];
    return await deps.temporal.withDeadline(Date.now() + (deps.temporalDeadlineMs ?? TEMPORAL_DEADLINE_MS), () =>
      handle.executeUpdate(update, { args }),
    );
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) {
      const cause = error.cause;
      const reason = cause instanceof Error ? cause.message : 'the workflow rejected the action';
      const type = cause instanceof ApplicationFailure ? cause.type : undefined;
      const refusal = cause instanceof ApplicationFailure ? asRefusalDetail(cause.details?.[0]) : undefined;
      throw new AppError(type === REJECTION_CODES.wrongState ? 'conflict' : 'rejected', reason, undefined, refusal);
    }
    if (error instanceof WorkflowNotFoundError || isGrpcError(error, GRPC_NOT_FOUND)) {
      throw new AppError('conflict', 'The match workflow has finished; it takes no more actions.', undefined, {
        refusal: 'matchClosed',
        values: {},
      });
    }
    if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
      // The update may be taken up once a worker runs the workflow again: not "nothing was changed".
      throw new AppError(
        'unavailable',
        'Temporal did not complete the action in time (the workflow service or its worker is unavailable). ' +
          'It may still take effect once they are back: check the match before trying again.',
      );
    }
    if (isTemporalUnreachable(error)) {
      throw new AppError(
        'unavailable',
        'Temporal (the workflow service) cannot be reached; nothing was changed. Try again.',
      );
    }
    throw error;
  }
}
