/**
 * The evidence the risk model weighs, check-in by check-in: each person's usual answer per question, how far a
 * check-in fell below it, gaps between host and talent against the pair's usual gap, and silence weighted by how
 * reliably a side answered before. Pure and deterministic; the model (risk-model.ts) decides what it means.
 */
import { RESPONDENTS, type CheckinAnswers, type Respondent, type ScaleQuestion } from './checkin-questions';
import type { RiskModel } from './playbook';

/** The causes whose evidence accumulates over check-ins: the five causes of trouble, satisfaction and silence. */
export const ACCUMULATED_CAUSES = [
  'working_style',
  'remote_tools',
  'priority_gap',
  'task_design',
  'contract_admin',
  'satisfaction',
  'silence',
] as const;
export type AccumulatedCause = (typeof ACCUMULATED_CAUSES)[number];
type AnsweredCause = Exclude<AccumulatedCause, 'silence'>;

/** Causes escalated at once, without accumulating: someone asks, nobody answers, a milestone is missed. */
export const EXPLICIT_CAUSES = ['wants_coordinator', 'rounds_missed', 'contract_overdue', 'kickoff_not_held'] as const;
export type ExplicitCause = (typeof EXPLICIT_CAUSES)[number];

export const RISK_CAUSES = [...ACCUMULATED_CAUSES, ...EXPLICIT_CAUSES] as const;
export type RiskCause = (typeof RISK_CAUSES)[number];

/** The questions whose fall is evidence of each cause. */
export const CAUSE_QUESTIONS: Record<AnsweredCause, readonly ScaleQuestion[]> = {
  working_style: ['working_style'],
  remote_tools: ['remote_tools'],
  priority_gap: ['priority', 'expectation'],
  task_design: ['task_clarity'],
  contract_admin: ['contract_admin'],
  satisfaction: ['satisfaction'],
};
/** The questions on which a gap between host and talent is evidence (of `priority_gap`). */
export const GAP_QUESTIONS: readonly ScaleQuestion[] = ['priority', 'expectation'];

/** A person's usual answer to one question: their own answers, leaning on the program's typical one while few. */
export type Usual = { sum: number; weight: number };

/** The evidence behind a cause, with the numbers a sentence about it needs. */
export type RiskEvidence =
  | {
      kind: 'fell';
      side: Respondent;
      question: ScaleQuestion;
      /** The person's usual answer before it fell (one decimal). */
      usual: number;
      /** Their answers since, oldest first. */
      recent: number[];
    }
  | {
      kind: 'gap';
      question: ScaleQuestion;
      host: number[];
      talent: number[];
      /** The pair's usual difference, host minus talent (one decimal). */
      usualGap: number;
    }
  | { kind: 'silent'; side: Respondent; missed: number; answeredBefore: number; askedBefore: number }
  | { kind: 'asked'; sides: Respondent[] }
  | { kind: 'rounds_missed'; rounds: number }
  | { kind: 'milestone'; detail: Record<string, unknown> };

/** Everything the model has learnt about a match's people from its check-ins so far. */
export type Baselines = {
  usual: Record<Respondent, Record<ScaleQuestion, Usual>>;
  /** The pair's usual gap (host minus talent) per gap question. */
  gap: Record<string, Usual>;
  asked: Record<Respondent, number>;
  answered: Record<Respondent, number>;
  /** Check-ins missed in a row, per side. */
  missedInARow: Record<Respondent, number>;
  /** Silence evidence per side: the sum of the side's answer rates at each check-in missed in a row. */
  silence: Record<Respondent, number>;
};

const emptyUsual = (): Usual => ({ sum: 0, weight: 0 });

export function newBaselines(): Baselines {
  const perQuestion = () => ({}) as Record<ScaleQuestion, Usual>;
  return {
    usual: { host: perQuestion(), talent: perQuestion() },
    gap: {},
    asked: { host: 0, talent: 0 },
    answered: { host: 0, talent: 0 },
    missedInARow: { host: 0, talent: 0 },
    silence: { host: 0, talent: 0 },
  };
}

/** The usual value: own answers and `priorWeight` check-ins' worth of the prior, averaged. */
export function usualOf(u: Usual | undefined, prior: number, model: RiskModel): number {
  const { sum, weight } = u ?? emptyUsual();
  return (sum + model.priorWeight * prior) / (weight + model.priorWeight);
}

