/**
 * Task schedule-to-start from the Temporal dev server's Prometheus endpoint: how long a workflow task waited in its
 * queue (normal or a worker's sticky queue), or an activity task in its own, before a worker took it. Read twice; the
 * difference covers the window between.
 */

export type Histogram = { count: number; sum: number; buckets: Map<number, number> };

const METRIC = 'task_schedule_to_start_latency';

/** The schedule-to-start histogram of workflow (or activity) tasks, summed over every task queue and partition. */
export async function scheduleToStart(
  metricsUrl: string,
  taskType: 'Workflow' | 'Activity' = 'Workflow',
): Promise<Histogram> {
  const text = await (await fetch(metricsUrl)).text();
  const h: Histogram = { count: 0, sum: 0, buckets: new Map() };
  for (const line of text.split('\n')) {
    if (!line.startsWith(METRIC) || !line.includes(`task_type="${taskType}"`)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith(`${METRIC}_count`)) h.count += value;
    else if (line.startsWith(`${METRIC}_sum`)) h.sum += value;
    else if (line.startsWith(`${METRIC}_bucket`)) {
      const le = /le="([^"]+)"/.exec(line)?.[1];
      const bound = le === '+Inf' ? Infinity : Number(le);
      h.buckets.set(bound, (h.buckets.get(bound) ?? 0) + value);
    }
  }
  return h;
}

/** Mean and p99 (a bucket's upper bound) in ms over what happened between `before` and `after`. */
export function windowOf(
  before: Histogram,
  after: Histogram,
): { tasks: number; meanMs: number | null; p99Ms: number | null } {
  const tasks = after.count - before.count;
  if (tasks <= 0) return { tasks: 0, meanMs: null, p99Ms: null };
  // The server reports seconds.
  const meanMs = ((after.sum - before.sum) / tasks) * 1000;
  const bounds = [...after.buckets.keys()].sort((a, b) => a - b);
  let p99Ms: number | null = null;
  for (const bound of bounds) {
    const cumulative = after.buckets.get(bound)! - (before.buckets.get(bound) ?? 0);
    if (cumulative >= 0.99 * tasks) {
      p99Ms = bound === Infinity ? null : bound * 1000;
      break;
    }
  }
  return { tasks, meanMs, p99Ms };
}

/**
 * The workers' sticky cache, summed over the workers (the Temporal SDK's own metrics): workflow tasks for a workflow
 * in the cache (hits) and for one that was not (misses: the worker fetched the run's history and replayed it first).
 */
export type StickyCache = { hits: number; misses: number };

export async function stickyCache(workerMetricsUrls: string[]): Promise<StickyCache> {
  const total: StickyCache = { hits: 0, misses: 0 };
  const series: Record<string, keyof StickyCache> = {
    temporal_sticky_cache_hit: 'hits',
    temporal_sticky_cache_miss: 'misses',
  };
  for (const url of workerMetricsUrls) {
    const text = await (await fetch(url)).text();
    for (const line of text.split('\n')) {
      // A counter's name may carry the exporter's `_total`.
      const key = series[/^[a-z_]+/.exec(line)?.[0].replace(/_total$/, '') ?? ''];
      if (key) total[key] += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}
