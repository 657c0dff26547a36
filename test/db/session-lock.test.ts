import pg from 'pg';
import { createDatabase, type Database } from '../../prisma/client';
import { SessionLock } from '../../prisma/session-lock';
import { createTestDatabase, type TestDatabase } from '../support/database';

/**
 * The reconciler's leader among API replicas: one process holds the lock at a time, keeps it while its session lives,
 * and another takes it over when the holder stops or its session ends. Two clients stand for two API processes.
 */
describe('SessionLock against a real Postgres', () => {
  let database: TestDatabase;
  let dbs: Database[];
  let admin: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    dbs = [createDatabase(database.url, { poolSize: 1 }), createDatabase(database.url, { poolSize: 1 })];
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await Promise.all((dbs ?? []).map((db) => db.$disconnect()));
    await database?.drop();
  });

  /** The backends holding the advisory lock of this name. */
  const holdersOf = async (name: string) =>
    (
      await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = hashtext($1)::oid`,
        [name],
      )
    ).rows.map((r) => r.pid);

  it('is held by one process at a time, kept while its session lives, and taken over when it ends', async () => {
    const [a, b] = [new SessionLock(dbs[0]!, 'test:leader'), new SessionLock(dbs[1]!, 'test:leader')];
    const other = new SessionLock(dbs[1]!, 'test:another-job');
    try {
      expect(await a.held()).toBe(true);
      expect(await b.held()).toBe(false);
      // The holder keeps it on every later ask; another lock's name is another lock.
      expect(await a.held()).toBe(true);
      expect(await b.held()).toBe(false);
      expect(await other.held()).toBe(true);
      expect(await holdersOf('test:leader')).toHaveLength(1);
      expect(await holdersOf('test:another-job')).toHaveLength(1);

      // The holder's session ended by the server (a restart, a dropped connection): the lock is free, the other takes
      // it at its next ask, and the first finds out it lost it.
      const [holder] = await holdersOf('test:leader');
      // (waits until that backend has ended, so its locks are gone)
      await admin.query('SELECT pg_terminate_backend($1, 5000)', [holder]);
      expect(await b.held()).toBe(true);
      expect(await a.held()).toBe(false);

      // A holder that stops hands it on.
      await b.release();
      expect(await a.held()).toBe(true);
      expect(await b.held()).toBe(false);
    } finally {
      await Promise.all([a.release(), b.release(), other.release()]);
    }
    expect(await holdersOf('test:leader')).toEqual([]);
  });
});
