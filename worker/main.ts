import { getHeapStatistics } from 'node:v8';
import { Runtime, type NativeConnection, type Worker } from '@temporalio/worker';
import { exitOnConfigError } from '../config/env';
import { createMailTransport } from '../activities/mail/transport';
import { createDatabase } from '../prisma/client';
import { registerDomainMetrics } from '../telemetry/domain-metrics';
import { healthChecks, readinessOf } from '../telemetry/health';
import { createLog, temporalLogger } from '../telemetry/log';
import { createRegistry } from '../telemetry/metrics';
import { startTracing } from '../telemetry/tracing';
import { checkTemporalTls, connectClient, connectWorker, temporalSettings } from '../temporal/connection';
import { sealStoredEndpointSecrets } from '../activities/webhooks/endpoint-secrets';
import { KeyRing } from '../config/key-ring';
import { dataConverter } from '../temporal/data-converter';
import { tracedBundlePath } from './bundle';
import { loadWorkerEnv } from './env';
import { heapBounded, workerMemory, workerNodeFlags } from './memory';
import { freeLoopbackPort, startWorkerMetricsServer } from './metrics-server';
import { ensureDigestSchedule } from './schedules';
import { createMatchWorker } from './worker';

/** Workflows cached without a memory budget or `WORKER_MAX_CACHED_WORKFLOWS`. */
const DEFAULT_CACHED_WORKFLOWS = 1000;

