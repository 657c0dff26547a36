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
import { API_READY, WORKER_READY, startProcess, type RunningProcess } from '../support/processes';
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
    const processEnv = {
      ...testProcessEnv(),
      TEMPORAL_ADDRESS: env.address,
      TASK_QUEUE: unique('operations'),
      DATABASE_URL: database.url,
      SMTP_URL: smtp.url,
      MAIL_FROM: 'bansou <noreply@bansou.test>',
      PUBLIC_BASE_URL: apiUrl,
      SIGNING_SECRET: 'e2e-operations-signing-secret-0123456789abcdef',
      PORT: String(apiPort),
      HOST: '127.0.0.1',
      METRICS_PORT: String(metricsPort),
      METRICS_HOST: '127.0.0.1',
    };
    processes.push(
      ...(await Promise.all([
        startProcess('api', 'api/main.ts', processEnv, API_READY),
        startProcess('worker', 'worker/main.ts', processEnv, WORKER_READY),
      ])),
    );
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await Promise.all([env?.teardown(), database?.drop(), smtp?.close()]);
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
});
