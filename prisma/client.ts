import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@prisma/client';

export type Database = PrismaClient;

/** Creates the Prisma client on the pg driver adapter (no native query engine). Callers own `$disconnect()`. */
export function createDatabase(databaseUrl: string, options: { poolSize?: number } = {}): Database {
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString: databaseUrl, max: options.poolSize ?? 10 }),
  });
}
