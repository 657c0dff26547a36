/**
 * `npm run risk:eval`: replays simulated cohorts (dev/risk-simulator.ts) through the risk rules the workflow runs
 * today and through the risk model (`assessRisk`, with the default playbook's numbers), and prints, per cause and
 * overall, recall, precision, median rounds to escalation and escalation emails per healthy match, against the
 * targets.
 *
 *   npm run risk:eval                      # the report seeds, never used for tuning
 *   npm run risk:eval -- --seeds tuning    # the seeds the model's numbers were tuned on
 *   npm run risk:eval -- --seeds 7,8 --sizes 50 --trouble 0.2
 */
import { DEFAULT_RISK_MODEL } from '../workflows/playbook';
import {
  currentRules,
  emptyFigures,
  headline,
  median,
  riskModel,
  score,
  TARGETS,
  type Figures,
  type Policy,
} from './risk-scoring';
import { simulateCohort, TROUBLE_CAUSES } from './risk-simulator';

/** The model's numbers were tuned on these seeds only. */
export const TUNING_SEEDS = [1, 2, 3, 4, 5];
/** The figures are reported on these, never looked at while tuning. */
export const REPORT_SEEDS = [101, 102, 103, 104, 105, 106, 107, 108, 109, 110];
export const COHORT_SIZES = [30, 100, 300];

type Options = { seeds: number[]; seedsName: string; sizes: number[]; troubleShare: number };

function options(argv: string[]): Options {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const list = (text: string) => text.split(',').map((n) => Number.parseInt(n, 10));
  const seedsArg = value('--seeds') ?? 'report';
  const seeds = seedsArg === 'report' ? REPORT_SEEDS : seedsArg === 'tuning' ? TUNING_SEEDS : list(seedsArg);
  const sizes = value('--sizes') ? list(value('--sizes')!) : COHORT_SIZES;
  const troubleShare = Number(value('--trouble') ?? 0.3);
  if ([...seeds, ...sizes].some((n) => !Number.isInteger(n) || n <= 0) || !(troubleShare > 0 && troubleShare < 1))
    throw new Error('usage: risk-eval [--seeds report|tuning|1,2,3] [--sizes 30,100] [--trouble 0.3]');
  return { seeds, seedsName: seedsArg, sizes, troubleShare };
}

/** Every cohort of every seed and size, through every policy. */
export function evaluate(policies: Policy[], o: Pick<Options, 'seeds' | 'sizes' | 'troubleShare'>): Figures[] {
  const figures = policies.map(() => emptyFigures());
  for (const seed of o.seeds) {
    for (const size of o.sizes) {
      for (const match of simulateCohort({ seed, size, troubleShare: o.troubleShare })) {
        policies.forEach((policy, i) => score(figures[i]!, match, policy.escalations(match.rounds)));
      }
    }
  }
  return figures;
}

const fixed = (n: number | null, digits = 2) => (n === null ? '–' : n.toFixed(digits));
const mark = (ok: boolean) => (ok ? 'ok' : 'MISSED');

function print(policies: Policy[], figures: Figures[], o: Options): void {
  const out: string[] = [];
  const row = (label: string, cells: string[]) => out.push(label.padEnd(34) + cells.map((c) => c.padEnd(26)).join(''));
  const f0 = figures[0]!;
  out.push(
    `Risk harness: seeds ${o.seeds.join(',')} (${o.seedsName === 'report' ? 'report seeds, not used for tuning' : o.seedsName === 'tuning' ? 'tuning seeds' : 'chosen seeds'}), cohorts of ${o.sizes.join('/')} matches, ${Math.round(o.troubleShare * 100)}% troubled, 12 rounds`,
    `${f0.matches} matches: ${f0.healthy} healthy, ${f0.troubled} troubled`,
    '',
  );
  row(
    '',
    policies.map((p) => p.name),
  );
  const heads = figures.map(headline);
  row(
    `recall (target ≥ ${TARGETS.recall})`,
    heads.map((h) => `${fixed(h.recall)} ${mark((h.recall ?? 0) >= TARGETS.recall)}`),
  );
  row(
    `precision (target ≥ ${TARGETS.precision})`,
    heads.map((h) => `${fixed(h.precision)} ${mark((h.precision ?? 0) >= TARGETS.precision)}`),
  );
  row(
    `median rounds to escalation (≤ ${TARGETS.medianDelay})`,
    heads.map(
      (h) => `${fixed(h.medianDelay, 1)} ${mark(h.medianDelay !== null && h.medianDelay <= TARGETS.medianDelay)}`,
    ),
  );
  row(
    `emails per healthy match (≤ ${TARGETS.emailsPerHealthy})`,
    heads.map((h) => `${fixed(h.emailsPerHealthy)} ${mark((h.emailsPerHealthy ?? 99) <= TARGETS.emailsPerHealthy)}`),
  );
  row(
    'healthy matches escalated',
    figures.map((f) => `${fixed(f.healthyEscalated / f.healthy)}`),
  );
  row(
    'emails before trouble began',
    figures.map((f) => `${fixed(f.earlyEmails / f.troubled)} per troubled match`),
  );
  out.push('', 'By planted cause: recall / median rounds to escalation / escalated under that cause');
  for (const cause of TROUBLE_CAUSES) {
    row(
      `  ${cause} (${f0.perCause[cause].matches})`,
      figures.map((f) => {
        const c = f.perCause[cause];
        return `${fixed(c.detected / c.matches)} / ${fixed(median(c.delays), 1)} / ${fixed(c.named / c.matches)}`;
      }),
    );
  }
  out.push('', 'Escalations on healthy matches per 100 healthy matches, by the cause named');
  const named = [...new Set(figures.flatMap((f) => Object.keys(f.healthyByCause)))].sort();
  for (const cause of named)
    row(
      `  ${cause}`,
      figures.map((f) => fixed((100 * (f.healthyByCause[cause] ?? 0)) / f.healthy, 1)),
    );
  out.push(
    '',
    'recall: troubled matches escalated between the first round showing the trouble and the failure; precision: of',
    'matches escalated at all, the share escalated within that window; rounds to escalation: 0 = the first round showing it.',
  );
  process.stdout.write(out.join('\n') + '\n');
}

const o = options(process.argv.slice(2));
const policies = [currentRules(), riskModel(DEFAULT_RISK_MODEL)];
print(policies, evaluate(policies, o), o);
