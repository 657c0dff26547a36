import { currentPlaybook } from '../api/services/playbooks';
import type { matchWorkflow } from '../workflows';
import { matchWorkflowId } from '../workflows/shared';
import { ALWAYS_SEND, inParallel, insertMatches, matchBody, ownerOf, snapshotOf } from './matches';
import { cpuWindow, machineCores, type CpuSample } from './cpu';
import { figure, median, noteLoad, percentile, recordCpu, sleep, type BenchRun, type Figure } from './report';
import type { BenchStack } from './stack';
import { scheduleToStart, windowOf, type Histogram } from './temporal-metrics';

/**
 * Registering matches: `POST /matches` (10 at a time) against bare `client.workflow.start` of the same workflow with
 * the same input (10 at a time), interleaved A, B, C, A, B, C. Two baselines: (B) on a task queue no worker polls, so
 * the starts cost only Temporal and run on an otherwise idle machine (issue 11's baseline); (C) on the worker's task
 * queue, for matches whose rows are written beforehand (not timed), so the worker opens them as it opens registered
 * ones and the starts share the machine with those openings as the POSTs do. After the bursts A and C, how long each
 * match waited for its first opening email (from its POST, or its start).
 */
export async function registrationBenchmark(
  stack: BenchStack,
  run: BenchRun,
  options: { matches: number; reps: number; concurrency: number },
): Promise<void> {
  const programId = 'bench-registration';
  await stack.seedProgram(programId, ALWAYS_SEND);
  const headers = await stack.keyHeaders('coordinator', [programId]);
  const [apiUrl] = stack.processes.apiUrls;
  if (!apiUrl) throw new Error('registration needs an API process');
  const playbook = await currentPlaybook(stack.db, programId);
  const client = stack.temporal.client;

  const figures = {
    post: new Burst('POST /matches'),
    bare: new Burst('bare starts'),
    opened: new Burst('bare starts, opened by the worker'),
  };
  const errors: number[] = [];
  const cpu = (window: string, before: CpuSample, units: Record<string, number>) =>
    recordCpu(run, cpuWindow({ benchmark: 'registration', window }, before, stack.cpuSample(), units, machineCores()));
  const queues = () =>
    Promise.all([scheduleToStart(stack.metricsUrl, 'Workflow'), scheduleToStart(stack.metricsUrl, 'Activity')]);
  /**
   * Waits for every opening email (host, talent, coordinator) of `started` and notes when each match's came, and how
   * long workflow and activity tasks waited in their queues from `queuedFrom` until then.
   */
  const openings = async (burst: Burst, started: Map<string, number>, seenFrom: number, queuedFrom: Histogram[]) => {
    const ours = (e: { to: string; template: string }) =>
      e.template === 'match-opened' && started.has(ownerOf(e.to)?.reference ?? '');
    await stack.smtp.waitFor(started.size * 3, ours, 600_000).catch((error: Error) => console.warn(error.message));
    const first = new Map<string, number>();
    const last = new Map<string, number>();
    for (const e of stack.smtp.received.slice(seenFrom).filter(ours)) {
      const id = ownerOf(e.to)!.reference;
      first.set(id, Math.min(first.get(id) ?? Infinity, e.at));
      last.set(id, Math.max(last.get(id) ?? 0, e.at));
    }
    const waited = [...started].map(([id, at]) => ((first.get(id) ?? Date.now()) - at) / 1000);
    const waitedAll = [...started].map(([id, at]) => ((last.get(id) ?? Date.now()) - at) / 1000);
    burst.firstP50.push(median(waited)!);
    burst.firstP99.push(percentile(waited, 99)!);
    burst.allThreeP99.push(percentile(waitedAll, 99)!);
    const [workflowTasks, activityTasks] = await queues();
    burst.workflowTaskWait.push(windowOf(queuedFrom[0]!, workflowTasks).meanMs ?? 0);
    burst.activityTaskWait.push(windowOf(queuedFrom[1]!, activityTasks).meanMs ?? 0);
    // Let the worker finish writing the read model before the next burst, so it does not slow that one.
    await sleep(5000);
  };

  for (let rep = 1; rep <= options.reps; rep++) {
    // A: through the API, as a program registers its matches.
    noteLoad(run, 'registration');
    const ids = Array.from({ length: options.matches }, (_, i) => `reg-${rep}-${i + 1}`);
    const postedAt = new Map<string, number>();
    let seenFrom = stack.smtp.received.length;
    let cpuFrom = stack.cpuSample();
    let queuedFrom = await queues();
    const failed: string[] = [];
    await figures.post.time(ids, options.concurrency, async (id) => {
      postedAt.set(id, Date.now());
      const res = await fetch(`${apiUrl}/matches`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(matchBody(programId, id)),
      });
      const text = await res.text();
      // A refusal under load is counted, not fatal: the figure is how many registered, and how fast.
      if (res.status === 201) return true;
      failed.push(`${res.status} ${text.slice(0, 200)}`);
      postedAt.delete(id);
      return false;
    });
    errors.push(failed.length);
    if (failed.length) process.stdout.write(`  ${failed.length} POST /matches failed, e.g. ${failed[0]}\n`);
    await openings(figures.post, postedAt, seenFrom, queuedFrom);
    // The burst's CPU: from the first POST until every opening email is out and written.
    cpu('POST /matches until the opening emails are out', cpuFrom, { match: postedAt.size });

    // B: bare workflow starts of the same workflow and input, on a task queue nobody polls.
    noteLoad(run, 'registration');
    const bare = ids.map((id) => `bare-${id}`);
    cpuFrom = stack.cpuSample();
    await figures.bare.time(bare, options.concurrency, async (reference) => {
      const match = snapshotOf(programId, reference);
      await client.workflow.start<typeof matchWorkflow>('matchWorkflow', {
        workflowId: matchWorkflowId(match.id),
        taskQueue: `${stack.taskQueue}-unpolled`,
        args: [{ match, playbook }],
      });
      return true;
    });
    // What Temporal does after answering a start (its queues, visibility) belongs to the start too.
    await sleep(2000);
    cpu('bare workflow starts', cpuFrom, { start: bare.length });

    // C: bare starts of matches whose rows are written (not timed), on the worker's task queue: it opens them.
    noteLoad(run, 'registration');
    const opened = ids.map((id) => `opened-${id}`);
    await insertMatches(stack.db, programId, opened);
    const startedAt = new Map<string, number>();
    seenFrom = stack.smtp.received.length;
    cpuFrom = stack.cpuSample();
    queuedFrom = await queues();
    await figures.opened.time(opened, options.concurrency, async (reference) => {
      const match = snapshotOf(programId, reference);
      startedAt.set(reference, Date.now());
      await client.workflow.start<typeof matchWorkflow>('matchWorkflow', {
        workflowId: matchWorkflowId(match.id),
        taskQueue: stack.taskQueue,
        args: [{ match, playbook }],
      });
      return true;
    });
    await openings(figures.opened, startedAt, seenFrom, queuedFrom);
    cpu('bare starts (opened by the worker) until the opening emails are out', cpuFrom, { match: opened.length });
    const last = (b: Burst) => `${b.rates.at(-1)!.toFixed(1)}/s`;
    process.stdout.write(
      `  rep ${rep}: POST /matches ${last(figures.post)}, bare starts ${last(figures.bare)}, opened ${last(figures.opened)}; ` +
        `first email p50 / p99 after POST ${figures.post.firstP50.at(-1)!.toFixed(1)} / ${figures.post.firstP99.at(-1)!.toFixed(1)} s, ` +
        `after bare starts ${figures.opened.firstP50.at(-1)!.toFixed(1)} / ${figures.opened.firstP99.at(-1)!.toFixed(1)} s\n`,
    );
  }

  const b = 'registration';
  const add = (f: Omit<Figure, 'benchmark' | 'value'>) =>
    figure(run, { benchmark: b, value: median(f.reps as number[]), ...f });
  const ratio = (x: Burst, y: Burst) => x.rates.map((r, i) => r / y.rates[i]!);
  const { post, bare, opened } = figures;
  add({ name: 'POST /matches rate', unit: '/s', reps: post.rates });
  add({ name: 'bare workflow.start rate', unit: '/s', reps: bare.rates });
  add({ name: 'registration ÷ bare starts', unit: '×', reps: ratio(post, bare), target: { op: '>=', value: 0.8 } });
  add({ name: 'POST /matches refused', unit: 'of ' + options.matches, reps: errors, target: { op: '<=', value: 0 } });
  add({ name: 'POST /matches latency p50', unit: 'ms', reps: post.latencyP50 });
  add({ name: 'POST /matches latency p99', unit: 'ms', reps: post.latencyP99 });
  add({ name: 'bare start latency p50', unit: 'ms', reps: bare.latencyP50 });
  add({ name: 'bare start latency p99', unit: 'ms', reps: bare.latencyP99 });
  add({ name: 'first opening email p50', unit: 's', reps: post.firstP50 });
  add({ name: 'first opening email p99', unit: 's', reps: post.firstP99, target: { op: '<=', value: 10 } });
  add({ name: 'all three opening emails p99', unit: 's', reps: post.allThreeP99 });
  add({ name: 'workflow task wait mean, POST burst', unit: 'ms', reps: post.workflowTaskWait });
  add({ name: 'activity task wait mean, POST burst', unit: 'ms', reps: post.activityTaskWait });
  add({ name: 'bare starts opened by the worker: rate', unit: '/s', reps: opened.rates });
  add({ name: 'registration ÷ bare starts opened by the worker', unit: '×', reps: ratio(post, opened) });
  add({ name: 'start latency p50, opened by the worker', unit: 'ms', reps: opened.latencyP50 });
  add({ name: 'start latency p99, opened by the worker', unit: 'ms', reps: opened.latencyP99 });
  add({ name: 'first opening email p50 after bare starts', unit: 's', reps: opened.firstP50 });
  add({ name: 'first opening email p99 after bare starts', unit: 's', reps: opened.firstP99 });
}

/** One kind of burst, over the repetitions: its rate, each call's latency, and how long its opening emails took. */
class Burst {
  readonly rates: number[] = [];
  readonly latencyP50: number[] = [];
  readonly latencyP99: number[] = [];
  readonly firstP50: number[] = [];
  readonly firstP99: number[] = [];
  readonly allThreeP99: number[] = [];
  /** Mean schedule-to-start of workflow and activity tasks, from the burst until its opening emails were out. */
  readonly workflowTaskWait: number[] = [];
  readonly activityTaskWait: number[] = [];
  constructor(readonly name: string) {}

  /** Runs `call` over `items`, `concurrency` at a time; the rate counts the calls that answered true. */
  async time(items: string[], concurrency: number, call: (item: string) => Promise<boolean>): Promise<void> {
    const latencies: number[] = [];
    const t0 = performance.now();
    const done = await inParallel(items, concurrency, async (item) => {
      const t = performance.now();
      const ok = await call(item);
      latencies.push(performance.now() - t);
      return ok;
    });
    this.rates.push(done.filter(Boolean).length / ((performance.now() - t0) / 1000));
    this.latencyP50.push(median(latencies)!);
    this.latencyP99.push(percentile(latencies, 99)!);
  }
}
