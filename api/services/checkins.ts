import type { Prisma } from '@prisma/client';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Database } from '../../prisma/client';
import { reasonOf, silentLog, type Log } from '../../telemetry/log';
import type { CheckinAnswers, Respondent } from '../../workflows/checkin-questions';
import { checkinAnsweredSignal, matchWorkflowId } from '../../workflows/shared';
import { beforeDeadline } from './actions';

const SIGNAL_DEADLINE_MS = 5_000;

export type SubmittedAnswer = { matchId: string; round: number; respondent: Respondent; answers: CheckinAnswers };

export type SavedAnswer = { answerId: string; submittedAt: Date; delivered: boolean };

/**
 * Saves a check-in answer to Postgres first, then tells the workflow. If Temporal cannot be reached the answer is
 * still saved (and acknowledged to the person); `deliverPendingAnswers` delivers it later. Submitting again for the
 * same round updates the answer.
 */
export async function saveAndDeliverAnswer(
  db: Database,
  temporal: Client,
  input: SubmittedAnswer,
): Promise<SavedAnswer> {
  const saved = await db.checkinAnswer.upsert({
    where: { matchId_round_respondent: { matchId: input.matchId, round: input.round, respondent: input.respondent } },
    create: {
      matchId: input.matchId,
      round: input.round,
      respondent: input.respondent,
      answers: input.answers as Prisma.InputJsonObject,
    },
    update: { answers: input.answers as Prisma.InputJsonObject, submittedAt: new Date(), signalledAt: null },
    select: { id: true, submittedAt: true },
  });
  const delivered = await deliver(db, temporal, { ...input, answerId: saved.id, submittedAt: saved.submittedAt });
  return { answerId: saved.id, submittedAt: saved.submittedAt, delivered };
}

async function deliver(
  db: Database,
  temporal: Client,
  answer: SubmittedAnswer & { answerId: string; submittedAt: Date },
): Promise<boolean> {
  try {
    // A person is waiting for the page: give Temporal a few seconds, then leave it to the relay.
    await beforeDeadline(temporal, Date.now() + SIGNAL_DEADLINE_MS, () =>
      temporal.workflow.getHandle(matchWorkflowId(answer.matchId)).signal(checkinAnsweredSignal, {
        round: answer.round,
        respondent: answer.respondent,
        answerId: answer.answerId,
        answers: answer.answers,
        submittedAt: answer.submittedAt.toISOString(),
      }),
    );
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) {
      // The match's workflow has finished: the answer stays saved, and the relay stops trying.
      await db.checkinAnswer
        .updateMany({
          where: { id: answer.answerId, submittedAt: answer.submittedAt },
          data: { deliveryError: 'the match workflow has finished' },
        })
        .catch(() => undefined);
    }
    return false;
  }
  // Only this exact submission counts as delivered: a newer one saved meanwhile stays pending. If Postgres went away
  // since the answer was saved, the relay delivers it again later and the workflow counts it once.
  await db.checkinAnswer
    .updateMany({ where: { id: answer.answerId, submittedAt: answer.submittedAt }, data: { signalledAt: new Date() } })
    .catch(() => undefined);
  return true;
}

/** Delivers answers saved while Temporal was unreachable; returns how many were delivered. */
export async function deliverPendingAnswers(db: Database, temporal: Client, limit = 100): Promise<number> {
  const pending = await db.checkinAnswer.findMany({
    where: { signalledAt: null, deliveryError: null },
    orderBy: { submittedAt: 'asc' },
    take: limit,
    select: { id: true, matchId: true, round: true, respondent: true, answers: true, submittedAt: true },
  });
  let delivered = 0;
  for (const a of pending) {
    const ok = await deliver(db, temporal, {
      matchId: a.matchId,
      round: a.round,
      respondent: a.respondent as Respondent,
      answers: a.answers as CheckinAnswers,
      answerId: a.id,
      submittedAt: a.submittedAt,
    });
    if (ok) delivered += 1;
  }
  return delivered;
}

/** Every `intervalMs`, delivers answers that were saved while Temporal was unreachable. Returns a stop function. */
export function startAnswerRelay(
  db: Database,
  temporal: Client,
  { intervalMs = 15_000, log = silentLog }: { intervalMs?: number; log?: Log } = {},
): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    deliverPendingAnswers(db, temporal)
      .then((delivered) => delivered && log.info({ delivered }, 'delivered saved check-in answers'))
      .catch((error: unknown) => log.warn({ reason: reasonOf(error) }, 'answer relay failed; will retry'))
      .finally(() => (running = false));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
