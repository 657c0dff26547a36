import type { Prisma } from '@prisma/client';
import type { ActivityDeps } from './deps';

export type RecordMatchEventInput = {
  /** Idempotency key: workflow id + step. */
  key: string;
  matchId: string;
  type: string;
  payload?: Record<string, unknown>;
  /** When it happened in workflow time (ISO), so the timeline shows workflow time, not when a retry ran. */
  occurredAt: string;
};

export function createTimelineActivities({ db }: ActivityDeps) {
  return {
    /** Appends one step to a match's timeline; a retry with the same key writes nothing more. */
    async recordMatchEvent(input: RecordMatchEventInput): Promise<void> {
      await db.matchEvent.createMany({
        data: [
          {
            key: input.key,
            matchId: input.matchId,
            type: input.type,
            payload: (input.payload ?? {}) as Prisma.InputJsonObject,
            occurredAt: new Date(input.occurredAt),
          },
        ],
        skipDuplicates: true,
      });
    },
  };
}
