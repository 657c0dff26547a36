import type { DataConverter } from '@temporalio/common';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { WORKFLOW_BUNDLE_OPTIONS } from './bundle';

/** How the worker uses its machine (from `WORKER_*` in the environment; the SDK's defaults where absent). */
export type WorkerTuning = Partial<
  Pick<
    WorkerOptions,
    | 'maxCachedWorkflows'
    | 'maxConcurrentWorkflowTaskExecutions'
    | 'maxConcurrentActivityTaskExecutions'
    | 'maxConcurrentWorkflowTaskPolls'
    | 'maxConcurrentActivityTaskPolls'
    | 'stickyQueueScheduleToStartTimeout'
    | 'shutdownGraceTime'
    | 'shutdownForceTime'
  >
>;

export type CreateMatchWorkerOptions = {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** The payload codec and failure converter (`temporal/data-converter.ts`); clients must use the same. */
  dataConverter: DataConverter;
  /** A pre-built workflow bundle (the image, the tests); otherwise the workflows are bundled from source. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  tuning?: WorkerTuning;
};

/** The worker for match workflows and their activities; the process entry point and the tests both use it. */
export async function createMatchWorker(options: CreateMatchWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(options.deps),
    dataConverter: options.dataConverter,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: WORKFLOW_BUNDLE_OPTIONS.workflowsPath }),
    ...options.tuning,
  });
}
