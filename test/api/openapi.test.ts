import http from 'node:http';
import type { Express } from 'express';
import type { z } from 'zod';
import { createApp } from '../../api/app';
import type { RouteDef } from '../../api/routing';
import { eventually } from '../support/eventually';
import { escalationRow, matchDates, matchRequest, unique } from '../support/fixtures';
import type { HttpResponse } from '../support/http';
import { createDevStack, type DevStack } from '../support/stack';

type Def = RouteDef<z.ZodType, z.ZodType, z.ZodType>;

/**
 * Every route Express knows (method and path), nested routers included; the workspace's HTML pages are not the JSON
 * API (their own tests are test/api/workspace-*.test.ts).
 */
function expressRoutes(app: Express): string[] {
  const found: string[] = [];
  type Layer = {
    route?: { path: string; methods: Record<string, boolean> };
    handle?: { stack?: Layer[] };
    rawPath?: unknown;
  };
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.rawPath === '/workspace') continue;
      if (layer.route)
        for (const method of Object.keys(layer.route.methods))
          found.push(`${method.toUpperCase()} ${layer.route.path}`);
      else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return [...new Set(found)].sort();
}

describe('OpenAPI: every route in the spec, every response as its schema says', () => {
  let stack: DevStack;
  let app: Express;
  let defs: Def[];
  let matchId: string;
  let escalationId: string;
  let taskId: string;

  beforeAll(async () => {
    stack = await createDevStack();
    app = createApp(stack.deps);
    defs = app.locals.routeDefs as Def[];
    matchId = (await stack.createMatch()).id;
    await eventually(async () => (await stack.state(matchId)).tasks.length > 0);
    taskId = (await stack.state(matchId)).tasks[0]!.id;
    escalationId = `${matchId}-esc-oa`;
    await stack.database.db.escalation.create({
      data: escalationRow(matchId, { id: escalationId, reasons: ['x'] }),
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('is an OpenAPI 3.1 document that lists every route Express serves (assets and the workspace aside)', async () => {
    const res = await stack.api.request('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      openapi: '3.1.0',
      info: { title: 'bansou API' },
      components: { schemas: { Problem: expect.any(Object) } },
    });
    const inSpec = Object.entries(res.body.paths as Record<string, Record<string, { responses: object }>>)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`))
      .sort();
    expect(inSpec).toEqual(expressRoutes(app));
    for (const ops of Object.values(
      res.body.paths as Record<string, Record<string, { responses: object; summary: string }>>,
    )) {
      for (const op of Object.values(ops)) {
        expect(op.summary.length).toBeGreaterThan(10);
        expect(Object.keys(op.responses).length).toBeGreaterThan(0);
      }
    }
    // Parameters come from the zod schemas, with their descriptions.
    const list = res.body.paths['/matches'].get;
    expect(list.parameters.map((p: { name: string }) => p.name)).toEqual([
      'program',
      'coordinator',
      'status',
      'phase',
      'risk',
      'riskLevel',
      'cause',
      'q',
      'sort',
      'cursor',
      'limit',
    ]);
    expect(list.parameters.find((p: { name: string }) => p.name === 'risk').description).toBe('health band');
    expect(list.parameters.find((p: { name: string }) => p.name === 'cause').description).toBe(
      'a cause watched or escalated now',
    );
    expect(res.body.paths['/matches'].post.requestBody.content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['id', 'programId', 'title', 'startDate', 'host', 'talent', 'coordinator']),
    );
  });

  it('says exactly what each operation can answer: input errors, keys, ids, bodies, limits, outages', async () => {
    const spec = (await stack.api.request('GET', '/openapi.json')).body;
    type Op = {
      responses: Record<string, unknown>;
      parameters: { name: string; in: string; style?: string; explode?: boolean; schema: Record<string, unknown> }[];
      requestBody?: { required: boolean };
      security: unknown[];
    };
    const op = (path: string, method: string) => spec.paths[path][method] as Op;
    const statuses = (path: string, method: string) => Object.keys(op(path, method).responses);
    // Validation of path and query, admin keys on unknown ids, body size and type, the rate limit and outages.
    expect(statuses('/matches/{id}', 'get')).toEqual(['200', '400', '401', '403', '404', '429', '503']);
    expect(statuses('/matches', 'post')).toEqual(expect.arrayContaining(['400', '409', '413', '415', '429', '503']));
    expect(statuses('/escalations/{id}/ack', 'post')).toEqual(expect.arrayContaining(['404', '409', '422']));
    expect(statuses('/openapi.json', 'get')).toEqual(['200']);
    expect(statuses('/checkins/{token}', 'get')).toContain('429');
    // Lists in the query are arrays of their values, comma-separated.
    const status = op('/matches', 'get').parameters.find((p) => p.name === 'status')!;
    expect(status).toMatchObject({ style: 'form', explode: false, schema: { type: 'array', minItems: 1 } });
    expect((status.schema.items as { enum: string[] }).enum).toContain('paused');
    // A required body is required; one with nothing required may be left out.
    expect(op('/programs/{id}/playbook', 'put').requestBody?.required).toBe(true);
    expect(op('/escalations/{id}/ack', 'post').requestBody?.required).toBe(false);
    // Rules the schema cannot state are in the 400's description.
    expect((op('/matches', 'post').responses['400'] as { description: string }).description).toContain(
      'host and talent emails differ',
    );
  });

  it('answers as it says: 405 with Allow, 415, 413, a required body, a list filter', async () => {
    // fetch refuses to send TRACE; node:http does not.
    const trace = await new Promise<{ status?: number; allow?: string; body: string }>((resolve, reject) => {
      const req = http.request(`${stack.api.url}/programs`, { method: 'TRACE', headers: stack.adminHeaders }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode, allow: res.headers.allow, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(trace).toMatchObject({ status: 405, allow: 'POST, GET, HEAD' });
    expect(JSON.parse(trace.body).type).toBe('/docs#problem-method_not_allowed');
    const del = await stack.api.request('DELETE', `/matches/${matchId}`);
    expect([del.status, del.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    expect((await stack.api.request('PUT', '/no/such/path')).status).toBe(404);

    const noBody = await stack.api.request('PUT', `/programs/${stack.programId}/playbook`);
    expect(noBody.status).toBe(400);
    expect(noBody.body.errors).toEqual([{ field: '(body)', message: 'is required' }]);
    const asText = await stack.api.request('POST', '/matches', 'id=1', { 'content-type': 'text/plain' });
    expect(asText.status).toBe(415);
    const huge = await stack.api.request('POST', `/matches/${matchId}/notes`, { text: 'あ'.repeat(600_000) });
    expect(huge.status).toBe(413);
    // An action whose body has nothing required takes no body at all.
    expect((await stack.api.request('POST', `/escalations/${escalationId}/ack`)).status).toBe(422);

    const both = await stack.api.request('GET', '/matches?status=open,paused&status=cancelled');
    expect(both.status).toBe(200);
    const empty = await stack.api.request('GET', '/matches?phase=');
    expect(empty.body.errors[0].field).toMatch(/^phase/);
  });

  it('a key cannot revoke itself (the fuzzer, for one, would lock itself out)', async () => {
    const keys = (await stack.api.request('GET', '/api-keys')).body.items as { id: string; name: string }[];
    const own = await stack.database.db.apiKey.findFirstOrThrow({
      where: { id: { in: keys.map((k) => k.id) }, role: 'admin', revokedAt: null },
      orderBy: { createdAt: 'asc' },
    });
    const res = await stack.api.request('POST', `/api-keys/${own.id}/revoke`);
    expect(res.status).toBe(409);
    expect((await stack.api.request('GET', '/api-keys')).status).toBe(200);
  });

  it('serves a readable docs page with every endpoint and the problem codes the problem types link to', async () => {
    const docs = await stack.api.request('GET', '/docs');
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('GET /programs/{id}/kpis');
    expect(docs.text).toContain('id="problem-validation_failed"');
    const problem = await stack.api.request('GET', '/matches?limit=0');
    expect(problem.body.type).toBe('/docs#problem-validation_failed');
  });

  it('answers each route as its declared response schema says', async () => {
    const program = stack.programId;
    const dates = matchDates();
    const csv = [
      'id,program_id,title,start_date,end_date,host_organization,host_name,host_email,talent_name,talent_email,coordinator_name,coordinator_email',
      `${unique('oa')},${program},OpenAPI案件,${dates.startDate},${dates.endDate},山田食品,山田,${unique('h')}@x.jp,佐藤,${unique('t')}@x.jp,鈴木,${unique('c')}@x.jp`,
    ].join('\n');
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const samples: Record<string, () => Promise<HttpResponse>> = {
      'GET /healthz': () => stack.api.request('GET', '/healthz'),
      'GET /metrics': () => stack.api.request('GET', '/metrics'),
      'GET /livez': () => stack.api.request('GET', '/livez'),
      'GET /readyz': () => stack.api.request('GET', '/readyz'),
      'GET /openapi.json': () => stack.api.request('GET', '/openapi.json'),
      'GET /docs': () => stack.api.request('GET', '/docs'),
      'POST /programs': () =>
        stack.api.request('POST', '/programs', {
          id: unique('oa').toLowerCase(),
          name: 'OpenAPI',
          managers: [{ name: '事務局', email: `${unique('pm')}@x.jp` }],
        }),
      'GET /programs': () => stack.api.request('GET', '/programs'),
      'GET /programs/:id/playbook': () => stack.api.request('GET', `/programs/${program}/playbook`),
      'PUT /programs/:id/playbook': () =>
        stack.api.request('PUT', `/programs/${program}/playbook`, {
          sendDays: 'all',
          sendingHours: { start: '00:00', end: '24:00' },
          skipHolidays: false,
        }),
      'GET /programs/:id/kpis': () => stack.api.request('GET', `/programs/${program}/kpis`),
      'POST /matches': () => stack.api.request('POST', '/matches', matchRequest(program)),
      'GET /matches': () => stack.api.request('GET', '/matches?limit=2'),
      'GET /matches/:id': () => stack.api.request('GET', `/matches/${matchId}`),
      'GET /matches/:id/timeline': () => stack.api.request('GET', `/matches/${matchId}/timeline`),
      'POST /matches/:id/kickoff/proposals': () =>
        stack.api.request('POST', `/matches/${matchId}/kickoff/proposals`, {
          slots: [{ startsAt: future, durationMinutes: 60 }],
        }),
      'POST /matches/:id/kickoff/schedule': () =>
        stack.api.request('POST', `/matches/${matchId}/kickoff/schedule`, { startsAt: future }),
      'POST /matches/:id/kickoff/cancel': () =>
        stack.api.request('POST', `/matches/${matchId}/kickoff/cancel`, { reason: '都合' }),
      'POST /matches/:id/kickoff/record': () =>
        stack.api.request('POST', `/matches/${matchId}/kickoff/record`, { held: true }),
      'POST /matches/:id/contracts/:type': () =>
        stack.api.request('POST', `/matches/${matchId}/contracts/outsourcing_contract`, { status: 'submitted' }),
      'POST /matches/:id/tasks/:taskId/done': () =>
        stack.api.request('POST', `/matches/${matchId}/tasks/${taskId}/done`, {}),
      'POST /matches/:id/notes': () =>
        stack.api.request('POST', `/matches/${matchId}/notes`, { text: 'メモ', sentiment: 4 }),
      'POST /matches/:id/pause': () => stack.api.request('POST', `/matches/${matchId}/pause`, { reason: '繁忙期' }),
      'POST /matches/:id/resume': () => stack.api.request('POST', `/matches/${matchId}/resume`, {}),
      'POST /matches/:id/extend': () =>
        stack.api.request('POST', `/matches/${matchId}/extend`, { endDate: matchDates({ months: 9 }).endDate }),
      'POST /matches/:id/reassign': () =>
        stack.api.request('POST', `/matches/${matchId}/reassign`, {
          coordinator: { name: '高橋', email: `${unique('c')}@x.jp` },
        }),
      'POST /matches/:id/end-early': () =>
        stack.api.request('POST', `/matches/${matchId}/end-early`, { reason: 'bored' }),
      'POST /matches/:id/complete': () => stack.api.request('POST', `/matches/${matchId}/complete`, {}),
      'POST /matches/:id/cancel': () => stack.api.request('POST', `/matches/${matchId}/cancel`, { reason: '' }),
      'GET /escalations': () => stack.api.request('GET', '/escalations'),
      'POST /escalations/:id/ack': () => stack.api.request('POST', `/escalations/${escalationId}/ack`, {}),
      'POST /escalations/:id/resolve': () =>
        stack.api.request('POST', `/escalations/${escalationId}/resolve`, { note: '対応済み' }),
      'POST /escalations/:id/snooze': () =>
        stack.api.request('POST', `/escalations/${escalationId}/snooze`, { until: future, reason: '出張' }),
      'POST /imports/matches': () => stack.api.request('POST', '/imports/matches', csv, { 'content-type': 'text/csv' }),
      'POST /api-keys': () =>
        stack.api.request('POST', '/api-keys', { name: 'oa', role: 'coordinator', programIds: [program] }),
      'GET /api-keys': () => stack.api.request('GET', '/api-keys'),
      'POST /codec/encode': () =>
        stack.api.request('POST', '/codec/encode', {
          payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: 'e30=' }],
        }),
      'POST /codec/decode': () =>
        stack.api.request('POST', '/codec/decode', {
          payloads: [{ metadata: { encoding: Buffer.from('binary/encrypted').toString('base64') }, data: '' }],
        }),
      'POST /programs/:id/webhooks': () =>
        stack.api.request('POST', `/programs/${program}/webhooks`, {
          url: 'https://hooks.example.org/oa',
          events: ['digest.weekly'],
        }),
      'GET /programs/:id/webhooks': () => stack.api.request('GET', `/programs/${program}/webhooks`),
      'POST /programs/:id/webhooks/:webhookId/remove': async () => {
        const made = await stack.api.request('POST', `/programs/${program}/webhooks`, {
          url: 'https://hooks.example.org/oa-remove',
          format: 'slack',
          events: ['escalation.raised'],
        });
        return stack.api.request('POST', `/programs/${program}/webhooks/${made.body.webhook.id}/remove`);
      },
      'GET /programs/:id/webhooks/deliveries': () =>
        stack.api.request('GET', `/programs/${program}/webhooks/deliveries?status=failed`),
      'POST /api-keys/:id/revoke': async () => {
        const made = await stack.api.request('POST', '/api-keys', { name: 'oa-revoke', role: 'admin' });
        return stack.api.request('POST', `/api-keys/${made.body.id}/revoke`);
      },
    };
    expect(Object.keys(samples).sort()).toEqual(defs.map((d) => `${d.method.toUpperCase()} ${d.path}`).sort());

    const seen: string[] = [];
    for (const def of defs) {
      const key = `${def.method.toUpperCase()} ${def.path}`;
      const res = await samples[key]!();
      // Every status is in the spec, and every body has exactly the fields its schema names (zod drops the others).
      const declared = def.responses[res.status];
      expect({ key, status: res.status, declared: Boolean(declared) }).toEqual({
        key,
        status: res.status,
        declared: true,
      });
      if (declared?.schema) {
        const parsed = declared.schema.safeParse(res.body);
        expect({ key, issues: parsed.success ? [] : parsed.error.issues.slice(0, 3) }).toEqual({ key, issues: [] });
        expect({ key, body: parsed.data }).toStrictEqual({ key, body: res.body });
      }
      if (res.status >= 400) expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      seen.push(`${key} → ${res.status}`);
    }
    // The samples cover success and the workflow's rejections (409/422) and validation (400).
    expect(seen).toEqual(
      expect.arrayContaining([
        'POST /matches/:id/end-early → 400',
        'POST /escalations/:id/ack → 422',
        'POST /codec/encode → 200',
        'POST /codec/decode → 400',
      ]),
    );
  });
});
