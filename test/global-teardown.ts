import pg from 'pg';

/** Drops the template database and stops the local Postgres cluster if the setup started it. */
export default async function globalTeardown(): Promise<void> {
  const serverUrl = process.env.BANSOU_TEST_PG_URL;
  if (serverUrl) {
    const adminUrl = new URL(serverUrl);
    adminUrl.pathname = '/postgres';
    const admin = new pg.Client({ connectionString: adminUrl.toString() });
    await admin.connect();
    const { rows } = await admin.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'bansou_test_%'",
    );
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await admin.end();
  }
  await globalThis.bansouTestPostgres?.stop();
}
