/**
 * `npm run risk:eval`: replays simulated cohorts (dev/risk-simulator.ts) through the risk rules the workflow runs
 * today and through the risk model (`assessRisk`, with the default playbook's numbers), and prints, per cause and
 * overall, recall, precision, median rounds to escalation and escalation emails per healthy match, against the
 * targets.
 *
 *   npm run risk:eval                      # the report seeds, never used for tuning
 *   npm run risk:eval -- --seeds tuning    # the seeds the model's numbers were tuned on
 *   npm run risk:eval -- --seeds 7,8 --sizes 50 --trouble 0.2
 *   npm run risk:eval -- --falls 2,3 --lasts 4,6   # other trouble than the simulator's (falls in points, rounds)
 *   npm run risk:eval -- --asks 0.01       # people with nothing wrong ask for the coordinator in 1% of check-ins
 *   npm run risk:eval -- --onset 3,9 --drift 0   # trouble from the third check-in; usual answers that do not drift
 *   npm run risk:eval -- --curve           # other thresholds, and the bound (dev/risk-bound.ts; slow: ~0.3 s a match)
 */
import { DEFAULT_RISK_MODEL } from '../workflows/playbook';
import { bayesBound } from './risk-bound';
import {
  currentRules,
  emptyFigures,
  headline,
  knownBaselines,
  median,
  riskModel,
  score,
  toldTheTrouble,
  TARGETS,
  type Figures,
  type Policy,
} from './risk-scoring';
import { simulateCohort, TROUBLE_CAUSES, type TroubleSpec } from './risk-simulator';

/** The model's numbers were tuned on these seeds only. */
export const TUNING_SEEDS = [1, 2, 3, 4, 5];
/** The figures are reported on these, never looked at while tuning. */
export const REPORT_SEEDS = [101, 102, 103, 104, 105, 106, 107, 108, 109, 110];
export const COHORT_SIZES = [30, 100, 300];

type Options = {
  seeds: number[];
  seedsName: string;
  sizes: number[];
  troubleShare: number;
  trouble: TroubleSpec;
  /** The chance a person not in trouble asks for the coordinator in a check-in (undefined: the simulator's). */
  asks: number | undefined;
  /** How far people's usual answers drift per round (sd; undefined: the simulator's). */
  drift: number | undefined;
  /** Also print recall, precision and emails at other escalation thresholds (the trade-off a program chooses on). */
  curve: boolean;
};

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
  const range = (flag: string) => {
    const text = value(flag);
    if (!text) return undefined;
    const [low, high] = text.split(',').map(Number);
    return low! > 0 && high! >= low! ? ([low!, high!] as const) : ([NaN, NaN] as const);
  };
  const trouble = { drop: range('--falls'), lasts: range('--lasts'), onset: range('--onset') };
  const drift = value('--drift') === undefined ? undefined : Number(value('--drift'));
  const asks = value('--asks') === undefined ? undefined : Number(value('--asks'));
  if (
    [...seeds, ...sizes].some((n) => !Number.isInteger(n) || n <= 0) ||
    !(troubleShare > 0 && troubleShare < 1) ||
    (asks !== undefined && !(asks >= 0 && asks < 1)) ||
    (drift !== undefined && !(drift >= 0 && drift < 1)) ||
    (trouble.onset && !(trouble.onset[0] >= 1 && trouble.onset[1] <= 12)) ||
    [...(trouble.drop ?? []), ...(trouble.lasts ?? []), ...(trouble.onset ?? [])].some(Number.isNaN)
  )
    throw new Error(
      'usage: risk-eval [--seeds report|tuning|1,2,3] [--sizes 30,100] [--trouble 0.3] [--falls 1.2,2.8] [--lasts 3,5] [--onset 1,9] [--drift 0.04] [--asks 0.003] [--curve]',
    );
  return { seeds, seedsName: seedsArg, sizes, troubleShare, trouble, asks, drift, curve: argv.includes('--curve') };
}

/** Every cohort of every seed and size, through every policy. */
export function evaluate(policies: Policy[], o: Omit<Options, 'seedsName' | 'curve'>): Figures[] {
  const figures = policies.map(() => emptyFigures());
  for (const seed of o.seeds) {
    for (const size of o.sizes) {
      for (const match of simulateCohort({
        seed,
        size,
        troubleShare: o.troubleShare,
        trouble: o.trouble,
        asks: o.asks,
        drift: o.drift,
      })) {
        policies.forEach((policy, i) => score(figures[i]!, match, policy.escalations(match)));
      }
    }
  }
  return figures;
}

