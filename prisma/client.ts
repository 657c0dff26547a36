import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@prisma/client';
import pg, { type PoolClient, type QueryResultRow } from 'pg';
import { DEFAULT_STATEMENT_TIMEOUT_MS } from './statement-timeout';

export { DEFAULT_STATEMENT_TIMEOUT_MS };

export type Database = PrismaClient;

type Transaction = Awaited<ReturnType<Awaited<ReturnType<PrismaPg['connect']>>['startTransaction']>>;

/** The statements with which Prisma ends a transaction before it hands the connection back. */
const TRANSACTION_ENDS = new Set(['COMMIT', 'ROLLBACK']);

/**
 * Prisma ends a transaction by sending COMMIT or ROLLBACK and only then releasing its connection: when the send fails
 * (Postgres went away mid-transaction) the connection is never released, and each outage keeps one of the pool's
 * connections for good. Here a failed end releases it as broken, so the pool opens a fresh one. After a statement that
 * got no answer (`isUnanswered`) nothing more is sent on the connection: its ROLLBACK would only wait behind that
 * statement for as long again; the connection is released as broken at once, and Postgres rolls back when it ends.
 */
function releasingOnFailedEnd(transaction: Transaction): Transaction {
  const connection = (transaction as unknown as { client: PoolClient }).client;
  let unanswered: Error | undefined;
  for (const method of ['queryRaw', 'executeRaw'] as const) {
    const send = transaction[method].bind(transaction) as (query: Parameters<Transaction[typeof method]>[0]) => unknown;
    transaction[method] = (async (query: Parameters<Transaction[typeof method]>[0]) => {
      if (unanswered && TRANSACTION_ENDS.has(query.sql)) {
        connection.release(unanswered);
        throw unanswered;
      }
      try {
        return await send(query);
      } catch (error) {
        if (isUnanswered(error)) unanswered ??= error as Error;
        if (TRANSACTION_ENDS.has(query.sql)) connection.release(error instanceof Error ? error : true);
        throw error;
      }
    }) as never;
  }
  return transaction;
}

/** The pg driver adapter, with transactions that give their connection back even when Postgres went away. */
function adapterFor(...args: ConstructorParameters<typeof PrismaPg>): PrismaPg {
  const factory = new PrismaPg(...args);
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel) => releasingOnFailedEnd(await startTransaction(isolationLevel));
    return adapter;
  };
  return factory;
}

/** The pg pool under each client `createDatabase` made: the same connections serve Prisma and plain SQL. */
const pools = new WeakMap<Database, pg.Pool>();

/**
 * How much longer than Postgres's own bound the client waits for an answer to a statement: past that, the server is
 * taken for unreachable (a network partition answers nothing, not even a reset) and the connection is dropped. The
 * margin lets Postgres stop a slow statement first, which leaves the connection sound.
 */
export const READ_TIMEOUT_MARGIN_MS = 5_000;
/**
 * TCP keepalive after this long idle: a connection kept idle in the pool stays open through firewalls and NAT that
 * forget silent flows, and the OS finds out a peer that went away under it (after its own probes: minutes).
 */
const KEEPALIVE_DELAY_MS = 10_000;

/** What pg says when a statement had no answer within the pool's read timeout (`query_timeout`). */
const UNANSWERED = 'Query read timeout';

/** Whether an error (or one it was caused by) is a statement Postgres did not answer within the client's bound. */
export function isUnanswered(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    if (e instanceof Error && e.message.includes(UNANSWERED)) return true;
  }
  return false;
}

export type DatabaseOptions = {
  poolSize?: number;
  /** Postgres's bound on each statement and on a transaction left idle (its `statement_timeout` and idle timeout). */
  statementTimeoutMs?: number;
  /** How long the client waits for an answer before it gives the connection up; by default the above plus a margin. */
  readTimeoutMs?: number;
};

/**
 * Creates the Prisma client on the pg driver adapter (no native query engine). Callers own `$disconnect()`. Prisma and
 * plain SQL share one pool, so every statement either sends is bounded the same way: by Postgres
 * (`statementTimeoutMs`, set for each connection when it opens), and by the client, which gives up a statement that
 * has no answer after `readTimeoutMs` (a partitioned network) and drops its connection.
 */
