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
export type AnsweredCause = Exclude<AccumulatedCause, 'silence'>;

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
  /** How far each person's answers wobble around their usual ones: squared misses and how many, all questions. */
  wobble: Record<Respondent, { squares: number; count: number }>;
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
    wobble: { host: { squares: 0, count: 0 }, talent: { squares: 0, count: 0 } },
    gap: {},
    asked: { host: 0, talent: 0 },
    answered: { host: 0, talent: 0 },
    missedInARow: { host: 0, talent: 0 },
    silence: { host: 0, talent: 0 },
  };
}

/** A person's usual answer (or a pair's usual gap) and how far the next one may be expected to land from it. */
export type Expected = { usual: number; spread: number };

/** The usual value: own answers and `priorWeight` check-ins' worth of the prior, averaged. */
function usualOf(u: Usual | undefined, prior: number, model: RiskModel): { usual: number; weight: number } {
  const { sum, weight } = u ?? emptyUsual();
  return { usual: (sum + model.priorWeight * prior) / (weight + model.priorWeight), weight };
}

/** A person's wobble: their own misses, leaning on the program's typical wobble while they have few. */
export function wobbleOf(b: Baselines, side: Respondent, model: RiskModel): number {
  const { squares, count } = b.wobble[side];
  const prior = model.wobblePriorWeight;
  return Math.max(model.wobbleFloor, Math.sqrt((squares + prior * model.typicalWobble ** 2) / (count + prior)));
}

/** Where a person's next answer to a question is expected: their usual answer, give or take their wobble (and
 * more while their usual answer rests on few check-ins). */
export function expectedAnswer(b: Baselines, side: Respondent, q: ScaleQuestion, model: RiskModel): Expected {
  const { usual, weight } = usualOf(b.usual[side][q], model.typical[q], model);
  return { usual, spread: wobbleOf(b, side, model) * Math.sqrt(1 + 1 / (weight + model.priorWeight)) };
}

/** Where the pair's next gap is expected: their usual gap (leaning on none while they have few), give or take both wobbles. */
export function expectedGap(b: Baselines, q: ScaleQuestion, model: RiskModel): Expected {
  const { usual, weight } = usualOf(b.gap[q], 0, model);
  const wobble = Math.hypot(wobbleOf(b, 'host', model), wobbleOf(b, 'talent', model));
  return { usual, spread: wobble * Math.sqrt(1 + 1 / (weight + model.priorWeight)) };
}

/** Adds an answer to a usual value; far from it, it counts for less (an odd week or trouble does not become usual). */
function learn(u: Usual, value: number, expected: Expected, model: RiskModel): void {
  const distance = Math.abs(value - expected.usual) / expected.spread;
  const weight = distance <= model.baselineTolerance ? 1 : model.baselineTolerance / distance;
  u.sum += weight * value;
  u.weight += weight;
}

/** Where evidence comes from: one side's answers, or the gap between the two. */
export type EvidenceSource = Respondent | 'gap';

/** How far below the expected answer, in the person's wobbles (negative: above it). */
const fallOf = (e: Expected, answer: number) => (e.usual - answer) / e.spread;

/**
 * How far one side's answers on a cause fell this check-in, in wobbles (over all the cause's questions), with a
 * share of satisfaction's fall when the cause's answers fell.
 */
function sideFall(b: Baselines, cause: AnsweredCause, side: Respondent, a: CheckinAnswers, model: RiskModel): number {
  const questions = CAUSE_QUESTIONS[cause];
  let fall = 0;
  // Summed over the questions and rescaled by √n, so a cause read from two questions is in wobbles like one.
  for (const q of questions)
    fall += fallOf(expectedAnswer(b, side, q, model), a.scores[q]) / Math.sqrt(questions.length);
  if (cause !== 'satisfaction' && fall > model.allowance) {
    const satisfaction = fallOf(expectedAnswer(b, side, 'satisfaction', model), a.scores.satisfaction);
    fall += model.satisfactionWeight * Math.max(0, satisfaction - model.allowance);
  }
  return fall;
}

/**
 * What one check-in adds to a cause's score, per source: each side's fall below their expected answers (and, when it
 * fell, a share of their satisfaction's fall), and for `priority_gap` the gap's move away from the pair's usual gap,
 * in wobbles, each less the allowance and at most `maxPerCheckin`. A side that did not answer adds nothing here
 * (silence is weighed on its own).
 */
export function checkinEvidence(
  b: Baselines,
  cause: AnsweredCause,
  answers: Partial<Record<Respondent, CheckinAnswers>>,
  model: RiskModel,
): Partial<Record<EvidenceSource, number>> {
  const added = (wobbles: number) => Math.min(model.maxPerCheckin, wobbles - model.allowance);
  const evidence: Partial<Record<EvidenceSource, number>> = {};
  for (const side of RESPONDENTS) {
    const a = answers[side];
    if (a) evidence[side] = added(sideFall(b, cause, side, a, model));
  }
  const { host, talent } = answers;
  if (cause === 'priority_gap' && host && talent) {
    let moved = -Infinity;
    for (const q of GAP_QUESTIONS) {
      const e = expectedGap(b, q, model);
      moved = Math.max(moved, Math.abs(host.scores[q] - talent.scores[q] - e.usual) / e.spread);
    }
    evidence.gap = added(moved - model.gapAllowance);
  }
  return evidence;
}