const fixed = (n: number | null, digits = 2) => (n === null ? '–' : n.toFixed(digits));
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

function print(policies: Policy[], figures: Figures[], o: Options): void {
  const out: string[] = [];
  const row = (label: string, cells: string[]) => out.push(label.padEnd(44) + cells.map((c) => c.padEnd(22)).join(''));
  const f0 = figures[0]!;
  const which =
    o.seedsName === 'report'
      ? 'report seeds, never used for tuning'
      : o.seedsName === 'tuning'
        ? 'the seeds the model was tuned on'
        : 'chosen seeds';
  out.push(
    `Seeds ${o.seeds.join(', ')} (${which}); cohorts of ${o.sizes.join(', ')} matches per seed; ${Math.round(o.troubleShare * 100)}% planted with trouble; 12 check-in rounds`,
    `${f0.matches} matches: ${f0.healthy} healthy, ${f0.troubled} troubled` +
      (o.trouble.drop || o.trouble.lasts || o.trouble.onset
        ? ` (trouble changed: falls ${o.trouble.drop?.join('–') ?? 'default'} points, fails ${o.trouble.lasts?.join('–') ?? 'default'} rounds after it begins, begins in round ${o.trouble.onset?.join('–') ?? 'default'})`
        : '') +
      (o.asks === undefined ? '' : `; people not in trouble ask for the coordinator in ${o.asks * 100}% of check-ins`) +
      (o.drift === undefined ? '' : `; usual answers drift ${o.drift} points per round (sd)`),
    '',
  );
  row(
    '',
    policies.map((p) => p.name),
  );
  const heads = figures.map(headline);
  const target = (label: string, value: (h: ReturnType<typeof headline>) => string) => row(label, heads.map(value));
  target(
    `recall (target ≥ ${TARGETS.recall})`,
    (h) => `${fixed(h.recall)} ${verdict((h.recall ?? 0) >= TARGETS.recall)}`,
  );
  target(
    `precision (target ≥ ${TARGETS.precision})`,
    (h) => `${fixed(h.precision)} ${verdict((h.precision ?? 0) >= TARGETS.precision)}`,
  );
  target(
    `median rounds to escalation (target ≤ ${TARGETS.medianDelay})`,
    (h) => `${fixed(h.medianDelay, 1)} ${verdict(h.medianDelay !== null && h.medianDelay <= TARGETS.medianDelay)}`,
  );
  target(
    `emails per healthy match (target ≤ ${TARGETS.emailsPerHealthy})`,
    (h) => `${fixed(h.emailsPerHealthy)} ${verdict((h.emailsPerHealthy ?? 99) <= TARGETS.emailsPerHealthy)}`,
  );
  target('precision, escalated within the window', (h) => fixed(h.precisionInWindow));
  target('precision, requests to talk left out', (h) => fixed(h.precisionUnasked));
  row(
    'healthy matches escalated at all',
    figures.map((f) => fixed(f.healthyEscalated / f.healthy)),
  );
  row(
    '  for anything but a request to talk',
    figures.map((f) => fixed(f.healthyEscalatedUnasked / f.healthy)),
  );
  row(
    'emails before the trouble began',
    figures.map((f) => `${fixed(f.earlyEmails / f.troubled)} per match`),
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
  out.push('', 'Recall by kind of trouble');
  for (const kind of Object.keys(f0.perKind).sort())
    row(
      `  ${kind} (${f0.perKind[kind]!.matches})`,
      figures.map((f) => fixed(f.perKind[kind]!.detected / f.perKind[kind]!.matches)),
    );
  out.push('', 'Emails on healthy matches, per 100 healthy matches, by the cause named');
  const named = [...new Set(figures.flatMap((f) => Object.keys(f.healthyByCause)))].sort();
  for (const cause of named)
    row(
      `  ${cause}`,
      figures.map((f) => fixed((100 * (f.healthyByCause[cause] ?? 0)) / f.healthy, 1)),
    );
  out.push(
    '',
    'recall: troubled matches escalated between the first round that shows the trouble and the failure; precision: of the',
    'matches escalated at all, the share that were troubled; rounds to escalation: 0 is the first round that shows it.',
    "The reference is told each person's true usual answers and wobble, which no policy can know: what it misses at",
    'the same email rate is trouble this simulator makes hard to tell from noise.',
  );
  process.stdout.write(out.join('\n') + '\n');
}

/** The same cohorts at other escalation thresholds: fewer emails cost recall, for the model and for the reference. */
function printCurve(o: Options): void {
  const out = [
    '',
    'Trade-off: the same cohorts at other escalation thresholds (escalateAt; for the bound, the posterior)',
  ];
  const row = (cells: string[]) => out.push(cells.map((c, i) => c.padEnd(i ? 12 : 34)).join(''));
  row(['', 'threshold', 'recall', 'precision', 'median', 'emails per healthy match']);
  const traces = new Map<string, number[]>();
  const spec = { troubleShare: o.troubleShare, trouble: o.trouble, asks: o.asks, drift: o.drift };
  const lines: [string, number, Policy][] = [
    ...[2.0, 2.4, 2.8, 3.2, DEFAULT_RISK_MODEL.escalateAt, 4.0].map((at): [string, number, Policy] => [
      `risk model v${DEFAULT_RISK_MODEL.version}`,
      at,
      riskModel({ ...DEFAULT_RISK_MODEL, escalateAt: at }),
    ]),
    ...[0.8, 1.2, 1.6, 2.4, 3.2].map((at): [string, number, Policy] => [
      'reference: true baselines',
      at,
      knownBaselines(at),
    ]),
    ...BOUND_THRESHOLDS.map((at): [string, number, Policy] => [
      'bound: Bayes posterior',
      at,
      bayesBound(at, spec, traces),
    ]),
  ];
  const started = Date.now();
  const figures = evaluate(
    lines.map(([, , p]) => p),
    o,
  );
  const heads = figures.map(headline);
  lines.forEach(([name, at], i) => {
    const h = heads[i]!;
    if (name.startsWith('bound') && !BOUND_SHOWN.includes(at)) return;
    row([
      `  ${name}`,
      at.toFixed(2),
      fixed(h.recall),
      fixed(h.precision),
      fixed(h.medianDelay, 1),
      fixed(h.emailsPerHealthy),
    ]);
  });
  // The bound's best at the targets' email budget, and its best recall at the targets' precision.
  const bound = lines
    .map((l, i) => ({ at: l[1], h: heads[i]!, bound: l[0].startsWith('bound') }))
    .filter((b) => b.bound);
  const withinEmails = bound.filter((b) => (b.h.emailsPerHealthy ?? 99) <= TARGETS.emailsPerHealthy);
  const precise = bound.filter((b) => (b.h.precision ?? 0) >= TARGETS.precision);
  const best = (list: typeof bound) =>
    list.reduce((x, y) => ((y.h.recall ?? 0) > (x?.h.recall ?? -1) ? y : x), list[0]);
  const say = (label: string, b: (typeof bound)[number] | undefined) =>
    out.push(
      b
        ? `${label}: posterior ${b.at.toFixed(3)}, recall ${fixed(b.h.recall)}, precision ${fixed(b.h.precision)}, median ${fixed(b.h.medianDelay, 1)} rounds, ${fixed(b.h.emailsPerHealthy)} emails per healthy match`
        : `${label}: none of the thresholds tried`,
    );
  out.push('');
  say(`Bound at ≤ ${TARGETS.emailsPerHealthy} emails per healthy match, best recall`, best(withinEmails));
  say(`Bound at precision ≥ ${TARGETS.precision}, best recall`, best(precise));
  out.push(`(the bound's posterior took ${((Date.now() - started) / 1000).toFixed(0)} s for ${traces.size} matches)`);
  process.stdout.write(out.join('\n') + '\n');
}

/** The posterior thresholds the bound is scored at; the curve prints the shown ones. */
const BOUND_THRESHOLDS = [
  0.2, 0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.985, 0.99, 0.995,
  0.998,
];
const BOUND_SHOWN = [0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995];

/** What no policy can beat here: precision when every troubled match is escalated and nothing else but requests. */
function printCeiling(figures: Figures, o: Options): void {
  const h = headline(figures);
  const asked = (100 * (figures.healthyByCause.wants_coordinator ?? 0)) / figures.healthy;
  process.stdout.write(
    [
      '',
      `Ceiling: a policy told which matches are troubled, escalating each at once and every request to talk to the`,
      `coordinator (${asked.toFixed(1)} healthy matches in 100 ask${o.asks === undefined ? '' : ` at ${o.asks * 100}% of check-ins`}): recall ${fixed(h.recall)}, precision ${fixed(h.precision)}, ${fixed(h.emailsPerHealthy)} emails per healthy match.`,
      '',
    ].join('\n'),
  );
}

const o = options(process.argv.slice(2));
const policies = [currentRules(), riskModel(DEFAULT_RISK_MODEL), knownBaselines(), toldTheTrouble()];
const figures = evaluate(policies, o);
print(policies.slice(0, 3), figures.slice(0, 3), o);
printCeiling(figures[3]!, o);
if (o.curve) printCurve(o);
