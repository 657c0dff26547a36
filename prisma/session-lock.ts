import pg from 'pg';
import { poolOf, type Database } from './client';

/**
 * Postgres probes a silent client of the lock's session after 10 s idle, every 10 s, and ends the session after three
 * probes unanswered: a holder that went away without closing its connection (a crash with the network cut, a
 * partition) frees the lock within about a minute, not after the server's default of two hours.
 */
const SERVER_KEEPALIVES = '-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3';

/**
 * A Postgres session-level advisory lock held by one process at a time: how replicas of the API pick the one that runs
 * a job no two of them need to run. It is taken on a connection of its own (not one of the pool's) and held for as
 * long as that connection lives; Postgres frees it when the session ends, so a holder that stops or dies hands it on
 * to whichever replica asks next.
 */
export class SessionLock {
  private client: pg.Client | undefined;

  constructor(
    private readonly db: Database,
    private readonly key: string,
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
      } catch {
        this.drop(holding);
      }
    }
    const client = new pg.Client({ ...poolOf(this.db).options, options: SERVER_KEEPALIVES });
    // An 'error' event on an idle connection would otherwise end the process.
    client.on('error', () => this.drop(client));
    try {
      await client.connect();
      const { rows } = await client.query<{ taken: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS taken', [
        this.key,
      ]);
      if (rows[0]?.taken) {
        this.client = client;
        return true;
      }
    } catch {
      // Postgres unreachable: not held, asked again next time.
    }
    this.drop(client);
    return false;
  }

  /** Gives the lock up, then ends its session. */
  async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [this.key]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }

  private drop(client: pg.Client): void {
    if (this.client === client) this.client = undefined;
    client.end().catch(() => undefined);
  }
}
