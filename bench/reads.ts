import autocannon from 'autocannon';
import { freePort } from '../test/support/http';
import { startProcess } from '../test/support/processes';
import { matchIdFor } from '../workflows/shared';
import { ALWAYS_SEND, inParallel, insertTimeline, matchBody, registerForSetup } from './matches';
import { cpuWindow, machineCores, type CpuProcess } from './cpu';
import { figure, median, noteLoad, recordCpu, sleep, type BenchRun } from './report';
import type { BenchStack } from './stack';

/**
 * Reading: `GET /matches/:id` (a match half-way through its term, 300 timeline events) and `GET /matches?limit=50`
 * against a bare Express route doing one `pg` query on the same database, interleaved: the most each serves with 10
 * connections, then the p99 at 200 requests/s offered. Load from autocannon, in this process.
 */
const TIMELINE_EVENTS = 300;
const LABELS = { detail: 'GET /matches/:id', list: 'GET /matches?limit=50' } as const;

type Load = { rate: number; p99: number | null; errors: number; requests: number };

async function load(
  url: string,
  paths: () => string,
  headers: Record<string, string>,
  options: { seconds: number; rate?: number },
): Promise<Load> {
  const result = await autocannon({
    url,
    connections: options.rate ? 50 : 10,
    duration: options.seconds,
    headers,
    ...(options.rate ? { overallRate: options.rate } : {}),
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths() }) }],
  });
  // Requests still queued in the server when the load stops are answered before the next run starts.
  await sleep(3000);
  return {
    rate: result.requests.average,
    p99: result.requests.total > 0 ? result.latency.p99 : null,
    errors: result.errors + result.timeouts + result.non2xx,
    requests: result.requests.total,
  };
}

export async function readBenchmark(
  stack: BenchStack,
  run: BenchRun,
  options: { reps: number; seconds: number; rate: number },
): Promise<void> {
  const programId = 'bench-reads';
  await stack.seedProgram(programId, ALWAYS_SEND);
  const headers = await stack.keyHeaders('coordinator', [programId]);
  const [apiUrl] = stack.processes.apiUrls;
  if (!apiUrl) throw new Error('reads need an API process');

  // 60 matches with running workflows, each with a timeline as long as a match's half-way through its term.
  const references = Array.from({ length: 60 }, (_, i) => `read-${i + 1}`);
  await inParallel(references, 10, (reference) => registerForSetup(apiUrl, headers, matchBody(programId, reference)));
  const ids = references.map((reference) => matchIdFor(programId, reference));
  // The opening emails out and written, so the worker is idle while the API is measured.
  await stack.smtp.waitFor(ids.length * 3, (e) => e.template === 'match-opened', 600_000);
  await sleep(5000);
  await insertTimeline(stack.db, ids, TIMELINE_EVENTS);

  const barePort = await freePort();
  const bare = await startProcess(
    'bare-read-server',
    'bench/bare-read-server.ts',
    { DATABASE_URL: stack.databaseUrl, PORT: String(barePort) },
    /listening/,
  );
  const bareUrl = `http://127.0.0.1:${barePort}`;
  const bareProcess: CpuProcess = { name: 'bare route server', pids: [bare.child.pid!], tree: true, stack: true };
  /** A load run with the CPU it cost each process, per request served. */
  const measured = async (window: string, ...args: Parameters<typeof load>) => {
    const before = stack.cpuSample([bareProcess]);
    const result = await load(...args);
    const after = stack.cpuSample([bareProcess]);
    recordCpu(
      run,
      cpuWindow({ benchmark: 'reads', window }, before, after, { request: result.requests }, machineCores()),
    );
    return result;
  };
  let n = 0;
  const detail = () => `/matches/${ids[n++ % ids.length]}`;
  const list = () => `/matches?program=${programId}&limit=50`;

  const series: Record<string, number[]> = {};
  const add = (name: string, value: number | null) => void (value !== null && (series[name] ??= []).push(value));
  try {
    for (let rep = 1; rep <= options.reps; rep++) {
      for (const [what, paths] of [
        ['detail', detail],
        ['list', list],
      ] as const) {
        noteLoad(run, 'reads');
        const a = await measured(`${LABELS[what]}, most served`, apiUrl, paths, headers, { seconds: options.seconds });
        const b = await measured(`bare ${what}, most served`, bareUrl, paths, {}, { seconds: options.seconds });
        const a200 = await load(apiUrl, paths, headers, { seconds: options.seconds, rate: options.rate });
        const b200 = await load(bareUrl, paths, {}, { seconds: options.seconds, rate: options.rate });
        add(`${what} max`, a.rate);
        add(`${what} bare max`, b.rate);
        add(`${what} ratio`, a.rate / b.rate);
        add(`${what} p99`, a200.p99);
        add(`${what} bare p99`, b200.p99);
        add(`${what} p99 ratio`, a200.p99 === null || b200.p99 === null ? null : a200.p99 / Math.max(1, b200.p99));
        add(`${what} errors`, a.errors + a200.errors);
        process.stdout.write(
          `  rep ${rep} ${what}: ${a.rate.toFixed(0)}/s vs bare ${b.rate.toFixed(0)}/s; p99 at ${options.rate}/s ${a200.p99} ms vs ${b200.p99} ms (served ${a200.rate.toFixed(0)}/s)\n`,
        );
      }
    }
  } finally {
    await bare.stop();
  }

  const b = 'reads';
  for (const [what, label] of Object.entries(LABELS)) {
    const s = (k: string) => series[`${what} ${k}`] ?? [];
    figure(run, { benchmark: b, name: `${label} max`, value: median(s('max')), unit: '/s', reps: s('max') });
    figure(run, {
      benchmark: b,
      name: `bare ${what} max`,
      value: median(s('bare max')),
      unit: '/s',
      reps: s('bare max'),
    });
    figure(run, {
      benchmark: b,
      name: `${label} ÷ bare, max throughput`,
      value: median(s('ratio')),
      unit: '×',
      reps: s('ratio'),
      target: { op: '>=', value: 0.5 },
    });
    figure(run, {
      benchmark: b,
      name: `${label} p99 at ${options.rate}/s`,
      value: median(s('p99')),
      unit: 'ms',
      reps: s('p99'),
    });
    figure(run, {
      benchmark: b,
      name: `bare ${what} p99 at ${options.rate}/s`,
      value: median(s('bare p99')),
      unit: 'ms',
      reps: s('bare p99'),
    });
    figure(run, {
      benchmark: b,
      name: `${label} p99 ÷ bare p99`,
      value: median(s('p99 ratio')),
      unit: '×',
      reps: s('p99 ratio'),
      target: { op: '<=', value: 2 },
    });
    figure(run, {
      benchmark: b,
      name: `${label} errors`,
      value: median(s('errors')),
      unit: 'responses',
      reps: s('errors'),
    });
  }
}