export function createDatabase(databaseUrl: string, options: DatabaseOptions = {}): Database {
  const statementTimeoutMs = Math.max(1, Math.round(options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS));
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.poolSize ?? 10,
    // A Postgres that does not answer fails a request after 5 s (answered as 503) instead of holding it forever.
    connectionTimeoutMillis: 5000,
    statement_timeout: statementTimeoutMs,
    idle_in_transaction_session_timeout: statementTimeoutMs,
    // A statement sent on a connection that goes silent fails after this (pg-pool then drops the connection).
    query_timeout: options.readTimeoutMs ?? statementTimeoutMs + READ_TIMEOUT_MARGIN_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
  });
  const db = new PrismaClient({ adapter: adapterFor(pool, { disposeExternalPool: true }) });
  // Prisma disposes of the pool only when it has connected its adapter: a client used only through `sqlRows` would
  // keep its connections open (and the process alive) after `$disconnect()`.
  const disconnect = db.$disconnect.bind(db);
  db.$disconnect = async () => {
    await disconnect();
    if (!pool.ended) await pool.end();
  };
  pools.set(db, pool);
  return db;
}

/**
 * Values as Prisma reads them: \`timestamp\` columns (Prisma's \`DateTime\`, kept without a zone) and dates are UTC,
 * \`bigint\` ids are bigints. pg's own parsers would read the first two in the process's time zone.
 */
const PARSERS: Record<number, (text: string) => unknown> = {
  1114: (text) => new Date(`${text.replace(' ', 'T')}Z`),
  1082: (text) => new Date(`${text}T00:00:00Z`),
  20: (text) => BigInt(text),
};
const types = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    (format ?? 'text') === 'text' && PARSERS[oid] ? PARSERS[oid] : pg.types.getTypeParser(oid, format ?? 'text'),
} as pg.CustomTypesConfig;

/** Statements prepared by name at most, per process (each connection prepares those it runs). */
const PREPARED_STATEMENTS = 200;
const statementNames = new Map<string, string>();

/**
 * The name a statement is prepared under: each connection parses and plans it once, then only binds and runs it.
 * The same text has the same name in the whole process; past `PREPARED_STATEMENTS` texts, the others stay unnamed
 * (parsed every time), so a statement built from many combinations of filters cannot grow each connection without end.
 */
