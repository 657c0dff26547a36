import { getHeapStatistics } from 'node:v8';
import { z } from 'zod';

/**
 * The worker's memory budget, `WORKER_MEMORY_MB`: one setting from which the worker's start sets V8's heap limit and
 * the worker sizes its workflow cache. Unset, both are left as before (the heap to Node's default for the machine,
 * the cache to `WORKER_MAX_CACHED_WORKFLOWS`).
 */
export const ZWorkerMemoryMb = z.coerce.number().int().min(256).max(1_000_000).optional();

/**
 * What a budget comes to. The heap limit (`--max-old-space-size`) is what the budget leaves after the part of the
 * process outside V8's heaps (code, the SDK's native core, Prisma's WebAssembly compiler, buffers: about
 * OUTSIDE_HEAP_MB); it bounds each of the worker's two heaps, the main thread's (activities, the Postgres and SMTP
 * clients) and the workflow thread's, which holds the cache. The cache gets what the budget leaves after a worker
 * with nothing cached (BASE_MB), at what a cached match workflow was measured to add to the RSS (PER_WORKFLOW_MB;
 * the SDK reckons 1.7 MB, 600 per GB of heap): `npm run bench -- --only capacity` (README, "Performance").
 */
export function workerMemory(budgetMb: number): { heapMb: number; maxCachedWorkflows: number } {
  const heapMb = Math.max(budgetMb - OUTSIDE_HEAP_MB, MIN_HEAP_MB);
  const cached = Math.floor(Math.max(budgetMb - BASE_MB, 0) / PER_WORKFLOW_MB);
  return { heapMb, maxCachedWorkflows: Math.max(cached, MIN_CACHED_WORKFLOWS) };
}

const OUTSIDE_HEAP_MB = 250;
const BASE_MB = 400;
const PER_WORKFLOW_MB = 2.5;
const MIN_HEAP_MB = 128;
// The SDK's own floor.
const MIN_CACHED_WORKFLOWS = 10;

/**
 * The node flags the worker starts with for the budget in `env` (none without one, or with a bad one: the worker's
 * own start-up then names the variable). Every place that starts the worker passes them.
 */
export function workerNodeFlags(env: Record<string, string | undefined>): string[] {
  const budget = ZWorkerMemoryMb.safeParse(env.WORKER_MEMORY_MB);
  if (!budget.success || budget.data === undefined) return [];
  return [`--max-old-space-size=${workerMemory(budget.data).heapMb}`];
}

/** Whether this process runs with the heap limit the budget asks for, or a lower one (V8 adds its young generation). */
export function heapBounded(budgetMb: number): boolean {
  return getHeapStatistics().heap_size_limit / 2 ** 20 <= workerMemory(budgetMb).heapMb + 64;
}

// `node worker/memory.js`: prints the flags, for a shell that starts the worker (the image, `npm run worker`).
if (require.main === module) process.stdout.write(workerNodeFlags(process.env).join(' '));
