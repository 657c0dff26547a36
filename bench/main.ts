import { Command } from 'commander';
import { answerBenchmark } from './answers';
import { capacityBenchmark, capacityLabel } from './capacity';
import { queryBenchmark } from './queries';
import { readBenchmark } from './reads';
import { registrationBenchmark } from './registration';
import { tracingBenchmark } from './tracing';
import { figure, newRun, table, writeRun, type BenchRun } from './report';
import { startBenchStack, type BenchStack } from './stack';

/**
 * `npm run bench`: bansou's capacity on this machine, each figure next to a baseline measured in the same run
 * (interleaved, medians of repetitions) and the machine's load average, printed against its target and written to
 * `test-artifacts/bench/<time>.json` (and `.md`). Each benchmark starts its own stack and stops it.
 */
const BENCHMARKS = ['registration', 'reads', 'queries', 'answers', 'capacity', 'tracing'] as const;
type BenchmarkName = (typeof BENCHMARKS)[number];

const list = (value: string) =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
const numbers = (value: string) => list(value).map(Number);

const program = new Command()
  .name('npm run bench --')
  .description(`bansou's benchmarks: ${BENCHMARKS.join(', ')}`)
  .option('--only <names>', `comma-separated: ${BENCHMARKS.join(', ')}`, list, [...BENCHMARKS])
  .option('--reps <n>', 'repetitions of each interleaved pair', Number, 3)
  .option('--matches <n>', 'registration: matches per burst', Number, 200)
  .option('--concurrency <n>', 'registration: requests at a time', Number, 10)
  .option('--seconds <n>', 'reads, queries: seconds per load run', Number, 10)
  .option('--rate <n>', 'reads: requests per second offered for the p99', Number, 200)
  .option('--answers <n>', 'answers: matches per repetition (two answers each)', Number, 20)
  .option('--sizes <list>', 'capacity: open matches', numbers, [100, 1000])
  .option('--workers <list>', 'capacity: worker processes', numbers, [1])
  .option('--rounds-per-second <n>', 'capacity: rounds falling due per second', Number, 20)
  .option('--window <n>', 'capacity: cadences measured', Number, 3)
  .option(
    '--opening-seconds <n>',
    'capacity: seconds from the start to the first round (default: from the size)',
    Number,
  )
  .option('--workflows <n>', 'tracing: workflows per batch', Number, 200)
  .option('--worker-env <list>', 'extra worker environment, e.g. WORKER_MAX_CACHED_WORKFLOWS=500', list, [])
  .option('--api-env <list>', 'extra API environment, e.g. API_KEY_CACHE_SECONDS=0', list, [])
  .option('--keep-database', 'keep each benchmark database (for a look afterwards)', false)
  .option('--compiled', 'run the API and workers as the images do: compiled JavaScript, no tsx', false);

type Options = {
  only: string[];
  reps: number;
  matches: number;
  concurrency: number;
  seconds: number;
  rate: number;
  answers: number;
  sizes: number[];
  workers: number[];
  roundsPerSecond: number;
  window: number;
  openingSeconds?: number;
  workflows: number;
  workerEnv: string[];
  apiEnv: string[];
  keepDatabase: boolean;
  compiled: boolean;
};

/** The stack running now, stopped on Ctrl-C or SIGTERM so no server outlives the benchmark. */
let current: BenchStack | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`[bench] ${signal}: stopping…\n`);
    void (current?.close() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

/** `NAME=value` pairs, split at the first '=' only: a value may hold more (NODE_OPTIONS=--max-old-space-size=256). */
const environment = (pairs: string[]) =>
  Object.fromEntries(pairs.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));

/** The API and worker processes that exited by themselves while the benchmark ran (a crash), with their last lines. */
function exitedByThemselves(stack: BenchStack): string[] {
  return [...stack.processes.api, ...stack.processes.workers]
    .filter((p) => p.child.exitCode !== null || p.child.signalCode !== null)
    .map((p) => {
      const tail = p
        .output()
        .trimEnd()
        .split('\n')
        .slice(-12)
        .map((line) => line.slice(0, 240))
        .join('\n    ');
      return `${p.name} exited by itself (${p.child.exitCode ?? p.child.signalCode}); its last lines:\n    ${tail}`;
    });
}

