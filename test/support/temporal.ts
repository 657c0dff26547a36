import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Logger } from '@temporalio/common';
import { Runtime, DefaultLogger, type NativeConnection, type Worker } from '@temporalio/worker';
import { ZPayloadKeysEnv } from '../../config/env';
import { KeyRing } from '../../config/key-ring';
import { dataConverter } from '../../temporal/data-converter';
import { writeWorkflowBundle } from '../../worker/bundle';
import { createMatchWorker } from '../../worker/worker';
import { searchAttributes } from '../../workflows/shared';
import type { ActivityDeps } from '../../activities';
import { testEnv } from './env';
import { eventually } from './eventually';

let runtimeInstalled = false;
/**
 * Installs the SDK's runtime once per test file. Its logger keeps to warnings, so test output stays readable, unless
 * a test that reads the workers' logs installs its own first (the workflows' and activities' lines go there).
 */
export function installTestRuntime(logger: Logger = new DefaultLogger('WARN')): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger });
}
const quietRuntime = () => installTestRuntime();

/**
 * The payload keys of every test (as PAYLOAD_ENCRYPTION_KEYS gives them): fixed, so histories recorded by the tests
 * decrypt in the replay test. A test key, used nowhere else.
 */
export const TEST_PAYLOAD_KEYS = `test-2026:${Buffer.from('bansou test payload key, 32 byte').toString('base64')}`;
export const testKeys = () =>
  ZPayloadKeysEnv.parse({ PAYLOAD_ENCRYPTION_KEYS: TEST_PAYLOAD_KEYS }).PAYLOAD_ENCRYPTION_KEYS;

/** The test keys as the key ring the API and worker seal stored secrets with. */
export const testKeyRing = () => new KeyRing(testKeys());

/** The data converter the tests' workers and clients share (the same as the processes': encrypted payloads). */
export const testDataConverter = () => dataConverter(testKeys());

/**
 * What the tests hand to the API and worker processes besides where things are: the test key, and the workflow
 * bundle global setup built (the worker loads it as the image's worker does, instead of bundling at start).
 */
export const testProcessEnv = () => ({
  PAYLOAD_ENCRYPTION_KEYS: TEST_PAYLOAD_KEYS,
  WORKFLOW_BUNDLE_PATH: testEnv().BANSOU_TEST_WORKFLOW_BUNDLE,
});

/**
 * The bundle for a worker with tracing on, beside the one global setup built (the tests' workers run with tracing
 * off): written once per test file that needs it, and its path returned (`worker/bundle.ts`).
 */
export const writeTracedTestBundle = (): Promise<string> =>
  writeWorkflowBundle(testEnv().BANSOU_TEST_WORKFLOW_BUNDLE, {
    tracing: true,
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
  });

const executable = (path: string | undefined) =>
  path ? ({ type: 'existing-path', path } as const) : ({ type: 'cached-download' } as const);

/**
 * Moves a time-skipping server's clock to an instant (timers due on the way fire). The server only moves forward:
 * an instant it has passed is an error, not a silent no-op.
 */
export async function moveClockTo(env: TestWorkflowEnvironment, at: number): Promise<void> {
  const now = await env.currentTimeMs();
  if (at < now) {
    throw new Error(
      `the time-skipping server cannot move back to ${new Date(at).toISOString()}: it is at ${new Date(now).toISOString()}`,
    );
  }
  await env.sleep(at - now);
}

const { EventType } = temporal.api.enums.v1;
const WORKFLOW_TASK_EVENTS = new Set([
  EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
]);

const { PENDING_ACTIVITY_STATE_SCHEDULED } = temporal.api.enums.v1.PendingActivityState;

/** What `untilAtRest` found: the run it waited for, and whether it is still running. */
export type AtRest = { runId: string; historyLength: number; running: boolean };

/**
 * Waits until a workflow (its newest run) is at rest: ended, or no activity under way and its last workflow task
 * completed. An activity waiting to be retried waits on the clock, so it counts as at rest. While the test holds the
 * clock, nothing then happens in that run until the test acts on it. `known` is what an earlier call found: a run at
 * rest whose history has not grown since is still at rest, and its history is not read again.
 */
