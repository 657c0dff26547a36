import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { matchIdFor, matchWorkflowId } from '../../workflows/shared';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually } from '../support/eventually';
import { ALWAYS_SEND, matchRequest, seedProgram, unique } from '../support/fixtures';
import { freePort } from '../support/http';
import { keyHeaders } from '../support/keys';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp';
import { startApiAndWorker, type RunningProcess } from '../support/processes';
import { startSmtpListener, type SmtpListener } from '../support/smtp';
import { createDevServerEnv, testProcessEnv, writeTracedTestBundle } from '../support/temporal';

const SERVER = 2;

/**
 * The API and the worker as operators run them, exporting traces by OTLP to a collector on loopback: registering a
 * match is one trace, from the HTTP request through the workflow's start to the email activity in the worker.
 */
describe('tracing: one trace from POST /matches to the email (dev server, real Postgres, SMTP and OTLP receiver)', () => {
  let env: TestWorkflowEnvironment;
  let database: TestDatabase;
  let smtp: SmtpListener;
  let otlp: OtlpReceiver;
  const processes: RunningProcess[] = [];
  let apiUrl: string;

  beforeAll(async () => {
    const apiPort = await freePort();
    [env, database, smtp, otlp] = await Promise.all([
      createDevServerEnv(),
      createTestDatabase(),
      startSmtpListener(),
      startOtlpReceiver(),
      // The worker with tracing on loads the bundle for it, beside the tests' own (`worker/bundle.ts`).
      writeTracedTestBundle(),
    ]);
    apiUrl = `http://127.0.0.1:${apiPort}`;
    const processEnv = {
      ...testProcessEnv(),
      TEMPORAL_ADDRESS: env.address,
      TASK_QUEUE: unique('tracing'),
      DATABASE_URL: database.url,
      SMTP_URL: smtp.url,
      MAIL_FROM: 'bansou <noreply@bansou.test>',
      PUBLIC_BASE_URL: apiUrl,
      SIGNING_SECRET: 'e2e-tracing-signing-secret-0123456789abcdef',
      PORT: String(apiPort),
      HOST: '127.0.0.1',
      METRICS_HOST: '127.0.0.1',
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
    };
    processes.push(...(await startApiAndWorker(processEnv)));
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await Promise.all([env?.teardown(), database?.drop(), smtp?.close(), otlp?.close()]);
  });

  it('exports the request, the workflow start and the email activity as one trace, without personal data', async () => {
    const program = await seedProgram(database.db, unique('trace'), 'トレーステスト', ALWAYS_SEND);
    const admin = await keyHeaders(database.db, 'admin');
    const request = matchRequest(program.id);
    // Probes are not traced: they would bury the requests people make.
    await fetch(`${apiUrl}/readyz`);
    const registered = await fetch(`${apiUrl}/matches`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify(request),
    });
    expect(registered.status).toBe(201);
    await smtp.waitFor(1);

    // The HTTP server span of the request is the trace's root; the email activity's run is in the same trace.
    const byName = (spans: ReceivedSpan[], name: string) => spans.filter((s) => s.name === name);
    const trace = (await eventually(
      () => {
        const [root] = byName(otlp.spans, 'POST /matches');
        if (!root) return undefined;
        const inTrace = otlp.spans.filter((s) => s.traceId === root.traceId);
        return byName(inTrace, 'RunActivity:sendEmail').length > 0 ? { root, inTrace } : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 500 },
    ))!;
    const { root, inTrace } = trace;
    expect(root).toMatchObject({ service: 'bansou-api', kind: SERVER });
    expect(root.parentSpanId).toBeUndefined();
    expect(root.attributes).toMatchObject({ 'http.method': 'POST', 'http.route': '/matches', 'http.status_code': 201 });

    const [start] = byName(inTrace, 'StartWorkflow:matchWorkflow');
    expect(start).toMatchObject({ service: 'bansou-api', parentSpanId: root.spanId });
    expect(start!.attributes.temporalWorkflowId).toBe(matchWorkflowId(matchIdFor(program.id, request.id)));
    const scheduled = byName(inTrace, 'StartActivity:sendEmail');
    const ran = byName(inTrace, 'RunActivity:sendEmail');
    expect(scheduled.length).toBeGreaterThan(0);
    for (const run of ran) {
      expect(run.service).toBe('bansou-worker');
      expect(scheduled.map((s) => s.spanId)).toContain(run.parentSpanId);
    }
    // All scheduled by one workflow run, whose own span ends (and is exported) when the match closes.
    expect(scheduled.every((s) => s.service === 'bansou-worker')).toBe(true);
    expect(new Set(scheduled.map((s) => s.parentSpanId)).size).toBe(1);
    expect(otlp.spans.filter((s) => s.kind === SERVER && s.name !== 'POST /matches')).toEqual([]);

    // Nobody's name or address, and no API key, reaches the tracing backend.
    const exported = otlp.bodies.join('\n');
    for (const person of [request.host, request.talent, request.coordinator]) {
      expect(exported).not.toContain(person.email);
      expect(exported).not.toContain(person.name);
    }
    expect(exported).not.toContain(admin.authorization!.replace('Bearer ', ''));
  });
});
