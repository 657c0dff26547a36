import { Client, type Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import pg from 'pg';
import pino from 'pino';
import { createApp } from '../../api/app';
import { lazyConnection } from '../../temporal/client-connection';
import { RETRY_AFTER_SECONDS } from '../../api/errors';
import { TEMPORAL_DEADLINE_MS } from '../../api/services/actions';
import { ZCreateMatchRequest } from '../../api/services/matches';
import { reconcileRegistrations, startRegistrationReconciler } from '../../api/services/reconciler';
import { requestHash, storeMatch } from '../../api/services/registration';
import { currentPlaybook } from '../../api/services/playbooks';
import { matchIdFor, matchWorkflowId, searchAttributes } from '../../workflows/shared';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually } from '../support/eventually';
import { ALWAYS_SEND, importCsv, matchRequest, seedMatch, seedProgram } from '../support/fixtures';
import { freeServerPort, serve, type TestServer } from '../support/http';
import { keyHeaders } from '../support/keys';
import type { ReceivedEmail } from '../support/smtp';
import { createDevStack, type DevStack } from '../support/stack';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { createDevServerEnv, testDataConverter, testKeyRing } from '../support/temporal';

/** Longer than a Prisma transaction may last (5 s). */
const TRANSACTION_OUTLIVED_MS = 7_000;

const LINKS = { publicBaseUrl: 'http://bansou.test', signingSecret: 'test-signing-secret-test-signing-secret' };

/** The match id of a request: the program's own id, within the program. */
const idOf = (request: { programId: string; id: string }) => matchIdFor(request.programId, request.id);

describe('registering while Temporal is stopped or Postgres too busy (a real dev server, killed, then started again; a real lock)', () => {
  let temporal: TestWorkflowEnvironment;
  let port: number;
  let connection: Connection;
  let database: TestDatabase;
  let api: TestServer;
  let programId: string;

  beforeAll(async () => {
    port = await freeServerPort();
    [temporal, database] = await Promise.all([createDevServerEnv({ port }), createTestDatabase()]);
    // The API's own client, as api/main.ts makes it: lazy, on the server's address.
    connection = lazyConnection({ address: `127.0.0.1:${port}` });
    programId = (await seedProgram(database.db, undefined, undefined, ALWAYS_SEND)).id;
    api = await serve(
      createApp({
        db: database.db,
        temporal: new Client({ connection }),
        taskQueue: 'nobody-runs-these',
        keys: testKeyRing(),
        links: LINKS,
        checkSmtp: async () => undefined,
      }),
      { headers: await keyHeaders(database.db, 'admin') },
    );
  });
  afterAll(async () => {
    await api?.close();
    await connection?.close();
    await Promise.all([temporal?.teardown(), database?.drop()]);
  });

  it('POST /matches and the CSV import answer 503 with Retry-After within the deadline, store nothing, and work once it is back', async () => {
    expect((await api.request('POST', '/matches', matchRequest(programId))).status).toBe(201);
    await temporal.teardown();

    const body = matchRequest(programId);
    let started = Date.now();
    const refused = await api.request('POST', '/matches', body);
    const registerMs = Date.now() - started;
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe(String(RETRY_AFTER_SECONDS));
    expect(refused.body.detail).toContain('not registered');
    expect(registerMs).toBeLessThan(TEMPORAL_DEADLINE_MS);

    const ids = [`${body.id}-csv1`, `${body.id}-csv2`];
    started = Date.now();
    const imported = await api.request('POST', '/imports/matches', importCsv(programId, ids), {
      'content-type': 'text/csv',
    });
    const importMs = Date.now() - started;
    expect(imported.status).toBe(503);
    expect(imported.headers.get('retry-after')).toBe(String(RETRY_AFTER_SECONDS));
    expect(importMs).toBeLessThan(TEMPORAL_DEADLINE_MS);

    // Nothing half-registered: no row, no person, for either.
    await expect(
      database.db.match.count({ where: { id: { in: [body.id, ...ids].map((id) => matchIdFor(programId, id)) } } }),
    ).resolves.toBe(0);
    await expect(database.db.person.count({ where: { email: body.host.email } })).resolves.toBe(0);

    // Temporal comes back where it was; the same API, not restarted, registers both.
    temporal = await createDevServerEnv({ port });
    await eventually(async () => (await api.request('POST', '/matches', body)).status === 201, { timeoutMs: 30_000 });
    const again = await api.request('POST', '/imports/matches', importCsv(programId, ids), {
      'content-type': 'text/csv',
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ created: ids.map((id) => matchIdFor(programId, id)), existing: [] });
    for (const id of [body.id, ...ids]) {
      const handle = temporal.client.workflow.getHandle(matchWorkflowId(matchIdFor(programId, id)));
      expect((await handle.describe()).status.name).toBe('RUNNING');
    }
    console.log(
      `Temporal stopped: 503 for POST /matches after ${registerMs} ms, for the CSV import after ${importMs} ms`,
    );
  });

  it('answers 503 with Retry-After when its transaction cannot finish in time, keeps nothing of it, and registers the match when asked again', async () => {
    const body = matchRequest(programId);
    // Another session holds a lock that keeps new matches from being written, longer than a transaction may last.
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('LOCK TABLE "Match" IN SHARE ROW EXCLUSIVE MODE');
      const answer = api.request('POST', '/matches', body);
      await new Promise((resolve) => setTimeout(resolve, TRANSACTION_OUTLIVED_MS));
      await other.query('ROLLBACK');
      const refused = await answer;
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe(String(RETRY_AFTER_SECONDS));
      expect(refused.body.detail).toContain('too busy');
      expect(JSON.stringify(refused.body)).not.toMatch(/prisma|transaction|stack/i);
    } finally {
      await other.end();
    }

    // The transaction was rolled back: no match, no person.
    await expect(database.db.match.count({ where: { id: matchIdFor(programId, body.id) } })).resolves.toBe(0);
    await expect(database.db.person.count({ where: { email: body.host.email } })).resolves.toBe(0);

    // The same request again, now that the database has time: registered.
    expect((await api.request('POST', '/matches', body)).status).toBe(201);
    await expect(database.db.match.count({ where: { id: matchIdFor(programId, body.id) } })).resolves.toBe(1);
  });
});

