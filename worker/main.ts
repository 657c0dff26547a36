import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { exitOnConfigError } from '../config/env';
import { createMailTransport } from '../activities/mail/transport';
import { createDatabase } from '../prisma/client';
import { createLog, temporalLogger } from '../telemetry/log';
import { loadWorkerEnv } from './env';
import { ensureDigestSchedule } from './schedules';
import { createMatchWorker } from './worker';

/** The worker process: `npm run worker`, configured only by environment variables. */
async function main(): Promise<void> {
  const env = loadWorkerEnv();
  const log = createLog({ service: 'worker', level: env.LOG_LEVEL });
  // The SDK's lines, the workflows' and the activities' (with their ids), and the native core's, all through pino.
  Runtime.install({
    logger: temporalLogger(log),
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
  });
  const db = createDatabase(env.DATABASE_URL);
  const transport = createMailTransport(env.SMTP_URL);
  const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
  const worker = await createMatchWorker({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TASK_QUEUE,
    deps: {
      db,
      mail: { transport, from: env.MAIL_FROM, maxConcurrentSends: env.MAIL_MAX_CONCURRENT_SENDS },
      links: { publicBaseUrl: env.PUBLIC_BASE_URL, signingSecret: env.SIGNING_SECRET },
    },
    maxConcurrentActivityTaskExecutions: env.WORKER_MAX_CONCURRENT_ACTIVITIES,
  });
  // The weekly coordinator digest: scheduled once, on whichever worker starts first.
  const client = new Client({
    connection: await Connection.connect({ address: env.TEMPORAL_ADDRESS }),
    namespace: env.TEMPORAL_NAMESPACE,
  });
  await ensureDigestSchedule(client, env.TASK_QUEUE);
  await client.connection.close();
  log.info(
    { taskQueue: env.TASK_QUEUE, address: env.TEMPORAL_ADDRESS, namespace: env.TEMPORAL_NAMESPACE },
    'bansou worker: polling',
  );
  // Worker.run() installs its own SIGINT/SIGTERM handling: it stops polling and lets running tasks finish.
  await worker.run();
  await connection.close();
  transport.close();
  await db.$disconnect();
}

main().catch((error: unknown) => {
  exitOnConfigError(error);
  createLog({ service: 'worker' }).error({ err: error }, 'bansou worker: stopped by an error');
  process.exit(1);
});
