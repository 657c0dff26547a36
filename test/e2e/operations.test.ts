import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { PROJECT_ROOT } from '../../dev/env';
import { matchIdFor } from '../../workflows/shared';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually } from '../support/eventually';
import { ALWAYS_SEND, matchRequest, seedProgram, unique } from '../support/fixtures';
import { freePort, type HttpResponse } from '../support/http';
import { keyHeaders } from '../support/keys';
import { API_READY, WORKER_READY, startApiAndWorker, startProcess, type RunningProcess } from '../support/processes';
import { parseMetrics, valueOf } from '../support/prometheus';
import { startSmtpListener, type SmtpListener } from '../support/smtp';
import { createDevServerEnv, testProcessEnv } from '../support/temporal';

/**
 * The API and the worker as operators run them (`npm run api`, `npm run worker`, real processes): what they tell
 * Prometheus about the requests they answered, the Temporal SDK's work and the state of matches and mail.
 */
describe('operations: the processes observed (dev server, real Postgres and SMTP)', () => {
  let env: TestWorkflowEnvironment;
  let database: TestDatabase;
  let smtp: SmtpListener;
  const processes: RunningProcess[] = [];
  let apiUrl: string;
  let metricsUrl: string;

  beforeAll(async () => {
    const [apiPort, metricsPort] = await Promise.all([freePort(), freePort()]);
    [env, database, smtp] = await Promise.all([createDevServerEnv(), createTestDatabase(), startSmtpListener()]);
    apiUrl = `http://127.0.0.1:${apiPort}`;
    metricsUrl = `http://127.0.0.1:${metricsPort}`;
    const processEnv = envFor({ apiPort, metricsPort, smtpUrl: smtp.url, taskQueue: unique('operations') });
    processes.push(...(await startApiAndWorker(processEnv)));
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await Promise.all([env?.teardown(), database?.drop(), smtp?.close()]);
  });

  /** The environment of one API and one worker, as an operator would set it. */
  const envFor = (o: { apiPort: number; metricsPort: number; smtpUrl: string; taskQueue: string }) => ({
    ...testProcessEnv(),
    TEMPORAL_ADDRESS: env.address,
    TASK_QUEUE: o.taskQueue,
    DATABASE_URL: database.url,
    SMTP_URL: o.smtpUrl,
    MAIL_FROM: 'bansou <noreply@bansou.test>',
    PUBLIC_BASE_URL: `http://127.0.0.1:${o.apiPort}`,
    SIGNING_SECRET: 'e2e-operations-signing-secret-0123456789abcdef',
    PORT: String(o.apiPort),
    HOST: '127.0.0.1',
    METRICS_PORT: String(o.metricsPort),
    METRICS_HOST: '127.0.0.1',
  });

  const get = async (url: string, headers: Record<string, string> = {}): Promise<HttpResponse<string>> => {
    const answer = await fetch(url, { headers });
    const text = await answer.text();
    return { status: answer.status, headers: answer.headers, body: text, text };
  };

  it('serves Prometheus metrics: requests by declared route and status, the SDK, outbox and matches', async () => {
    const program = await seedProgram(database.db, unique('ops'), '運用テスト', ALWAYS_SEND);
    const admin = await keyHeaders(database.db, 'admin');
    const request = matchRequest(program.id);
    const registered = await fetch(`${apiUrl}/matches`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify(request),
    });
    expect(registered.status).toBe(201);
    const matchId = matchIdFor(program.id, request.id);
    expect((await get(`${apiUrl}/matches/${encodeURIComponent(matchId)}`, admin)).status).toBe(200);
    expect((await get(`${apiUrl}/matches/${encodeURIComponent(`${program.id}:nobody`)}`, admin)).status).toBe(404);
    // A check-in link that is no good: its token must not become a label.
    expect((await get(`${apiUrl}/checkins/not-a-token.${'x'.repeat(43)}`)).status).toBeGreaterThanOrEqual(400);
    await smtp.waitFor(3);

    // The API: one histogram, labelled by route as declared, never by path.
    const api = await get(`${apiUrl}/metrics`);
    expect(api.status).toBe(200);
    expect(api.headers.get('content-type')).toMatch(/^text\/plain/);
    const apiSamples = parseMetrics(api.body);
    const count = (route: string, status: string, method = 'GET') =>
      valueOf(apiSamples, 'bansou_http_request_duration_seconds_count', { method, route, status });
    expect(count('/matches', '201', 'POST')).toBe(1);
    expect(count('/matches/:id', '200')).toBe(1);
    expect(count('/matches/:id', '404')).toBe(1);
    expect(api.body).not.toContain(request.id);
    expect(api.body).not.toContain('not-a-token');
    expect(valueOf(apiSamples, 'process_resident_memory_bytes')).toBeGreaterThan(0);

    // The worker: bansou's gauges read from Postgres, and the Temporal SDK's own metrics on the same port.
    const worker = (await eventually(
      async () => {
        const samples = parseMetrics((await get(`${metricsUrl}/metrics`)).body);
        return (valueOf(samples, 'bansou_emails', { status: 'sent' }) ?? 0) >= 3 ? samples : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 1000 },
    ))!;
    expect(valueOf(worker, 'bansou_state_up')).toBe(1);
    expect(valueOf(worker, 'bansou_matches', { phase: 'onboarding', status: 'open' })).toBe(1);
    expect(valueOf(worker, 'bansou_emails', { status: 'failed' })).toBe(0);
    expect(valueOf(worker, 'bansou_outbox_oldest_unsent_seconds')).toBe(0);
    expect(valueOf(worker, 'bansou_answers_undelivered')).toBe(0);
    expect(valueOf(worker, 'bansou_escalations_overdue')).toBe(0);
    const sdk = worker.filter((s) => s.name.startsWith('temporal_'));
    expect(sdk.map((s) => s.name)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^temporal_workflow_task_execution_latency/)]),
    );
    expect(sdk.find((s) => s.name.startsWith('temporal_activity_execution_latency'))).toBeDefined();

    // The Grafana dashboard asks only for series these two targets serve.
    const dashboard = readFileSync(path.join(PROJECT_ROOT, 'deploy/grafana/bansou.json'), 'utf8');
    const asked = new Set(dashboard.match(/\b(?:bansou|temporal|process|nodejs)_\w+/g));
    const served = new Set([...apiSamples, ...worker].map((s) => s.name));
    expect(asked.size).toBeGreaterThan(15);
    expect([...asked].filter((name) => !served.has(name))).toEqual([]);
  });

  it('answers /livez and /readyz, and on SIGTERM finishes the email in flight and stops in bounded time', async () => {
    // A mail server that takes 4 s to accept each email: the worker is mid-send when it is told to stop.
    const slowSmtp = await startSmtpListener({ acceptDelayMs: 4000 });
    const [apiPort, metricsPort] = await Promise.all([freePort(), freePort()]);
    const taskQueue = unique('stopping');
    const pair = await Promise.all([
      startProcess(
        'api',
        'api/main.ts',
        { ...envFor({ apiPort, metricsPort, smtpUrl: slowSmtp.url, taskQueue }), SHUTDOWN_TIMEOUT_SECONDS: '15' },
        API_READY,
      ),
      startProcess(
        'worker',
        'worker/main.ts',
        { ...envFor({ apiPort, metricsPort, smtpUrl: slowSmtp.url, taskQueue }), SHUTDOWN_TIMEOUT_SECONDS: '15' },
        WORKER_READY,
      ),
    ]);
    processes.push(...pair);
    const [api, worker] = pair;
    try {
      const base = `http://127.0.0.1:${apiPort}`;
      const workerBase = `http://127.0.0.1:${metricsPort}`;
      expect(await get(`${base}/livez`)).toMatchObject({ status: 200 });
      expect(await get(`${workerBase}/livez`)).toMatchObject({ status: 200 });
      for (const url of [`${base}/readyz`, `${workerBase}/readyz`]) {
        const ready = await eventually(async () => {
          const answer = await get(url);
          return answer.status === 200 ? answer : undefined;
        });
        expect(JSON.parse(ready!.body)).toEqual({
          status: 'ready',
          checks: { temporal: { status: 'up' }, postgres: { status: 'up' }, smtp: { status: 'up' } },
        });
      }

      const program = await seedProgram(database.db, unique('stop'), '停止テスト', ALWAYS_SEND);
      const admin = await keyHeaders(database.db, 'admin');
      const request = matchRequest(program.id);
      const registered = await fetch(`${base}/matches`, {
        method: 'POST',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify(request),
      });
      expect(registered.status).toBe(201);
      const matchId = matchIdFor(program.id, request.id);
      // The first email is in the SMTP transaction (its outbox row says so) when both processes are told to stop.
      await eventually(() => database.db.email.count({ where: { matchId, status: 'sending' } }), { timeoutMs: 30_000 });
      const t0 = Date.now();
      const [apiExit, workerExit] = await Promise.all([api!.stop('SIGTERM'), worker!.stop('SIGTERM')]);
      const seconds = (Date.now() - t0) / 1000;
      expect({ apiExit, workerExit }).toEqual({ apiExit: 0, workerExit: 0 });
      expect(seconds).toBeLessThan(15 + 5);
      // The email in flight was not cut off: the server has it, and the outbox recorded it as sent.
      expect(slowSmtp.received.length).toBeGreaterThanOrEqual(1);
      expect(await database.db.email.count({ where: { matchId, status: 'sent' } })).toBeGreaterThanOrEqual(1);
      expect(await database.db.email.count({ where: { matchId, status: 'sending' } })).toBe(0);
      expect(worker!.output()).toMatch(/"msg":"bansou worker: stopped"/);
      expect(api!.output()).toMatch(/"msg":"bansou api: stopped"/);
    } finally {
      await slowSmtp.close();
    }
  });
});
