/**
 * A simulator of check-in answers for the risk harness (`npm run risk:eval`): cohorts of matches whose people answer
 * the way people do, some of them running into one of the five causes of trouble. Seeded, so every figure the
 * harness prints can be reproduced.
 *
 * Healthy noise, fixed before any policy was tuned against it and not to be tuned to flatter one:
 * - each person has a general level and a steady bias per question (some always answer 5, some 3), around the
 *   program's typical answers, which differ a little from program to program;
 * - each answer wobbles around the person's usual one (how much differs by person) and drifts a little over months;
 * - people skip a round now and then (some more than others; a skip makes the next one likelier), and now and then
 *   both skip the same round;
 * - the odd bad week: one round in which a person answers satisfaction and a few other questions 1–2 points lower;
 * - two people 2 points apart on the same question is ordinary, since their biases differ;
 * - rarely, someone ticks "I would like to talk to the coordinator" with nothing wrong.
 *
 * Trouble: one of the five causes starts at a random round on one side or both, moving that person's answers on the
 * cause's question(s) down by 1.2–2.8 points (clamped to the scale), sometimes over two rounds; satisfaction usually
 * follows a round later; remote-tool trouble sometimes makes the side go quiet; priority trouble opens a gap between
 * the sides. The match fails (ends early) 3–5 rounds after the trouble starts.
 */
import type { CheckinAnswers, Respondent, ScaleQuestion } from '../workflows/checkin-questions';
import { RESPONDENTS, SCALE_QUESTIONS } from '../workflows/checkin-questions';
import type { RiskRoundEntry } from '../workflows/risk-model';

export const TROUBLE_CAUSES = [
  'working_style',
  'remote_tools',
  'priority_gap',
  'task_design',
  'contract_admin',
] as const;
export type TroubleCause = (typeof TROUBLE_CAUSES)[number];

export type Trouble = {
  cause: TroubleCause;
  sides: Respondent[];
  /** The first round whose answers show it. */
  startRound: number;
  /** The last round answered before the match ends early (or the last round of the project). */
  failRound: number;
  /** The side went quiet (remote-tool trouble only). */
  silent: boolean;
  /** How far the answers on the cause's question moved, in points, before clamping to the scale. */
  drop: number;
  /** Satisfaction followed, by this share of the drop (0: it did not). */
  satisfaction: number;
};

export type SimulatedMatch = {
  id: string;
  /** null: a healthy match. */
  trouble: Trouble | null;
  /** The closed check-in rounds, as the risk model reads them. */
  rounds: RiskRoundEntry[];
  /** What no policy can know: each person's true usual answers, drift and wobble (for the harness's reference). */
  people: Record<Respondent, Person>;
};

export type CohortSpec = {
  seed: number;
  size: number;
  /** Share of matches that run into trouble. */
  troubleShare?: number;
  /** Rounds of a match that runs to its end (12: six months at the default 14-day cadence). */
  rounds?: number;
  /** Other trouble than the default, to see how the figures move with it (the reported figures use the default). */
  trouble?: TroubleSpec;
  /**
   * The chance that a person not in trouble ticks "I would like to talk to the coordinator" in one check-in (default
   * `NOISE.wantsCoordinator`). No data says what it is; the harness's `--asks` shows how the figures depend on it.
   */
  asks?: number;
  /** How far a person's usual answers drift per round (sd, points; default `NOISE.driftPerRound`). */
  drift?: number;
};

/**
 * How far trouble moves the answers (points), after how many rounds, counting the first, the match fails, and the
 * rounds it can begin in.
 */
export type TroubleSpec = {
  drop?: readonly [number, number];
  lasts?: readonly [number, number];
  onset?: readonly [number, number];
};

/** Program-typical answers before the cohort's own offsets (satisfaction and contracts usually high). */
export const PROGRAM_TYPICAL: Record<ScaleQuestion, number> = {
  working_style: 4.0,
  remote_tools: 3.8,
  priority: 4.0,
  expectation: 3.8,
  task_clarity: 3.7,
  contract_admin: 4.2,
  satisfaction: 4.0,
};

export const NOISE = {
  programOffset: 0.2,
  personLevel: 0.45,
  questionBias: 0.55,
  wobble: [0.35, 0.85],
  driftPerRound: 0.04,
  skip: [0.02, 0.2],
  /** A skip makes the next one this much likelier. */
  skipAfterSkip: 1.5,
  badWeek: 0.06,
  badWeekDrop: [1, 2],
  /**
   * A person with nothing wrong asks for the coordinator in 0.3% of check-ins: about 6 healthy matches in 100 over 12
   * rounds. An assumption, not a measurement (people also tick it for ordinary questions, which would make it higher).
   */
  wantsCoordinator: 0.003,
} as const;