export async function untilAtRest(env: TestWorkflowEnvironment, workflowId: string, known?: AtRest): Promise<AtRest> {
  const handle = env.client.workflow.getHandle(workflowId);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { status, runId, historyLength, raw } = await handle.describe();
    const found = { runId, historyLength, running: status.name === 'RUNNING' };
    if (!found.running) return found;
    const activityUnderWay = (raw.pendingActivities ?? []).some(
      (a) => a.state !== PENDING_ACTIVITY_STATE_SCHEDULED || (a.attempt ?? 1) <= 1,
    );
    if (!activityUnderWay) {
      if (known?.running && known.runId === runId && known.historyLength === historyLength) return found;
      const events = (await handle.fetchHistory()).events ?? [];
      const lastTask = events.findLast((e) => WORKFLOW_TASK_EVENTS.has(e.eventType!));
      if (lastTask?.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) return found;
    }
    if (Date.now() > deadline) throw new Error(`${workflowId} is still busy after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Terminates a workflow (its newest run) once it is at rest. The time-skipping server stops skipping time while a
 * task is in flight, and a run terminated meanwhile never gives that back: every later sleep would take real time.
 */
export async function terminateWhenIdle(env: TestWorkflowEnvironment, workflowId: string): Promise<void> {
  if ((await untilAtRest(env, workflowId)).running) {
    await env.client.workflow.getHandle(workflowId).terminate('the scenario is over');
  }
}

/**
 * A client of a time-skipping server that never lets it skip on its own. The environment's own client lets the
 * server skip time freely while it waits for a workflow's result, and an idle server then jumps to its next timer,
 * years ahead (workflow run timeouts): the scenario after it would start in another decade.
 */
export function steadyClient(env: TestWorkflowEnvironment): Client {
  return new Client({
    connection: env.connection,
    namespace: env.namespace ?? 'default',
    dataConverter: testDataConverter(),
  });
}

/**
 * Starts a test server, again if it was not answering within the SDK's fixed 5 s (the SDK then kills it): on a busy
 * two-core machine a JVM or the dev server can take longer to open its port.
 */
async function startServer(start: () => Promise<TestWorkflowEnvironment>): Promise<TestWorkflowEnvironment> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      const slowStart = error instanceof Error && /did not start within/.test(error.message);
      if (!slowStart || attempt === 3) throw error;
      process.stderr.write(`[test] the Temporal test server was slow to start; starting it again (${attempt + 1}/3)\n`);
    }
  }
}

/** The time-skipping test server, for long timelines; its clock starts at BANSOU_TEST_NOW when that is set. */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const env = await startServer(() =>
    TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: executable(testEnv().TEMPORAL_TEST_SERVER_PATH) },
      client: { dataConverter: testDataConverter() },
    }),
  );
  const simulatedNow = testEnv().BANSOU_TEST_NOW;
  if (simulatedNow) await moveClockTo(env, Date.parse(simulatedNow));
  // The test server knows no custom search attributes until they are added, like a real cluster.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      Object.values(searchAttributes).map((key) => [
        key.name,
        temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      ]),
    ),
  });
  return env;
}

/**
 * The Temporal CLI dev server with bansou's search attributes, for the API and end-to-end tests; on `port` when given
 * (to start a server again where a stopped one was).
 */
export async function createDevServerEnv({ port }: { port?: number } = {}): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return startServer(() =>
    TestWorkflowEnvironment.createLocal({
      client: { dataConverter: testDataConverter() },
      server: {
        executable: executable(testEnv().TEMPORAL_CLI_PATH),
        searchAttributes: Object.values(searchAttributes),
        ip: '127.0.0.1',
        ...(port ? { port } : {}),
      },
    }),
  );
}

/**
 * A dev server that can be killed (SIGKILL, as a crash would end it) and started again on the same port, carrying on
 * from the state it keeps in `dbFilename`. It runs as this process's own child, so that `kill` returns only once the
 * process is gone; `env` talks to the server running now.
 */
export type KillableDevServer = { env: TestWorkflowEnvironment; kill(): Promise<void>; start(): Promise<void> };

export async function startKillableDevServer({
  port,
  dbFilename,
}: {
  port: number;
  dbFilename: string;
}): Promise<KillableDevServer> {
  const cli = testEnv().TEMPORAL_CLI_PATH;
  if (!cli) throw new Error('a killable dev server needs the Temporal CLI on disk (TEMPORAL_CLI_PATH)');
  quietRuntime();
  const args = [
    ...['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port)],
    ...['--namespace', 'default', '--db-filename', dbFilename, '--log-level', 'error'],
    ...['--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true'],
    ...['--dynamic-config-value', 'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true'],
    ...Object.values(searchAttributes).flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]),
  ];
  let exited: Promise<unknown> = Promise.resolve();
  let child: ChildProcess | undefined;
  const server: KillableDevServer = {
    env: undefined as unknown as TestWorkflowEnvironment,
    async start() {
      child = spawn(cli, args, { stdio: ['ignore', 'ignore', 'inherit'] });
      exited = once(child, 'exit');
      server.env = await eventually(
        () =>
          TestWorkflowEnvironment.createFromExistingServer({
            address: `127.0.0.1:${port}`,
            client: { dataConverter: testDataConverter() },
          }),
        { timeoutMs: 60_000, intervalMs: 500 },
      );
    },
    async kill() {
      await server.env.teardown();
      child?.kill('SIGKILL');
      await exited;
    },
  };
  await server.start();
  return server;
}

/** A worker with the real activities, on the workflow bundle the global setup built once. */
export async function createTestWorker(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  deps: Omit<ActivityDeps, 'keys'> & { keys?: ActivityDeps['keys'] },
  connection: NativeConnection = env.nativeConnection,
): Promise<Worker> {
  return createMatchWorker({
    connection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    // The test keys unless a test brings its own, as with the data converter; the tests' receivers are on loopback.
    deps: { keys: testKeyRing(), webhooks: { allowLoopback: true }, ...deps },
    dataConverter: testDataConverter(),
    workflowBundle: { codePath: testEnv().BANSOU_TEST_WORKFLOW_BUNDLE },
  });
}
