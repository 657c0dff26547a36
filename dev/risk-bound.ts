/**
 * The bound for the risk harness: a Bayes detector for the simulator (dev/risk-simulator.ts). It knows the
 * simulator's generative model and every one of its numbers (programs' typical answers, the spread of people's levels
 * and biases, wobble, drift, skips, bad weeks, requests to talk, and the trouble's onset, length, sides, causes, size
 * and shape), but not which matches are troubled nor anything about the people in them. After each closed round it
 * computes the posterior probability that the match's trouble has begun, given the answers and skips seen so far and
 * that the match is still running, and escalates once when that passes a threshold (and, as every policy must, at a
 * request to talk to the coordinator). Escalating at a threshold of the posterior is the best a policy can do with
 * what it has seen, so the curve of thresholds bounds what any policy can reach on these cohorts.
 *
 * The posterior is a deterministic numerical integration: each person's level and wobble on small grids, each
 * usual answer (bias) on a fine grid and its drift by Gauss–Hermite, the trouble's size and shape by midpoints;
 * onset, sides, cause, silence and skips are summed exactly. Two simplifications, both small: the program's offset
 * on a question (sd 0.2, shared by host and talent) is taken as part of each person's own bias, and a bad week hits
 * each question independently with the chance the simulator's picks give it (not as one set of picks).
 */
import { RESPONDENTS, SCALE_QUESTIONS, type Respondent, type ScaleQuestion } from '../workflows/checkin-questions';
import type { Opened, Policy } from './risk-scoring';
import { NOISE, PROGRAM_TYPICAL, TROUBLE, type SimulatedMatch, type TroubleSpec } from './risk-simulator';

const Q = SCALE_QUESTIONS.length;
const SAT = SCALE_QUESTIONS.indexOf('satisfaction');

function normalGrid(sd: number, steps: number[]): { nodes: number[]; weights: number[] } {
  const density = steps.map((z) => Math.exp(-0.5 * z * z));
  const total = density.reduce((a, b) => a + b, 0);
  return { nodes: steps.map((z) => z * sd), weights: density.map((d) => d / total) };
}
const midpoints = (range: readonly [number, number], n: number) =>
  Array.from({ length: n }, (_, i) => range[0] + ((i + 0.5) * (range[1] - range[0])) / n);

/** People's level, wobble, bias and drift, and the trouble's size, on the grids the integration uses. */
const LEVELS = normalGrid(NOISE.personLevel, [-2.7, -1.8, -0.9, 0, 0.9, 1.8, 2.7]);
const WOBBLES = {
  nodes: [-Math.sqrt(0.6), 0, Math.sqrt(0.6)].map(
    (x) => (NOISE.wobble[0] + NOISE.wobble[1]) / 2 + (x * (NOISE.wobble[1] - NOISE.wobble[0])) / 2,
  ),
  weights: [5 / 18, 8 / 18, 5 / 18],
};
const BIASES = normalGrid(
  Math.hypot(NOISE.questionBias, NOISE.programOffset),
  Array.from({ length: 21 }, (_, i) => -4 + (8 * i) / 20),
);
/** Gauss–Hermite for the drift per round, in standard deviations. */
const DRIFTS = { nodes: [-Math.sqrt(3), 0, Math.sqrt(3)], weights: [1 / 6, 2 / 3, 1 / 6] };
const SKIPS = midpoints(NOISE.skip, 8);
const RAMPS = midpoints(TROUBLE.firstRoundShare, 2);
const SATISFACTION_SHARES = midpoints(TROUBLE.satisfactionShare, 2);
const DROPS = 5;

const K = LEVELS.nodes.length * WOBBLES.nodes.length;
const C = BIASES.nodes.length * DRIFTS.nodes.length;
const CELL_PRIOR = Float64Array.from(
  { length: C },
  (_, c) => BIASES.weights[c % BIASES.nodes.length]! * DRIFTS.weights[Math.floor(c / BIASES.nodes.length)]!,
);
const cellDrifts = (sd: number) =>
  Float64Array.from({ length: C }, (_, c) => sd * DRIFTS.nodes[Math.floor(c / BIASES.nodes.length)]!);
