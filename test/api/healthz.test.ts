import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createMailTransport } from '../../activities/mail/transport';
import { createApp } from '../../api/app';
import type { ApiDeps } from '../../api/deps';
import { HEALTH_CACHE_MS } from '../../api/routes/health';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { serve, type TestServer } from '../support/http';
import { startSmtpListener, type SmtpListener } from '../support/smtp';
import { createDevServerEnv, testKeyRing } from '../support/temporal';

const LINKS = { publicBaseUrl: 'http://bansou.test', signingSecret: 'test-signing-secret-test-signing-secret' };

describe('/healthz (dev server, real Postgres, real SMTP listener)', () => {
  let env: TestWorkflowEnvironment;
  let database: TestDatabase;
  let smtp: SmtpListener;
  let deps: ApiDeps;
  const servers: TestServer[] = [];

  beforeAll(async () => {
    [env, database, smtp] = await Promise.all([createDevServerEnv(), createTestDatabase(), startSmtpListener()]);
    const transport = createMailTransport(smtp.url);
    deps = {
      db: database.db,
      temporal: env.client,
      taskQueue: 'healthz',
      keys: testKeyRing(),
      links: LINKS,
      checkSmtp: async () => void (await transport.verify()),
    };
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all([env?.teardown(), database?.drop(), smtp?.close()]);
  });

  const start = async (overrides: Partial<ApiDeps> = {}) => {
    const server = await serve(createApp({ ...deps, ...overrides }));
    servers.push(server);
    return server;
  };

  it('answers many callers from one round of checks: one SMTP connection, not one per call', async () => {
    const api = await start();
    const before = smtp.connections();
    const answers = await Promise.all(Array.from({ length: 20 }, () => api.request('GET', '/healthz')));
    for (let i = 0; i < 20; i++) answers.push(await api.request('GET', '/healthz'));
    expect(answers.map((a) => a.status)).toEqual(Array(40).fill(200));
    expect(answers[0]!.body).toEqual({
      status: 'ok',
      down: [],
      checks: { temporal: { status: 'up' }, postgres: { status: 'up' }, smtp: { status: 'up' } },
    });
    expect(smtp.connections() - before).toBe(1);

    // Once the round is older than the cache window, the next caller checks again.
    await new Promise((r) => setTimeout(r, HEALTH_CACHE_MS + 100));
    expect((await api.request('GET', '/healthz')).status).toBe(200);
    expect(smtp.connections() - before).toBe(2);
  });

  it('is rate-limited per client: past the limit a 429 problem document with Retry-After', async () => {
    const api = await start({ healthRateLimit: 5 });
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await api.request('GET', '/healthz')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const refused = await api.request('GET', '/healthz');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body).toMatchObject({ status: 429, type: expect.stringContaining('rate_limited') });
  });

  it('says what is down with a 503 and Retry-After, and the down answer is shared too', async () => {
    const deadSmtp = createMailTransport('smtp://127.0.0.1:1'); // nothing listens on port 1
    let smtpChecks = 0;
    const api = await start({
      checkSmtp: async () => {
        smtpChecks += 1;
        await deadSmtp.verify();
      },
    });
    const answers = await Promise.all(Array.from({ length: 10 }, () => api.request('GET', '/healthz')));
    for (const down of answers) {
      expect(down.status).toBe(503);
      expect(Number(down.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(down.body).toEqual({
        status: 'down',
        down: ['smtp'],
        checks: { temporal: { status: 'up' }, postgres: { status: 'up' }, smtp: { status: 'down' } },
      });
    }
    expect(smtpChecks).toBe(1);
  });
});