async function withStack(
  options: Options,
  run: BenchRun,
  benchmark: string,
  parts: { apis: number; workers: number },
  work: (stack: BenchStack) => Promise<void>,
): Promise<void> {
  const stack = await startBenchStack({ keepDatabase: options.keepDatabase, compiled: options.compiled });
  current = stack;
  try {
    await Promise.all([
      stack.startApis(parts.apis, environment(options.apiEnv)),
      stack.startWorkers(parts.workers, environment(options.workerEnv)),
    ]);
    await work(stack);
    // A process that died mid-run makes every figure after it meaningless: said, and counted against a target of 0.
    const exited = exitedByThemselves(stack);
    for (const line of exited) process.stdout.write(`  ${line}\n`);
    figure(run, {
      benchmark,
      name: 'API or worker processes that exited by themselves',
      value: exited.length,
      unit: '',
      target: { op: '<=', value: 0 },
    });
  } finally {
    current = undefined;
    await stack.close();
  }
}

async function main(): Promise<void> {
  program.parse();
  const options = program.opts<Options>();
  const unknown = options.only.filter((n) => !(BENCHMARKS as readonly string[]).includes(n));
  if (unknown.length) throw new Error(`unknown benchmark(s): ${unknown.join(', ')}`);
  const run: BenchRun = newRun(`npm run bench -- ${process.argv.slice(2).join(' ')}`.trim());
  const selected = (name: BenchmarkName) => options.only.includes(name);
  const t0 = Date.now();

  if (selected('registration')) {
    process.stdout.write(
      `registration: ${options.matches} matches, ${options.concurrency} at a time, ${options.reps} reps\n`,
    );
    await withStack(options, run, 'registration', { apis: 1, workers: 1 }, (stack) =>
      registrationBenchmark(stack, run, {
        matches: options.matches,
        reps: options.reps,
        concurrency: options.concurrency,
      }),
    );
  }
  if (selected('reads')) {
    process.stdout.write(
      `reads: ${options.seconds} s per load, ${options.rate}/s offered for p99, ${options.reps} reps\n`,
    );
    await withStack(options, run, 'reads', { apis: 1, workers: 1 }, (stack) =>
      readBenchmark(stack, run, { reps: options.reps, seconds: options.seconds, rate: options.rate }),
    );
  }
  if (selected('queries')) {
    process.stdout.write(`queries: ${options.seconds} s per run, ${options.reps} reps\n`);
    await withStack(options, run, 'queries', { apis: 0, workers: 0 }, (stack) =>
      queryBenchmark(stack, run, { reps: options.reps, seconds: options.seconds }),
    );
  }
  if (selected('answers')) {
    process.stdout.write(`answers: ${options.answers} matches, ${options.reps} reps\n`);
    await withStack(options, run, 'answers', { apis: 1, workers: 1 }, (stack) =>
      answerBenchmark(stack, run, { matches: options.answers, reps: options.reps }),
    );
  }
  if (selected('capacity')) {
    for (const workers of options.workers) {
      for (const size of options.sizes) {
        process.stdout.write(`capacity: ${size} open matches, ${workers} worker(s)\n`);
        await withStack(options, run, capacityLabel(size, workers), { apis: 0, workers }, (stack) =>
          capacityBenchmark(stack, run, {
            size,
            workers,
            roundsPerSecond: options.roundsPerSecond,
            windowCadences: options.window,
            openingSeconds: options.openingSeconds,
          }),
        );
      }
    }
  }

  if (selected('tracing')) {
    process.stdout.write(`tracing: ${options.workflows} workflows per batch, ${options.reps} reps\n`);
    await withStack(options, run, 'tracing', { apis: 0, workers: 0 }, (stack) =>
      tracingBenchmark(stack, run, { reps: options.reps, workflows: options.workflows, inFlight: 20, steps: 3 }),
    );
  }

  run.details.totalSeconds = Math.round((Date.now() - t0) / 1000);
  const file = writeRun(run);
  process.stdout.write(`\n${table(run)}\n\nwritten to ${file} (${run.details.totalSeconds} s)\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
