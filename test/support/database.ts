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

/**
 * `CREATE DATABASE … TEMPLATE` fails while any session is connected to the template, and Postgres' own autovacuum
 * connects to it now and then; such a moment passes within a second, so the copy is tried again.
 */
async function copyTemplate(name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await admin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${testEnv().BANSOU_TEST_TEMPLATE_DB}"`));
      return;
    } catch (error) {
      const objectInUse = (error as { code?: string }).code === '55006';
      if (!objectInUse || attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
}

/** A fresh database with every migration applied, copied from the template the global setup migrated. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `bansou_test_${randomBytes(6).toString('hex')}`;
  await copyTemplate(name);
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
