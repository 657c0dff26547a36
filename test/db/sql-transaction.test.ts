import pg from 'pg';
import { isTransactionExpired } from '../../api/errors';
import {
  createDatabase,
  DEFAULT_STATEMENT_TIMEOUT_MS,
  sqlRows,
  sqlTransaction,
  TRANSACTION_STEP_TIMEOUT_MS,
  type Database,
} from '../../prisma/client';
import { createTestDatabase, type TestDatabase } from '../support/database';

/** The bound the tests give their transactions: short, so a stuck transaction ends within the test. */
const BOUND_MS = 300;
/** Far longer than the bound: a transaction still running by then was not bounded. */
const NEVER_MS = 20_000;

/** Whether `promise` settled before `ms` passed (false: it was still pending). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = promise.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A plain SQL transaction is bounded by Postgres: one stuck on another session's lock, or left idle, ends with an
 * error the callers answer as "too busy" (the API's 503, an activity's retry), and its connection goes back to the
 * pool, which serves the next query. One connection in the pool: a connection kept by a stuck transaction would
 * leave it nothing to give.
 */
describe('sqlTransaction against a real Postgres', () => {
  let database: TestDatabase;
  let db: Database;
  let other: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDatabase(database.url, { poolSize: 1 });
    other = new pg.Client({ connectionString: database.url });
    await other.connect();
  });
  afterAll(async () => {
    await other?.end();
    await db?.$disconnect();
    await database?.drop();
  });

  it('bounds its statements and its idle time by default, for the transaction only', async () => {
    const inside = await sqlTransaction(db, async (tx) => ({
      statement: (await tx.rows<{ v: string }>(`SELECT current_setting('statement_timeout') AS v`, []))[0]!.v,
      idle: (await tx.rows<{ v: string }>(`SELECT current_setting('idle_in_transaction_session_timeout') AS v`, []))[0]!
        .v,
    }));
    expect(inside).toEqual({
      statement: `${TRANSACTION_STEP_TIMEOUT_MS / 1000}s`,
      idle: `${TRANSACTION_STEP_TIMEOUT_MS / 1000}s`,
    });
    // The same connection (the pool has one) has the connections' own bounds again after the transaction.
    const [after] = await sqlRows<{ statement: string; idle: string }>(
      db,
      `SELECT current_setting('statement_timeout') AS statement, current_setting('idle_in_transaction_session_timeout') AS idle`,
      [],
    );
    const own = `${DEFAULT_STATEMENT_TIMEOUT_MS / 1000}s`;
    expect(after).toEqual({ statement: own, idle: own });
  });

  it('ends a transaction that waits on a lock past its bound, rolls it back, and gives its connection back', async () => {
    await other.query('BEGIN');
    await other.query('LOCK TABLE "Program" IN ACCESS EXCLUSIVE MODE');
    // The transaction's outcome: undefined if it committed, else what it failed with.
    const stuck = sqlTransaction(db, (tx) => tx.write(`DELETE FROM "Program"`, []), { timeoutMs: BOUND_MS }).then(
      () => undefined,
      (e: unknown) => e,
    );
    try {
      // It ends while the other session still holds the lock: Postgres stopped it, nothing else let it go.
      expect(await settlesWithin(stuck, NEVER_MS)).toBe(true);
    } finally {
      await other.query('ROLLBACK');
    }
    const error = await stuck;
    expect((error as { code?: string }).code).toBe('57014');
    expect(isTransactionExpired(error)).toBe(true);

    // The pool's one connection serves the next query and the next transaction.
    await expect(sqlRows(db, 'SELECT 1 AS one', [])).resolves.toEqual([{ one: 1 }]);
    await expect(sqlTransaction(db, (tx) => tx.rows('SELECT count(*)::int AS n FROM "Program"', []))).resolves.toEqual([
      { n: 0 },
    ]);
  });

  it('ends a transaction left idle past its bound, and the pool opens a fresh connection for the next query', async () => {
    const before = (await sqlRows<{ pid: number }>(db, 'SELECT pg_backend_pid() AS pid', []))[0]!.pid;
    const idle = sqlTransaction(
      db,
      async (tx) => {
        await tx.rows('SELECT 1', []);
        // Nothing sent for longer than the bound: Postgres ends the session under the open transaction.
        await new Promise((resolve) => setTimeout(resolve, BOUND_MS * 5));
        return tx.rows('SELECT 2', []);
      },
      { timeoutMs: BOUND_MS },
    );
    const error = await idle.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as { code?: string }).code).toBe('25P03');
    expect(isTransactionExpired(error)).toBe(true);

    // The ended session's connection was released as broken: the next query runs on a new one.
    const after = (await sqlRows<{ pid: number }>(db, 'SELECT pg_backend_pid() AS pid', []))[0]!.pid;
    expect(after).not.toBe(before);
    await expect(sqlTransaction(db, (tx) => tx.rows('SELECT 3 AS three', []))).resolves.toEqual([{ three: 3 }]);
  });
});