/** The worker process: `npm run worker`, configured only by environment variables. */
async function main(): Promise<void> {
  const env = loadWorkerEnv();
  const log = createLog({ service: 'worker', level: env.LOG_LEVEL });
  // The SDK's lines, the workflows' and the activities' (with their ids), and the native core's, all through pino.
  // Its metrics go to an exporter on loopback, which the metrics port serves after bansou's own.
  const coreMetricsPort = await freeLoopbackPort();
  Runtime.install({
    logger: temporalLogger(log),
    telemetryOptions: {
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      metrics: { prometheus: { bindAddress: `127.0.0.1:${coreMetricsPort}`, useSecondsForDurations: true } },
    },
  });
  const tracing = startTracing({ service: 'worker', endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, log });
  const temporal = temporalSettings(env);
  const converter = dataConverter(env.PAYLOAD_ENCRYPTION_KEYS);
  // A certificate Temporal refuses stops the worker here, with the variable named, before the SDK's retries.
  await checkTemporalTls(temporal);
  // One connection per concurrent activity, and one per workflow task (each may run the read-model sync as a local
  // activity): under load a write never waits for a connection to start its transaction (a smaller pool timed out).
  const db = createDatabase(env.DATABASE_URL, {
    poolSize: env.DATABASE_POOL_SIZE ?? env.WORKER_MAX_CONCURRENT_ACTIVITIES + env.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_SECONDS * 1000,
  });
  const keys = new KeyRing(env.PAYLOAD_ENCRYPTION_KEYS);
  sealStoredEndpointSecrets(db, keys, log);
  // As many open SMTP connections as sends may be in flight, each reused from one email to the next.
  const transport = createMailTransport(env.SMTP_URL, { pool: env.MAIL_MAX_CONCURRENT_SENDS });
  const registry = createRegistry();
  registerDomainMetrics(registry, db, { log: log.child({ component: 'metrics' }) });
  // Ready once polling, while Temporal and Postgres answer (SMTP is reported: mail waits in the outbox meanwhile).
  const started: { connection?: NativeConnection; worker?: Worker } = {};
  const health = healthChecks(
    {
      temporal: async () => {
        if (!started.connection) throw new Error('not connected yet');
        await started.connection.healthService.check({});
      },
      postgres: () => db.$queryRaw`SELECT 1`,
      smtp: () => transport.verify(),
    },
    log,
  );
  const readiness = async () => {
    const round = await health();
    const state = started.worker?.getState() ?? 'INITIALIZED';
    if (state === 'INITIALIZED') return { status: 'not_ready', checks: round.checks };
    return readinessOf(round, ['temporal', 'postgres'], state !== 'RUNNING');
  };
  const metricsServer = await startWorkerMetricsServer({
    host: env.METRICS_HOST,
    port: env.METRICS_PORT,
    registry,
    coreMetricsUrl: `http://127.0.0.1:${coreMetricsPort}/metrics`,
    readiness,
    log,
  });
  log.info({ port: metricsServer.port }, 'bansou worker: metrics served');
  // With a memory budget, the heap limit was set when node started (`worker/memory.ts`) and the cache fits beside it.
  const memory = env.WORKER_MEMORY_MB ? workerMemory(env.WORKER_MEMORY_MB) : undefined;
  const maxCachedWorkflows = env.WORKER_MAX_CACHED_WORKFLOWS ?? memory?.maxCachedWorkflows ?? DEFAULT_CACHED_WORKFLOWS;
  if (env.WORKER_MEMORY_MB && !heapBounded(env.WORKER_MEMORY_MB)) {
    log.warn(
      { heapLimitMb: memory!.heapMb, startWith: workerNodeFlags({ WORKER_MEMORY_MB: String(env.WORKER_MEMORY_MB) }) },
      'WORKER_MEMORY_MB is set but node was started without its heap limit: the heap is not bounded',
    );
  }
  const connection = await connectWorker(temporal);
  const worker = await createMatchWorker({
    connection,
    namespace: temporal.namespace,
    taskQueue: temporal.taskQueue,
    dataConverter: converter,
    // The prebuilt bundle for the worker's tracing: with tracing off, no run it starts is traced (`worker/bundle.ts`).
    ...(env.WORKFLOW_BUNDLE_PATH
      ? {
          workflowBundle: {
            codePath: tracing.on ? tracedBundlePath(env.WORKFLOW_BUNDLE_PATH) : env.WORKFLOW_BUNDLE_PATH,
          },
        }
      : {}),
    tracing,
    deps: {
      db,
      mail: { transport, from: env.MAIL_FROM, maxConcurrentSends: env.MAIL_MAX_CONCURRENT_SENDS },
      keys,
      links: { publicBaseUrl: env.PUBLIC_BASE_URL, signingSecret: env.SIGNING_SECRET },
      webhooks: { allowLoopback: env.WEBHOOK_ALLOW_LOOPBACK_HTTP },
    },
    tuning: {
      maxCachedWorkflows,
      maxConcurrentWorkflowTaskExecutions: env.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
      maxConcurrentActivityTaskExecutions: env.WORKER_MAX_CONCURRENT_ACTIVITIES,
      maxConcurrentWorkflowTaskPolls: Math.min(env.WORKER_WORKFLOW_POLLERS, env.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS),
      maxConcurrentActivityTaskPolls: Math.min(env.WORKER_ACTIVITY_POLLERS, env.WORKER_MAX_CONCURRENT_ACTIVITIES),
      nonStickyToStickyPollRatio: env.WORKER_NONSTICKY_POLL_RATIO,
      stickyQueueScheduleToStartTimeout: env.WORKER_STICKY_QUEUE_TIMEOUT_SECONDS * 1000,
      // On SIGTERM: activities in flight get this long to finish, then are cancelled; the worker gives up 5 s later.
      shutdownGraceTime: env.SHUTDOWN_TIMEOUT_SECONDS * 1000,
      shutdownForceTime: (env.SHUTDOWN_TIMEOUT_SECONDS + 5) * 1000,
    },
  });
  Object.assign(started, { connection, worker });
  // The weekly coordinator digest: scheduled once, on whichever worker starts first.
  const client = await connectClient(temporal, converter);
  await ensureDigestSchedule(client, temporal.taskQueue);
  await client.connection.close();
  log.info(
    {
      taskQueue: temporal.taskQueue,
      address: temporal.address,
      namespace: temporal.namespace,
      tls: !!temporal.tls,
      maxCachedWorkflows,
      heapLimitMb: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20),
    },
    'bansou worker: polling',
  );
  // Worker.run() installs its own SIGINT/SIGTERM handling: it stops polling and lets running tasks finish.
  process.once('SIGTERM', () => log.info({ signal: 'SIGTERM' }, 'bansou worker: stopping'));
  await worker.run();
  metricsServer.server.close();
  await connection.close();
  transport.close();
  await db.$disconnect();
  await tracing.shutdown();
  log.info('bansou worker: stopped');
}

// Everything is closed by then; what the SDK's native runtime still holds must not keep the process alive.
main()
  .then(() => process.exit(0))
  .catch((error: unknown) => {
    exitOnConfigError(error);
    createLog({ service: 'worker' }).error({ err: error }, 'bansou worker: stopped by an error');
    process.exit(1);
  });
