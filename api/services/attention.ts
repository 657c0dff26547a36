import type { Prisma } from '@prisma/client';
import type { Database } from '../../prisma/client';

/**
 * What needs a coordinator now, across the matches in a scope, from the read model: escalations not yet resolved
 * (overdue first), coordinator tasks open, kickoffs still to arrange, required contract documents not verified, and
 * the matches on watch. The workspace's Today page shows it; each list is short and soonest first.
 */
export type AttentionScope = {
  /** The programs to look in; `undefined` means every program. */
  programIds: string[] | undefined;
  /** Only the matches this coordinator (by email) looks after. */
  coordinatorEmail?: string;
};

const LIMIT = 50;
const OPEN_MATCH = { status: { in: ['open', 'paused'] } } satisfies Prisma.MatchWhereInput;

const matchBrief = {
  id: true,
  title: true,
  programId: true,
  coordinator: { select: { name: true } },
  host: { select: { organization: true, name: true } },
  talent: { select: { name: true } },
} satisfies Prisma.MatchSelect;

/**
 * The matches on watch: open and not green. The read model's health band is what the risk policy writes; when it
 * grows finer states per cause, this is the one place that reads them.
 */
export const ON_WATCH = { healthBand: { in: ['red', 'amber'] } } satisfies Prisma.MatchWhereInput;

export async function needsAttention(db: Database, scope: AttentionScope, now = new Date()) {
  const inScope: Prisma.MatchWhereInput = {
    ...(scope.programIds ? { programId: { in: scope.programIds } } : {}),
    ...(scope.coordinatorEmail ? { coordinator: { email: scope.coordinatorEmail } } : {}),
  };
  const [escalations, tasks, kickoffs, contracts, watch] = await Promise.all([
    db.escalation.findMany({
      where: { status: { not: 'resolved' }, match: inScope },
      orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
      take: LIMIT * 2,
      include: { match: { select: matchBrief } },
    }),
    db.coordinatorTask.findMany({
      where: { status: 'open', match: { ...inScope, ...OPEN_MATCH } },
      orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
      take: LIMIT,
      include: { match: { select: matchBrief } },
    }),
    db.match.findMany({
      where: { ...inScope, ...OPEN_MATCH, kickoffStatus: { in: ['unscheduled', 'proposed', 'not_held'] } },
      orderBy: [{ kickoffDeadlineAt: { sort: 'asc', nulls: 'last' } }, { id: 'asc' }],
      take: LIMIT,
      select: { ...matchBrief, kickoffStatus: true, kickoffDeadlineAt: true, kickoffProposal: true },
    }),
    db.contractDocument.findMany({
      where: { required: true, status: { not: 'verified' }, match: { ...inScope, ...OPEN_MATCH } },
      orderBy: [{ dueAt: { sort: 'asc', nulls: 'last' } }, { matchId: 'asc' }],
      take: LIMIT,
      include: { match: { select: matchBrief } },
    }),
    db.match.findMany({
      where: { ...inScope, ...OPEN_MATCH, ...ON_WATCH },
      orderBy: [{ healthScore: { sort: 'asc', nulls: 'last' } }, { id: 'asc' }],
      take: LIMIT,
      select: { ...matchBrief, healthScore: true, healthBand: true, healthTrend: true, signals: true },
    }),
  ]);
  const overdue = (e: { status: string; dueAt: Date }) => e.status === 'open' && e.dueAt < now;
  return {
    escalations: escalations
      .map((e) => ({ ...e, overdue: overdue(e) }))
      // Overdue first, then soonest due; stable within each.
      .sort((a, b) => Number(b.overdue) - Number(a.overdue))
      .slice(0, LIMIT),
    tasks: tasks.map((t) => ({ ...t, overdue: t.dueAt < now })),
    kickoffs,
    contracts: contracts.map((c) => ({ ...c, overdue: c.dueAt !== null && c.dueAt < now })),
    watch,
  };
}
export type Attention = Awaited<ReturnType<typeof needsAttention>>;