/** The side's answer rate before this check-in, leaning on the program's typical rate while it has been asked few times. */
export function answerRate(b: Baselines, side: Respondent, model: RiskModel): number {
  const { typicalAnswerRate, answerRateWeight } = model.silence;
  return (b.answered[side] + typicalAnswerRate * answerRateWeight) / (b.asked[side] + answerRateWeight);
}

/** After a check-in is judged: usual answers, wobbles and gaps learn from it, and who answered is counted. */
export function learnFrom(b: Baselines, answers: Partial<Record<Respondent, CheckinAnswers>>, model: RiskModel): void {
  const { host, talent } = answers;
  if (host && talent) {
    for (const q of GAP_QUESTIONS) {
      learn((b.gap[q] ??= emptyUsual()), host.scores[q] - talent.scores[q], expectedGap(b, q, model), model);
    }
  }
  for (const side of RESPONDENTS) {
    const a = answers[side];
    if (a) {
      b.silence[side] = 0;
      b.missedInARow[side] = 0;
      b.answered[side] += 1;
      const wobble = wobbleOf(b, side, model);
      const expected = (Object.keys(a.scores) as ScaleQuestion[]).map(
        (q) => [q, expectedAnswer(b, side, q, model)] as const,
      );
      for (const [q, e] of expected) {
        learn((b.usual[side][q] ??= emptyUsual()), a.scores[q], e, model);
        // A miss tells the wobble once the usual answer's own uncertainty is taken out; a huge one counts as `wobbleClip`.
        const miss = Math.min(Math.abs(a.scores[q] - e.usual), model.wobbleClip * e.spread);
        b.wobble[side].squares += (miss * wobble) ** 2 / e.spread ** 2;
        b.wobble[side].count += 1;
      }
    } else {
      b.silence[side] += answerRate(b, side, model);
      b.missedInARow[side] += 1;
    }
    b.asked[side] += 1;
  }
}

// What a cause's evidence says, with its numbers ---------------------------------------------------------------------

/** One source's evidence since it last started to add up: the usual answers it fell from and the answers since. */
export type Run = {
  score: number;
  usual: Partial<Record<ScaleQuestion, number>>;
  seen: Partial<Record<ScaleQuestion, number[]>>;
  /** Gap runs: each side's answers per gap question. */
  pairs: Partial<Record<ScaleQuestion, { host: number[]; talent: number[] }>>;
  missed: number;
};

const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
export const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * A side's answers on a cause's questions since they started to fall (the question that fell most, and any other
 * that fell clearly), and satisfaction if it fell clearly too.
 */
export function fallsOf(
  cause: AnsweredCause,
  side: Respondent,
  run: Run,
  b: Baselines,
  model: RiskModel,
): RiskEvidence[] {
  const clearly = model.allowance * wobbleOf(b, side, model);
  const recent = (q: ScaleQuestion) => sinceLastUsual(run.seen[q] ?? [], run.usual[q]!);
  const fall = (q: ScaleQuestion) => (recent(q).length ? run.usual[q]! - mean(recent(q)) : -Infinity);
  const fell = (q: ScaleQuestion): RiskEvidence => ({
    kind: 'fell',
    side,
    question: q,
    usual: round2(run.usual[q]!),
    recent: recent(q),
  });
  const [first, ...others] = [...CAUSE_QUESTIONS[cause]].sort((x, y) => fall(y) - fall(x));
  return [
    ...(recent(first!).length ? [fell(first!)] : []),
    ...others.filter((q) => fall(q) >= clearly).map(fell),
    ...(cause !== 'satisfaction' && fall('satisfaction') >= clearly ? [fell('satisfaction')] : []),
  ];
}

/**
 * The answers since the last one that was still about usual (half a point below it or more): what the reason
 * quotes, so an odd week that has passed is not told as part of the fall. All of them if the last is usual again.
 */
function sinceLastUsual(values: number[], usual: number): number[] {
  let from = values.length;
  while (from > 0 && values[from - 1]! <= usual - 0.5) from--;
  return from < values.length ? values.slice(from) : [...values];
}

/** The gap question that moved most from the pair's usual gap, with both sides' answers since. */
export function gapOf(run: Run): RiskEvidence[] {
  const moved = (q: ScaleQuestion) => {
    const pair = run.pairs[q];
    return pair ? Math.abs(mean(pair.host.map((h, i) => h - pair.talent[i]!)) - run.usual[q]!) : -1;
  };
  const q = [...GAP_QUESTIONS].sort((x, y) => moved(y) - moved(x))[0]!;
  const pair = run.pairs[q];
  return pair
    ? [{ kind: 'gap', question: q, host: [...pair.host], talent: [...pair.talent], usualGap: round2(run.usual[q]!) }]
    : [];
}

/** How long a side has been quiet, and how reliably it answered before. */
export function silentOf(b: Baselines, side: Respondent): RiskEvidence {
  const missed = b.missedInARow[side];
  return { kind: 'silent', side, missed, answeredBefore: b.answered[side], askedBefore: b.asked[side] - missed };
}
