import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { prettyFactory } from 'pino-pretty';
import { createApiKey } from '../api/auth';
import { createDatabase } from '../prisma/client';
import { connectClient, temporalSettings } from '../temporal/connection';
import { workerNodeFlags } from '../worker/memory';
import { DEFAULT_TASK_QUEUE, searchAttributes } from '../workflows/shared';
import { DEV_ADMIN, devAdminSignIn } from './admin-sign-in';
import { devEnv, PROJECT_ROOT } from './env';
import { migrationsApplied, startLocalPostgres, type LocalPostgres } from './postgres';
import { devApiUrl, devCodecEndpoint, devServerArgs, devServerUiArgs, devUiOrigins } from './temporal-dev-server';
import { temporalCli } from './temporal-binaries';

/**
 * The embedded stack, on one machine: Postgres, the Temporal dev server (SQLite file, Web UI), a mail catcher, the
 * worker and the API. Everything it starts stops on Ctrl-C; everything it stores stays under `.data/`.
 */

const execFileAsync = promisify(execFile);
const env = devEnv();
const dataDir = env.BANSOU_DATA_DIR;
const logDir = path.join(dataDir, 'logs');
const say = (message: string) => console.log(`\x1b[1m[bansou]\x1b[0m ${message}`);

type Stoppable = { name: string; stop: () => Promise<void> };
const started: Stoppable[] = [];
let stopping = false;

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (stopping) throw new Error('stopping');
    if (Date.now() > deadline)
      throw new Error(`${what} did not come up within ${timeoutMs / 1000} s (logs: ${logDir})`);
    await sleep(250);
  }
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => (socket.end(), resolve(true)));
    socket.on('error', () => resolve(false));
  });
}

// The processes log JSON lines (as in production); this terminal shows them readable, the log files keep them as written.
const pretty = prettyFactory({ colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,service' });
const readable = (line: string) => (line.startsWith('{') ? pretty(line).trimEnd() : line);

/** Starts a child process whose output goes to `.data/logs/<name>.log` (and, with `echo`, to this terminal). */
function startChild(
  name: string,
  command: string,
  args: string[],
  childEnv: Record<string, string>,
  echo = false,
): ChildProcess {
  const logFile = path.join(logDir, `${name}.log`);
  const out = openSync(logFile, 'a');
  const child = spawn(command, args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...childEnv },
    stdio: ['ignore', echo ? 'pipe' : out, echo ? 'pipe' : out],
    // Own process group: the terminal's Ctrl-C reaches only this orchestrator, which stops children in order.
    detached: true,
  });
  if (echo) {
    // One writer per stream, each keeping the part of a line its last chunk ended in.
    const writer = () => {
      let partial = '';
      return (chunk: Buffer) => {
        writeFileSync(logFile, chunk, { flag: 'a' });
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines.filter(Boolean)) console.log(`\x1b[2m[${name}]\x1b[0m ${readable(line)}`);
      };
    };
    child.stdout!.on('data', writer());
    child.stderr!.on('data', writer());
  }
  closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', (code, signal) => {
    if (!stopping) {
      say(`${name} exited unexpectedly (${code ?? signal}); see ${logFile}. Stopping the stack.`);
      void shutdown(1);
    }
  });
  started.push({
    name,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  });
  return child;
}

