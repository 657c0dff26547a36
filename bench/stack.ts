import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import pg from 'pg';
import { createApiKey, type Role } from '../api/auth';
import { parseEnv, ZPayloadKeysEnv } from '../config/env';
import { devEnv, PROJECT_ROOT } from '../dev/env';
import { startLocalPostgres, type LocalPostgres } from '../dev/postgres';
import { temporalCli } from '../dev/temporal-binaries';
import { createDatabase, type Database } from '../prisma/client';
import { dataConverter } from '../temporal/data-converter';
import { freePort } from '../test/support/http';
import { API_READY, startProcess, WORKER_READY, type RunningProcess } from '../test/support/processes';
import { DEFAULT_PLAYBOOK, type Playbook } from '../workflows/playbook';
import { searchAttributes } from '../workflows/shared';
import { writeWorkflowBundle } from '../worker/bundle';
import { compileAsImage } from './compiled';
import { parentOf, sampleCpu, type CpuProcess, type CpuSample } from './cpu';
import { startSmtpSink, type SmtpSink } from './smtp-sink';

/**
 * What every benchmark runs on, started here and stopped at the end: Postgres (a local cluster kept apart from the dev
 * stack's and the tests', or DATABASE_URL's server) with a fresh migrated database, the Temporal dev server with its
 * metrics endpoint, an SMTP sink on loopback, and the API and worker as their own processes (`npm run api` /
 * `npm run worker`), exactly as in production; with `compiled`, as the images run them (`./compiled.ts`).
 */

export const SIGNING_SECRET = 'bench-signing-secret-0123456789abcdef0123';
/** The benchmark's payload key: its processes and its own client encrypt as production does. */
const PAYLOAD_ENCRYPTION_KEYS = `bench:${randomBytes(32).toString('base64')}`;
const benchDataConverter = () =>
  dataConverter(parseEnv(ZPayloadKeysEnv, { PAYLOAD_ENCRYPTION_KEYS }).PAYLOAD_ENCRYPTION_KEYS);

const say = (message: string) => process.stderr.write(`[bench] ${message}\n`);

export type Processes = {
  api: RunningProcess[];
  workers: RunningProcess[];
  apiUrls: string[];
  /** Each worker's metrics endpoint (its Temporal SDK metrics: the sticky cache, replays). */
  workerMetricsUrls: string[];
};

export type BenchStack = {
  databaseUrl: string;
  db: Database;
  temporal: DevServer;
  /** The dev server's Prometheus endpoint. */
  metricsUrl: string;
  smtp: SmtpSink;
  /** The environment the API and worker processes get. */
  processEnv: Record<string, string>;
  taskQueue: string;
  processes: Processes;
  /** Starts `count` API processes (each on its own port). */
  startApis(count: number, env?: Record<string, string>): Promise<string[]>;
  /** Starts `count` worker processes. */
  startWorkers(count: number, env?: Record<string, string>): Promise<RunningProcess[]>;
  stopWorkers(): Promise<void>;
  /**
   * The CPU each process of the stack has used so far (`extra`: processes a benchmark starts itself), for a window's
   * accounting (`cpu.ts`): the API(s), the worker(s), the Temporal dev server, Postgres and its backends, and the
   * benchmark's own process (the load and the SMTP sink, left out of the ceiling).
   */
  cpuSample(extra?: CpuProcess[]): CpuSample;
  /** An API key as request headers. */
  keyHeaders(role: Role, programIds?: string[]): Promise<Record<string, string>>;
  /** A program whose first playbook is the default with `playbook` over it. */
  seedProgram(id: string, playbook: Partial<Playbook>): Promise<void>;
  close(): Promise<void>;
};

let runtimeInstalled = false;

/** The compiled copy of the sources, built once per run like the bundle. */
let compiledRoot: Promise<string> | undefined;

/**
 * The workflow bundle, built once per run before any worker starts, as the image builds it (`worker/bundle.ts`): a
 * worker that bundled at start would carry webpack's memory in its RSS, and spend its first half-minute of CPU on it.
 */
let bundle: Promise<string> | undefined;
function workflowBundle(dataDir: string): Promise<string> {
  bundle ??= (async () => {
    const file = path.join(dataDir, 'bench-workflow-bundle.js');
    await writeWorkflowBundle(file, { logger: new DefaultLogger('WARN') });
    return file;
  })();
  return bundle;
}

