import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Logger } from '@temporalio/common';
import { Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import { createMatchWorker } from '../../worker/worker';
import { searchAttributes } from '../../workflows/shared';
import type { ActivityDeps } from '../../activities';
import { testEnv } from './env';

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

const executable = (path: string | undefined) =>
  path ? ({ type: 'existing-path', path } as const) : ({ type: 'cached-download' } as const);

/** The time-skipping test server, for long timelines. */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: executable(testEnv().TEMPORAL_TEST_SERVER_PATH) },
  });
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
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: executable(testEnv().TEMPORAL_CLI_PATH),
      searchAttributes: Object.values(searchAttributes),
      ip: '127.0.0.1',
      ...(port ? { port } : {}),
    },
  });
}

/** A worker with the real activities, on the workflow bundle the global setup built once. */
export async function createTestWorker(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  deps: ActivityDeps,
): Promise<Worker> {
  return createMatchWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    deps,
    workflowBundle: { codePath: testEnv().BANSOU_TEST_WORKFLOW_BUNDLE },
  });
}
