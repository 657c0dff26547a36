import { matchIdFor } from '../../workflows/shared';
import { createApp } from '../../api/app';
import { serve } from '../support/http';
import { keyHeaders } from '../support/keys';
import { eventually } from '../support/eventually';
import { escalationRow, matchDates, matchRequest, unique } from '../support/fixtures';
import { createDevStack, type DevStack } from '../support/stack';

/**
 * Who may do what, in which program: every endpoint against every kind of key, with program A's resources. Keys for
 * program B must learn nothing about A: not in lists, counts, errors or KPIs.
 */
type Who = 'none' | 'invalid' | 'admin' | 'pmA' | 'coordA' | 'pmB' | 'coordB';
const WHO: Who[] = ['none', 'invalid', 'admin', 'pmA', 'coordA', 'pmB', 'coordB'];

describe('access: role × endpoint × program', () => {
  let stack: DevStack;
  const headers: Record<Who, Record<string, string>> = {} as never;
  let programA: string;
  const programB = unique('prog-b').toLowerCase();
  let matchA: string;
  let matchB: string;
  let escalationA: string;
  let spareKeyId: string;

  beforeAll(async () => {
    stack = await createDevStack();
    programA = stack.programId;
    expect((await stack.api.request('POST', '/programs', { id: programB, name: 'プログラムB' })).status).toBe(201);
    matchA = (await stack.createMatch()).id;
    const b = matchRequest(programB);
    expect((await stack.api.request('POST', '/matches', b)).status).toBe(201);
    matchB = matchIdFor(programB, b.id);
    // An escalation row on A's match (its workflow does not know it, so acting on it is the workflow's 422).
    escalationA = `${matchA}-esc-seeded`;
    await stack.database.db.escalation.create({
      data: escalationRow(matchA, { id: escalationA, reasons: ['seeded'], dueAt: new Date(Date.now() - 1000) }),
    });
    const db = stack.database.db;
    headers.none = {};
    headers.invalid = { authorization: 'Bearer bsk_notakey_0000000000000000000000000000' };
    headers.admin = stack.adminHeaders;
    headers.pmA = await keyHeaders(db, 'program_manager', [programA]);
    headers.coordA = await keyHeaders(db, 'coordinator', [programA]);
    headers.pmB = await keyHeaders(db, 'program_manager', [programB]);
    headers.coordB = await keyHeaders(db, 'coordinator', [programB]);
    spareKeyId = (
      await db.apiKey.create({ data: { name: 'spare', role: 'coordinator', hash: unique('h'), prefix: 'bsk_spare' } })
    ).id;
  });
  afterAll(async () => {
    await stack?.close();
  });

  const dates = matchDates();
  const csvFor = (program: string) =>
    [
      'id,program_id,title,start_date,end_date,host_organization,host_name,host_email,talent_name,talent_email,coordinator_name,coordinator_email',
      `${unique('csv')},${program},CSV案件,${dates.startDate},${dates.endDate},山田食品,山田,${unique('h')}@x.jp,佐藤,${unique('t')}@x.jp,鈴木,${unique('c')}@x.jp`,
    ].join('\n');

  /** Every endpoint, called with A's resources; the status each key must get. 401 for no key or a bad one. */
  const matrix: {
    name: string;
    call: (h: Record<string, string>) => Promise<{ status: number }>;
    allowed: Partial<Record<Who, number>>;
  }[] = [
    {
      name: 'GET /programs',
      call: (h) => stack.api.request('GET', '/programs', undefined, h),
      allowed: { admin: 200, pmA: 200, coordA: 200, pmB: 200, coordB: 200 },
    },
    {
      name: 'POST /programs',
      call: (h) => stack.api.request('POST', '/programs', { id: unique('p').toLowerCase(), name: 'x' }, h),
      allowed: { admin: 201 },
    },
    {
      name: 'GET playbook',
      call: (h) => stack.api.request('GET', `/programs/${programA}/playbook`, undefined, h),
      allowed: { admin: 200, pmA: 200, coordA: 200 },
    },
    {
      name: 'PUT playbook',
      call: (h) =>
        stack.api.request('PUT', `/programs/${programA}/playbook`, { escalation: { slaBusinessDays: 3 } }, h),
      allowed: { admin: 200, pmA: 200 },
    },
    {
      name: 'GET kpis',
      call: (h) => stack.api.request('GET', `/programs/${programA}/kpis`, undefined, h),
      allowed: { admin: 200, pmA: 200, coordA: 200 },
    },
    {
      name: 'POST /matches',
      call: (h) => stack.api.request('POST', '/matches', matchRequest(programA), h),
      allowed: { admin: 201, pmA: 201, coordA: 201 },
    },
    {
      name: 'GET /matches?program=A',
      call: (h) => stack.api.request('GET', `/matches?program=${programA}`, undefined, h),
      allowed: { admin: 200, pmA: 200, coordA: 200 },
    },
    {
      name: 'GET /matches',
      call: (h) => stack.api.request('GET', '/matches', undefined, h),
      allowed: { admin: 200, pmA: 200, coordA: 200, pmB: 200, coordB: 200 },
    },
    {
      name: 'GET /matches/:id',
      call: (h) => stack.api.request('GET', `/matches/${matchA}`, undefined, h),
      allowed: { admin: 200, pmA: 200, coordA: 200 },
    },
    {
      name: 'GET timeline',
      call: (h) => stack.api.request('GET', `/matches/${matchA}/timeline`, undefined, h),
      allowed: { admin: 200, pmA: 200, coordA: 200 },
    },
    {
      name: 'POST note (action)',
      call: (h) => stack.api.request('POST', `/matches/${matchA}/notes`, { text: 'メモ' }, h),
      allowed: { admin: 200, coordA: 200 },
    },
    {
      name: 'POST kickoff record (action)',
      call: (h) => stack.api.request('POST', `/matches/${matchA}/kickoff/record`, { held: true }, h),
      allowed: { admin: 409, coordA: 409 },
    },
    {
      name: 'GET /escalations',
      call: (h) => stack.api.request('GET', '/escalations', undefined, h),
      allowed: { admin: 200, pmA: 200, coordA: 200, pmB: 200, coordB: 200 },
    },
    {
      name: 'POST escalation ack',
      call: (h) => stack.api.request('POST', `/escalations/${escalationA}/ack`, {}, h),
      allowed: { admin: 422, coordA: 422 },
    },
    {
      name: 'POST /imports/matches',
      call: (h) =>
        stack.api.request('POST', '/imports/matches', csvFor(programA), { 'content-type': 'text/csv', ...h }),
      allowed: { admin: 200, pmA: 200, coordA: 200 },
    },
    {
      name: 'GET /api-keys',
      call: (h) => stack.api.request('GET', '/api-keys', undefined, h),
      allowed: { admin: 200 },
    },
    {
      name: 'POST /api-keys',
      call: (h) =>
        stack.api.request('POST', '/api-keys', { name: 'k', role: 'coordinator', programIds: [programA] }, h),
      allowed: { admin: 201 },
    },
    {
      name: 'POST /api-keys/:id/revoke',
      call: (h) => stack.api.request('POST', `/api-keys/${spareKeyId}/revoke`, undefined, h),
      allowed: { admin: 200 },
    },
  ];

  it.each(matrix.map((m) => [m.name, m] as const))('%s', async (_name, { call, allowed }) => {
    const got: Record<string, number> = {};
    const want: Record<string, number> = {};
    for (const who of WHO) {
      got[who] = (await call(who === 'none' ? { authorization: '' } : headers[who])).status;
      want[who] = who === 'none' || who === 'invalid' ? 401 : (allowed[who] ?? 403);
    }
    expect(got).toEqual(want);
  });

  it('public routes need no key: health, OpenAPI, docs and the pages', async () => {
    for (const path of ['/healthz', '/openapi.json', '/docs']) {
      expect((await stack.api.request('GET', path, undefined, { authorization: '' })).status).toBe(200);
    }
    expect((await stack.api.request('GET', '/checkins/not-a-token', undefined, { authorization: '' })).status).toBe(
      404,
    );
  });

  it('never leaks program A to keys of program B: lists, counts, errors, KPIs', async () => {
    for (const who of ['pmB', 'coordB'] as const) {
      const list = await stack.api.request('GET', '/matches?limit=200', undefined, headers[who]);
      const ids = list.body.items.map((m: { id: string }) => m.id);
      expect(ids).toContain(matchB);
      expect(ids).not.toContain(matchA);
      expect(list.body.items.every((m: { programId: string }) => m.programId === programB)).toBe(true);
      const escalations = await stack.api.request('GET', '/escalations?limit=200', undefined, headers[who]);
      expect(escalations.body.items.map((e: { id: string }) => e.id)).not.toContain(escalationA);
      const programs = await stack.api.request('GET', '/programs', undefined, headers[who]);
      expect(programs.body.items.map((p: { id: string }) => p.id)).toEqual([programB]);

      // Another program's match and a match that does not exist get the very same answer.
      const other = await stack.api.request('GET', `/matches/${matchA}`, undefined, headers[who]);
      const missing = await stack.api.request('GET', '/matches/no-such-match', undefined, headers[who]);
      expect(other.status).toBe(403);
      expect({ ...other.body, instance: '', requestId: '' }).toEqual({ ...missing.body, instance: '', requestId: '' });
      // (Beyond the path the caller asked for, which names the program as every match id does.)
      expect(JSON.stringify({ ...other.body, instance: '' })).not.toContain(programA);
      const kpis = await stack.api.request('GET', `/programs/${programA}/kpis`, undefined, headers[who]);
      expect(kpis.status).toBe(403);
      const noProgram = await stack.api.request('GET', '/programs/no-such-program/kpis', undefined, headers[who]);
      expect({ ...kpis.body, instance: '', requestId: '' }).toEqual({ ...noProgram.body, instance: '', requestId: '' });
    }
    // An admin sees both; a program's KPIs count only its own matches.
    const all = await stack.api.request('GET', '/matches?limit=200');
    expect(all.body.items.map((m: { id: string }) => m.id)).toEqual(expect.arrayContaining([matchA, matchB]));
    const kpisB = await stack.api.request('GET', `/programs/${programB}/kpis`, undefined, headers.pmB);
    expect(kpisB.body.started).toBe(1);
  });

  it('keys are stored only as hashes, show their last use, and answer 401 once revoked', async () => {
    const created = await stack.api.request('POST', '/api-keys', {
      name: 'temp',
      role: 'coordinator',
      programIds: [programA],
    });
    expect(created.body.key).toMatch(/^bsk_[A-Za-z0-9_-]{8}_[A-Za-z0-9_-]{35}$/);
    const row = await stack.database.db.apiKey.findUniqueOrThrow({ where: { id: created.body.id } });
    expect(JSON.stringify(row)).not.toContain(created.body.key);
    const h = { authorization: `Bearer ${created.body.key}` };
    expect((await stack.api.request('GET', '/matches', undefined, h)).status).toBe(200);
    const listed = await eventually(async () => {
      const keys = await stack.api.request('GET', '/api-keys');
      return keys.body.items.find((k: { id: string; lastUsedAt: string | null }) => k.id === row.id && k.lastUsedAt);
    });
    expect(listed).toMatchObject({ name: 'temp', role: 'coordinator', programIds: [programA], revokedAt: null });

    const revoked = await stack.api.request('POST', `/api-keys/${row.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: row.id, revokedAt: expect.stringMatching(/Z$/) });
    expect((await stack.api.request('GET', '/matches', undefined, h)).status).toBe(401);
    // Again, by its prefix: nothing changes.
    const again = await stack.api.request('POST', `/api-keys/${row.prefix}/revoke`);
    expect(again.body.revokedAt).toBe(revoked.body.revokedAt);
    expect((await stack.api.request('POST', '/api-keys/bsk_nothing/revoke')).status).toBe(404);
    const bad = await stack.api.request('POST', '/api-keys', { name: 'x', role: 'coordinator', programIds: [] });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: 'programIds', message: 'must name at least one program' }]);
  });

  it('a key revoked on another API process (or by the CLI) answers 401 here once its lookup is older than the cache bound', async () => {
    const cacheMs = 1000;
    const other = await serve(createApp({ ...stack.deps, apiKeyCacheMs: cacheMs }));
    try {
      const created = await stack.api.request('POST', '/api-keys', {
        name: 'replicas',
        role: 'coordinator',
        programIds: [programA],
      });
      const h = { authorization: `Bearer ${created.body.key}` };
      // Looked up, and kept, by the other process.
      expect((await other.request('GET', `/matches/${matchA}`, undefined, h)).status).toBe(200);
      expect((await stack.api.request('POST', `/api-keys/${created.body.id}/revoke`)).status).toBe(200);
      // The process that revoked it refuses it at once.
      expect((await stack.api.request('GET', `/matches/${matchA}`, undefined, h)).status).toBe(401);
      await new Promise((resolve) => setTimeout(resolve, cacheMs + 50));
      expect((await other.request('GET', `/matches/${matchA}`, undefined, h)).status).toBe(401);
    } finally {
      await other.close();
    }
  });

  it('match ids are the programs’ own: B may register an id A uses, and nothing it gets back says A has one', async () => {
    const reference = unique('shared-ref');
    const a = await stack.api.request('POST', '/matches', matchRequest(programA, { id: reference }), headers.coordA);
    const b = await stack.api.request('POST', '/matches', matchRequest(programB, { id: reference }), headers.coordB);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.match).toMatchObject({ id: `${programA}:${reference}`, reference, programId: programA });
    expect(b.body).toMatchObject({
      workflowId: `match:${programB}:${reference}`,
      match: { id: `${programB}:${reference}`, reference, programId: programB },
    });
    expect(b.headers.get('location')).toBe(`/matches/${programB}:${reference}`);
    // Asking for A's match, B gets the same 403 as for a match that does not exist.
    const other = await stack.api.request('GET', `/matches/${a.body.match.id}`, undefined, headers.coordB);
    const none = await stack.api.request('GET', `/matches/${programA}:${unique('none')}`, undefined, headers.coordB);
    expect([other.status, none.status]).toEqual([403, 403]);
    expect(other.body.detail).toBe(none.body.detail);
    // Registering the same request again is the same answer; the program's own id with other details is its 409.
    expect(
      (await stack.api.request('POST', '/matches', matchRequest(programB, { id: reference }), headers.coordB)).status,
    ).toBe(201);
    const clash = matchRequest(programB, { id: reference, title: '別の案件' });
    const conflict = await stack.api.request('POST', '/matches', clash, headers.coordB);
    expect(conflict.status).toBe(409);
    expect(conflict.body.detail).toContain(`${programB}:${reference}`);
    expect(JSON.stringify(conflict.body)).not.toContain(programA);
  });

  it('a person is each program’s own: an address another program knows brings none of its data along, nor changes it', async () => {
    const a = matchRequest(programA);
    expect((await stack.api.request('POST', '/matches', a, headers.coordA)).status).toBe(201);
    const b = matchRequest(programB, { host: { ...a.host, name: '別人 名義', locale: 'en', organization: '別会社' } });
    const created = await stack.api.request('POST', '/matches', b, headers.coordB);
    expect(created.status).toBe(201);
    // Program B sees what it gave, nothing of what program A stored for the same address.
    const ofB = { email: a.host.email, name: '別人 名義', locale: 'en', organization: '別会社' };
    expect(created.body.match.host).toEqual(ofB);
    const shown = await stack.api.request('GET', `/matches/${created.body.match.id}`, undefined, headers.coordB);
    expect(shown.body.match.host).toEqual(ofB);
    expect(JSON.stringify(shown.body)).not.toContain(a.host.name);
    // B's match workflow writes to the host with B's name and language.
    expect((await stack.state(created.body.match.id)).match.host).toMatchObject({ name: '別人 名義', locale: 'en' });
    // And program A's record of the person is as A left it.
    const people = await stack.database.db.person.findMany({
      where: { email: a.host.email },
      orderBy: { programId: 'asc' },
    });
    expect(people.map((p) => [p.programId, p.name, p.locale, p.organization]).sort()).toEqual(
      [
        [programA, a.host.name, 'ja', a.host.organization],
        [programB, '別人 名義', 'en', '別会社'],
      ].sort(),
    );
    const seenByA = await stack.api.request('GET', `/matches/${matchIdFor(programA, a.id)}`, undefined, headers.coordA);
    expect(seenByA.body.match.host).toMatchObject({ name: a.host.name, locale: 'ja' });
  });

  it('program managers see who answered a check-in, never what host or talent wrote', async () => {
    await stack.database.db.checkinRound.create({
      data: {
        matchId: matchA,
        round: 1,
        kind: 'regular',
        status: 'closed',
        openedAt: new Date(),
        closeAt: new Date(),
        expiresAt: new Date(),
        answered: ['host'],
      },
    });
    await stack.database.db.checkinAnswer.create({
      data: {
        matchId: matchA,
        round: 1,
        respondent: 'host',
        answers: { scores: { satisfaction: 2 }, comment: '率直な不満', wantsCoordinator: true },
        signalledAt: new Date(),
      },
    });
    const coordinator = await stack.api.request('GET', `/matches/${matchA}`, undefined, headers.coordA);
    expect(coordinator.body.checkins[0].host).toMatchObject({ comment: '率直な不満', scores: { satisfaction: 2 } });
    const manager = await stack.api.request('GET', `/matches/${matchA}`, undefined, headers.pmA);
    expect(manager.body.checkins[0]).toMatchObject({ round: 1, host: { answered: true }, talent: null });
    expect(JSON.stringify(manager.body)).not.toContain('率直な不満');
  });

  it('rate-limits each key on its own: the limit answers 429 problem+json, another key is not slowed', async () => {
    const complaints = jest.spyOn(console, 'error');
    const limited = await serve(createApp({ ...stack.deps, apiRateLimit: 3 }));
    // The limiter's own start-up checks (e.g. IPv6 addresses keyed per /56, not per address) find nothing to say.
    expect(complaints).not.toHaveBeenCalled();
    complaints.mockRestore();
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await limited.request('GET', `/matches/${matchA}`, undefined, headers.coordA)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const refused = await limited.request('GET', `/matches/${matchA}`, undefined, headers.coordA);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(refused.body).toMatchObject({ status: 429, type: expect.stringContaining('rate_limited') });
      expect((await limited.request('GET', `/matches/${matchA}`, undefined, headers.pmA)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
