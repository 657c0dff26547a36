/**
 * Health: one number and a band per match, from the risk signals still open, the contract documents and the
 * coordinator's own read. Pure, shared by the workflow and the API.
 */
import { type RiskSignal, type Severity } from './risk';

/** The bands, from good to bad, then not yet judged (the order lists and charts show them in). */
export const HEALTH_BANDS = ['green', 'amber', 'red', 'too_early'] as const;
export type HealthBand = (typeof HEALTH_BANDS)[number];
export type HealthTrend = 'up' | 'down' | 'flat';

export type Health = {
  /** 0–100, or null while it is too early to say. */
  score: number | null;
  band: HealthBand;
  signals: RiskSignal[];
  /** Against the score after the previous round; null until there is one. */
  trend: HealthTrend | null;
};

export type HealthInput = {
  /** Signals currently open (not cleared by a later round or a met milestone). */
  signals: RiskSignal[];
  completedRounds: number;
  /** Required contract documents not verified (the due date has not necessarily passed). */
  unverifiedRequiredDocuments: number;
  /** The coordinator's latest 1–5 read of the match, if any. */
  sentiment?: number;
  /** The score after the previous round, for the trend. */
  previousScore?: number | null;
};

export const SEVERITY_PENALTY: Record<Severity, number> = { low: 5, medium: 20, high: 35 };
/** Green from 80: one medium signal still is, any high one is not. Red below 50: two high signals, or high and medium. */
export const BANDS = { green: 80, amber: 50 } as const;
/** Scores within this many points of the previous one are flat. */
const TREND_TOLERANCE = 5;

export function bandOf(score: number): Exclude<HealthBand, 'too_early'> {
  return score >= BANDS.green ? 'green' : score >= BANDS.amber ? 'amber' : 'red';
}

/**
 * 100 minus a penalty per open signal (low 5, medium 20, high 35), minus 5 per unverified required contract document
 * once check-ins have started, plus 5 per point of the coordinator's read above 3 (minus below). Before the first
 * completed round a match is "too early" unless a signal is already open.
 */
export function computeHealth(input: HealthInput): Health {
  if (input.completedRounds === 0 && input.signals.length === 0) {
    return { score: null, band: 'too_early', signals: [], trend: null };
  }
  let score = 100;
  for (const signal of input.signals) score -= SEVERITY_PENALTY[signal.severity];
  if (input.completedRounds > 0) score -= 5 * input.unverifiedRequiredDocuments;
  if (input.sentiment !== undefined) score += (input.sentiment - 3) * 5;
  score = Math.max(0, Math.min(100, Math.round(score)));
  let trend: HealthTrend | null = null;
  if (input.previousScore !== undefined && input.previousScore !== null) {
    const delta = score - input.previousScore;
    trend = delta > TREND_TOLERANCE ? 'up' : delta < -TREND_TOLERANCE ? 'down' : 'flat';
  }
  return { score, band: bandOf(score), signals: input.signals, trend };
}
