import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createMailTransport } from '../../activities/mail/transport';
import { createApp } from '../../api/app';
import type { ApiDeps } from '../../api/deps';
import { csrfFor } from '../../api/pages/render';
import { createDatabase, type Database, type DatabaseOptions } from '../../prisma/client';
import { connectWorker, lazyClient, temporalSettings } from '../../temporal/connection';
import type { Playbook } from '../../workflows/playbook';
import { matchStateQuery, matchWorkflowId, type MatchState } from '../../workflows/shared';
import { createTestDatabase, type TestDatabase } from './database';
import { eventually } from './eventually';
import { ALWAYS_SEND, matchRequest, seedProgram, unique } from './fixtures';
import { freeServerPort, reserveServer, type TestServer } from './http';
import { keyHeaders } from './keys';
import { startSmtpListener, type ReceivedEmail, type SmtpListener, type SmtpListenerOptions } from './smtp';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';
import {
  createDevServerEnv,
  createTestWorker,
  startKillableDevServer,
  testDataConverter,
  testKeyRing,
  type KillableDevServer,
} from './temporal';

export const SIGNING_SECRET = 'stack-test-signing-secret-0123456789abcdef';

/**
 * A playbook in seconds, sending at any hour: a kickoff recorded now opens check-in 1 a second later, and rounds
 * stay open for an hour, so page tests on the real clock see an open round at once.
 */
export const QUICK_PLAYBOOK: Partial<Playbook> = {
  ...ALWAYS_SEND,
  kickoff: { deadline: '1d', reminderBefore: '1s' },
  checkins: { cadence: '2h', firstAfterKickoff: '1s', reminderAfter: '50m', closeAfter: '1h', extraQuestions: [] },
};

export type DevStack = {
  env: TestWorkflowEnvironment;
  database: TestDatabase;
  smtp: SmtpListener;
  api: TestServer;
  programId: string;
  deps: ApiDeps;
  /**
   * With `cuttablePostgres`: the proxy between the API and the worker and Postgres, which the test can cut and
   * restore (`database.db` stays a direct connection, for the test's own reads and writes).
   */
  postgres?: TcpProxy;
  /**
   * With `stoppableTemporal`: kills the dev server (SIGKILL; its state stays in a file) and starts it
   * again on the same port and file. The API and the worker keep their own connections, as their processes do; `env`
   * is the server running now.
   */
  temporal?: { stop(): Promise<void>; start(): Promise<void> };
  /** Stops the worker (after its tasks in hand) and starts a new one on the same task queue, as a worker restart. */
  worker: { stop(): Promise<void>; start(): Promise<void> };
  /** An admin key (the API requests above send it unless told otherwise). */
  adminHeaders: Record<string, string>;
  /** POST /matches; the workflow starts. Returns the request, its `id` replaced by the match's id. */
  createMatch(overrides?: Parameters<typeof matchRequest>[1]): Promise<ReturnType<typeof matchRequest>>;
  state(matchId: string): Promise<MatchState>;
  /** Schedules the kickoff a moment from now, records it held, and waits for check-in 1 emails; returns them. */
  openFirstCheckin(matchId: string): Promise<{ host: ReceivedEmail; talent: ReceivedEmail }>;
  /** The signed link in an email (check-in or kickoff). */
  linkIn(email: ReceivedEmail, kind: 'checkins' | 'kickoff'): string;
  close(): Promise<void>;
};

