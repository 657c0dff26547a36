import { getHeapStatistics } from 'node:v8';
import { z } from 'zod';

/**
 * The worker's memory budget, `WORKER_MEMORY_MB`: one setting from which the worker's start sets V8's heap limit and
 * the worker sizes its workflow cache. Unset, both are left as before (the heap to Node's default for the machine,
 * the cache to `WORKER_MAX_CACHED_WORKFLOWS`).
 */
export const ZWorkerMemoryMb = z.coerce.number().int().min(256).max(1_000_000).optional();

/**
 * What a budget comes to. The worker holds two V8 heaps, each bounded by one limit (V8's flags are the process's):
 * the main thread's (activities, the Postgres and SMTP clients, Prisma) and the workflow thread's, which holds the
 * cache (`reuseV8Context`, the SDK's default: every workflow in one thread). The budget is what the process holds
 * outside both heaps (code, the SDK's native core, Prisma's WebAssembly compiler, buffers: OUTSIDE_HEAPS_MB), plus
 * what the main thread's heap comes to under load (MAIN_HEAP_MB), plus the workflow thread's heap, which gets the
 * rest as the limit (`--max-heap-size`: its young generation included, so the heap never passes it). The cache fills
 * CACHE_SHARE of that heap, after what the thread holds with nothing cached (the bundle: WORKFLOW_THREAD_BASE_MB), at
 * what a cached match workflow was measured to hold (PER_WORKFLOW_MB; the SDK reckons 1.7 MB): the rest is room for
 * the garbage of the workflow tasks and replays, so the collector does not run all the time. Each figure was measured
 * on the compiled worker, as the image runs it, at 1,000 open matches (`npm run bench -- --only capacity --compiled`,
 * docs/performance-log.md, "Where the worker's memory goes"); a worker under tsx holds more outside the heaps.
 */
export function workerMemory(budgetMb: number): { heapMb: number; maxCachedWorkflows: number } {
  const heapMb = Math.max(budgetMb - OUTSIDE_HEAPS_MB - MAIN_HEAP_MB, MIN_HEAP_MB);
  const cached = Math.floor((heapMb * CACHE_SHARE - WORKFLOW_THREAD_BASE_MB) / PER_WORKFLOW_MB);
  return { heapMb, maxCachedWorkflows: Math.max(cached, MIN_CACHED_WORKFLOWS) };
}

const OUTSIDE_HEAPS_MB = 170;
const MAIN_HEAP_MB = 100;
const WORKFLOW_THREAD_BASE_MB = 30;
const PER_WORKFLOW_MB = 2;
const CACHE_SHARE = 0.5;
const MIN_HEAP_MB = 128;
// The SDK's own floor.
const MIN_CACHED_WORKFLOWS = 10;
/**
 * Node's young generation for heaps set by `--max-old-space-size` (16 MB semi-spaces); with `--max-heap-size` alone,
 * V8 would take far smaller ones for a heap this size, and collect the young generation many times as often.
 */
const SEMI_SPACE_MB = 16;

/**
 * The node flags the worker starts with for the budget in `env` (none without one, or with a bad one: the worker's
 * own start-up then names the variable). Every place that starts the worker passes them.
 */
export function workerNodeFlags(env: Record<string, string | undefined>): string[] {
  const budget = ZWorkerMemoryMb.safeParse(env.WORKER_MEMORY_MB);
  if (!budget.success || budget.data === undefined) return [];
  return [`--max-heap-size=${workerMemory(budget.data).heapMb}`, `--max-semi-space-size=${SEMI_SPACE_MB}`];
}

/** Whether this process runs with the heap limit the budget asks for, or a lower one. */
export function heapBounded(budgetMb: number): boolean {
  return getHeapStatistics().heap_size_limit / 2 ** 20 <= workerMemory(budgetMb).heapMb + 1;
}

// `node worker/memory.js`: prints the flags, for a shell that starts the worker (the image, `npm run worker`).
if (require.main === module) process.stdout.write(workerNodeFlags(process.env).join(' '));
