import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDatabase, type Database } from '../../prisma/client';
import { testEnv } from './env';

export type TestDatabase = { url: string; db: Database; drop(): Promise<void> };

function urlFor(database: string): string {
  const url = new URL(testEnv().BANSOU_TEST_PG_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: urlFor('postgres') });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** A fresh database with every migration applied, copied from the template the global setup migrated. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `bansou_test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${testEnv().BANSOU_TEST_TEMPLATE_DB}"`));
  const url = urlFor(name);
  const db = createDatabase(url, { poolSize: 5 });
  return {
    url,
    db,
    drop: async () => {
      await db.$disconnect();
      await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
