import { currentPlaybook } from '../api/services/playbooks';
import type { matchWorkflow } from '../workflows';
import { matchWorkflowId } from '../workflows/shared';
import { ALWAYS_SEND, inParallel, matchBody, ownerOf, snapshotOf } from './matches';
import { cpuWindow, machineCores, type CpuSample } from './cpu';
import { figure, median, noteLoad, percentile, recordCpu, sleep, type BenchRun } from './report';
import type { BenchStack } from './stack';

/**
 * Registering matches: `POST /matches` (10 at a time) against bare `client.workflow.start` of the same workflow with
 * the same input (10 at a time, on a task queue no worker polls, so it costs only Temporal), interleaved A, B, A, B.
 * After each burst, how long each match waited for its first opening email (from its POST).
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

  const bansouRates: number[] = [];
  const bareRates: number[] = [];
  const firstP50: number[] = [];
  const firstP99: number[] = [];
  const allThreeP99: number[] = [];
  const errors: number[] = [];
  const cpu = (window: string, before: CpuSample, units: Record<string, number>) =>
    recordCpu(run, cpuWindow({ benchmark: 'registration', window }, before, stack.cpuSample(), units, machineCores()));
  for (let rep = 1; rep <= options.reps; rep++) {
    // A: through the API, as a program registers its matches.
    noteLoad(run, 'registration');
    const ids = Array.from({ length: options.matches }, (_, i) => `reg-${rep}-${i + 1}`);
    const postedAt = new Map<string, number>();
    const seenFrom = stack.smtp.received.length;
    const cpuFrom = stack.cpuSample();
    const t0 = performance.now();
    const failed: string[] = [];
    const refused = new Set<string>();
    await inParallel(ids, options.concurrency, async (id) => {
      postedAt.set(id, Date.now());
      const res = await fetch(`${apiUrl}/matches`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(matchBody(programId, id)),
      });
      const text = await res.text();
      // A refusal under load is counted, not fatal: the figure is how many registered, and how fast.
      if (res.status !== 201) {
        failed.push(`${res.status} ${text.slice(0, 200)}`);
        refused.add(id);
      }
    });
    const seconds = (performance.now() - t0) / 1000;
    const registered = options.matches - failed.length;
    bansouRates.push(registered / seconds);
    errors.push(failed.length);
    if (failed.length) process.stdout.write(`  ${failed.length} POST /matches failed, e.g. ${failed[0]}\n`);
    const made = ids.filter((id) => !refused.has(id));

    // Every opening email (host, talent, coordinator) of the burst, then each match's first one.
    const ours = (e: { to: string; template: string }) =>
      e.template === 'match-opened' && postedAt.has(ownerOf(e.to)?.reference ?? '');
    for (const id of refused) postedAt.delete(id);
    await stack.smtp.waitFor(made.length * 3, ours, 600_000).catch((error: Error) => console.warn(error.message));
    const first = new Map<string, number>();
    const last = new Map<string, number>();
    for (const e of stack.smtp.received.slice(seenFrom).filter(ours)) {
      const id = ownerOf(e.to)!.reference;
      first.set(id, Math.min(first.get(id) ?? Infinity, e.at));
      last.set(id, Math.max(last.get(id) ?? 0, e.at));
    }
    const waited = made.map((id) => ((first.get(id) ?? Date.now()) - postedAt.get(id)!) / 1000);
    const waitedAll = made.map((id) => ((last.get(id) ?? Date.now()) - postedAt.get(id)!) / 1000);
    firstP50.push(median(waited)!);
    firstP99.push(percentile(waited, 99)!);
    allThreeP99.push(percentile(waitedAll, 99)!);
    // Let the worker finish writing the read model before the baseline runs, so it does not slow the baseline.
    await sleep(5000);
    // The burst's CPU: from the first POST until every opening email is out and written.
    cpu('POST /matches until the opening emails are out', cpuFrom, { match: made.length });

    // B: bare workflow starts of the same workflow and input.
    noteLoad(run, 'registration');
    const bare = ids.map((id) => `bare-${id}`);
    const bareFrom = stack.cpuSample();
    const b0 = performance.now();
    await inParallel(bare, options.concurrency, async (reference) => {
      const match = snapshotOf(programId, reference);
      await client.workflow.start<typeof matchWorkflow>('matchWorkflow', {
        workflowId: matchWorkflowId(match.id),
        taskQueue: `${stack.taskQueue}-unpolled`,
        args: [{ match, playbook }],
      });
    });
    bareRates.push(options.matches / ((performance.now() - b0) / 1000));
    // What Temporal does after answering a start (its queues, visibility) belongs to the start too.
    await sleep(2000);
    cpu('bare workflow starts', bareFrom, { start: bare.length });
    process.stdout.write(
      `  rep ${rep}: POST /matches ${bansouRates.at(-1)!.toFixed(1)}/s, bare starts ${bareRates.at(-1)!.toFixed(1)}/s, first email p50 ${firstP50.at(-1)!.toFixed(1)} s p99 ${firstP99.at(-1)!.toFixed(1)} s\n`,
    );
  }

  const ratios = bansouRates.map((r, i) => r / bareRates[i]!);
  const b = 'registration';
  figure(run, { benchmark: b, name: 'POST /matches rate', value: median(bansouRates), unit: '/s', reps: bansouRates });
  figure(run, {
    benchmark: b,
    name: 'bare workflow.start rate',
    value: median(bareRates),
    unit: '/s',
    reps: bareRates,
  });
  figure(run, {
    benchmark: b,
    name: 'registration ÷ bare starts',
    value: median(ratios),
    unit: '×',
    reps: ratios,
    target: { op: '>=', value: 0.8 },
  });
  figure(run, {
    benchmark: b,
    name: 'POST /matches refused',
    value: median(errors),
    unit: 'of ' + options.matches,
    reps: errors,
    target: { op: '<=', value: 0 },
  });
  figure(run, { benchmark: b, name: 'first opening email p50', value: median(firstP50), unit: 's', reps: firstP50 });
  figure(run, {
    benchmark: b,
    name: 'first opening email p99',
    value: median(firstP99),
    unit: 's',
    reps: firstP99,
    target: { op: '<=', value: 10 },
  });
  figure(run, {
    benchmark: b,
    name: 'all three opening emails p99',
    value: median(allThreeP99),
    unit: 's',
    reps: allThreeP99,
  });
}