/**
 * The Postgres server's main process (the postmaster: every backend is its child), found as the parent of a backend
 * of ours; null when the server runs where this machine's /proc cannot see it.
 */
async function postmasterPid(url: string): Promise<number | null> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const parent = parentOf(rows[0]!.pid);
    return parent && parent > 1 ? parent : null;
  } finally {
    await client.end();
  }
}

async function createBenchDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `bansou_bench_${randomBytes(4).toString('hex')}`;
  const admin = new URL(serverUrl);
  admin.pathname = '/postgres';
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  execFileSync(path.join(PROJECT_ROOT, 'node_modules/.bin/prisma'), ['migrate', 'deploy'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      DATABASE_URL: url.toString(),
      PRISMA_CLIENT_ENGINE_TYPE: 'client',
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/** Resident memory of a process, in MB (Linux). */
export function rssMb(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}

type DevServer = { address: string; client: Client; metricsPort: number; pid: number; stop(): Promise<void> };

/** The Temporal dev server (in memory, no UI) with its metrics endpoint, and a client of it. */
async function startTemporal(): Promise<DevServer> {
  const cli = temporalCli();
  if (cli.type !== 'existing-path')
    throw new Error('the benchmarks need the Temporal CLI (npx tsx dev/temporal-binaries.ts)');
  const [port, metricsPort] = [await freePort(), await freePort()];
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless'];
  args.push('--metrics-port', String(metricsPort), '--log-level', 'error');
  for (const key of Object.values(searchAttributes)) args.push('--search-attribute', `${key.name}=Keyword`);
  const child = spawn(cli.path, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = `127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    // A busy machine may take a while to bring it up.
    const connection = await Connection.connect({ address, connectTimeout: 120_000 });
    for (let attempt = 0; ; attempt++) {
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        break;
      } catch (error) {
        if (attempt > 120) throw error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const client = new Client({ connection, dataConverter: benchDataConverter() });
    return { address, client, metricsPort, pid: child.pid!, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export async function startBenchStack(
  options: { keepDatabase?: boolean; compiled?: boolean } = {},
): Promise<BenchStack> {
  const env = devEnv();
  if (!runtimeInstalled) {
    // The benchmark stops its own processes on a signal (main.ts), so the SDK's runtime leaves signals alone.
    Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
    runtimeInstalled = true;
  }
  let postgres: LocalPostgres | undefined;
  let serverUrl = env.DATABASE_URL;
  if (!serverUrl) {
    postgres = await startLocalPostgres({
      dataDir: path.join(env.BANSOU_DATA_DIR, 'bench-postgres'),
      port: env.BANSOU_PG_PORT + 2,
      logFile: path.join(env.BANSOU_DATA_DIR, 'bench-postgres.log'),
    });
    serverUrl = postgres.url;
  }
  // Whatever started is stopped again if another part fails to start.
  const parts = await Promise.allSettled([
    createBenchDatabase(serverUrl),
    startTemporal(),
    startSmtpSink(),
    workflowBundle(env.BANSOU_DATA_DIR),
    options.compiled ? (compiledRoot ??= compileAsImage(env.BANSOU_DATA_DIR)) : Promise.resolve(undefined),
  ]);
  const failed = parts.find((p) => p.status === 'rejected');
  if (failed) {
    const [d, t, m] = parts.map((p) => (p.status === 'fulfilled' ? p.value : undefined)) as [
      Awaited<ReturnType<typeof createBenchDatabase>> | undefined,
      DevServer | undefined,
      SmtpSink | undefined,
    ];
    await Promise.allSettled([d?.drop(), t?.stop(), m?.close()]);
    await postgres?.stop();
    throw failed.reason;
  }
  const [database, temporal, smtp, bundlePath, compiled] = parts.map(
    (p) => (p as PromiseFulfilledResult<unknown>).value,
  ) as [Awaited<ReturnType<typeof createBenchDatabase>>, DevServer, SmtpSink, string, string | undefined];
  const { metricsPort } = temporal;
  const postgresPid = await postmasterPid(database.url).catch(() => null);
  if (!postgresPid) say(`Postgres's processes are not visible here: its CPU is left out of the accounting`);
  say(`Postgres database ready; Temporal dev server at ${temporal.address}; SMTP sink on ${smtp.port}`);
  if (compiled) say(`the API and the workers run compiled, as the images run them (${compiled})`);
  const db = createDatabase(database.url, { poolSize: 4 });
  const taskQueue = `bench-${randomBytes(3).toString('hex')}`;
  const processEnv: Record<string, string> = {
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: 'default',
    TASK_QUEUE: taskQueue,
    DATABASE_URL: database.url,
    SMTP_URL: smtp.url,
    MAIL_FROM: 'bansou <noreply@bansou.bench>',
    PUBLIC_BASE_URL: 'http://127.0.0.1:1',
    SIGNING_SECRET,
    PAYLOAD_ENCRYPTION_KEYS,
    WORKFLOW_BUNDLE_PATH: bundlePath,
    HOST: '127.0.0.1',
    // As in production: the readiness lines the benchmark waits for are at info.
    LOG_LEVEL: 'info',
    // The benchmark's own key makes far more than a person's 600 requests a minute.
    API_RATE_LIMIT: '100000000',
    PAGE_RATE_LIMIT: '100000000',
  };
  const processes: Processes = { api: [], workers: [], apiUrls: [], workerMetricsUrls: [] };

  const stack: BenchStack = {
    databaseUrl: database.url,
    db,
    temporal,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    smtp,
    processEnv,
    taskQueue,
    processes,
    async startApis(count, extra = {}) {
      const started = await Promise.all(
        Array.from({ length: count }, async (_, i) => {
          const port = await freePort();
          const p = await startProcess(
            `api-${processes.api.length + i + 1}`,
            'api/main.ts',
            { ...processEnv, PORT: String(port), ...extra },
            API_READY,
            180_000,
            compiled,
          );
          return { p, url: `http://127.0.0.1:${port}` };
        }),
      );
      processes.api.push(...started.map((s) => s.p));
      processes.apiUrls.push(...started.map((s) => s.url));
      return started.map((s) => s.url);
    },
    async startWorkers(count, extra = {}) {
      const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
      const started = await Promise.all(
        ports.map((port, i) =>
          startProcess(
            `worker-${processes.workers.length + i + 1}`,
            'worker/main.ts',
            { ...processEnv, METRICS_PORT: String(port), ...extra },
            WORKER_READY,
            300_000,
            compiled,
          ),
        ),
      );
      processes.workers.push(...started);
      processes.workerMetricsUrls.push(...ports.map((port) => `http://127.0.0.1:${port}/metrics`));
      return started;
    },
    async stopWorkers() {
      await Promise.all(processes.workers.map((w) => w.stop()));
      processes.workers.length = 0;
      processes.workerMetricsUrls.length = 0;
    },
    cpuSample(extra = []) {
      const pids = (ps: RunningProcess[]) => ps.map((p) => p.child.pid!).filter(Boolean);
      return sampleCpu([
        { name: 'API', pids: pids(processes.api), tree: true, stack: true },
        { name: 'worker', pids: pids(processes.workers), tree: true, stack: true },
        { name: 'Temporal dev server', pids: [temporal.pid], tree: true, stack: true },
        { name: 'Postgres server', pids: postgresPid ? [postgresPid] : [], tree: true, stack: true },
        // Its own time only: its children are the processes above.
        { name: 'benchmark (load, SMTP sink)', pids: [process.pid], tree: false, stack: false },
        ...extra,
      ]);
    },
    async keyHeaders(role, programIds = []) {
      const { key } = await createApiKey(db, { name: `bench ${role}`, role, programIds });
      return { authorization: `Bearer ${key}` };
    },
    async seedProgram(id, playbook) {
      await db.program.create({ data: { id, name: `ベンチマーク ${id}`, region: '長野県' } });
      await db.playbook.create({ data: { programId: id, version: 1, body: { ...DEFAULT_PLAYBOOK, ...playbook } } });
    },
    async close() {
      const all = [...processes.api, ...processes.workers];
      await Promise.all(all.map((p) => p.stop()));
      // What the processes said (errors under load, mostly), for a look afterwards.
      const logs = path.join(PROJECT_ROOT, 'test-artifacts', 'bench', 'logs');
      mkdirSync(logs, { recursive: true });
      for (const p of all) writeFileSync(path.join(logs, `${taskQueue}-${p.name}.log`), p.output());
      await db.$disconnect();
      await temporal.client.connection.close();
      await Promise.all([temporal.stop(), smtp.close()]);
      if (!options.keepDatabase) await database.drop();
      else say(`database kept: ${database.url}`);
      await postgres?.stop();
    },
  };
  return stack;
}
