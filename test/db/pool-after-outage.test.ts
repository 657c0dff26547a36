import { isDatabaseUnavailable } from '../../api/errors';
import { createDatabase, isUnanswered, sqlRows, sqlTransaction, type Database } from '../../prisma/client';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';

/**
 * A transaction open when Postgres goes away must give its connection back to the pool. Prisma closes a transaction
 * by sending ROLLBACK (or COMMIT) and only then releasing the connection; on a dead connection that send fails and
 * the connection stayed checked out for good, so each outage took one connection from the pool until none was left.
 */
describe('the database pool after an outage', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let db: Database;

  beforeAll(async () => {
    database = await createTestDatabase();
    const direct = new URL(database.url);
    proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port) });
    const proxied = new URL(database.url);
    proxied.host = proxy.address;
    // One connection: a connection kept by a broken transaction leaves the pool nothing to give.
    db = createDatabase(proxied.toString(), { poolSize: 1, statementTimeoutMs: 500, readTimeoutMs: 1000 });
  });
  afterAll(async () => {
    await proxy?.restore();
    await db?.$disconnect();
    await proxy?.close();
    await database?.drop();
  });

  it('gets back the connection of a transaction that the outage broke, so the next query after it works', async () => {
    for (let outage = 1; outage <= 2; outage++) {
      await expect(
        db.$transaction(async (tx) => {
          await tx.program.count();
          await proxy.cut();
          await tx.program.count();
        }),
      ).rejects.toThrow();
      await proxy.restore();
      await expect(db.program.count()).resolves.toBe(0);
    }
  });

  it('gives up a statement the partitioned server never answers, drops its connection, and opens a fresh one', async () => {
    const outcome = (work: Promise<unknown>) =>
      work.then(
        () => undefined,
        (e: unknown) => e,
      );
    for (const unanswered of [
      // Prisma, alone and in a transaction (whose ROLLBACK is not sent after it), and plain SQL, alone and in one.
      () => db.program.count(),
      () => db.$transaction(async (tx) => tx.program.count()),
      () => sqlRows(db, 'SELECT 1', []),
      () => sqlTransaction(db, (tx) => tx.rows('SELECT 1', [])),
    ]) {
      await expect(db.program.count()).resolves.toBe(0);
      proxy.partition();
      let error: unknown;
      try {
        error = await outcome(unanswered());
      } finally {
        proxy.heal();
      }
      expect(isUnanswered(error)).toBe(true);
      // Answered by the API as "the database cannot be reached" (503).
      expect(isDatabaseUnavailable(error)).toBe(true);
      // The pool's one connection was dropped, not handed out again with the statement still pending on it.
      await expect(sqlRows(db, 'SELECT 2 AS two', [])).resolves.toEqual([{ two: 2 }]);
    }
  });
});
