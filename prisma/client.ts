import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@prisma/client';

export type Database = PrismaClient;

/** Creates the Prisma client on the pg driver adapter (no native query engine). Callers own `$disconnect()`. */
export function createDatabase(databaseUrl: string, options: { poolSize?: number } = {}): Database {
  return new PrismaClient({
    // A Postgres that does not answer fails a request after 5 s (answered as 503) instead of holding it forever.
    adapter: new PrismaPg({
      connectionString: databaseUrl,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5000,
    }),
  });
}
