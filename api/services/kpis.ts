import type { Prisma } from '@prisma/client';
import { z } from 'zod';
import type { Database } from '../../prisma/client';
import { startOfDate } from '../../workflows/calendar';
import { HEALTH_BANDS, type HealthBand } from '../../workflows/health';
import { ZText } from '../../workflows/text';

/**
 * Program KPIs, the figures the field compares itself by: how many matches completed (完遂) and how many ended early
 * (途中終了), among those that have ended; how many check-ins got an answer; how fast kickoffs happen; open and
 * overdue escalations; mean health and how the running matches stand by health band. Read from the read model only.
 */
export const ZKpiFigures = z.object({
  started: z.number().int().describe('matches in the selection, less those cancelled before their start'),
  active: z.number().int().describe('not closed (open or paused)'),
  completed: z.number().int(),
  terminatedEarly: z.number().int(),
  cancelled: z.number().int(),
  completionRate: z.number().nullable().describe('completed / ended (completed + terminated early)'),
  earlyTerminationRate: z.number().nullable().describe('terminated early / ended'),
  checkinResponseRate: z.number().nullable().describe('answers / check-ins sent, host and talent counted apart'),
  medianDaysToKickoff: z.number().nullable().describe('from the match start date to the kickoff held'),
  kickoffsHeld: z.number().int().describe('matches whose kickoff was held (what the median is taken over)'),
  openEscalations: z.number().int(),
  overdueEscalations: z.number().int().describe('open, not acknowledged, past their due date'),
  meanHealth: z.number().nullable().describe('mean health score of the matches that have one'),
  healthBands: z
    .object({ green: z.number().int(), amber: z.number().int(), red: z.number().int(), too_early: z.number().int() })
    .describe('running matches (open or paused) by their health band now'),
});
export type KpiFigures = z.infer<typeof ZKpiFigures>;

export const ZKpis = ZKpiFigures.extend({
  programId: z.string(),
  filters: z.object({
    from: z.string().nullable(),
    to: z.string().nullable(),
    cohort: z.string().nullable(),
    region: z.string().nullable(),
  }),
  byCohort: z.array(ZKpiFigures.extend({ cohort: z.string() })),
  byRegion: z.array(ZKpiFigures.extend({ region: z.string().nullable() })),
});
export type Kpis = z.infer<typeof ZKpis>;

export type KpiRow = {
  cohort: string;
  region: string | null;
  status: string;
  startDate: Date;
  kickoffHeldAt: Date | null;
  checkinsAsked: number;
  checkinsAnswered: number;
  healthScore: number | null;
  healthBand: string;
  escalations: { status: string; dueAt: Date }[];
};

const DAY = 86_400_000;

function median(values: number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const round1 = (n: number | null) => (n === null ? null : Math.round(n * 10) / 10);

/** The figures for a set of matches (pure: `now` decides what is overdue). */
export function kpiFigures(rows: KpiRow[], now: Date, timeZone = 'Asia/Tokyo'): KpiFigures {
  const count = (status: string) => rows.filter((r) => r.status === status).length;
  const completed = count('completed');
  const terminatedEarly = count('terminated_early');
  const cancelled = count('cancelled');
  // A match cancelled before its start never ran: it counts neither as started nor as ended.
  const ended = completed + terminatedEarly;
  const asked = rows.reduce((n, r) => n + r.checkinsAsked, 0);
  const answered = rows.reduce((n, r) => n + r.checkinsAnswered, 0);
  const daysToKickoff = rows
    .filter((r) => r.kickoffHeldAt)
    // From the start date, not the registration: imported matches are registered long after they started.
    .map((r) =>
      Math.max(0, (r.kickoffHeldAt!.getTime() - startOfDate(r.startDate.toISOString().slice(0, 10), timeZone)) / DAY),
    );
  const scores = rows.map((r) => r.healthScore).filter((s): s is number => s !== null);
  const escalations = rows.flatMap((r) => r.escalations);
  const running = rows.filter((r) => r.status === 'open' || r.status === 'paused');
  const healthBands = Object.fromEntries(
    HEALTH_BANDS.map((band) => [band, running.filter((r) => r.healthBand === band).length]),
  ) as Record<HealthBand, number>;
  return {
    started: rows.length - cancelled,
    active: running.length,
    completed,
    terminatedEarly,
    cancelled,
    completionRate: ended ? completed / ended : null,
    earlyTerminationRate: ended ? terminatedEarly / ended : null,
    checkinResponseRate: asked ? answered / asked : null,
    medianDaysToKickoff: round1(median(daysToKickoff)),
    kickoffsHeld: daysToKickoff.length,
    openEscalations: escalations.filter((e) => e.status !== 'resolved').length,
    overdueEscalations: escalations.filter((e) => e.status === 'open' && e.dueAt < now).length,
    meanHealth: round1(scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : null),
    healthBands,
  };
}

export const ZKpiQuery = z.object({
  from: z.iso.date({ error: 'must be a date as YYYY-MM-DD' }).optional().describe('matches starting on or after'),
  to: z.iso.date({ error: 'must be a date as YYYY-MM-DD' }).optional().describe('matches starting on or before'),
  cohort: z
    .string()
    .regex(/^\d{4}-\d{2}$/, 'must be a month as YYYY-MM')
    .optional()
    .describe('the start month'),
  region: ZText.line({ max: 100 }).optional(),
});
export type TKpiQuery = z.infer<typeof ZKpiQuery>;

/** KPIs of one program, with the same figures by cohort (start month) and by region. */
export async function programKpis(db: Database, programId: string, query: TKpiQuery, now = new Date()): Promise<Kpis> {
  const where: Prisma.MatchWhereInput = {
    programId,
    ...(query.cohort ? { cohort: query.cohort } : {}),
    ...(query.region ? { region: query.region } : {}),
    ...(query.from || query.to
      ? {
          startDate: {
            ...(query.from ? { gte: new Date(`${query.from}T00:00:00Z`) } : {}),
            ...(query.to ? { lte: new Date(`${query.to}T00:00:00Z`) } : {}),
          },
        }
      : {}),
  };
  const rows = await db.match.findMany({
    where,
    select: {
      cohort: true,
      region: true,
      status: true,
      startDate: true,
      kickoffHeldAt: true,
      checkinsAsked: true,
      checkinsAnswered: true,
      healthScore: true,
      healthBand: true,
      escalations: { select: { status: true, dueAt: true } },
    },
  });
  const groups = <K extends string | null>(key: (r: KpiRow) => K) => {
    const map = new Map<K, KpiRow[]>();
    for (const r of rows) map.set(key(r), [...(map.get(key(r)) ?? []), r]);
    return [...map.entries()].sort(([a], [b]) => String(a ?? '').localeCompare(String(b ?? '')));
  };
  return {
    programId,
    filters: {
      from: query.from ?? null,
      to: query.to ?? null,
      cohort: query.cohort ?? null,
      region: query.region ?? null,
    },
    ...kpiFigures(rows, now),
    byCohort: groups((r) => r.cohort).map(([cohort, group]) => ({ cohort, ...kpiFigures(group, now) })),
    byRegion: groups((r) => r.region).map(([region, group]) => ({ region, ...kpiFigures(group, now) })),
  };
}
