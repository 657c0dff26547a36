/**
 * Scoring risk policies against simulated cohorts (dev/risk-simulator.ts): which matches each policy escalated, when,
 * and how that compares with the trouble that was planted. Used by `npm run risk:eval`.
 */
import {
  RESPONDENTS,
  SCALE_QUESTIONS,
  type CheckinAnswers,
  type Respondent,
  type ScaleQuestion,
} from '../workflows/checkin-questions';
import { DEFAULT_PLAYBOOK, type Playbook, type RiskModel } from '../workflows/playbook';
import { evaluateRound, ROUND_SIGNAL_TYPES, type RiskSignal } from '../workflows/risk';
import { CAUSE_QUESTIONS } from '../workflows/risk-evidence';
import { assessRisk } from '../workflows/risk-model';
import { TROUBLE_CAUSES, type SimulatedMatch, type Trouble, type TroubleCause } from './risk-simulator';

/** One escalation a policy opened (one email to the coordinator). */
export type Opened = { round: number; cause: string };

export type Policy = { name: string; escalations: (match: SimulatedMatch) => Opened[] };

/**
 * The rules as the match workflow applies them today (`closeRound` in workflows/match.ts): every closed round is
 * judged on its own by `evaluateRound`; each signal opens an escalation unless one of its type is open; an open one
 * closes on the next round that no longer shows it (for anything but a missed check-in, only if both answered).
 */
export function currentRules(playbook: Playbook = DEFAULT_PLAYBOOK): Policy {
  return {
    name: 'current rules',
    escalations({ rounds }) {
      const missedInARow: Record<Respondent, number> = { host: 0, talent: 0 };
      const previous: Partial<Record<Respondent, CheckinAnswers>> = {};
      const open = new Set<RiskSignal['type']>();
      const opened: Opened[] = [];
      for (const { round, answers } of rounds) {
        for (const side of RESPONDENTS) missedInARow[side] = answers[side] ? 0 : missedInARow[side] + 1;
        const signals = evaluateRound(
          { round, current: answers, previous: { ...previous }, missedInARow },
          playbook.risk,
        );
        for (const side of RESPONDENTS) if (answers[side]) previous[side] = answers[side];
        for (const signal of signals) {
          if (open.has(signal.type)) continue;
          open.add(signal.type);
          opened.push({ round, cause: signal.type });
        }
        const bothAnswered = RESPONDENTS.every((side) => answers[side]);
        for (const type of open) {
          const judged = bothAnswered || type === 'missed_checkin';
          if (ROUND_SIGNAL_TYPES.includes(type) && judged && !signals.some((s) => s.type === type)) open.delete(type);
        }
      }
      return opened;
    },
  };
}

/** The risk model (`assessRisk`, the function the workflow runs) with the given numbers. */
export function riskModel(model: RiskModel): Policy {
  return {
    name: `risk model v${model.version}`,
    escalations: ({ rounds }) =>
      assessRisk(rounds, model).flatMap((step) => step.opened.map((o) => ({ round: step.round!, cause: o.cause }))),
  };
}

const REFERENCE_QUESTIONS = SCALE_QUESTIONS.filter((q) => q !== 'satisfaction');
/** The cause a question's fall is evidence of, as the risk model reads them. */
const CAUSE_OF = Object.fromEntries(
  Object.entries(CAUSE_QUESTIONS).flatMap(([cause, questions]) => questions.map((q) => [q, cause])),
) as Record<ScaleQuestion, string>;
/** The reference detector's numbers, in true wobbles (tuned on the tuning seeds to the same email budget). */
const REFERENCE = { allowance: 1.25, maxPerCheckin: 2.5, escalateAt: 3.2, satisfactionWeight: 1 };

/**
 * A yardstick, not a policy: the same kind of accumulation, but told what no policy can know, each person's true
 * usual answers, drift and wobble. It reads answers only (and escalates requests for the coordinator at once), so
 * what it cannot catch at a given email rate shows how hard the simulated trouble is to tell from noise.
 */
export function knownBaselines(escalateAt: number = REFERENCE.escalateAt): Policy {
  return {
    name: 'reference: true baselines',
    escalations({ rounds, people }) {
      const score = new Map<string, number>();
      const opened: Opened[] = [];
      let asked = false;
      for (const { round, answers } of rounds) {
        for (const side of RESPONDENTS) {
          const a = answers[side];
          if (!a) continue;
          if (a.wantsCoordinator && !asked) opened.push({ round, cause: 'wants_coordinator' });
          asked ||= a.wantsCoordinator;
          const who = people[side];
          const spread = Math.sqrt(who.wobble ** 2 + 1 / 12);
          const fall = (q: ScaleQuestion) =>
            (Math.min(5, Math.max(1, who.usual[q] + who.drift[q] * round)) - a.scores[q]) / spread;
          for (const q of REFERENCE_QUESTIONS) {
            let e = fall(q);
            if (e > REFERENCE.allowance)
              e += REFERENCE.satisfactionWeight * Math.max(0, fall('satisfaction') - REFERENCE.allowance);
            const key = `${side}:${q}`;
            const before = score.get(key) ?? 0;
            const after = Math.max(0, before + Math.min(REFERENCE.maxPerCheckin, e - REFERENCE.allowance));
            score.set(key, after);
            if (before < escalateAt && after >= escalateAt) opened.push({ round, cause: CAUSE_OF[q] });
          }
        }
      }
      return opened;
    },
  };
}

/**
 * The ceiling, not a policy: told which matches are troubled, it escalates each at the first round that shows its
 * trouble, and (as every policy must) each request to talk to the coordinator at once. Its precision is the most any
 * policy can reach at this rate of requests on healthy matches; its emails per healthy match are those requests alone.
 */