function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < PREPARED_STATEMENTS) {
    name = `bansou_${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return name;
}

/** The pg pool under a client `createDatabase` made (its options are the connections' settings). */
export function poolOf(db: Database): pg.Pool {
  const pool = pools.get(db);
  if (!pool) throw new Error('plain SQL needs a client made by createDatabase');
  return pool;
}

/** Runs one statement on the pool (or on one of its connections), prepared by name. */
async function query<R extends QueryResultRow>(on: pg.Pool | PoolClient, text: string, values: unknown[]) {
  const name = statementName(text);
  return on.query<R>({ text, values, types, ...(name ? { name } : {}) });
}

/**
 * Plain SQL on the client's own pool, for the hot paths where Prisma's query compiler and client runtime cost several
 * times the query itself (\`npm run bench -- --only queries\`), as prepared statements. Rows come back as Prisma would
 * give them (a write's with \`RETURNING\`). Instants go in as \`toISOString()\` text: pg would write a \`Date\` in the
 * process's time zone, which a \`timestamp\` column (Prisma's \`DateTime\`, kept in UTC) takes without its offset.
 */
export async function sqlRows<R extends QueryResultRow>(db: Database, text: string, values: unknown[]): Promise<R[]> {
  return (await query<R>(poolOf(db), text, values)).rows;
}

/** A write in plain SQL, as \`sqlRows\`; how many rows it wrote. */
export async function sqlWrite(db: Database, text: string, values: unknown[]): Promise<number> {
  return (await query(poolOf(db), text, values)).rowCount ?? 0;
}

/** Statements in one transaction, as \`sqlRows\` and \`sqlWrite\` run them. */
export type SqlTransaction = {
  rows<R extends QueryResultRow>(text: string, values: unknown[]): Promise<R[]>;
  write(text: string, values: unknown[]): Promise<number>;
};

/**
 * How long a statement of \`sqlTransaction\` may run, and how long its transaction may sit idle between statements,
 * unless the caller says otherwise. What runs in one (the read-model sync: five or six statements on one match's rows)
 * takes milliseconds; on the most loaded machine measured (load 20–27) a registration's dozen statements in a row took
 * 1.5–5.7 s together (docs/performance-log.md). 10 s is a third of the sync activity's start-to-close timeout, so a
 * transaction stuck on a lock ends, and lets its locks go, before Temporal would try the activity again.
 */
export const TRANSACTION_STEP_TIMEOUT_MS = 10_000;

/**
 * Runs \`work\` in one transaction on a connection of the client's pool: committed when it returns, rolled back when it
 * throws. A connection whose COMMIT or ROLLBACK failed (Postgres went away) is released as broken, never reused.
 *
 * Postgres bounds the transaction: a statement that runs (or waits on a lock) past \`timeoutMs\` is stopped (SQLSTATE
 * 57014) and the transaction rolled back, and a transaction left idle that long is ended with its session (25P03; the
 * connection is released as broken). Either way the connection goes back to the pool and the caller gets an error
 * that \`isTransactionExpired\` (api/errors.ts) knows: the API answers 503, an activity is tried again.
 */
export async function sqlTransaction<T>(
  db: Database,
  work: (tx: SqlTransaction) => Promise<T>,
  { timeoutMs = TRANSACTION_STEP_TIMEOUT_MS }: { timeoutMs?: number } = {},
): Promise<T> {
  const bound = Math.max(1, Math.round(timeoutMs));
  const connection = await poolOf(db).connect();
  // A connection handed out has no listener of the pool's: Postgres going away mid-transaction would be an unhandled
  // 'error' event (the process ends). The statement in flight fails with it, and the connection goes back as broken.
  let lost: Error | undefined;
  const onLost = (error: Error) => {
    // The first says why (the server's own error, when it sent one); "terminated unexpectedly" follows it.
    lost ??= error;
  };
  connection.on('error', onLost);
  // A session Postgres ended (the idle bound) fails the next statement as "not queryable": say why instead.
  const run = async <R extends QueryResultRow>(text: string, values: unknown[]) => {
    try {
      return await query<R>(connection, text, values);
    } catch (error) {
      throw lost ?? error;
    }
  };
  const tx: SqlTransaction = {
    rows: async <R extends QueryResultRow>(text: string, values: unknown[]) => (await run<R>(text, values)).rows,
    write: async (text, values) => (await run(text, values)).rowCount ?? 0,
  };
  const release = (error?: unknown) => {
    connection.removeListener('error', onLost);
    connection.release(error === undefined ? lost : error instanceof Error ? error : true);
  };
  let result: T;
  try {
    // One round trip: the bounds are the transaction's own (SET LOCAL), the connection's defaults come back after it.
    await connection.query(
      `BEGIN; SET LOCAL statement_timeout = ${bound}; SET LOCAL idle_in_transaction_session_timeout = ${bound}`,
    );
    result = await work(tx);
  } catch (error) {
    // A statement that got no answer is still the connection's: a ROLLBACK would wait behind it as long again. The
    // connection is dropped instead, and Postgres rolls the transaction back when the session ends.
    if (isUnanswered(error)) release(error);
    else await connection.query('ROLLBACK').then(() => release(), release);
    throw error;
  }
  try {
    await connection.query('COMMIT');
  } catch (error) {
    release(error);
    throw lost ?? error;
  }
  release();
  return result;
}

/**
 * One write statement, as `sqlRows`, that Postgres stops (and rolls back) after `timeoutMs` (error 57014), as a Prisma
 * transaction ends after its timeout: a write that waits on a lock answers in bounded time. The bound is set for the
 * statement's own transaction (three round trips on one connection).
 */
export function sqlRowsWithin<R extends QueryResultRow>(
  db: Database,
  timeoutMs: number,
  text: string,
  values: unknown[],
): Promise<R[]> {
  return sqlTransaction(db, (tx) => tx.rows<R>(text, values), { timeoutMs });
}