const LOG_K_PRIOR = Array.from({ length: K }, (_, k) =>
  Math.log(LEVELS.weights[Math.floor(k / WOBBLES.nodes.length)]! * WOBBLES.weights[k % WOBBLES.nodes.length]!),
);

// The chance of each answer 1–5 given the latent mean, per wobble, with a bad week mixed in ------------------------

function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
const below = (x: number) => 0.5 * erfc(-x / Math.SQRT2);
function answerChance(a: number, mean: number, wobble: number): number {
  const upper = a === 5 ? 1 : below((a + 0.5 - mean) / wobble);
  const lower = a === 1 ? 0 : below((a - 0.5 - mean) / wobble);
  return upper - lower;
}

/** Wide enough for every latent mean the grids and shifts can give (no clamping in the loops). */
const MU_LOW = -8;
const MU_STEP = 0.01;
const MU_N = 2201;
/** A bad week hits satisfaction, and each other question with the chance that one to three picks of seven give. */
const HIT = {
  satisfaction: NOISE.badWeek,
  other: NOISE.badWeek * (1 - [1, 2, 3].reduce((s, n) => s + (6 / 7) ** n, 0) / 3),
};
const TABLES: Float64Array[] = [];
for (const wobble of WOBBLES.nodes)
  for (const hit of [HIT.other, HIT.satisfaction])
    for (let a = 1; a <= 5; a++)
      TABLES.push(
        Float64Array.from({ length: MU_N }, (_, i) => {
          const mean = MU_LOW + i * MU_STEP;
          let bad = 0;
          for (let j = 0; j < 20; j++)
            bad += answerChance(
              a,
              mean - NOISE.badWeekDrop[0] - ((j + 0.5) / 20) * (NOISE.badWeekDrop[1] - NOISE.badWeekDrop[0]),
              wobble,
            );
          return Math.max(1e-20, (1 - hit) * answerChance(a, mean, wobble) + (hit * bad) / 20);
        }),
      );
// What trouble can do to one person's answers: profiles (question, shift in its first round, shift after) --------------

/** Shifts in steps of the answer table (0.01 points). */
type Profile = { q: number; first: number; after: number };
const PROFILES: Profile[] = [];
/** The question of each profile. */
const PROFILES_OF: number[] = [];
const PROFILES_BY_QUESTION: number[][] = SCALE_QUESTIONS.map(() => []);
const profileIndex = new Map<string, number>();
function profile(q: ScaleQuestion, first: number, after: number): number {
  const key = `${q}|${first}|${after}`;
  let i = profileIndex.get(key);
  if (i === undefined) {
    i =
      PROFILES.push({
        q: SCALE_QUESTIONS.indexOf(q),
        first: Math.round(first / MU_STEP),
        after: Math.round(after / MU_STEP),
      }) - 1;
    PROFILES_OF[i] = PROFILES[i]!.q;
    PROFILES_BY_QUESTION[PROFILES[i]!.q]!.push(i);
    profileIndex.set(key, i);
  }
  return i;
}

/** A person's part in a trouble: their own cause, or one of the three parts priority trouble gives. */
const ROLES = [
  'working_style',
  'remote_tools',
  'task_clarity',
  'contract_admin',
  'priority_one',
  'priority_falls',
  'priority_rises',
] as const;
type Role = (typeof ROLES)[number];
/** The trouble's size and shape on the grid: drop, first round's share, satisfaction's share (0: it did not follow). */
type Shape = { drop: number; ramp: number; satisfaction: number; weight: number };

function shapes(spec: TroubleSpec): Shape[] {
  const out: Shape[] = [];
  for (const drop of midpoints(spec.drop ?? TROUBLE.drop, DROPS))
    for (const ramp of RAMPS)
      for (const satisfaction of [0, ...SATISFACTION_SHARES])
        out.push({
          drop,
          ramp,
          satisfaction,
          weight:
            (1 / DROPS / RAMPS.length) *
            (satisfaction ? TROUBLE.satisfactionFollows / SATISFACTION_SHARES.length : 1 - TROUBLE.satisfactionFollows),
        });
  return out;
}

