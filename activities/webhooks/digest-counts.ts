import type { Database } from '../../prisma/client';
import type { RiskState } from '../../workflows/risk-model';

/** A program's numbers for its weekly digest event. */
export type WeeklyDigestCounts = {
  programId: string;
  openEscalations: number;
  overdueEscalations: number;
  overdueTasks: number;
  watches: number;
};

/**
 * The numbers of each program that has an endpoint taking `digest.weekly` and open matches, read from the read model
 * at `now`: escalations waiting on a coordinator (open or acknowledged) and those past due, tasks past due, and the
 * concerns the risk model watches. The same escalations and watches the coordinators' digest emails list.
 */
export async function weeklyDigestCounts(db: Database, now: Date): Promise<WeeklyDigestCounts[]> {
  const endpoints = await db.webhookEndpoint.findMany({
    where: { removedAt: null, events: { has: 'digest.weekly' } },
    select: { programId: true },
    distinct: ['programId'],
    orderBy: { programId: 'asc' },
  });
  const counts: WeeklyDigestCounts[] = [];
  for (const { programId } of endpoints) {
    const matches = await db.match.findMany({
      where: { programId, status: { in: ['open', 'paused'] } },
      select: {
        risk: true,
        escalations: { where: { status: { in: ['open', 'acknowledged'] } }, select: { status: true, dueAt: true } },
        tasks: { where: { status: 'open', dueAt: { lt: now } }, select: { id: true } },
      },
    });
    if (matches.length === 0) continue;
    const escalations = matches.flatMap((m) => m.escalations);
    counts.push({
      programId,
      openEscalations: escalations.length,
      overdueEscalations: escalations.filter((e) => e.status === 'open' && e.dueAt < now).length,
      overdueTasks: matches.reduce((n, m) => n + m.tasks.length, 0),
      watches: matches.reduce(
        (n, m) => n + ((m.risk as RiskState | null)?.causes ?? []).filter((c) => c.level === 'watch').length,
        0,
      ),
    });
  }
  return counts;
}
