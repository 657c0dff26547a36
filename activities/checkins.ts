import type { CheckinAnswers, Respondent } from '../workflows/checkin-questions';
import type { CheckinAnsweredSignal } from '../workflows/shared';
import type { ActivityDeps } from './deps';

export type SavedAnswersInput = {
  matchId: string;
  round: number;
  /** The round's close: answers saved after it are late. */
  savedBy: string;
};

export function createCheckinActivities({ db }: ActivityDeps) {
  return {
    /**
     * The answers to a round that were saved by its close, as the check-in page saved them (it saves before it
     * signals, so an answer saved while Temporal was unreachable is here before its signal reaches the workflow).
     */
    async savedAnswers({ matchId, round, savedBy }: SavedAnswersInput): Promise<CheckinAnsweredSignal[]> {
      const rows = await db.checkinAnswer.findMany({
        where: { matchId, round, submittedAt: { lte: new Date(savedBy) } },
        orderBy: { respondent: 'asc' },
        select: { id: true, respondent: true, answers: true, submittedAt: true },
      });
      return rows.map((r) => ({
        round,
        respondent: r.respondent as Respondent,
        answerId: r.id,
        answers: r.answers as CheckinAnswers,
        submittedAt: r.submittedAt.toISOString(),
      }));
    },
  };
}