describe('registering is idempotent end to end, and rows and workflows are reconciled', () => {
  let stack: DevStack;
  let proxy: TcpProxy;
  let connection: Connection;
  /** The API, with its Temporal connection through a proxy that can lose replies. */
  let api: TestServer;
  const template = (e: ReceivedEmail) => String(e.mail.headers.get('x-bansou-template'));
  const openingsTo = (email: string) =>
    stack.smtp.received.filter((e) => e.to === email && template(e) === 'match-opened').length;

  beforeAll(async () => {
    stack = await createDevStack();
    const [host, portText] = stack.env.address.split(':');
    proxy = await startTcpProxy({ host: host!, port: Number(portText) });
    connection = lazyConnection({ address: proxy.address });
    api = await serve(
      createApp({
        ...stack.deps,
        temporal: new Client({
          connection,
          namespace: stack.env.namespace ?? 'default',
          dataConverter: testDataConverter(),
        }),
        temporalDeadlineMs: 3000,
      }),
      { headers: stack.adminHeaders },
    );
  });
  afterAll(async () => {
    await api?.close();
    await connection?.close();
    await proxy?.close();
    await stack?.close();
  });

  const deps = () => ({ ...stack.deps, temporalDeadlineMs: 3000 });

  it("keeps the row when the start's reply is lost; the same request then returns the same match, started once", async () => {
    const body = matchRequest(stack.programId);
    const id = idOf(body);
    proxy.loseRepliesAfter('matchWorkflow');
    const lost = await api.request('POST', '/matches', body);
    proxy.passReplies();
    expect(lost.status).toBe(503);
    expect(lost.headers.get('retry-after')).toBe(String(RETRY_AFTER_SECONDS));
    expect(lost.body.detail).toContain('The match is saved');

    // The workflow did start, and its row is kept, registering: nothing points at a workflow that has no row.
    const handle = stack.env.client.workflow.getHandle(matchWorkflowId(id));
    expect((await handle.describe()).status.name).toBe('RUNNING');
    const row = await stack.database.db.match.findUniqueOrThrow({ where: { id } });
    expect(row.registeredAt).toBeNull();

    // The client sends the same request again: the same match, registered, the workflow found rather than doubled.
    const retried = await api.request('POST', '/matches', body);
    expect(retried.status).toBe(201);
    expect(retried.body).toMatchObject({
      workflowId: `match:${id}`,
      match: { id, reference: body.id, title: body.title },
    });
    const registered = await stack.database.db.match.findUniqueOrThrow({ where: { id } });
    expect(registered.registeredAt).not.toBeNull();
    expect(registered.requestHash).toBe(requestHash(ZCreateMatchRequest.parse(body)));
    const runs = [];
    for await (const run of stack.env.client.workflow.list({ query: `WorkflowId = '${matchWorkflowId(id)}'` }))
      runs.push(run);
    expect(runs).toHaveLength(1);

    // And once more: the same result. Another body under the same id is a conflict.
    const third = await api.request('POST', '/matches', body);
    expect(third.status).toBe(201);
    expect(third.body.match).toEqual(retried.body.match);
    const other = await api.request('POST', '/matches', { ...body, title: '別のプロジェクト' });
    expect(other.status).toBe(409);
    await stack.smtp.waitFor(1, { filter: (e) => e.to === body.host.email && template(e) === 'match-opened' });
    expect(openingsTo(body.host.email)).toBe(1);
  });

  it('the reconciler finishes a registration nobody retried, starts a stored row without workflow, and writes back the row of a workflow without one', async () => {
    // 1. A reply lost, and the client never asks again.
    const abandoned = matchRequest(stack.programId);
    proxy.loseRepliesAfter('matchWorkflow');
    expect((await api.request('POST', '/matches', abandoned)).status).toBe(503);
    proxy.passReplies();

    // 2. A row stored, and the process stopped before the start was sent.
    const unstarted = ZCreateMatchRequest.parse(matchRequest(stack.programId));
    await storeMatch(stack.database.db, unstarted, requestHash(unstarted));

    // 3. A running workflow whose row is gone (what an ambiguous start used to leave).
    const orphan = matchRequest(stack.programId, { title: '行方不明の行' });
    const snapshot = await seedMatch(stack.database.db, orphan);
    await stack.env.client.workflow.start('matchWorkflow', {
      workflowId: matchWorkflowId(snapshot.id),
      taskQueue: stack.deps.taskQueue,
      args: [{ match: snapshot, playbook: await currentPlaybook(stack.database.db, stack.programId) }],
      typedSearchAttributes: [{ key: searchAttributes.programId, value: stack.programId }],
    });
    await stack.database.db.match.delete({ where: { id: snapshot.id } });

    // A pass between the scans of running workflows leaves it (the list is the costly part, made every ten minutes).
    await expect(reconcileRegistrations(deps(), { restore: false })).resolves.toEqual({
      completed: [],
      restored: [],
      failed: [],
    });
    // A workflow without a row gets it back at once; rows younger than the settling time are left to their requests.
    const early = await eventually(async () => {
      const r = await reconcileRegistrations(deps());
      if (!r.restored.length) throw new Error('the workflow list may lag a moment behind');
      return r;
    });
    expect(early).toEqual({ completed: [], restored: [matchWorkflowId(snapshot.id)], failed: [] });

    const result = await reconcileRegistrations(deps(), { settleMs: 0 });
    expect(result.completed.sort()).toEqual([idOf(abandoned), idOf(unstarted)].sort());
    expect(result).toMatchObject({ restored: [], failed: [] });

    for (const id of [idOf(abandoned), idOf(unstarted), snapshot.id]) {
      const row = await stack.database.db.match.findUniqueOrThrow({ where: { id } });
      expect(row.registeredAt).not.toBeNull();
      const description = await stack.env.client.workflow.getHandle(matchWorkflowId(id)).describe();
      expect(description.status.name).toBe('RUNNING');
    }
    const restored = await api.request('GET', `/matches/${snapshot.id}`);
    expect(restored.status).toBe(200);
    expect(restored.body.match).toMatchObject({ title: '行方不明の行', host: { email: orphan.host.email } });
    // The started row's people hear of their match once.
    await stack.smtp.waitFor(1, { filter: (e) => e.to === unstarted.host.email && template(e) === 'match-opened' });

    // Everything is in order now: nothing more to do.
    await expect(reconcileRegistrations(deps(), { settleMs: 0 })).resolves.toEqual({
      completed: [],
      restored: [],
      failed: [],
    });
  });

  it('reconciles in one API process at a time, and another takes over when that one stops', async () => {
    type Line = { process: string; msg: string; leading?: boolean };
    const lines: Line[] = [];
    const logOf = (process: string) =>
      pino({ level: 'info' }, { write: (line: string) => void lines.push({ ...(JSON.parse(line) as Line), process }) });
    const leads = () => lines.filter((l) => l.leading !== undefined).map((l) => [l.process, l.leading]);
    const stops = new Map(
      ['a', 'b'].map((name) => [name, startRegistrationReconciler(deps(), { intervalMs: 100, log: logOf(name) })]),
    );
    try {
      const [first] = await eventually(async () => {
        if (!leads().length) throw new Error('no process has taken the lead yet');
        return leads()[0]!;
      });
      // Ten ticks of both: the other never leads while the first runs.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(leads()).toEqual([[first, true]]);

      await stops.get(first as string)!();
      const other = first === 'a' ? 'b' : 'a';
      await eventually(async () => {
        expect(leads()).toEqual([
          [first, true],
          [other, true],
        ]);
        return true;
      });
    } finally {
      await Promise.all([...stops.values()].map((stop) => stop()));
    }
  });

  it('hands reconciling on when the process that leads fails three passes in a row (it cannot reach Temporal)', async () => {
    const lines: { process: string; leading?: boolean }[] = [];
    const logOf = (process: string) =>
      pino({ level: 'info' }, { write: (line: string) => void lines.push({ ...JSON.parse(line), process }) });
    const leads = () => lines.filter((l) => l.leading !== undefined).map((l) => [l.process, l.leading]);
    const cutOff = lazyConnection({ address: `127.0.0.1:${await freeServerPort()}` });
    const stops: (() => Promise<void>)[] = [];
    try {
      const unreachable = { ...deps(), temporal: new Client({ connection: cutOff, namespace: 'default' }) };
      // Every pass scans, and a scan gives up after 300 ms.
      const fast = { intervalMs: 100, restoreEveryMs: 0, scanDeadlineMs: 300 };
      stops.push(startRegistrationReconciler(unreachable, { ...fast, log: logOf('cut off') }));
      await eventually(() => leads().length > 0);
      stops.push(startRegistrationReconciler(deps(), { ...fast, log: logOf('connected') }));
      await eventually(async () => {
        expect(leads()).toEqual([
          ['cut off', true],
          ['cut off', false],
          ['connected', true],
        ]);
        return true;
      });
    } finally {
      await Promise.all(stops.map((stop) => stop()));
      await cutOff.close();
    }
  });
});
