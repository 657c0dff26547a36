import type { Prisma } from '@prisma/client';
import type { MatchReadModel } from '../workflows/read-model';
import type { PendingEvent } from '../workflows/shared';
import type { ActivityDeps } from './deps';

export type SyncMatchInput = {
  matchId: string;
  /** Timeline events since the last sync; their keys make a retry write nothing twice. */
  events: PendingEvent[];
  model: MatchReadModel;
};

const date = (iso: string | null | undefined) => (iso ? new Date(iso) : null);
const json = (value: unknown) => value as Prisma.InputJsonValue;

export function createReadModelActivities({ db }: ActivityDeps) {
  return {
    /** Writes the match's timeline events and its current read model (status, health, escalations, tasks, contracts) in one transaction. */
    async syncMatch({ matchId, events, model }: SyncMatchInput): Promise<void> {
      const coordinator = model.coordinator;
      await db.$transaction(async (tx) => {
        if (events.length) {
          await tx.matchEvent.createMany({
            data: events.map((e) => ({
              key: e.key,
              matchId,
              type: e.type,
              payload: json(e.payload),
              occurredAt: new Date(e.at),
            })),
            skipDuplicates: true,
          });
        }
        // A reassigned coordinator becomes (or stays) a person the read model points at.
        const person = await tx.person.upsert({
          where: { email: coordinator.email },
          create: { email: coordinator.email, name: coordinator.name, locale: coordinator.locale, role: 'coordinator' },
          update: {},
          select: { id: true },
        });
        const lastAnswered = model.checkins.lastRoundAnswered;
        await tx.match.update({
          where: { id: matchId },
          data: {
            phase: model.phase,
            status: model.status,
            endDate: new Date(`${model.endDate}T00:00:00Z`),
            coordinatorId: person.id,
            paused: model.paused,
            healthScore: model.health.score,
            healthBand: model.health.band,
            healthTrend: model.health.trend,
            signals: json(model.health.signals),
            kickoffStatus: model.kickoff.status,
            kickoffProposal: model.kickoff.proposal,
            kickoffSlots: json(model.kickoff.slots),
            kickoffLocation: model.kickoff.location ?? null,
            kickoffAt: date(model.kickoff.startsAt),
            kickoffDeadlineAt: date(model.kickoff.deadlineAt),
            kickoffHeldAt: date(model.kickoff.heldAt),
            checkinsCompleted: model.checkins.completedRounds,
            checkinsAsked: model.checkins.asked,
            checkinsAnswered: model.checkins.answered,
            lastCheckinAt: date(model.checkins.lastRoundAt),
            lastCheckinResponse: model.checkins.completedRounds
              ? lastAnswered.length === 2
                ? 'both'
                : (lastAnswered[0] ?? 'none')
              : null,
            openEscalations: model.escalations.filter((e) => e.status !== 'resolved').length,
            nextStepAt: date(model.nextStep?.at),
            nextStep: model.nextStep?.what ?? null,
            outcomeReason: model.outcome?.reason ?? null,
            closedAt: date(model.outcome?.at),
            playbookVersion: model.playbookVersion,
          },
        });
        const { lastClosed, current } = model.checkins;
        const rounds = [
          ...(lastClosed && lastClosed.round !== current?.round ? [{ ...lastClosed, status: 'closed' as const }] : []),
          ...(current ? [current] : []),
        ];
        for (const round of rounds) {
          const data = {
            kind: round.kind,
            status: round.status,
            openedAt: new Date(round.openedAt),
            closeAt: new Date(round.closeAt),
            expiresAt: new Date(round.expiresAt),
            answered: json(round.answered),
          };
          await tx.checkinRound.upsert({
            where: { matchId_round: { matchId, round: round.round } },
            create: { matchId, round: round.round, ...data },
            update: data,
          });
        }
        for (const e of model.escalations) {
          const data = {
            type: e.type,
            severity: e.severity,
            status: e.status,
            level: e.level,
            reasons: json(e.reasons),
            evidence: json(e.evidence),
            openedAt: new Date(e.openedAt),
            dueAt: new Date(e.dueAt),
            acknowledgedAt: date(e.acknowledgedAt),
            snoozedUntil: date(e.snoozedUntil),
            snoozeReason: e.snoozeReason ?? null,
            resolvedAt: date(e.resolvedAt),
            resolvedBy: e.resolution?.by ?? null,
            resolution: e.resolution?.note ?? null,
          };
          await tx.escalation.upsert({ where: { id: e.id }, create: { id: e.id, matchId, ...data }, update: data });
        }
        for (const t of model.tasks) {
          const data = {
            key: t.key,
            label: json(t.label),
            status: t.status,
            openAt: new Date(t.openAt),
            dueAt: new Date(t.dueAt),
            doneAt: date(t.doneAt),
            note: t.note ?? null,
          };
          await tx.coordinatorTask.upsert({
            where: { id: t.id },
            create: { id: t.id, matchId, ...data },
            update: data,
          });
        }
        for (const c of model.contracts) {
          const data = {
            label: json(c.label),
            required: c.required,
            status: c.status,
            dueAt: date(c.dueAt),
            reason: c.reason ?? null,
            updatedAt: new Date(c.updatedAt),
          };
          await tx.contractDocument.upsert({
            where: { matchId_type: { matchId, type: c.type } },
            create: { matchId, type: c.type, ...data },
            update: data,
          });
        }
      });
    },
  };
}
