import { execFileSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { devEnv, PROJECT_ROOT } from '../dev/env';
import { startLocalPostgres, type LocalPostgres } from '../dev/postgres';
import { temporalCli, temporalTestServer } from '../dev/temporal-binaries';
import { parseEnv } from '../config/env';
import { ZTestClockEnv } from './support/env';
import { describeJst } from './support/instants';
import { writeWorkflowBundle } from '../worker/bundle';

const TEMPLATE_DB = 'bansou_test_template';

declare global {
  var bansouTestPostgres: LocalPostgres | undefined;
}

const say = (message: string) => process.stderr.write(`[test setup] ${message}\n`);

/**
 * Runs once before all test files: finds the Temporal servers, brings up Postgres (DATABASE_URL's server, or a
 * local cluster kept apart from the dev stack's), migrates a template database and bundles the workflows once.
 */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  // A simulated start that has passed fails here, naming the variable, before anything is set up.
  const { BANSOU_TEST_NOW } = parseEnv(ZTestClockEnv);
  if (BANSOU_TEST_NOW)
    say(`time-skipping servers start at ${describeJst(Date.parse(BANSOU_TEST_NOW))} (BANSOU_TEST_NOW)`);
  const env = devEnv();
  const cli = temporalCli();
  const testServer = temporalTestServer();
  if (cli.type === 'existing-path') process.env.TEMPORAL_CLI_PATH = cli.path;
  if (testServer.type === 'existing-path') process.env.TEMPORAL_TEST_SERVER_PATH = testServer.path;

  let serverUrl: string;
  if (env.DATABASE_URL) {
    serverUrl = env.DATABASE_URL;
    say(`Postgres: using DATABASE_URL's server`);
  } else {
    globalThis.bansouTestPostgres = await startLocalPostgres({
      dataDir: path.join(env.BANSOU_DATA_DIR, 'test-postgres'),
      port: env.BANSOU_PG_PORT + 1,
      logFile: path.join(env.BANSOU_DATA_DIR, 'test-postgres.log'),
    });
    serverUrl = globalThis.bansouTestPostgres.url;
    say(`Postgres: local cluster on port ${globalThis.bansouTestPostgres.port}`);
  }

  const adminUrl = new URL(serverUrl);
  adminUrl.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  try {
    // Databases left by an interrupted run, then a fresh template.
    const { rows } = await admin.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'bansou_test_%'",
    );
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${TEMPLATE_DB}"`);
  } finally {
    await admin.end();
  }
  const templateUrl = new URL(serverUrl);
  templateUrl.pathname = `/${TEMPLATE_DB}`;
  execFileSync(path.join(PROJECT_ROOT, 'node_modules/.bin/prisma'), ['migrate', 'deploy'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      DATABASE_URL: templateUrl.toString(),
      PRISMA_CLIENT_ENGINE_TYPE: 'client',
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });

  const bundlePath = path.join(PROJECT_ROOT, 'test-artifacts', 'workflow-bundle.js');
  // The bundle of a worker with tracing off, as the tests' workers run (the tracing test's worker bundles its own).
  await writeWorkflowBundle(bundlePath, {
    logger: {
      info: () => undefined,
      warn: console.warn,
      error: console.error,
      debug: () => undefined,
      trace: () => undefined,
      log: () => undefined,
    },
  });

  process.env.BANSOU_TEST_PG_URL = serverUrl;
  process.env.BANSOU_TEST_TEMPLATE_DB = TEMPLATE_DB;
  process.env.BANSOU_TEST_WORKFLOW_BUNDLE = bundlePath;
  say(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
