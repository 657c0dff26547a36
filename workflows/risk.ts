/**
 * Risk policy: which signals a match shows, from its check-in rounds and its milestones. Pure, shared by the
 * workflow (which escalates on them) and the API (which shows them).
 */
import { WATCHED_SCALES, type CheckinAnswers, type Respondent, type ScaleQuestion } from './checkin-questions';
import type { Playbook } from './playbook';
import type { RiskCause } from './risk-evidence';

export const RISK_SIGNAL_TYPES = [
  'missed_checkin',
  'priority_gap',
  'expectation_gap',
  'low_score',
  'falling_score',
  'wants_coordinator',
  'contract_overdue',
  'kickoff_not_held',
] as const;
export type RiskSignalType = (typeof RISK_SIGNAL_TYPES)[number];

export type Severity = 'low' | 'medium' | 'high';
export const SEVERITY_RANK: Record<Severity, number> = { low: 1, medium: 2, high: 3 };

/**
 * A risk signal: from the round-by-round rules here (matches started before the risk model), or a cause of the risk
 * model (workflows/risk-model.ts) as health and the timeline read it.
 */
export type RiskSignal = {
  type: RiskSignalType | RiskCause;
  severity: Severity;
  /** One sentence, for people reading the API; emails render their own wording from type and evidence. */
  reason: string;
  evidence: Record<string, unknown>;
};

/** What one round produced: each side's answers, or nothing when that side did not answer. */
export type RoundAnswers = Partial<Record<Respondent, CheckinAnswers>>;

export type RoundContext = {
  round: number;
  current: RoundAnswers;
  /** The most recent earlier answers of each side (not necessarily from the previous round). */
  previous: RoundAnswers;
  /** Rounds in a row each side has missed, including this one. */
  missedInARow: Record<Respondent, number>;
};

/** The signals a closed round shows. A round both sides skipped shows only missed check-ins. */
export function evaluateRound(ctx: RoundContext, thresholds: Playbook['risk']): RiskSignal[] {
  const signals: RiskSignal[] = [];
  const { current, previous } = ctx;

  const missing = (['host', 'talent'] as const).filter((side) => !current[side]);
  if (missing.length) {
    const worst = Math.max(...missing.map((side) => ctx.missedInARow[side]));
    signals.push({
      type: 'missed_checkin',
      severity: worst >= thresholds.missedInARowHigh ? 'high' : 'medium',
      reason: `${missing.join(' and ')} did not answer check-in ${ctx.round}${worst > 1 ? ` (${worst} in a row)` : ''}`,
      evidence: {
        round: ctx.round,
        sides: missing,
        inARow: Object.fromEntries(missing.map((s) => [s, ctx.missedInARow[s]])),
      },
    });
  }

  const host = current.host;
  const talent = current.talent;
  if (host && talent) {
    for (const [question, type] of [
      ['priority', 'priority_gap'],
      ['expectation', 'expectation_gap'],
    ] as const) {
      const gap = Math.abs(host.scores[question] - talent.scores[question]);
      if (gap >= thresholds.gapPoints) {
        signals.push({
          type,
          severity: gap >= thresholds.gapPoints + 1 ? 'high' : 'medium',
          reason: `host rates ${question} ${host.scores[question]}, talent ${talent.scores[question]} (${gap} apart)`,
          evidence: { round: ctx.round, question, host: host.scores[question], talent: talent.scores[question], gap },
        });
      }
    }
  }

  const low: { side: Respondent; question: ScaleQuestion; score: number }[] = [];
  const falling: { side: Respondent; question: ScaleQuestion; from: number; to: number }[] = [];
  for (const side of ['host', 'talent'] as const) {
    const answers = current[side];
    if (!answers) continue;
    for (const question of WATCHED_SCALES) {
      const score = answers.scores[question];
      if (score <= thresholds.lowScore) low.push({ side, question, score });
      const before = previous[side]?.scores[question];
      if (before !== undefined && before - score >= thresholds.dropPoints)
        falling.push({ side, question, from: before, to: score });
    }
  }
  if (low.length) {
    signals.push({
      type: 'low_score',
      severity: low.some((l) => l.score <= 1) || low.length >= 3 ? 'high' : 'medium',
      reason: `low scores: ${low.map((l) => `${l.side} ${l.question} ${l.score}`).join(', ')}`,
      evidence: { round: ctx.round, scores: low },
    });
  }
  if (falling.length) {
    signals.push({
      type: 'falling_score',
      severity: falling.some((f) => f.from - f.to >= thresholds.dropPoints + 1) ? 'high' : 'medium',
      reason: `falling scores: ${falling.map((f) => `${f.side} ${f.question} ${f.from}→${f.to}`).join(', ')}`,
      evidence: { round: ctx.round, scores: falling },
    });
  }

  const wants = (['host', 'talent'] as const).filter((side) => current[side]?.wantsCoordinator);
  if (wants.length) {
    signals.push({
      type: 'wants_coordinator',
      severity: 'medium',
      reason: `${wants.join(' and ')} would like to talk to the coordinator`,
      evidence: { round: ctx.round, sides: wants },
    });
  }
  return signals;
}

/** Signal for required contract documents not verified by their due date. */
export function contractOverdueSignal(documents: { type: string; status: string }[]): RiskSignal {
  return {
    type: 'contract_overdue',
    severity: 'high',
    reason: `contract documents overdue: ${documents.map((d) => `${d.type} (${d.status})`).join(', ')}`,
    evidence: { documents },
  };
}

/** Signal for a kickoff not held by its deadline. */
export function kickoffNotHeldSignal(deadline: string, kickoffStatus: string): RiskSignal {
  return {
    type: 'kickoff_not_held',
    severity: 'high',
    reason: `kickoff not held by ${deadline} (${kickoffStatus})`,
    evidence: { deadline, kickoffStatus },
  };
}

/** Round-based signals clear when a later round no longer shows them; milestone signals clear when the milestone is met. */
export const ROUND_SIGNAL_TYPES: readonly string[] = [
  'missed_checkin',
  'priority_gap',
  'expectation_gap',
  'low_score',
  'falling_score',
  'wants_coordinator',
];
