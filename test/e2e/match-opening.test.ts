import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually } from '../support/eventually';
import { ALWAYS_SEND, matchRequest, unique } from '../support/fixtures';
import { request } from '../support/http';
import { keyHeaders } from '../support/keys';
import { API_READY, WORKER_READY, startProcess, type RunningProcess } from '../support/processes';
import { startSmtpListener, type SmtpListener } from '../support/smtp';
import { createDevServerEnv, testProcessEnv } from '../support/temporal';

/**
 * The real thing: the API and the worker as their own processes, the Temporal dev server, Postgres and an SMTP
 * listener on loopback. The worker is killed with SIGKILL in the middle of sending and restarted.
 */
describe('end to end: a new match sends its opening emails exactly once, even through a worker crash', () => {
  let env: TestWorkflowEnvironment;
  let database: TestDatabase;
  let smtp: SmtpListener;
  const processes: RunningProcess[] = [];
  let processEnv: Record<string, string>;
  const port = 20000 + Math.floor(Math.random() * 20000);
  const baseUrl = `http://127.0.0.1:${port}`;

  let admin: Record<string, string>;
  beforeAll(async () => {
    // Each SMTP delivery is held for a moment before its 250 reply, so the kill lands mid-send.
    [env, database, smtp] = await Promise.all([
      createDevServerEnv(),
      createTestDatabase(),
      startSmtpListener({ acceptDelayMs: 1500 }),
    ]);
    admin = await keyHeaders(database.db, 'admin');
    processEnv = {
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace ?? 'default',
      ...testProcessEnv(),
      TASK_QUEUE: unique('e2e'),
      DATABASE_URL: database.url,
      SMTP_URL: smtp.url,
      MAIL_FROM: 'bansou <noreply@bansou.test>',
      PUBLIC_BASE_URL: baseUrl,
      SIGNING_SECRET: 'e2e-signing-secret-with-at-least-32-chars',
      PORT: String(port),
      HOST: '127.0.0.1',
    };
    processes.push(await startProcess('api', 'api/main.ts', processEnv, API_READY));
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await Promise.all([env?.teardown(), database?.drop(), smtp?.close()]);
  });

  it('POST /matches → three emails, Message-IDs on the timeline; SIGKILL mid-send loses none and sends none twice', async () => {
    let worker = await startProcess('worker', 'worker/main.ts', processEnv, WORKER_READY);
    processes.push(worker);

    const program = await request(baseUrl, 'POST', '/programs', { id: 'e2e-program', name: 'E2E プログラム' }, admin);
    expect(program.status).toBe(201);
    // This test runs on the real clock, possibly at night in Japan: the program sends at any hour.
    expect((await request(baseUrl, 'PUT', '/programs/e2e-program/playbook', ALWAYS_SEND, admin)).status).toBe(200);
    const body = matchRequest('e2e-program');
    const created = await request(baseUrl, 'POST', '/matches', body, admin);
    expect(created.status).toBe(201);
    const matchId = created.body.match.id as string;

    // As soon as the first email is in the outbox, the worker dies without a chance to clean up.
    await eventually(() => database.db.email.count({ where: { matchId } }), { intervalMs: 20 });
    await worker.stop('SIGKILL');
    const inOutboxAtKill = await database.db.email.findMany({ where: { matchId }, select: { status: true } });
    // The crash interrupted sending: an email was in the outbox, not yet sent (queued, or mid-send: the SMTP reply takes
    // 1.5 s, and a message whose client went away before it is not delivered).
    expect(inOutboxAtKill.some((e) => e.status === 'queued' || e.status === 'sending')).toBe(true);
    expect(smtp.received.length).toBeLessThan(3);

    worker = await startProcess('worker', 'worker/main.ts', processEnv, WORKER_READY);
    processes.push(worker);

    const emails = await smtp.waitFor(3, { timeoutMs: 90_000 });
    // Give a duplicate every chance to show up before counting.
    await new Promise((r) => setTimeout(r, 3000));
    expect(smtp.received).toHaveLength(3);
    expect(emails.map((e) => e.to).sort()).toEqual([body.coordinator.email, body.host.email, body.talent.email].sort());
    expect(new Set(emails.map((e) => e.messageId)).size).toBe(3);
    const hostEmail = emails.find((e) => e.to === body.host.email)!;
    expect(hostEmail.subject).toBe(`【E2E プログラム】「${body.title}」の伴走支援を開始しました`);
    expect(emails.find((e) => e.to === body.talent.email)!.subject).toBe(
      `[E2E プログラム] Post-match support has started for "${body.title}"`,
    );

    const outbox = await database.db.email.findMany({
      where: { matchId },
      select: { status: true, attempts: true },
    });
    expect(outbox.map((e) => e.status)).toEqual(['sent', 'sent', 'sent']);

    const detail = await eventually(async () => {
      const r = await request(baseUrl, 'GET', `/matches/${matchId}?live=true`, undefined, admin);
      expect(r.body.timeline.filter((e: { type: string }) => e.type === 'email.sent')).toHaveLength(3);
      return r;
    });
    const timelineIds = detail.body.timeline
      .filter((e: { type: string }) => e.type === 'email.sent')
      .map((e: { payload: { messageId: string } }) => e.payload.messageId)
      .sort();
    expect(timelineIds).toEqual(emails.map((e) => e.messageId).sort());
    expect(detail.body.live).toMatchObject({ phase: 'onboarding', status: 'open' });
  });
});