/** A signing secret for check-in links that survives restarts, so links already emailed keep working. */
function devSigningSecret(): string {
  const file = path.join(dataDir, 'signing-secret');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/** The key this machine's workflows are encrypted with (PAYLOAD_ENCRYPTION_KEYS), kept in `.data/payload-keys`. */
function devPayloadKeys(): string {
  const file = path.join(dataDir, 'payload-keys');
  if (!existsSync(file)) writeFileSync(file, `dev-1:${randomBytes(32).toString('base64')}`, { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/**
 * An admin API key for this machine, kept in `.data/dev-api-key` so the README's curl examples and `dev/demo.ts`
 * work across restarts; made again if the database no longer knows it.
 */
async function devApiKey(databaseUrl: string): Promise<string> {
  const file = path.join(dataDir, 'dev-api-key');
  const db = createDatabase(databaseUrl, { poolSize: 1 });
  try {
    if (existsSync(file)) {
      const key = readFileSync(file, 'utf8').trim();
      const hash = createHash('sha256').update(key).digest('hex');
      if (await db.apiKey.findUnique({ where: { hash }, select: { id: true } })) return key;
    }
    const { key } = await createApiKey(db, { name: 'dev stack (admin)', role: 'admin', programIds: [] });
    writeFileSync(file, key, { mode: 0o600 });
    return key;
  } finally {
    await db.$disconnect();
  }
}

async function startPostgres(): Promise<string> {
  const postgres: LocalPostgres = await startLocalPostgres({
    dataDir: path.join(dataDir, 'postgres'),
    port: env.BANSOU_PG_PORT,
    logFile: path.join(logDir, 'postgres.log'),
  });
  if (postgres.startedHere) started.push({ name: 'postgres', stop: postgres.stop });
  return postgres.url;
}

/**
 * Applies pending migrations with `prisma migrate deploy`, only when some are pending: its process stays alive for
 * 10 s after it is done (a timer in Prisma's WebAssembly schema engine), which would slow every start.
 */
async function migrate(databaseUrl: string): Promise<void> {
  if (await migrationsApplied(databaseUrl, path.join(PROJECT_ROOT, 'prisma', 'migrations'))) return;
  await execFileAsync(path.join(PROJECT_ROOT, 'node_modules/.bin/prisma'), ['migrate', 'deploy'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PRISMA_CLIENT_ENGINE_TYPE: 'client',
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    },
  }).catch((error: { stderr?: string; message: string }) => {
    throw new Error(`migrations failed: ${error.stderr?.trim() || error.message}`);
  });
}

async function startMailCatcher(): Promise<void> {
  mkdirSync(path.join(dataDir, 'mail'), { recursive: true });
  startChild(
    'mail',
    path.join(PROJECT_ROOT, 'node_modules/.bin/maildev'),
    [
      '--smtp',
      String(env.MAIL_SMTP_PORT),
      '--web',
      String(env.MAIL_WEB_PORT),
      '--ip',
      '127.0.0.1',
      '--web-ip',
      '127.0.0.1',
      '--mail-directory',
      path.join(dataDir, 'mail'),
    ],
    {},
  );
  await waitFor('mail catcher', () => portAnswers(env.MAIL_SMTP_PORT));
}

const ports = { temporal: env.TEMPORAL_PORT, ui: env.TEMPORAL_UI_PORT, api: env.PORT };
const API_URL = devApiUrl(env.PORT);
const CODEC_ENDPOINT = devCodecEndpoint(env.PORT);

async function startTemporal(): Promise<string> {
  const address = `127.0.0.1:${env.TEMPORAL_PORT}`;
  const dbFile = path.join(dataDir, 'temporal.sqlite');
  const cli = temporalCli();
  if (cli.type === 'existing-path') {
    startChild('temporal', cli.path, devServerArgs(ports, dbFile), {});
  } else {
    // No binary could be found or installed: let the SDK download the dev server (needs the internet).
    const server = await TestWorkflowEnvironment.createLocal({
      server: {
        ip: '127.0.0.1',
        port: env.TEMPORAL_PORT,
        ui: true,
        uiPort: env.TEMPORAL_UI_PORT,
        dbFilename: dbFile,
        searchAttributes: Object.values(searchAttributes),
        extraArgs: devServerUiArgs(env.PORT),
      },
    });
    started.push({ name: 'temporal', stop: () => server.teardown() });
  }
  await waitFor('Temporal', async () => {
    const client = await connectClient(temporalSettings({ TEMPORAL_ADDRESS: address, TASK_QUEUE: DEFAULT_TASK_QUEUE }));
    try {
      await client.workflowService.describeNamespace({ namespace: 'default' });
      return true;
    } finally {
      await client.connection.close();
    }
  });
  return address;
}

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    say('stopping…');
    for (const part of [...started].reverse()) {
      await part.stop().catch((error: unknown) => say(`${part.name}: ${String(error)}`));
      say(`stopped ${part.name}`);
    }
  }
  process.exit(code);
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  mkdirSync(logDir, { recursive: true });
  const t0 = Date.now();

  // Postgres (with migrations), Temporal and the mail catcher do not need each other: they start side by side.
  const timed = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    say(`starting ${what}…`);
    const result = await work();
    say(`${what} ready in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    return result;
  };
  const [temporalAddress, { databaseUrl, apiKey }] = await Promise.all([
    timed('the Temporal dev server', startTemporal),
    timed('PostgreSQL and migrations', async () => {
      const databaseUrl = env.DATABASE_URL ?? (await startPostgres());
      await migrate(databaseUrl);
      return { databaseUrl, apiKey: await devApiKey(databaseUrl) };
    }),
    timed('the mail catcher', startMailCatcher),
  ]);

  const appEnv = {
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    DATABASE_URL: databaseUrl,
    SMTP_URL: `smtp://127.0.0.1:${env.MAIL_SMTP_PORT}`,
    MAIL_FROM: 'bansou <noreply@bansou.localhost>',
    PUBLIC_BASE_URL: API_URL,
    SIGNING_SECRET: devSigningSecret(),
    PAYLOAD_ENCRYPTION_KEYS: devPayloadKeys(),
    TEMPORAL_UI_ORIGIN: devUiOrigins(env.TEMPORAL_UI_PORT).join(','),
    PORT: String(env.PORT),
    HOST: '127.0.0.1',
    METRICS_PORT: String(env.METRICS_PORT),
    METRICS_HOST: '127.0.0.1',
    // Webhook endpoints on this machine (a receiver being tried out) may be plain http:// to loopback.
    WEBHOOK_ALLOW_LOOPBACK_HTTP: 'true',
  };
  await timed('the worker and the API', async () => {
    // `node --import tsx` keeps each one a single process, so a signal reaches the program itself.
    // The worker with the heap limit of its memory budget, if one is set (`worker/memory.ts`).
    const workerArgs = [...workerNodeFlags({ ...process.env, ...appEnv }), '--import', 'tsx', 'worker/main.ts'];
    const worker = startChild('worker', process.execPath, workerArgs, appEnv, true);
    startChild('api', process.execPath, ['--import', 'tsx', 'api/main.ts'], appEnv, true);
    let workerReady = false;
    worker.stdout!.on('data', (chunk: Buffer) => (workerReady ||= chunk.toString().includes('bansou worker: polling')));
    await waitFor('worker', async () => workerReady, 120_000);
    await waitFor('API', async () => (await fetch(`http://127.0.0.1:${env.PORT}/healthz`)).status === 200, 120_000);
  });

  const signIn = await devAdminSignIn(databaseUrl, appEnv.SIGNING_SECRET, appEnv.PUBLIC_BASE_URL);
  say(`up in ${((Date.now() - t0) / 1000).toFixed(1)} s. Ctrl-C stops everything.`);
  console.log(
    [
      '',
      `  Workspace      http://localhost:${env.PORT}/workspace   (coordinators and program managers sign in by email)`,
      `  Sign in now    ${signIn}`,
      `                 (admin ${DEV_ADMIN}; works once, for an hour; the mail view has every other sign-in email)`,
      `  API            http://localhost:${env.PORT}          (docs: /docs, health: /healthz, metrics: /metrics)`,
      `  Worker metrics http://localhost:${env.METRICS_PORT}/metrics`,
      `  API key        ${apiKey}   (admin; also in .data/dev-api-key)`,
      `  Temporal UI    http://localhost:${env.TEMPORAL_UI_PORT}   (payloads decrypted by ${CODEC_ENDPOINT} for an admin`,
      `                 signed in above, once "Include cross-origin credentials" is on in the UI's codec settings)`,
      `  Mail view      http://localhost:${env.MAIL_WEB_PORT}          (SMTP on 127.0.0.1:${env.MAIL_SMTP_PORT})`,
      `  Temporal gRPC  ${temporalAddress}`,
      `  PostgreSQL     ${databaseUrl}`,
      `  Data and logs  ${dataDir}`,
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  if (!stopping) console.error(error instanceof Error ? error.message : error);
  void shutdown(1);
});
