import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@prisma/client';
import type { PoolClient } from 'pg';

export type Database = PrismaClient;

type Transaction = Awaited<ReturnType<Awaited<ReturnType<PrismaPg['connect']>>['startTransaction']>>;

/** The statements with which Prisma ends a transaction before it hands the connection back. */
const TRANSACTION_ENDS = new Set(['COMMIT', 'ROLLBACK']);

/**
 * Prisma ends a transaction by sending COMMIT or ROLLBACK and only then releasing its connection: when the send fails
 * (Postgres went away mid-transaction) the connection is never released, and each outage keeps one of the pool's
 * connections for good. Here a failed end releases it as broken, so the pool opens a fresh one.
 */
function releasingOnFailedEnd(transaction: Transaction): Transaction {
  const connection = (transaction as unknown as { client: PoolClient }).client;
  const executeRaw = transaction.executeRaw.bind(transaction);
  transaction.executeRaw = async (query) => {
    try {
      return await executeRaw(query);
    } catch (error) {
      if (TRANSACTION_ENDS.has(query.sql)) connection.release(error instanceof Error ? error : true);
      throw error;
    }
  };
  return transaction;
}

/** The pg driver adapter, with transactions that give their connection back even when Postgres went away. */
function adapterFor(config: ConstructorParameters<typeof PrismaPg>[0]): PrismaPg {
  const factory = new PrismaPg(config);
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel) => releasingOnFailedEnd(await startTransaction(isolationLevel));
    return adapter;
  };
  return factory;
}

/** Creates the Prisma client on the pg driver adapter (no native query engine). Callers own `$disconnect()`. */
export function createDatabase(databaseUrl: string, options: { poolSize?: number } = {}): Database {
  return new PrismaClient({
    // A Postgres that does not answer fails a request after 5 s (answered as 503) instead of holding it forever.
    adapter: adapterFor({
      connectionString: databaseUrl,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5000,
    }),
  });
}
