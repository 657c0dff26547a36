import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError, type UpdateDefinition } from '@temporalio/common';
import { matchWorkflowId, REJECTION_CODES, type ActionResult } from '../../workflows/shared';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import { isUnreachable } from './matches';

const isGrpcError = (error: unknown, code: number) =>
  typeof error === 'object' && error !== null && (error as { code?: number }).code === code;
const GRPC_NOT_FOUND = 5;

/**
 * Runs a coordinator action as a workflow update and turns the workflow's own rejection into an API error:
 * an action that does not fit the match's state is a 409, an unacceptable input or an unknown item a 422, both with
 * the workflow's reason.
 */
export async function runAction<A>(
  deps: ApiDeps,
  matchId: string,
  update: UpdateDefinition<ActionResult, [A]>,
  arg: A,
): Promise<ActionResult> {
  try {
    return await deps.temporal.workflow.getHandle(matchWorkflowId(matchId)).executeUpdate(update, { args: [arg] });
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) {
      const cause = error.cause;
      const reason = cause instanceof Error ? cause.message : 'the workflow rejected the action';
      const type = cause instanceof ApplicationFailure ? cause.type : undefined;
      throw new AppError(type === REJECTION_CODES.wrongState ? 'conflict' : 'rejected', reason);
    }
    if (error instanceof WorkflowNotFoundError || isGrpcError(error, GRPC_NOT_FOUND)) {
      throw new AppError('conflict', 'The match workflow has finished; it takes no more actions.');
    }
    if (isUnreachable(error)) {
      throw new AppError('unavailable', 'The workflow service cannot be reached; nothing was changed. Try again.');
    }
    throw error;
  }
}