/** The Temporal dev server, real Postgres, a real SMTP listener, a worker and the API over HTTP, all in this process. */
export async function createDevStack(
  options: {
    playbook?: Partial<Playbook>;
    pageRateLimit?: number;
    apiRateLimit?: number;
    /** The API and the worker reach Postgres through a proxy the test can cut (each with its own pool). */
    cuttablePostgres?: boolean;
    /** With `cuttablePostgres`: the bounds of those pools' statements (by default the processes' own). */
    databaseBounds?: Pick<DatabaseOptions, 'statementTimeoutMs' | 'readTimeoutMs'>;
    /** The dev server keeps its state in a file and can be stopped and started again (`temporal`). */
    stoppableTemporal?: boolean;
    log?: ApiDeps['log'];
    /** How the SMTP listener treats some recipients (reject, defer). */
    smtp?: SmtpListenerOptions;
  } = {},
): Promise<DevStack> {
  const server = options.stoppableTemporal
    ? {
        port: await freeServerPort(),
        dbFilename: path.join(mkdtempSync(path.join(os.tmpdir(), 'bansou-temporal-')), 'db'),
      }
    : undefined;
  const [temporalServer, database, smtp, reserved] = await Promise.all([
    server ? startKillableDevServer(server) : createDevServerEnv(),
    createTestDatabase(),
    startSmtpListener(options.smtp),
    reserveServer(),
  ]);
  const killable = server ? (temporalServer as KillableDevServer) : undefined;
  const env = killable ? killable.env : (temporalServer as TestWorkflowEnvironment);
  let running = true;
  const { port } = reserved;
  // Links in emails point at this API, so a browser can follow them.
  const links = { publicBaseUrl: `http://127.0.0.1:${port}`, signingSecret: SIGNING_SECRET };
  const taskQueue = unique('stack');
  // Connections of their own, made as the worker and API processes make them (the API's lazily).
  const temporalAt = server
    ? temporalSettings({ TEMPORAL_ADDRESS: `127.0.0.1:${server.port}`, TASK_QUEUE: taskQueue })
    : undefined;
  const workerConnection = temporalAt ? await connectWorker(temporalAt) : env.nativeConnection;
  const transport = createMailTransport(smtp.url);
  let postgres: TcpProxy | undefined;
  let connect = (): Database => database.db;
  const ownPools: Database[] = [];
  if (options.cuttablePostgres) {
    const direct = new URL(database.url);
    postgres = await startTcpProxy({ host: direct.hostname, port: Number(direct.port) });
    const proxied = new URL(database.url);
    proxied.host = postgres.address;
    connect = () => {
      const db = createDatabase(proxied.toString(), { poolSize: 5, ...options.databaseBounds });
      ownPools.push(db);
      return db;
    };
  }
  const workerDeps = { db: connect(), mail: { transport, from: 'bansou <noreply@bansou.test>' }, links };
  let worker: Worker = await createTestWorker(env, taskQueue, workerDeps, workerConnection);
  let working = worker.run();
  const deps: ApiDeps = {
    db: connect(),
    temporal: temporalAt ? lazyClient(temporalAt, testDataConverter()) : env.client,
    taskQueue,
    keys: testKeyRing(),
    links,
    pageRateLimit: options.pageRateLimit ?? 10_000,
    webhookLoopbackHttp: true,
    ...(options.apiRateLimit ? { apiRateLimit: options.apiRateLimit } : {}),
    checkSmtp: async () => void (await transport.verify()),
    codec: { codecs: testDataConverter().payloadCodecs ?? [], uiOrigins: [] },
    ...(options.log ? { log: options.log } : {}),
  };
  const program = await seedProgram(database.db, undefined, undefined, options.playbook ?? QUICK_PLAYBOOK);
  const adminHeaders = await keyHeaders(database.db, 'admin');
  const api = reserved.serve(createApp(deps), { headers: adminHeaders });
  const state = (matchId: string) =>
    stack.env.client.workflow.getHandle(matchWorkflowId(matchId)).query(matchStateQuery);

  const stack: DevStack = {
    env,
    database,
    smtp,
    api,
    programId: program.id,
    deps,
    postgres,
    ...(server
      ? {
          temporal: {
            async stop() {
              running = false;
              await killable!.kill();
            },
            async start() {
              await killable!.start();
              stack.env = killable!.env;
              running = true;
            },
          },
        }
      : {}),
    worker: {
      async stop() {
        worker.shutdown();
        await working;
      },
      async start() {
        worker = await createTestWorker(stack.env, taskQueue, workerDeps, workerConnection);
        working = worker.run();
      },
    },
    adminHeaders,
    async createMatch(overrides = {}) {
      const body = matchRequest(program.id, overrides);
      const res = await api.request('POST', '/matches', body);
      if (res.status !== 201) throw new Error(`POST /matches: ${res.status} ${res.text}`);
      // The request with the match's id (`<program>:<reference>`) in place of the program's own reference.
      return { ...body, id: res.body.match.id as string };
    },
    state,
    async openFirstCheckin(matchId) {
      // A slot a moment ahead; on a busy machine the workflow may see it only once it has passed: then a later one.
      let startsAt = 0;
      for (let lead = 1500; ; lead *= 2) {
        startsAt = Date.now() + lead;
        const scheduled = await api.request('POST', `/matches/${matchId}/kickoff/schedule`, {
          startsAt: new Date(startsAt).toISOString(),
          durationMinutes: 30,
        });
        if (scheduled.status === 200) break;
        if (lead > 10_000 || !/not in the future/.test(scheduled.body?.detail ?? ''))
          throw new Error(`schedule: ${scheduled.status} ${scheduled.text}`);
      }
      await new Promise((r) => setTimeout(r, startsAt - Date.now() + 100));
      const held = await api.request('POST', `/matches/${matchId}/kickoff/record`, { held: true });
      if (held.status !== 200) throw new Error(`record: ${held.status} ${held.text}`);
      const s = await state(matchId);
      const to = (who: 'host' | 'talent') => s.match[who].email;
      const isRequest = (e: ReceivedEmail) => e.mail.headers.get('x-bansou-template') === 'checkin-request';
      const [host] = await smtp.waitFor(1, { filter: (e) => e.to === to('host') && isRequest(e) });
      const [talent] = await smtp.waitFor(1, { filter: (e) => e.to === to('talent') && isRequest(e) });
      // The page reads the round from the read model, written right after the round opened.
      await eventually(() => database.db.checkinRound.findUnique({ where: { matchId_round: { matchId, round: 1 } } }));
      return { host: host!, talent: talent! };
    },
    linkIn(email, kind) {
      const found = new RegExp(`${links.publicBaseUrl}/${kind}/[A-Za-z0-9_.-]+`).exec(email.mail.text ?? '');
      if (!found) throw new Error(`no ${kind} link in "${email.subject}"`);
      return found[0].slice(links.publicBaseUrl.length);
    },
    async close() {
      await api.close();
      if (!running) await stack.temporal?.start(); // (the worker finishes its tasks against a running server)
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await working;
      await Promise.all(ownPools.map((db) => db.$disconnect()));
      await postgres?.close();
      // The API's connection stays open: calls it gave up on at their deadline may still be sleeping in the client's
      // retries, whose timers would throw into a closed channel.
      if (server) await workerConnection.close();
      await Promise.all([killable ? killable.kill() : env.teardown(), database.drop(), smtp.close()]);
      if (server) rmSync(path.dirname(server.dbFilename), { recursive: true, force: true });
    },
  };
  return stack;
}

/** Posts a check-in form as a browser would (urlencoded), with the page's CSRF value unless told otherwise. */
export function postCheckinForm(
  stack: DevStack,
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
  baseUrl = stack.api.url,
) {
  const token = path.split('/').pop()!;
  const body = new URLSearchParams({ csrf: csrfFor(SIGNING_SECRET, token), ...fields }).toString();
  return fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
    redirect: 'manual',
  }).then(async (r) => ({ status: r.status, headers: r.headers, text: await r.text() }));
}

/** Every scale question of a check-in answered (the form's required fields). */
export const COMPLETE_CHECKIN_FORM = {
  satisfaction: '4',
  working_style: '4',
  remote_tools: '3',
  priority: '5',
  expectation: '4',
  task_clarity: '4',
  contract_admin: '5',
};
