import type { DataConverter } from '@temporalio/common';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { startTracing, type Tracing } from '../telemetry/tracing';
import { workflowBundleOptions } from './bundle';

/** How the worker uses its machine (from `WORKER_*` in the environment; the SDK's defaults where absent). */
export type WorkerTuning = Partial<
  Pick<
    WorkerOptions,
    | 'maxCachedWorkflows'
    | 'maxConcurrentWorkflowTaskExecutions'
    | 'maxConcurrentActivityTaskExecutions'
    | 'maxConcurrentWorkflowTaskPolls'
    | 'maxConcurrentActivityTaskPolls'
    | 'nonStickyToStickyPollRatio'
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
  /**
   * A pre-built workflow bundle (the image, the tests): the one for the worker's tracing (`worker/bundle.ts`);
   * otherwise the workflows are bundled from source.
   */
  workflowBundle?: WorkerOptions['workflowBundle'];
  tuning?: WorkerTuning;
  /** Where the spans of workflows and activities go (`telemetry/tracing.ts`); off unless given. */
  tracing?: WorkerTracing;
};

export type WorkerTracing = Pick<Tracing, 'on' | 'spanProcessor' | 'resource'>;

/**
 * The worker's half of tracing. On: activities continue the trace their workflow passed them (and their log lines
 * carry its ids). The workflows' spans, made in the sandbox by the interceptors the bundle holds (`worker/bundle.ts`),
 * come out through a sink, there on or off: with tracing off no run the worker starts makes spans, but one traced
 * before still does (and a replay), and the sink drops them.
 */
export function workerTracing(
  tracing: WorkerTracing = startTracing({ service: 'worker' }),
): Required<Pick<WorkerOptions, 'interceptors' | 'sinks'>> {
  const sinks = { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) };
  if (!tracing.on) return { sinks, interceptors: {} };
  return {
    sinks,
    interceptors: {
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
  };
}

/** The worker for match workflows and their activities; the process entry point and the tests both use it. */
export async function createMatchWorker(options: CreateMatchWorkerOptions): Promise<Worker> {
  const tracing = workerTracing(options.tracing);
  const bundled = workflowBundleOptions(options.tracing?.on ?? false);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(options.deps),
    dataConverter: options.dataConverter,
    sinks: tracing.sinks,
    // A bundle holds its workflow interceptors already; bundled here, they are named as the prebuilt one names them.
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle, interceptors: tracing.interceptors }
      : {
          workflowsPath: bundled.workflowsPath,
          interceptors: { ...tracing.interceptors, workflowModules: bundled.workflowInterceptorModules },
        }),
    ...options.tuning,
  });
}