function roleProfiles(role: Role, s: Shape): number[] {
  const d = s.drop;
  const moved = (q: ScaleQuestion, k: number) => profile(q, k * d * s.ramp, k * d);
  const own: number[] =
    role === 'priority_one'
      ? [moved('priority', -1), moved('expectation', -0.6)]
      : role === 'priority_falls'
        ? [moved('priority', -0.7), moved('expectation', -0.6)]
        : role === 'priority_rises'
          ? [profile('priority', 0.5 * s.ramp, 0.5), moved('expectation', -0.6)]
          : [moved(role, -1)];
  return s.satisfaction ? [...own, profile('satisfaction', 0, -s.satisfaction * d)] : own;
}

/** One person's posterior pieces, updated round by round. */
class PersonEvidence {
  /** Per level-and-wobble k and question: the healthy likelihood over the bias-and-drift cells. */
  private healthy = new Float64Array(K * Q * C);
  /** Per k, onset and profile: the likelihood if that trouble began at that onset. */
  private troubled: Float64Array;
  private base = new Float64Array(K * Q * C);
  readonly logHealthy = new Float64Array(K * Q);
  readonly logTroubled: Float64Array;
  /** Per round: answered, asked. */
  readonly seen: { answered: boolean; asked: boolean }[] = [];
  private logAll = new Float64Array(K);
  private logAllSum = 0;
  private memo: Float64Array;
  private drift: Float64Array;

  constructor(
    private readonly nProfiles: number,
    private readonly shapes: number,
    /** Trouble lasts at most this many rounds: older onsets cannot explain a match still running. */
    private readonly longest: number,
    /** The last round trouble can begin in. */
    private readonly onsets: number,
    driftPerRound: number,
  ) {
    this.drift = cellDrifts(driftPerRound);
    this.memo = new Float64Array(this.onsets * ROLES.length * shapes);
    this.troubled = new Float64Array(K * this.onsets * nProfiles * C);
    this.logTroubled = new Float64Array(K * this.onsets * nProfiles);
    this.healthy.fill(1);
    for (let k = 0; k < K; k++) {
      const level = LEVELS.nodes[Math.floor(k / WOBBLES.nodes.length)]!;
      for (let q = 0; q < Q; q++)
        for (let c = 0; c < C; c++)
          this.base[(k * Q + q) * C + c] =
            PROGRAM_TYPICAL[SCALE_QUESTIONS[q]!] + level + BIASES.nodes[c % BIASES.nodes.length]!;
    }
  }

  add(round: number, scores: Record<ScaleQuestion, number> | undefined, asked: boolean): void {
    this.seen.push({ answered: !!scores, asked });
    this.memo.fill(NaN);
    const P = this.nProfiles;
    const { healthy, troubled, base, logHealthy, logTroubled, drift, onsets } = this;
    const onsetNow = round <= onsets ? round : 0;
    const at = new Int32Array(C);
    const frac = new Float64Array(C);
    const factor = new Float64Array(C);
    for (let k = 0; k < K; k++) {
      const w = k % WOBBLES.nodes.length;
      for (let q = 0; q < Q; q++) {
        const h = (k * Q + q) * C;
        const table = scores ? TABLES[(w * 2 + (q === SAT ? 1 : 0)) * 5 + scores[SCALE_QUESTIONS[q]!] - 1]! : null;
        if (table)
          for (let c = 0; c < C; c++) {
            const x = (base[h + c]! + drift[c]! * round - MU_LOW) / MU_STEP;
            at[c] = Math.floor(x);
            frac[c] = x - at[c]!;
          }
        for (const p of PROFILES_BY_QUESTION[q]!) {
          if (p >= P) continue;
          const prof = PROFILES[p]!;
          if (onsetNow) {
            const o = ((k * onsets + onsetNow - 1) * P + p) * C;
            let sum = 0;
            for (let c = 0; c < C; c++) {
              const i = at[c]! + prof.first;
              troubled[o + c] = healthy[h + c]! * (table ? table[i]! + (table[i + 1]! - table[i]!) * frac[c]! : 1);
              sum += CELL_PRIOR[c]! * troubled[o + c]!;
            }
            logTroubled[(k * onsets + onsetNow - 1) * P + p] = Math.log(sum);
          }
          // Without answers this round, the older onsets' likelihoods stay as they were.
          if (!table || round < 2) continue;
          for (let c = 0; c < C; c++) {
            const i = at[c]! + prof.after;
            factor[c] = table[i]! + (table[i + 1]! - table[i]!) * frac[c]!;
          }
          for (let t = Math.max(1, round - this.longest + 1); t < Math.min(round, onsets + 1); t++) {
            const o = ((k * onsets + t - 1) * P + p) * C;
            let sum = 0;
            for (let c = 0; c < C; c++) sum += CELL_PRIOR[c]! * (troubled[o + c]! *= factor[c]!);
            logTroubled[(k * onsets + t - 1) * P + p] = Math.log(sum);
          }
        }
        if (table)
          for (let c = 0; c < C; c++)
            healthy[h + c]! *= table[at[c]!]! + (table[at[c]! + 1]! - table[at[c]!]!) * frac[c]!;
        let sum = 0;
        for (let c = 0; c < C; c++) sum += CELL_PRIOR[c]! * healthy[h + c]!;
        logHealthy[k * Q + q] = Math.log(sum);
      }
      let all = LOG_K_PRIOR[k]!;
      for (let q = 0; q < Q; q++) all += logHealthy[k * Q + q]!;
      this.logAll[k] = all;
    }
    this.logAllSum = logSumExp(Array.from(this.logAll));
  }

