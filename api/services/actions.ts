import { AsyncLocalStorage } from 'node:async_hooks';
import { WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError, type UpdateDefinition } from '@temporalio/common';
import { asRefusalDetail } from '../../workflows/refusals';
import { matchWorkflowId, REJECTION_CODES, type ActionResult } from '../../workflows/shared';
import type { Actor } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError, isTemporalUnreachable } from '../errors';

const isGrpcError = (error: unknown, code: number) =>
  typeof error === 'object' && error !== null && (error as { code?: number }).code === code;
const GRPC_NOT_FOUND = 5;

/**
 * How long a caller (a person on a page, or an API client) waits for Temporal, counted from the request's arrival: to
 * take an action, to start a match. 9 s, so that the answer, written after it, comes within the 10 s the README
 * promises however long the request's own work (reading the database, under load) took before.
 */
export const TEMPORAL_DEADLINE_MS = 9_000;

/** When the request being handled arrived (epoch ms), for the Temporal deadlines of its handler. */
const arrivals = new AsyncLocalStorage<number>();

/** Runs a request's handler so that its Temporal deadlines count from `arrivedAt` (`res.locals.arrivedAt`). */
export function fromArrival<T>(arrivedAt: unknown, handler: () => T): T {
  return arrivals.run(typeof arrivedAt === 'number' ? arrivedAt : Date.now(), handler);
}

/** The instant by which Temporal must have answered: the deadline after the request arrived (outside one, from now). */
export function temporalDeadline(deps: { temporalDeadlineMs?: number }): number {
  return (arrivals.getStore() ?? Date.now()) + (deps.temporalDeadlineMs ?? TEMPORAL_DEADLINE_MS);
}

/** Temporal had not answered by the caller's deadline: whether the call took effect is not known. */
export class TemporalDeadlineError extends Error {
  override name = 'TemporalDeadlineError';
  constructor() {
    super('Temporal did not answer before the deadline');
  }
}

/**
 * Calls Temporal so that the caller has an answer by `deadline` (epoch ms): the client's own gRPC deadline, and a timer
 * for what the client's retries add when the server cannot be reached (a backoff that sleeps past the deadline before
 * it gives up: up to 16 s in all were seen for a 10 s deadline).
 */
export function beforeDeadline<T>(temporal: Client, deadline: number, call: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TemporalDeadlineError()), Math.max(0, deadline - Date.now()));
  });
  const answer = temporal.withDeadline(deadline, call);
  answer.catch(() => undefined); // once the deadline has passed, how the call ends no longer matters
  return Promise.race([answer, expired]).finally(() => clearTimeout(timer));
}

/** Who took an action, and the update id that makes sending it again safe (a request's `Idempotency-Key`). */
export type ActionOptions = { by?: Actor; updateId?: string };

/**
 * Runs a coordinator action as a workflow update and turns the workflow's own rejection into an API error:
 * an action that does not fit the match's state is a 409, an unacceptable input or an unknown item a 422, both with
 * the workflow's reason. Temporal has until the request's deadline (`temporalDeadline`) to complete the update; when it
 * cannot be reached or no worker runs the workflow by then, the action is a 503 (`unavailable`). With an `updateId`,
 * the same action sent again is the same update: Temporal applies it once and answers both with its one outcome.
 */
export async function runAction<A>(
  deps: ApiDeps,
  matchId: string,
  update: UpdateDefinition<ActionResult, [A]>,
  arg: A,
  { by, updateId }: ActionOptions = {},
): Promise<ActionResult> {
  try {
    const handle = deps.temporal.workflow.getHandle(matchWorkflowId(matchId));
    // Who took the action travels beside its fields; the workflow records it on the timeline.
    const args = [by ? { ...arg, by } : arg] as [A];
    return await beforeDeadline(deps.temporal, temporalDeadline(deps), () =>
      handle.executeUpdate(update, { args, ...(updateId ? { updateId: `request:${updateId}` } : {}) }),
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
    if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError || error instanceof TemporalDeadlineError) {
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
