import pg from 'pg';
import { reasonOf, silentLog, type Log } from '../telemetry/log';
import { poolOf, type Database } from './client';

/**
 * Postgres probes a silent client of the lock's session after 10 s idle, every 10 s, and ends the session after three
 * probes unanswered: a holder that went away without closing its connection (a crash with the network cut, a
 * partition) frees the lock within about 40 s, not after the server's default of two hours. Set once connected (not
 * as startup parameters, which a pooler may refuse and a `DATABASE_URL` with its own `options` would override).
 */
const SERVER_KEEPALIVES =
  'SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 10; SET tcp_keepalives_count = 3';

/**
 * A Postgres session-level advisory lock held by one process at a time: how replicas of the API pick the one that runs
 * a job no two of them need to run. It is taken on a connection of its own (not one of the pool's) and held for as
 * long as that connection lives; Postgres frees it when the session ends, so a holder that stops or dies hands it on
 * to whichever replica asks next. The connection must reach Postgres itself or a pooler in session mode: in transaction
 * mode a session's lock means nothing.
 */
export class SessionLock {
  private client: pg.Client | undefined;
  private closed = false;
  /** The last failure to take the lock, logged once until it changes. */
  private lastFailure: string | undefined;

  constructor(
    private readonly db: Database,
    private readonly key: string,
    private readonly log: Log = silentLog,
  ) {}

  /**
   * Whether this process holds the lock now: a connection that holds it is checked to be still there (a session
   * ended by the server, or a statement with no answer, loses it); without one, the lock is asked for once.
   */
  async held(): Promise<boolean> {
    const holding = this.client;
    if (holding) {
      try {
        await holding.query('SELECT 1');
        return true;
      } catch (error) {
        this.log.warn({ reason: reasonOf(error) }, 'the connection holding the lock is gone');
        this.drop(holding);
      }
    }
    if (this.closed) return false;
    const client = new pg.Client(poolOf(this.db).options);
    // An 'error' event on an idle connection would otherwise end the process.
    client.on('error', () => this.drop(client));
    try {
      await client.connect();
      await client.query(SERVER_KEEPALIVES);
      const { rows } = await client.query<{ taken: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS taken', [
        this.key,
      ]);
      this.lastFailure = undefined;
      // Closed meanwhile (the process is stopping): the lock is not kept.
      if (rows[0]?.taken && !this.closed) {
        this.client = client;
        return true;
      }
    } catch (error) {
      const reason = reasonOf(error);
      if (reason !== this.lastFailure)
        this.log.warn({ reason }, 'could not ask Postgres for the lock; asking again later');
      this.lastFailure = reason;
    }
    this.drop(client);
    return false;
  }

  /** Gives the lock up, then ends its session; it may be asked for again. */
  async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [this.key]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }

  /** Gives the lock up for good: an ask in flight does not keep it either. */
  async close(): Promise<void> {
    this.closed = true;
    await this.release();
  }

  private drop(client: pg.Client): void {
    if (this.client === client) this.client = undefined;
    client.end().catch(() => undefined);
  }
}