  /** log P(answers | this person's part in a trouble begun at onset t) − log P(answers | healthy). */
  answersRatio(t: number, profiles: number[]): number {
    const moved = new Array<number>(K);
    for (let k = 0; k < K; k++) {
      let m = this.logAll[k]!;
      for (const p of profiles)
        m +=
          this.logTroubled[(k * this.onsets + t - 1) * this.nProfiles + p]! - this.logHealthy[k * Q + PROFILES_OF[p]!]!;
      moved[k] = m;
    }
    return logSumExp(moved) - this.logAllSum;
  }

  /** The same, remembered until the next round (per onset, role and shape). */
  ratio(t: number, role: number, g: number, profiles: number[]): number {
    const i = ((t - 1) * ROLES.length + role) * this.shapes + g;
    let r = this.memo[i]!;
    if (Number.isNaN(r)) this.memo[i] = r = this.answersRatio(t, profiles);
    return r;
  }

  /** log P(skips and requests to talk | in trouble from onset t, quiet from round `quietFrom` or never). */
  behaviour(t: number, quietFrom: number, asks: number): number {
    const each = SKIPS.map((u) => {
      let log = 0;
      let skippedLast = false;
      this.seen.forEach(({ answered, asked }, i) => {
        const round = i + 1;
        const inTrouble = round >= t;
        let skip = u * (skippedLast ? NOISE.skipAfterSkip : 1) * (inTrouble ? TROUBLE.skipFactor : 1);
        if (inTrouble && round >= quietFrom) skip = TROUBLE.quietSkip;
        const ask = inTrouble ? TROUBLE.wantsCoordinator : asks;
        log += Math.log(answered ? (1 - skip) * (asked ? ask : 1 - ask) : skip);
        skippedLast = !answered;
      });
      return log - Math.log(SKIPS.length);
    });
    return logSumExp(each);
  }
}

function logSumExp(xs: number[]): number {
  const top = Math.max(...xs);
  if (top === -Infinity) return top;
  let s = 0;
  for (const x of xs) s += Math.exp(x - top);
  return top + Math.log(s);
}

export type BoundSpec = {
  troubleShare: number;
  trouble: TroubleSpec;
  asks: number | undefined;
  drift: number | undefined;
};

