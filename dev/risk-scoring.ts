/**
 * Scoring risk policies against simulated cohorts (dev/risk-simulator.ts): which matches each policy escalated, when,
 * and how that compares with the trouble that was planted. Used by `npm run risk:eval`.
 */
import { RESPONDENTS, type CheckinAnswers, type Respondent } from '../workflows/checkin-questions';
import { DEFAULT_PLAYBOOK, type Playbook, type RiskModel } from '../workflows/playbook';
import { evaluateRound, ROUND_SIGNAL_TYPES, type RiskSignalType } from '../workflows/risk';
import { assessRisk, type RiskRoundEntry } from '../workflows/risk-model';
import { TROUBLE_CAUSES, type SimulatedMatch, type TroubleCause } from './risk-simulator';

/** One escalation a policy opened (one email to the coordinator). */
export type Opened = { round: number; cause: string };

export type Policy = { name: string; escalations: (rounds: RiskRoundEntry[]) => Opened[] };

/**
 * The rules as the match workflow applies them today (`closeRound` in workflows/match.ts): every closed round is
 * judged on its own by `evaluateRound`; each signal opens an escalation unless one of its type is open; an open one
 * closes on the next round that no longer shows it (for anything but a missed check-in, only if both answered).
 */
export function currentRules(playbook: Playbook = DEFAULT_PLAYBOOK): Policy {
  return {
    name: 'current rules (evaluateRound per round)',
    escalations(rounds) {
      const missedInARow: Record<Respondent, number> = { host: 0, talent: 0 };
      const previous: Partial<Record<Respondent, CheckinAnswers>> = {};
      const open = new Set<RiskSignalType>();
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

/** The risk model (`assessRisk`) with the given numbers. */
export function riskModel(model: RiskModel): Policy {
  return {
    name: `risk model v${model.version} (assessRisk)`,
    escalations: (rounds) =>
      assessRisk(rounds, model).flatMap((step) => step.opened.map((o) => ({ round: step.round!, cause: o.cause }))),
  };
}

export type CauseFigures = { matches: number; detected: number; named: number; delays: number[] };

export type Figures = {
  matches: number;
  healthy: number;
  troubled: number;
  /** Matches with at least one escalation. */
  escalatedMatches: number;
  /** Troubled matches escalated between the start of their trouble and their failure. */
  caught: number;
  delays: number[];
  /** Escalations (emails) on healthy matches, and on troubled matches before their trouble began. */
  healthyEmails: number;
  earlyEmails: number;
  /** Healthy matches with at least one escalation. */
  healthyEscalated: number;
  perCause: Record<TroubleCause, CauseFigures>;
  /** Escalations on healthy matches, by the cause the policy named. */
  healthyByCause: Record<string, number>;
};

export function emptyFigures(): Figures {
  return {
    matches: 0,
    healthy: 0,
    troubled: 0,
    escalatedMatches: 0,
    caught: 0,
    delays: [],
    healthyEmails: 0,
    earlyEmails: 0,
    healthyEscalated: 0,
    perCause: Object.fromEntries(
      TROUBLE_CAUSES.map((c) => [c, { matches: 0, detected: 0, named: 0, delays: [] }]),
    ) as unknown as Record<TroubleCause, CauseFigures>,
    healthyByCause: {},
  };
}

/** Adds one match's outcome under a policy to the figures. */
export function score(figures: Figures, match: SimulatedMatch, opened: Opened[]): void {
  figures.matches += 1;
  if (opened.length) figures.escalatedMatches += 1;
  const { trouble } = match;
  if (!trouble) {
    figures.healthy += 1;
    figures.healthyEmails += opened.length;
    if (opened.length) figures.healthyEscalated += 1;
    for (const o of opened) figures.healthyByCause[o.cause] = (figures.healthyByCause[o.cause] ?? 0) + 1;
    return;
  }
  figures.troubled += 1;
  figures.earlyEmails += opened.filter((o) => o.round < trouble.startRound).length;
  const cause = figures.perCause[trouble.cause];
  cause.matches += 1;
  const first = opened.find((o) => o.round >= trouble.startRound && o.round <= trouble.failRound);
  if (!first) return;
  figures.caught += 1;
  figures.delays.push(first.round - trouble.startRound);
  cause.detected += 1;
  cause.delays.push(first.round - trouble.startRound);
  if (opened.some((o) => o.round >= trouble.startRound && o.round <= trouble.failRound && o.cause === trouble.cause))
    cause.named += 1;
}

export function median(values: number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Recall, precision, median delay and false emails per healthy match: the figures the targets are about. */
export function headline(f: Figures) {
  return {
    recall: f.troubled ? f.caught / f.troubled : null,
    precision: f.escalatedMatches ? f.caught / f.escalatedMatches : null,
    medianDelay: median(f.delays),
    emailsPerHealthy: f.healthy ? f.healthyEmails / f.healthy : null,
  };
}

export const TARGETS = { recall: 0.95, precision: 0.85, medianDelay: 2, emailsPerHealthy: 0.2 } as const;