export const TROUBLE = {
  drop: [1.2, 2.8],
  /** Share of the drop already in the first round (the rest from the second). */
  firstRoundShare: [0.5, 1],
  bothSides: 0.4,
  satisfactionFollows: 0.7,
  satisfactionShare: [0.4, 0.8],
  goesQuiet: 0.5,
  quietSkip: 0.85,
  skipFactor: 1.5,
  wantsCoordinator: 0.06,
  onset: [1, 9],
  lasts: [3, 5],
} as const;

const ROUND_MS = 14 * 86_400_000;
const FIRST_CLOSE = Date.UTC(2027, 0, 11, 3, 0, 0);

/** A seeded random source (mulberry32) with the few draws the simulator needs. */
export class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  between(range: readonly [number, number]): number {
    return range[0] + (range[1] - range[0]) * this.next();
  }
  int(range: readonly [number, number]): number {
    return range[0] + Math.floor(this.next() * (range[1] - range[0] + 1));
  }
  normal(sd: number): number {
    const u = 1 - this.next();
    const v = this.next();
    return sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

/** A simulated person: usual answer per question, its drift per round, how much they wobble and skip. */
export type Person = {
  usual: Record<ScaleQuestion, number>;
  drift: Record<ScaleQuestion, number>;
  wobble: number;
  skip: number;
};

function person(random: Random, typical: Record<ScaleQuestion, number>, driftPerRound: number): Person {
  const level = random.normal(NOISE.personLevel);
  const usual = {} as Record<ScaleQuestion, number>;
  const drift = {} as Record<ScaleQuestion, number>;
  for (const q of SCALE_QUESTIONS) {
    usual[q] = typical[q] + level + random.normal(NOISE.questionBias);
    drift[q] = random.normal(driftPerRound);
  }
  return { usual, drift, wobble: random.between(NOISE.wobble), skip: random.between(NOISE.skip) };
}

/** The questions a cause moves, on the side(s) it touches. */
const CAUSE_QUESTIONS: Record<TroubleCause, ScaleQuestion[]> = {
  working_style: ['working_style'],
  remote_tools: ['remote_tools'],
  priority_gap: ['priority', 'expectation'],
  task_design: ['task_clarity'],
  contract_admin: ['contract_admin'],
};

function plantTrouble(
  random: Random,
  rounds: number,
  spec: TroubleSpec,
): Omit<Trouble, 'drop' | 'satisfaction'> & { shift: Shift } {
  const cause = random.pick(TROUBLE_CAUSES);
  const sides: Respondent[] = random.chance(TROUBLE.bothSides) ? ['host', 'talent'] : [random.pick(RESPONDENTS)];
  const startRound = random.int(spec.onset ?? TROUBLE.onset);
  const failRound = Math.min(rounds, startRound + random.int(spec.lasts ?? TROUBLE.lasts) - 1);
  const silent = cause === 'remote_tools' && random.chance(TROUBLE.goesQuiet);
  const shift: Shift = {
    drop: random.between(spec.drop ?? TROUBLE.drop),
    firstRoundShare: random.between(TROUBLE.firstRoundShare),
    satisfaction: random.chance(TROUBLE.satisfactionFollows) ? random.between(TROUBLE.satisfactionShare) : 0,
    quietFrom: startRound + random.int([1, 2]),
    fallingSide: random.pick(RESPONDENTS),
  };
  return { cause, sides, startRound, failRound, silent, shift };
}

type Shift = {
  drop: number;
  firstRoundShare: number;
  satisfaction: number;
  quietFrom: number;
  /** With priority trouble on both sides: whose priority falls (the other's rises a little). */
  fallingSide: Respondent;
};

/** How far trouble moves one side's answer to one question in a round (negative: down). */
function troubleShift(
  trouble: ReturnType<typeof plantTrouble>,
  side: Respondent,
  question: ScaleQuestion,
  round: number,
): number {
  if (round < trouble.startRound) return 0;
  const { shift } = trouble;
  const ramp = round === trouble.startRound ? shift.firstRoundShare : 1;
  const affected = trouble.sides.includes(side);
  if (trouble.cause === 'priority_gap') {
    // The sides drift apart on priority: the troubled side's falls; with both, the other's rises a little.
    if (question === 'priority') {
      if (trouble.sides.length === 2) return side === shift.fallingSide ? -0.7 * shift.drop * ramp : 0.5 * ramp;
      return affected ? -shift.drop * ramp : 0;
    }
    if (question === 'expectation') return affected ? -0.6 * shift.drop * ramp : 0;
  } else if (affected && CAUSE_QUESTIONS[trouble.cause].includes(question)) {
    return -shift.drop * ramp;
  }
  if (question === 'satisfaction' && affected && round > trouble.startRound) return -shift.satisfaction * shift.drop;
  return 0;
}

function answersOf(
  random: Random,
  who: Person,
  round: number,
  shiftOf: (q: ScaleQuestion) => number,
  wantsCoordinator: number,
): CheckinAnswers {
  const badWeek = random.chance(NOISE.badWeek);
  const hit = new Set<ScaleQuestion>(badWeek ? ['satisfaction'] : []);
  if (badWeek) for (let n = random.int([1, 3]); n > 0; n--) hit.add(random.pick(SCALE_QUESTIONS));
  const scores = {} as Record<ScaleQuestion, number>;
  for (const q of SCALE_QUESTIONS) {
    let latent = who.usual[q] + who.drift[q] * round + random.normal(who.wobble) + shiftOf(q);
    if (hit.has(q)) latent -= random.between(NOISE.badWeekDrop);
    scores[q] = Math.min(5, Math.max(1, Math.round(latent)));
  }
  return { scores, wantsCoordinator: random.chance(wantsCoordinator) };
}

/** One match: its people, its noise and maybe its trouble, round by round until it ends. */
export function simulateMatch(
  random: Random,
  id: string,
  troubled: boolean,
  rounds = 12,
  spec: TroubleSpec = {},
  asks: number = NOISE.wantsCoordinator,
  drift: number = NOISE.driftPerRound,
): SimulatedMatch {
  const typical = Object.fromEntries(
    SCALE_QUESTIONS.map((q) => [q, PROGRAM_TYPICAL[q] + random.normal(NOISE.programOffset)]),
  ) as Record<ScaleQuestion, number>;
  const people: Record<Respondent, Person> = {
    host: person(random, typical, drift),
    talent: person(random, typical, drift),
  };
  const trouble = troubled ? plantTrouble(random, rounds, spec) : null;
  const lastRound = trouble ? trouble.failRound : rounds;
  const skippedLast: Record<Respondent, boolean> = { host: false, talent: false };
  const history: RiskRoundEntry[] = [];
  for (let round = 1; round <= lastRound; round++) {
    const answers: RiskRoundEntry['answers'] = {};
    for (const side of RESPONDENTS) {
      const who = people[side];
      const inTrouble = !!trouble && round >= trouble.startRound && trouble.sides.includes(side);
      let skip = who.skip * (skippedLast[side] ? NOISE.skipAfterSkip : 1) * (inTrouble ? TROUBLE.skipFactor : 1);
      if (inTrouble && trouble.silent && round >= trouble.shift.quietFrom) skip = TROUBLE.quietSkip;
      skippedLast[side] = random.chance(skip);
      if (skippedLast[side]) continue;
      answers[side] = answersOf(
        random,
        who,
        round,
        (q) => (trouble ? troubleShift(trouble, side, q, round) : 0),
        inTrouble ? TROUBLE.wantsCoordinator : asks,
      );
    }
    history.push({ kind: 'round', round, at: new Date(FIRST_CLOSE + (round - 1) * ROUND_MS).toISOString(), answers });
  }
  return {
    id,
    people,
    trouble: trouble && {
      cause: trouble.cause,
      sides: trouble.sides,
      startRound: trouble.startRound,
      failRound: trouble.failRound,
      silent: trouble.silent,
      drop: trouble.shift.drop,
      satisfaction: trouble.shift.satisfaction,
    },
    rounds: history,
  };
}

/** A cohort: `size` matches, about `troubleShare` of them troubled, all drawn from the seed. */
export function simulateCohort(spec: CohortSpec): SimulatedMatch[] {
  const random = new Random(spec.seed * 7919 + spec.size);
  const share = spec.troubleShare ?? 0.3;
  return Array.from({ length: spec.size }, (_, i) =>
    simulateMatch(
      random,
      `sim-${spec.seed}-${spec.size}-${String(i + 1).padStart(3, '0')}`,
      random.chance(share),
      spec.rounds,
      spec.trouble,
      spec.asks,
      spec.drift,
    ),
  );
}
