import type { Database } from '../../prisma/client';
import { localDate } from '../../workflows/calendar';

/**
 * A program month by month, from the read model: its matches' health (each match's last health in the month), how
 * many check-ins host and talent answered (by the month a round opened), and escalations opened and resolved. The
 * months run from the first with any figure to the last, without gaps, at most `MAX_MONTHS` of them (the latest).
 */
export const MAX_MONTHS = 12;

export type HealthMonth = {
  month: string;
  /** Mean of the scores (null when no match had a score that month). */
  meanScore: number | null;
  green: number;
  amber: number;
  red: number;
};
export type AnswerMonth = {
  month: string;
  /** Closed rounds: each asked host and talent once. */
  rounds: number;
  hostAnswered: number;
  talentAnswered: number;
  hostRate: number | null;
  talentRate: number | null;
};
export type EscalationMonth = { month: string; opened: number; resolved: number };
export type ProgramTrends = {
  months: string[];
  health: HealthMonth[];
  answers: AnswerMonth[];
  escalations: EscalationMonth[];
};

export type TrendRows = {
  samples: { matchId: string; at: Date; score: number | null; band: string }[];
  rounds: { openedAt: Date; answered: unknown }[];
  escalations: { openedAt: Date; resolvedAt: Date | null }[];
};

/** The months from `first` to `last` (YYYY-MM), both included. */
function monthsBetween(first: string, last: string): string[] {
  const months: string[] = [];
  let [y, m] = first.split('-').map(Number) as [number, number];
  for (let month = first; month <= last; month = `${y}-${String(m).padStart(2, '0')}`) {
    months.push(month);
    [y, m] = m === 12 ? [y + 1, 1] : [y, m + 1];
  }
  return months;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** The month figures from the rows (pure; months as the calendar of `timeZone` has them). */
export function trendsFrom(rows: TrendRows, timeZone = 'Asia/Tokyo'): ProgramTrends {
  const monthOf = (d: Date) => localDate(d.getTime(), timeZone).slice(0, 7);
  const seen = [
    ...rows.samples.map((s) => s.at),
    ...rows.rounds.map((r) => r.openedAt),
    ...rows.escalations.flatMap((e) => [e.openedAt, ...(e.resolvedAt ? [e.resolvedAt] : [])]),
  ]
    .map(monthOf)
    .sort();
  if (!seen.length) return { months: [], health: [], answers: [], escalations: [] };
  const months = monthsBetween(seen[0]!, seen.at(-1)!).slice(-MAX_MONTHS);

  // Each match's last health in each month.
  const last = new Map<string, Map<string, { at: number; score: number | null; band: string }>>();
  for (const s of rows.samples) {
    const month = monthOf(s.at);
    const byMatch = last.get(month) ?? new Map();
    const before = byMatch.get(s.matchId);
    if (!before || before.at <= s.at.getTime())
      byMatch.set(s.matchId, { at: s.at.getTime(), score: s.score, band: s.band });
    last.set(month, byMatch);
  }
  const health = months.map((month): HealthMonth => {
    const values = [...(last.get(month)?.values() ?? [])];
    const scores = values.map((v) => v.score).filter((v): v is number => v !== null);
    const band = (b: string) => values.filter((v) => v.band === b).length;
    return {
      month,
      meanScore: scores.length ? round1(scores.reduce((a, b) => a + b, 0) / scores.length) : null,
      green: band('green'),
      amber: band('amber'),
      red: band('red'),
    };
  });

  const answers = months.map((month): AnswerMonth => {
    const rounds = rows.rounds.filter((r) => monthOf(r.openedAt) === month);
    const answered = (who: string) =>
      rounds.filter((r) => Array.isArray(r.answered) && r.answered.includes(who)).length;
    const [hostAnswered, talentAnswered] = [answered('host'), answered('talent')];
    return {
      month,
      rounds: rounds.length,
      hostAnswered,
      talentAnswered,
      hostRate: rounds.length ? hostAnswered / rounds.length : null,
      talentRate: rounds.length ? talentAnswered / rounds.length : null,
    };
  });

  const escalations = months.map((month): EscalationMonth => ({
    month,
    opened: rows.escalations.filter((e) => monthOf(e.openedAt) === month).length,
    resolved: rows.escalations.filter((e) => e.resolvedAt && monthOf(e.resolvedAt) === month).length,
  }));
  return { months, health, answers, escalations };
}

/** The trends of one program, read from the read model. */
export async function programTrends(db: Database, programId: string): Promise<ProgramTrends> {
  const ofProgram = { match: { programId } };
  const [samples, rounds, escalations] = await Promise.all([
    db.healthSample.findMany({ where: ofProgram, select: { matchId: true, at: true, score: true, band: true } }),
    db.checkinRound.findMany({ where: { ...ofProgram, status: 'closed' }, select: { openedAt: true, answered: true } }),
    db.escalation.findMany({ where: ofProgram, select: { openedAt: true, resolvedAt: true } }),
  ]);
  return trendsFrom({ samples, rounds, escalations });
}
