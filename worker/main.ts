import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { exitOnConfigError } from '../config/env';
import { createMailTransport } from '../activities/mail/transport';
import { createDatabase } from '../prisma/client';
import { loadWorkerEnv } from './env';
import { ensureDigestSchedule } from './schedules';
import { createMatchWorker } from './worker';

/** The worker process: `npm run worker`, configured only by environment variables. */
async function main(): Promise<void> {
  const env = loadWorkerEnv();
  Runtime.install({ logger: new DefaultLogger(env.LOG_LEVEL.toUpperCase() as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR') });
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
  console.log(`bansou worker: task queue ${env.TASK_QUEUE} on ${env.TEMPORAL_ADDRESS} (${env.TEMPORAL_NAMESPACE})`);
  // Worker.run() installs its own SIGINT/SIGTERM handling: it stops polling and lets running tasks finish.
  await worker.run();
  await connection.close();
  transport.close();
  await db.$disconnect();
}

main().catch((error: unknown) => {
  exitOnConfigError(error);
  console.error(error);
  process.exit(1);
});
