import { createDatabase, type Database } from '../../prisma/client';
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
    db = createDatabase(proxied.toString(), { poolSize: 1 });
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
});
