import { RETRY_AFTER_SECONDS } from '../../api/errors';
import { addNoteUpdate, matchWorkflowId } from '../../workflows/shared';
import { eventually } from '../support/eventually';
import { matchRequest } from '../support/fixtures';
import { captureLog } from '../support/logs';
import { createDevStack, type DevStack } from '../support/stack';

/** Postgres's bound on a statement and the client's on an answer, for the API's and the worker's pools here. */
const BOUNDS = { statementTimeoutMs: 1000, readTimeoutMs: 2000 };
/**
 * Far past the bounds and the pool's 5 s to open a connection: a request unanswered by then was not bounded (unbounded,
 * it waits for the OS to give the connection up, minutes; through the loopback proxy, for ever).
 */
const NEVER_MS = 20_000;
/** The sync activity's start-to-close timeout: an attempt that fails before it failed by itself. */
const SYNC_START_TO_CLOSE_MS = 30_000;

/** An answer to a request; status 0 when none came within NEVER_MS. */
type Answer = { what: string; status: number; retryAfter: string | null; type: string | null };

/**
 * A network partition between bansou and Postgres: the proxy stops carrying bytes either way and closes nothing (no
 * reset, no reply), on the connections the pools keep open and on new ones. Each statement is bounded by the client
 * (its read timeout) as well as by Postgres, so a request answers 503 instead of waiting for the OS's TCP timeouts,
 * the worker's activity fails and is tried again, and the dropped connections are replaced once the network heals.
 */
describe('Postgres partitioned away: a real Postgres behind a proxy that swallows traffic', () => {
  let stack: DevStack;
  const api = captureLog('api');

  beforeAll(async () => {
    stack = await createDevStack({ cuttablePostgres: true, databaseBounds: BOUNDS, log: api.log });
  });
  afterAll(async () => {
    stack?.postgres?.heal();
    await stack?.close();
  });

  /** A request to the API, answered or given up at NEVER_MS. */
  async function send(method: string, path: string, body?: unknown): Promise<Answer> {
    const what = `${method} ${path}`;
    try {
      const res = await fetch(`${stack.api.url}${path}`, {
        method,
        headers: { ...stack.adminHeaders, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(NEVER_MS),
      });
      await res.arrayBuffer();
      return {
        what,
        status: res.status,
        retryAfter: res.headers.get('retry-after'),
        type: res.headers.get('content-type'),
      };
    } catch {
      return { what, status: 0, retryAfter: null, type: null };
    }
  }

  it('answers 503 within the bound while partitioned, retries the worker’s activity, and loses nothing once healed', async () => {
    const a = await stack.createMatch();
    const handle = stack.env.client.workflow.getHandle(matchWorkflowId(a.id));
    const notes = async () =>
      (await stack.database.db.matchEvent.findMany({ where: { matchId: a.id, type: 'note.added' } })).map(
        (e) => (e.payload as { text: string }).text,
      );
    // Connections in use a moment ago, kept open by both pools: the partition takes them as they are.
    expect((await send('POST', `/matches/${a.id}/notes`, { text: '分断前のメモ' })).status).toBe(200);
    await eventually(async () => (await notes()).includes('分断前のメモ'));
    expect((await send('GET', '/matches')).status).toBe(200);
    const registration = matchRequest(stack.programId);

    stack.postgres!.partition();
    let during: Answer[];
    try {
      // The worker's read-model sync of a note taken by the workflow (Temporal is up) waits on Postgres meanwhile.
      await handle.executeUpdate(addNoteUpdate, { args: [{ text: '分断中のメモ', sentiment: 3 }] });
      // Plain SQL reads and writes, and Prisma's (the escalations and programs lists), through the same pools.
      during = await Promise.all([
        send('GET', '/matches'),
        send('GET', `/matches/${a.id}`),
        send('GET', '/escalations'),
        send('GET', '/programs'),
        send('POST', `/matches/${a.id}/notes`, { text: '分断中に送ったメモ' }),
        send('POST', '/matches', registration),
      ]);
      // The sync's attempt failed by itself (no answer within the bound), before Temporal's timeout, and is tried again.
      const attempt = async () =>
        (await handle.describe()).raw.pendingActivities?.find((p) => p.activityType?.name === 'syncMatch');
      await eventually(async () => ((await attempt())?.attempt ?? 0) >= 2, { timeoutMs: SYNC_START_TO_CLOSE_MS });
      expect((await attempt())?.lastFailure?.message).not.toMatch(/timeout/i);
      expect(await notes()).not.toContain('分断中のメモ');
    } finally {
      stack.postgres!.heal();
    }

    for (const answer of during) {
      expect(answer).toMatchObject({
        status: 503,
        retryAfter: String(RETRY_AFTER_SECONDS),
        type: expect.stringMatching(/^application\/problem\+json/),
      });
    }

    // Healed, with nothing restarted: the dropped connections are replaced, every request works again (more of them
    // than a pool has connections), and the same requests sent again are carried out once.
    for (let i = 0; i < 8; i++) expect((await send('GET', `/matches/${a.id}`)).status).toBe(200);
    expect((await send('POST', `/matches/${a.id}/notes`, { text: '分断中に送ったメモ' })).status).toBe(200);
    // The registration refused during the partition left nothing behind: sent again, it registers the match.
    const registered = await stack.api.request('POST', '/matches', registration);
    expect(registered.status).toBe(201);
    await eventually(async () => (await stack.state(registered.body.match.id)).matchId === registered.body.match.id);
    // The worker's sync is tried again and writes the note taken meanwhile: nothing of it lost, nothing doubled.
    await eventually(async () => (await notes()).includes('分断中のメモ'), { timeoutMs: 60_000 });
    await eventually(async () => (await notes()).includes('分断中に送ったメモ'));
    expect((await notes()).sort()).toEqual(['分断中のメモ', '分断中に送ったメモ', '分断前のメモ'].sort());

    // Said to the callers, logged as a dependency down: no unhandled errors.
    expect(api.lines.filter((l) => l.level === 'error' || /unhandled/.test(l.msg))).toEqual([]);
    expect(api.lines.some((l) => l.msg === 'dependency unavailable')).toBe(true);
  });
});
