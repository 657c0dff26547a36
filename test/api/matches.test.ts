import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createMailTransport } from '../../activities/mail/transport';
import { createApp } from '../../api/app';
import { lazyClient, temporalSettings } from '../../temporal/connection';
import { matchIdFor, matchStateQuery, matchWorkflowId } from '../../workflows/shared';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually } from '../support/eventually';
import { ALWAYS_SEND, matchRequest, seedProgram, unique } from '../support/fixtures';
import { freePort, serve, type TestServer } from '../support/http';
import { keyHeaders } from '../support/keys';
import { startSmtpListener, type SmtpListener } from '../support/smtp';
import { createDevServerEnv, createTestWorker, testKeyRing } from '../support/temporal';

const LINKS = { publicBaseUrl: 'http://bansou.test', signingSecret: 'test-signing-secret-test-signing-secret' };

describe('matches API (dev server, real Postgres)', () => {
  let env: TestWorkflowEnvironment;
  let database: TestDatabase;
  let smtp: SmtpListener;
  let worker: Worker;
  let running: Promise<void>;
  let api: TestServer;
  let programId: string;
  const taskQueue = unique('api');

  beforeAll(async () => {
    [env, database, smtp] = await Promise.all([createDevServerEnv(), createTestDatabase(), startSmtpListener()]);
    const transport = createMailTransport(smtp.url);
    worker = await createTestWorker(env, taskQueue, {
      db: database.db,
      mail: { transport, from: 'bansou <noreply@bansou.test>' },
      links: { publicBaseUrl: 'http://bansou.test', signingSecret: 'test-signing-secret-test-signing-secret' },
    });
    running = worker.run();
    programId = (await seedProgram(database.db, undefined, undefined, ALWAYS_SEND)).id;
    api = await serve(
      createApp({
        db: database.db,
        temporal: env.client,
        taskQueue,
        keys: testKeyRing(),
        links: LINKS,
        checkSmtp: async () => void (await transport.verify()),
      }),
      { headers: await keyHeaders(database.db, 'admin') },
    );
  });

  afterAll(async () => {
    await api?.close();
    worker?.shutdown();
    await running;
    await Promise.all([env?.teardown(), database?.drop(), smtp?.close()]);
  });

  it('creates a match, stores it and starts match:<id>', async () => {
    const body = matchRequest(programId);
    const id = matchIdFor(programId, body.id);
    const res = await api.request('POST', '/matches', body);
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/matches/${id}`);
    expect(res.body).toMatchObject({
      workflowId: `match:${id}`,
      match: {
        id,
        reference: body.id,
        programId,
        status: 'open',
        phase: 'onboarding',
        host: { email: body.host.email, organization: '山田食品株式会社' },
      },
    });
    const description = await env.client.workflow.getHandle(matchWorkflowId(id)).describe();
    expect(description.type).toBe('matchWorkflow');
    expect(description.searchAttributes).toMatchObject({ BansouProgramId: [programId], BansouStatus: ['open'] });
    await expect(database.db.match.count({ where: { id } })).resolves.toBe(1);
  });

  it('lists every wrong field in one 400 problem document', async () => {
    const res = await api.request('POST', '/matches', {
      id: 'bad id!',
      programId,
      title: '',
      startDate: '2026-13-01',
      endDate: '2026-12-01',
      host: { name: '山田', email: 'not-an-email' },
      talent: { name: 'Alex', email: 'alex@example.com', locale: 'fr' },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 400, title: 'The request is not valid', instance: '/matches' });
    const fields = res.body.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(
      ['coordinator', 'host.email', 'host.organization', 'id', 'startDate', 'talent.locale', 'title'].sort(),
    );
    expect(res.text).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  });

  it('checks that the end is after the start and the host is not the talent', async () => {
    const body = matchRequest(programId, { startDate: '2027-01-01', endDate: '2026-12-01' });
    body.talent.email = body.host.email;
    const res = await api.request('POST', '/matches', body);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'endDate', message: 'must be after startDate' },
        { field: 'talent.email', message: 'must differ from the host' },
      ]),
    );
  });

  it('answers 400 for a body that is not JSON, and for an unknown program', async () => {
    const notJson = await api.request('POST', '/matches', '{"id": ', { 'content-type': 'application/json' });
    expect(notJson.status).toBe(400);
    expect(notJson.body.detail).toBe('The body is not valid JSON.');
    const unknownProgram = await api.request('POST', '/matches', matchRequest('no-such-program'));
    expect(unknownProgram.status).toBe(400);
    expect(unknownProgram.body.errors).toEqual([{ field: 'programId', message: 'no program with this id' }]);
  });

  it('answers a playbook with a value that is not a duration with 400 naming the field, not a 500', async () => {
    const res = await api.request('PUT', `/programs/${programId}/playbook`, { checkins: { cadence: 'abc' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toEqual([
      { field: 'checkins.cadence', message: 'must be a duration such as 14d, 36h, 30s' },
    ]);
    const unchanged = await api.request('GET', `/programs/${programId}/playbook`);
    expect(unchanged.body.playbook.version).toBe(1);
  });

  it('answers 409 for a duplicate id and leaves the first match alone', async () => {
    const body = matchRequest(programId);
    const id = matchIdFor(programId, body.id);
    expect((await api.request('POST', '/matches', body)).status).toBe(201);
    const again = await api.request('POST', '/matches', { ...body, title: 'another title' });
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain(id);
    const stored = await database.db.match.findUniqueOrThrow({ where: { id } });
    expect(stored.title).toBe(body.title);
  });

  it('returns the stored match, its timeline and, with live=true, the live workflow state', async () => {
    const body = matchRequest(programId);
    const id = matchIdFor(programId, body.id);
    await api.request('POST', '/matches', body);
    const fromReadModel = await api.request('GET', `/matches/${id}`);
    expect(fromReadModel.status).toBe(200);
    // Without live=true the workflow is not asked: the answer is the read model's alone.
    expect(fromReadModel.body.live).toBeNull();
    const res = await eventually(async () => {
      const r = await api.request('GET', `/matches/${id}?live=true`);
      expect(r.body.timeline.filter((e: { type: string }) => e.type === 'email.sent')).toHaveLength(3);
      return r;
    });
    expect(res.status).toBe(200);
    expect(res.body.match).toMatchObject({
      id,
      title: body.title,
      startDate: body.startDate,
      endDate: body.endDate,
    });
    expect(res.body.timeline[0]).toMatchObject({ type: 'match.opened' });
    expect(res.body.live).toMatchObject({
      matchId: id,
      phase: 'onboarding',
      status: 'open',
      kickoff: { status: 'unscheduled' },
    });
    // The match starts in a week: its tasks are planned from then, none is open yet.
    expect(res.body.live.tasks.map((t: { key: string; status: string }) => [t.key, t.status])).toEqual([
      ['kickoff_prep', 'scheduled'],
      ['midpoint_review', 'scheduled'],
      ['wrap_up_interview', 'scheduled'],
      ['record_outcome', 'scheduled'],
    ]);
  });

  it('shows the latest events in the detail and pages the whole timeline, oldest first, with a cursor', async () => {
    const body = matchRequest(programId);
    const id = matchIdFor(programId, body.id);
    await api.request('POST', '/matches', body);
    // The opening is over (its emails are on the timeline), so nothing is written while the test pages.
    await eventually(
      async () => (await database.db.matchEvent.count({ where: { matchId: id, type: 'email.sent' } })) === 3,
      { timeoutMs: 60_000 },
    );
    // A long-running match: 120 more events than the opening wrote, an hour apart, in the past.
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    await database.db.matchEvent.createMany({
      data: Array.from({ length: 120 }, (_, n) => ({
        key: `${id}/test-e${n}`,
        matchId: id,
        type: 'note.added',
        payload: { n },
        occurredAt: new Date(t0 + n * 3_600_000),
      })),
    });
    const all = await database.db.matchEvent.count({ where: { matchId: id } });

    const detail = await api.request('GET', `/matches/${id}?timelineLimit=10`);
    expect(detail.body.timeline).toHaveLength(10);
    expect(detail.body.timelineTruncated).toBe(true);
    const shownAt = detail.body.timeline.map((e: { at: string }) => e.at);
    expect(shownAt).toEqual([...shownAt].sort());

    const seen: { type: string; payload: { n?: number } }[] = [];
    let pages = 0;
    for (let cursor = ''; ; pages++) {
      const page = await api.request('GET', `/matches/${id}/timeline?limit=50${cursor}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.items);
      if (!page.body.nextCursor) break;
      cursor = `&cursor=${page.body.nextCursor}`;
    }
    expect(pages).toBe(Math.ceil(all / 50) - 1);
    expect(seen).toHaveLength(all);
    expect(seen.slice(0, 120).map((e) => e.payload.n)).toEqual(Array.from({ length: 120 }, (_, n) => n));
    expect((await api.request('GET', `/matches/${id}/timeline?cursor=nonsense`)).status).toBe(400);
    // The detail's latest events (written as JSON by Postgres and sent as written) are the timeline's last ones, the
    // same fields and times; the detail is sent as JSON as any other answer.
    expect(detail.body.timeline).toEqual(seen.slice(-10));
    expect(detail.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it('hands a match to a new coordinator once the workflow takes it; a refused handover stores nobody', async () => {
    const newcomer = (name: string) => ({ name, email: `${unique('coordinator')}@npo.example`, locale: 'ja' });
    const stored = (email: string) => database.db.person.findMany({ where: { programId, email } });
    const a = matchRequest(programId);
    const b = matchRequest(programId);
    const [idA, idB] = [matchIdFor(programId, a.id), matchIdFor(programId, b.id)];
    expect((await api.request('POST', '/matches', a)).status).toBe(201);
    expect((await api.request('POST', '/matches', b)).status).toBe(201);

    // Taken: the read model makes the person, with the id the workflow was given, and points the match at them.
    const sato = newcomer('佐藤 三郎');
    const taken = await api.request('POST', `/matches/${idA}/reassign`, { coordinator: sato });
    expect(taken.status).toBe(200);
    const [person] = await eventually(async () => {
      const people = await stored(sato.email);
      expect(people).toHaveLength(1);
      return people;
    });
    expect(person).toMatchObject({ name: '佐藤 三郎', role: 'coordinator' });
    await eventually(
      async () => (await database.db.match.findUniqueOrThrow({ where: { id: idA } })).coordinatorId === person!.id,
    );
    const live = await env.client.workflow.getHandle(matchWorkflowId(idA)).query(matchStateQuery);
    expect(live.match.coordinator.personId).toBe(person!.id);

    // Refused by the workflow (the match is cancelled): nobody is stored.
    expect((await api.request('POST', `/matches/${idB}/cancel`, { reason: '取りやめ' })).status).toBe(200);
    const suzuki = newcomer('鈴木 四郎');
    const refused = await api.request('POST', `/matches/${idB}/reassign`, { coordinator: suzuki });
    expect(refused.status).toBe(409);
    await expect(stored(suzuki.email)).resolves.toEqual([]);

    // Not taken because Temporal cannot be reached: a 503, and nobody is stored either.
    const nowhere = lazyClient(
      temporalSettings({ TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`, TASK_QUEUE: taskQueue }),
    );
    const unreachable = await serve(
      createApp({
        db: database.db,
        temporal: nowhere,
        taskQueue,
        keys: testKeyRing(),
        links: LINKS,
        temporalDeadlineMs: 2000,
        checkSmtp: async () => undefined,
      }),
      { headers: await keyHeaders(database.db, 'admin') },
    );
    try {
      const tanaka = newcomer('田中 五郎');
      const down = await unreachable.request('POST', `/matches/${idA}/reassign`, { coordinator: tanaka });
      expect(down.status).toBe(503);
      await expect(stored(tanaka.email)).resolves.toEqual([]);
    } finally {
      // (`nowhere` stays open: a call given up at its deadline may still sleep in the client's retries, whose timer
      // would throw into a closed channel.)
      await unreachable.close();
    }
  });

  it('answers 404 for an unknown match and 400 for a malformed id', async () => {
    const missing = await api.request('GET', '/matches/no-such-match');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ status: 404, detail: 'No match with id "no-such-match".' });
    const malformed = await api.request('GET', '/matches/%20bad');
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].field).toBe('id');
    expect((await api.request('GET', '/nothing-here')).status).toBe(404);
  });
});
