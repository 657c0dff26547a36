import { exitOnConfigError } from '../config/env';
import { KeyRing } from '../config/key-ring';
import { createMailTransport } from '../activities/mail/transport';
import { sealStoredEndpointSecrets } from '../activities/webhooks/endpoint-secrets';
import { createDatabase } from '../prisma/client';
import { createLog } from '../telemetry/log';
import { startTracing } from '../telemetry/tracing';
import { checkTemporalTls, lazyClient, temporalSettings } from '../temporal/connection';
import { dataConverter } from '../temporal/data-converter';
import { createApp } from './app';
import { loadApiEnv } from './env';
import { startAnswerRelay } from './services/checkins';
import { startRegistrationReconciler } from './services/reconciler';

/** The API process: `npm run api`, configured only by environment variables. */
async function main(): Promise<void> {
  const env = loadApiEnv();
  const log = createLog({ service: 'api', level: env.LOG_LEVEL });
  // Before the server listens: its requests are the traces' roots.
  const tracing = startTracing({ service: 'api', endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, http: true, log });
  const temporalAt = temporalSettings(env);
  // A certificate Temporal refuses stops the API here, with the variable named; Temporal down does not.
  await checkTemporalTls(temporalAt);
  const db = createDatabase(env.DATABASE_URL, { statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_SECONDS * 1000 });
  const smtp = createMailTransport(env.SMTP_URL);
  const keys = new KeyRing(env.PAYLOAD_ENCRYPTION_KEYS);
  sealStoredEndpointSecrets(db, keys, log);
  // Connect lazily so the API starts (and /healthz can say what is down) even while Temporal is still starting.
  const converter = dataConverter(env.PAYLOAD_ENCRYPTION_KEYS);
  const temporal = lazyClient(temporalAt, converter, { traced: tracing.on });
  let stopping = false;
  const app = createApp({
    db,
    temporal,
    taskQueue: temporalAt.taskQueue,
    keys,
    links: {
      publicBaseUrl: env.PUBLIC_BASE_URL,
      signingSecret: env.SIGNING_SECRET,
      ...(env.SIGNING_SECRET_PREVIOUS ? { previousSigningSecret: env.SIGNING_SECRET_PREVIOUS } : {}),
    },
    apiRateLimit: env.API_RATE_LIMIT,
    apiKeyCacheMs: env.API_KEY_CACHE_SECONDS * 1000,
    webhookLoopbackHttp: env.WEBHOOK_ALLOW_LOOPBACK_HTTP,
    pageRateLimit: env.PAGE_RATE_LIMIT,
    log,
    stopping: () => stopping,
    codec: { codecs: converter.payloadCodecs ?? [], uiOrigins: env.TEMPORAL_UI_ORIGIN ?? [] },
    checkSmtp: async () => {
      await smtp.verify();
    },
  });
  // Answers saved while Temporal was unreachable reach their workflow as soon as it is back.
  const stopRelay = startAnswerRelay(db, temporal, { log: log.child({ component: 'answer-relay' }) });
  // Registrations a failure left halfway are finished; a running match workflow without its row gets it back.
  const stopReconciler = startRegistrationReconciler(
    { db, temporal, taskQueue: temporalAt.taskQueue },
    { log: log.child({ component: 'registration-reconciler' }) },
  );
  const server = app.listen(env.PORT, env.HOST, () => {
    log.info({ url: `http://${env.HOST}:${env.PORT}` }, 'bansou api: listening');
  });
  // SIGTERM: /readyz says stopping, no new connections are taken, requests in flight finish; whatever is still open
  // at SHUTDOWN_TIMEOUT_SECONDS is cut off, so the process always ends in bounded time.
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'bansou api: stopping');
    stopRelay();
    const reconcilerStopped = stopReconciler();
    // Closing the connections to Temporal, Postgres and SMTP is bounded too.
    setTimeout(() => process.exit(1), (env.SHUTDOWN_TIMEOUT_SECONDS + 5) * 1000).unref();
    const deadline = setTimeout(() => {
      log.warn('bansou api: requests still open at the shutdown deadline; closing them');
      server.closeAllConnections();
    }, env.SHUTDOWN_TIMEOUT_SECONDS * 1000);
    server.close(async () => {
      clearTimeout(deadline);
      // The reconciler's lock is given up before the connections close.
      await reconcilerStopped;
      await temporal.connection.close();
      smtp.close();
      await db.$disconnect();
      await tracing.shutdown();
      log.info('bansou api: stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  exitOnConfigError(error);
  createLog({ service: 'api' }).error({ err: error }, 'bansou api: could not start');
  process.exit(1);
});