/** The posterior that the match's trouble has begun, after each of its closed rounds. */
export function posteriorTrace(match: SimulatedMatch, spec: BoundSpec): number[] {
  const shapeGrid = shapes(spec.trouble);
  const roleOf = ROLES.map((role) => shapeGrid.map((s) => roleProfiles(role, s)));
  const asks = spec.asks ?? NOISE.wantsCoordinator;
  const lasts = spec.trouble.lasts ?? TROUBLE.lasts;
  const [first, last] = spec.trouble.onset ?? TROUBLE.onset;
  const onsets = last - first + 1;
  const people = Object.fromEntries(
    RESPONDENTS.map((side) => [
      side,
      new PersonEvidence(PROFILES.length, shapeGrid.length, lasts[1], last, spec.drift ?? NOISE.driftPerRound),
    ]),
  ) as Record<Respondent, PersonEvidence>;
  const trace: number[] = [];
  for (const { round, answers } of match.rounds) {
    for (const side of RESPONDENTS) people[side].add(round, answers[side]?.scores, !!answers[side]?.wantsCoordinator);
    const healthyBehaviour = Object.fromEntries(
      RESPONDENTS.map((side) => [side, people[side].behaviour(Infinity, Infinity, asks)]),
    ) as Record<Respondent, number>;
    const terms: number[] = [];
    for (let t = first; t <= Math.min(round, last); t++) {
      // The match is still running: trouble begun at t has not yet made it fail.
      const lengths = lasts[1] - lasts[0] + 1;
      const running = Math.min(lengths, Math.max(0, lasts[1] - (round - t + 1) + 1)) / lengths;
      if (!running) continue;
      const ratio = (side: Respondent, role: Role, g: number) => {
        const r = ROLES.indexOf(role);
        return people[side].ratio(t, r, g, roleOf[r]![g]!);
      };
      const quiet = [Infinity, t + 1, t + 2];
      const behaviours = Object.fromEntries(
        RESPONDENTS.map((side) => [
          side,
          quiet.map((from) => people[side].behaviour(t, from, asks) - healthyBehaviour[side]),
        ]),
      ) as Record<Respondent, number[]>;
      const behaviour = (side: Respondent, silent: number) => behaviours[side][silent]!;
      const prior = Math.log((spec.troubleShare / 5) * (1 / onsets) * running);
      shapeGrid.forEach((shape, g) => {
        const base = prior + Math.log(shape.weight);
        for (const cause of ['working_style', 'remote_tools', 'task_clarity', 'contract_admin', 'priority'] as const) {
          const silences =
            cause === 'remote_tools'
              ? [
                  [0, 1 - TROUBLE.goesQuiet],
                  [1, TROUBLE.goesQuiet / 2],
                  [2, TROUBLE.goesQuiet / 2],
                ]
              : [[0, 1]];
          for (const [silent, chance] of silences) {
            const one = (side: Respondent, role: Role) => ratio(side, role, g) + behaviour(side, silent!);
            const single = (1 - TROUBLE.bothSides) / 2;
            const own: Role = cause === 'priority' ? 'priority_one' : cause;
            for (const side of RESPONDENTS) terms.push(base + Math.log(single * chance!) + one(side, own));
            if (cause === 'priority')
              for (const falls of RESPONDENTS) {
                const rises = falls === 'host' ? 'talent' : 'host';
                terms.push(
                  base +
                    Math.log((TROUBLE.bothSides / 2) * chance!) +
                    one(falls, 'priority_falls') +
                    one(rises, 'priority_rises'),
                );
              }
            else terms.push(base + Math.log(TROUBLE.bothSides * chance!) + one('host', own) + one('talent', own));
          }
        }
      });
    }
    const started = logSumExp(terms);
    const notStarted = Math.log(
      1 - spec.troubleShare + (spec.troubleShare * Math.max(0, last - Math.max(round, first - 1))) / onsets,
    );
    trace.push(Math.exp(started - logSumExp([started, notStarted])));
  }
  return trace;
}

/**
 * The bound as a policy: escalates once, at the first round whose posterior reaches `threshold`, and at the first
 * request to talk to the coordinator. Traces are computed once per match and shared by every threshold.
 */
export function bayesBound(threshold: number, spec: BoundSpec, traces: Map<string, number[]>): Policy {
  return {
    name: 'bound: Bayes posterior',
    escalations(match) {
      let trace = traces.get(match.id);
      if (!trace) traces.set(match.id, (trace = posteriorTrace(match, spec)));
      const opened: Opened[] = [];
      const asked = match.rounds.find((r) => RESPONDENTS.some((side) => r.answers[side]?.wantsCoordinator));
      if (asked) opened.push({ round: asked.round, cause: 'wants_coordinator' });
      const crossed = trace.findIndex((p) => p >= threshold);
      if (crossed >= 0 && match.rounds[crossed]!.round !== asked?.round)
        opened.push({ round: match.rounds[crossed]!.round, cause: 'trouble' });
      return opened.sort((x, y) => x.round - y.round);
    },
  };
}
