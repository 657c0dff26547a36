import { Client } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { workerTracing } from '../worker/worker';
import { workflowBundleOptions } from '../worker/bundle';
import { figure, median, noteLoad, type BenchRun } from './report';
import type { BenchStack } from './stack';
import type { TracingBenchActivities } from './tracing-workflow';

/**
 * What tracing costs while it is off (no OTEL_EXPORTER_OTLP_ENDPOINT), as bansou ships it: the bundle's workflow
 * interceptors for tracing off (a run they start is not traced, its calls pass through them) and the span sink on the
 * worker (`worker/worker.ts`); the client has no interceptor (`temporal/connection.ts`). Against the same workflow with
 * none of these: two bundles, two workers on their own task queues, two clients, one dev server. Batches of workflows
 * run start to result, interleaved (A, B, then B, A…), and the median of the repetitions is compared.
 */

const WORKFLOWS_PATH = require.resolve('./tracing-workflow');
const activities: TracingBenchActivities = { step: async (n) => n };

type Side = { name: string; taskQueue: string; client: Client; worker: Worker };

async function side(stack: BenchStack, shipped: boolean): Promise<Side> {
  const name = shipped ? 'tracing off (as shipped)' : 'no tracing code';
  const taskQueue = shipped ? 'bench-tracing-off' : 'bench-tracing-none';
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    ...(shipped ? { workflowInterceptorModules: workflowBundleOptions(false).workflowInterceptorModules } : {}),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
  });
  const tracing: Partial<WorkerOptions> = shipped ? workerTracing() : {};
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address: stack.temporal.address }),
    taskQueue,
    workflowBundle: { code },
    activities,
    ...tracing,
  });
  const client = new Client({ connection: stack.temporal.client.connection });
  return { name, taskQueue, client, worker };
}

/** Runs `count` workflows, `inFlight` at a time, start to result: workflows per second. */
async function batch(s: Side, count: number, inFlight: number, steps: number, tag: string): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (let n = next++; n < count; n = next++) {
        await s.client.workflow.execute('tracingBenchWorkflow', {
          taskQueue: s.taskQueue,
          workflowId: `bench-tracing-${tag}-${s.taskQueue}-${n}`,
          args: [{ steps }],
        });
      }
    }),
  );
  return count / ((performance.now() - t0) / 1000);
}

export async function tracingBenchmark(
  stack: BenchStack,
  run: BenchRun,
  options: { reps: number; workflows: number; inFlight: number; steps: number },
): Promise<void> {
  const sides = [await side(stack, true), await side(stack, false)] as const;
  const running = Promise.all(sides.map((s) => s.worker.run()));
  const rates: Record<string, number[]> = {};
  const ratios: number[] = [];
  try {
    for (const s of sides) await batch(s, Math.min(20, options.workflows), options.inFlight, options.steps, 'warm');
    for (let rep = 1; rep <= options.reps; rep++) {
      noteLoad(run, 'tracing');
      const order = rep % 2 === 1 ? sides : ([sides[1], sides[0]] as const);
      const measured: Record<string, number> = {};
      for (const s of order) {
        measured[s.name] = await batch(s, options.workflows, options.inFlight, options.steps, `r${rep}`);
        (rates[s.name] ??= []).push(measured[s.name]!);
      }
      ratios.push(measured[sides[0].name]! / measured[sides[1].name]!);
      process.stdout.write(
        `  rep ${rep}: ${sides.map((s) => `${s.name} ${measured[s.name]!.toFixed(1)}/s`).join(', ')}\n`,
      );
    }
  } finally {
    for (const s of sides) s.worker.shutdown();
    await running;
  }
  const shape = `${options.workflows} workflows of ${options.steps} activities, ${options.inFlight} at a time`;
  for (const s of sides) {
    figure(run, {
      benchmark: 'tracing',
      name: `${s.name}: workflows/s (${shape})`,
      value: median(rates[s.name]!),
      unit: '/s',
      reps: rates[s.name],
    });
  }
  figure(run, {
    benchmark: 'tracing',
    name: 'tracing off ÷ no tracing code (median of the interleaved pairs)',
    value: median(ratios),
    unit: '×',
    reps: ratios,
  });
}