export function toldTheTrouble(): Policy {
  return {
    name: 'ceiling: told the trouble',
    escalations({ rounds, trouble }) {
      const opened: Opened[] = [];
      const asked = rounds.find((r) => RESPONDENTS.some((side) => r.answers[side]?.wantsCoordinator));
      if (asked) opened.push({ round: asked.round, cause: 'wants_coordinator' });
      if (trouble && asked?.round !== trouble.startRound)
        opened.push({ round: trouble.startRound, cause: trouble.cause });
      return opened.sort((x, y) => x.round - y.round);
    },
  };
}

export type CauseFigures = { matches: number; detected: number; named: number; delays: number[] };
type Tally = { matches: number; detected: number };

export type Figures = {
  matches: number;
  healthy: number;
  troubled: number;
  /** Matches with at least one escalation; healthy ones; troubled ones (at any time). */
  escalatedMatches: number;
  healthyEscalated: number;
  troubledEscalated: number;
  /** The same, counting only escalations other than a request to talk to the coordinator (always escalated). */
  healthyEscalatedUnasked: number;
  troubledEscalatedUnasked: number;
  /** Troubled matches escalated between the start of their trouble and their failure. */
  caught: number;
  delays: number[];
  /** Escalations (emails) on healthy matches, and on troubled matches before their trouble began. */
  healthyEmails: number;
  earlyEmails: number;
  perCause: Record<TroubleCause, CauseFigures>;
  /** Recall by how far the answers fell, when the trouble began and how long it lasted. */
  perKind: Record<string, Tally>;
  /** Escalations on healthy matches, by the cause the policy named. */
  healthyByCause: Record<string, number>;
};

export function emptyFigures(): Figures {
  return {
    matches: 0,
    healthy: 0,
    troubled: 0,
    escalatedMatches: 0,
    healthyEscalated: 0,
    troubledEscalated: 0,
    healthyEscalatedUnasked: 0,
    troubledEscalatedUnasked: 0,
    caught: 0,
    delays: [],
    healthyEmails: 0,
    earlyEmails: 0,
    perCause: Object.fromEntries(
      TROUBLE_CAUSES.map((c): [TroubleCause, CauseFigures] => [c, { matches: 0, detected: 0, named: 0, delays: [] }]),
    ) as Record<TroubleCause, CauseFigures>,
    perKind: {},
    healthyByCause: {},
  };
}

/** The groups a troubled match's outcome is also counted in. */
export function kindsOf(t: Trouble): string[] {
  const fall = t.drop < 1.6 ? 'fell 1.2–1.6 points' : t.drop < 2.2 ? 'fell 1.6–2.2 points' : 'fell 2.2–2.8 points';
  return [
    fall,
    t.startRound <= 2 ? 'began in round 1–2' : 'began in round 3–9',
    `failed ${t.failRound - t.startRound + 1} rounds after it began`,
    t.sides.length === 2 ? 'on both sides' : 'on one side',
  ];
}

/** Adds one match's outcome under a policy to the figures. */
export function score(figures: Figures, match: SimulatedMatch, opened: Opened[]): void {
  figures.matches += 1;
  if (opened.length) figures.escalatedMatches += 1;
  const unasked = opened.some((o) => o.cause !== 'wants_coordinator');
  const { trouble } = match;
  if (!trouble) {
    figures.healthy += 1;
    figures.healthyEmails += opened.length;
    if (opened.length) figures.healthyEscalated += 1;
    if (unasked) figures.healthyEscalatedUnasked += 1;
    for (const o of opened) figures.healthyByCause[o.cause] = (figures.healthyByCause[o.cause] ?? 0) + 1;
    return;
  }
  figures.troubled += 1;
  if (opened.length) figures.troubledEscalated += 1;
  if (unasked) figures.troubledEscalatedUnasked += 1;
  figures.earlyEmails += opened.filter((o) => o.round < trouble.startRound).length;
  const inWindow = opened.filter((o) => o.round >= trouble.startRound && o.round <= trouble.failRound);
  const cause = figures.perCause[trouble.cause];
  cause.matches += 1;
  for (const kind of kindsOf(trouble)) {
    const tally = (figures.perKind[kind] ??= { matches: 0, detected: 0 });
    tally.matches += 1;
    if (inWindow.length) tally.detected += 1;
  }
  if (!inWindow.length) return;
  const delay = inWindow[0]!.round - trouble.startRound;
  figures.caught += 1;
  figures.delays.push(delay);
  cause.detected += 1;
  cause.delays.push(delay);
  if (inWindow.some((o) => o.cause === trouble.cause)) cause.named += 1;
}

export function median(values: number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The figures the targets are about. */
export function headline(f: Figures) {
  return {
    /** Troubled matches escalated between the start of the trouble and the failure. */
    recall: f.troubled ? f.caught / f.troubled : null,
    /** Of matches escalated, the share that were troubled. */
    precision: f.escalatedMatches ? f.troubledEscalated / f.escalatedMatches : null,
    /** Stricter: of matches escalated, the share escalated between the start of their trouble and their failure. */
    precisionInWindow: f.escalatedMatches ? f.caught / f.escalatedMatches : null,
    /** Precision when requests to talk to the coordinator (escalated whoever asks) are left out. */
    precisionUnasked:
      f.troubledEscalatedUnasked + f.healthyEscalatedUnasked
        ? f.troubledEscalatedUnasked / (f.troubledEscalatedUnasked + f.healthyEscalatedUnasked)
        : null,
    medianDelay: median(f.delays),
    emailsPerHealthy: f.healthy ? f.healthyEmails / f.healthy : null,
  };
}

export const TARGETS = { recall: 0.95, precision: 0.85, medianDelay: 2, emailsPerHealthy: 0.2 } as const;