/** Adds an answer to a usual value; far from it, it counts for less (an odd week or trouble does not become usual). */
function learn(u: Usual, value: number, usual: number, model: RiskModel): void {
  const distance = Math.abs(value - usual);
  const weight = distance <= model.baselineTolerance ? 1 : model.baselineTolerance / distance;
  u.sum += weight * value;
  u.weight += weight;
}

export const personalUsual = (b: Baselines, side: Respondent, q: ScaleQuestion, model: RiskModel): number =>
  usualOf(b.usual[side][q], model.typical[q], model);

/** The pair's usual gap leans on no gap at all while they have answered together only a few times. */
export const pairUsualGap = (b: Baselines, q: ScaleQuestion, model: RiskModel): number => usualOf(b.gap[q], 0, model);

/** How much one side's answers on a cause fell below their usual ones this check-in, in points (may be negative). */
function sideFall(b: Baselines, cause: AnsweredCause, side: Respondent, a: CheckinAnswers, model: RiskModel): number {
  let fall = -Infinity;
  for (const q of CAUSE_QUESTIONS[cause]) fall = Math.max(fall, personalUsual(b, side, q, model) - a.scores[q]);
  if (cause !== 'satisfaction' && fall > model.allowance) {
    const satisfaction = personalUsual(b, side, 'satisfaction', model) - a.scores.satisfaction;
    fall += model.satisfactionWeight * Math.max(0, satisfaction - model.allowance);
  }
  return fall;
}

/** Where a cause's evidence comes from: one side's answers, or the gap between the two. */
export type EvidenceSource = Respondent | 'gap';

/**
 * What one check-in adds to a cause's score, per source: each side's fall below their usual answers (and, when it
 * fell, a share of their satisfaction's fall), and for `priority_gap` the gap's move away from the pair's usual gap,
 * each less the allowance and at most `maxPerCheckin`. A side that did not answer adds nothing (silence is weighed
 * on its own).
 */
export function checkinEvidence(
  b: Baselines,
  cause: AnsweredCause,
  answers: Partial<Record<Respondent, CheckinAnswers>>,
  model: RiskModel,
): Partial<Record<EvidenceSource, number>> {
  const added = (points: number) => Math.min(model.maxPerCheckin, points - model.allowance);
  const evidence: Partial<Record<EvidenceSource, number>> = {};
  for (const side of RESPONDENTS) {
    const a = answers[side];
    if (a) evidence[side] = added(sideFall(b, cause, side, a, model));
  }
  const { host, talent } = answers;
  if (cause === 'priority_gap' && host && talent) {
    let moved = -Infinity;
    for (const q of GAP_QUESTIONS)
      moved = Math.max(moved, Math.abs(host.scores[q] - talent.scores[q] - pairUsualGap(b, q, model)));
    evidence.gap = added(moved - model.gapAllowance);
  }
  return evidence;
}

/** The side's answer rate before this check-in, leaning on one answer in two while it has few. */
export const answerRate = (b: Baselines, side: Respondent): number => (b.answered[side] + 1) / (b.asked[side] + 2);

/** After a check-in is judged: the usual answers and gaps learn from it, and who answered is counted. */
export function learnFrom(b: Baselines, answers: Partial<Record<Respondent, CheckinAnswers>>, model: RiskModel): void {
  for (const side of RESPONDENTS) {
    const a = answers[side];
    if (a) {
      b.silence[side] = 0;
      b.missedInARow[side] = 0;
      b.answered[side] += 1;
      for (const q of Object.keys(a.scores) as ScaleQuestion[]) {
        const usual = personalUsual(b, side, q, model);
        learn((b.usual[side][q] ??= emptyUsual()), a.scores[q], usual, model);
      }
    } else {
      b.silence[side] += answerRate(b, side);
      b.missedInARow[side] += 1;
    }
    b.asked[side] += 1;
  }
  const { host, talent } = answers;
  if (host && talent) {
    for (const q of GAP_QUESTIONS) {
      const usual = pairUsualGap(b, q, model);
      learn((b.gap[q] ??= emptyUsual()), host.scores[q] - talent.scores[q], usual, model);
    }
  }
}
