import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { PROJECT_ROOT } from '../../dev/env';
import type { matchWorkflow } from '../../workflows';
import { DEFAULT_PLAYBOOK } from '../../workflows/playbook';
import { matchWorkflowId } from '../../workflows/shared';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually } from '../support/eventually';
import { ALWAYS_SEND, matchRequest, seedMatch, seedProgram, unique } from '../support/fixtures';
import { WORKER_READY, startProcess, type RunningProcess } from '../support/processes';
import { startSmtpListener, type SmtpListener } from '../support/smtp';
import { createDevServerEnv, testProcessEnv } from '../support/temporal';

const MATCHES = 40;
const KILLS = 4;
/** Emails accepted after each (re)start before the next SIGKILL: every kill lands while sending is in full flow. */
const ACCEPTED_BEFORE_KILL = 15;
/** The worker's bound on SMTP transactions in flight (`MAIL_MAX_CONCURRENT_SENDS`). */
const SENDS_IN_FLIGHT = 3;

/**
 * What a crash can duplicate, measured: the worker is its own process and is SIGKILLed again and again while 40
 * matches send their opening emails to an SMTP server that, like a real one, keeps a message once its data has
 * arrived and answers a moment later. A message accepted but not yet recorded as sent when the worker dies is sent
 * again by the retry, with the same Message-ID; nothing else may be.
 */
describe('end to end: SIGKILLing the worker while many emails are sending', () => {
  let env: TestWorkflowEnvironment;
  let database: TestDatabase;
  let smtp: SmtpListener;
  const processes: RunningProcess[] = [];

  beforeAll(async () => {
    [env, database, smtp] = await Promise.all([
      createDevServerEnv(),
      createTestDatabase(),
      startSmtpListener({ acceptDelayMs: 300, commitBeforeReply: true }),
    ]);
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    await Promise.all([env?.teardown(), database?.drop(), smtp?.close()]);
  });

  it('loses nothing and duplicates only the messages whose acceptance was not yet recorded, a few per kill', async () => {
    const taskQueue = unique('mail-crash');
    const workerEnv = {
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace ?? 'default',
      ...testProcessEnv(),
      TASK_QUEUE: taskQueue,
      DATABASE_URL: database.url,
      SMTP_URL: smtp.url,
      MAIL_FROM: 'bansou <noreply@bansou.test>',
      SIGNING_SECRET: 'e2e-signing-secret-with-at-least-32-chars',
      MAIL_MAX_CONCURRENT_SENDS: String(SENDS_IN_FLIGHT),
      // info: the worker says it is polling at that level.
      LOG_LEVEL: 'info',
    };
    let startedAt = 0;
    const startWorker = async () => {
      startedAt = Date.now();
      const worker = await startProcess('worker', 'worker/main.ts', workerEnv, WORKER_READY);
      processes.push(worker);
      return worker;
    };

    // Sending at any hour: this test runs on the real clock.
    const program = await seedProgram(database.db, undefined, undefined, ALWAYS_SEND);
    const matches = [];
    for (let i = 0; i < MATCHES; i++) matches.push(await seedMatch(database.db, matchRequest(program.id)));
    let worker = await startWorker();
    await Promise.all(
      matches.map((match) =>
        env.client.workflow.start<typeof matchWorkflow>('matchWorkflow', {
          workflowId: matchWorkflowId(match.id),
          taskQueue,
          args: [{ match, playbook: { ...DEFAULT_PLAYBOOK, ...ALWAYS_SEND, version: 1 } }],
        }),
      ),
    );

    const kills: { at: number; sending: string[]; caught: number }[] = [];
    for (let k = 0; k < KILLS; k++) {
      const target = smtp.received.length + ACCEPTED_BEFORE_KILL;
      await eventually(() => smtp.received.length >= target, { timeoutMs: 120_000, intervalMs: 5 });
      await worker.stop('SIGKILL');
      const at = Date.now();
      // Nothing changes these rows until a worker runs again. Rows an earlier kill left `sending` (their retry has not
      // come yet) are not this kill's.
      const sending = await database.db.email.findMany({
        where: { status: 'sending' },
        select: { messageId: true, attemptedAt: true },
      });
      kills.push({
        at,
        sending: sending.map((e) => e.messageId),
        caught: sending.filter((e) => e.attemptedAt!.getTime() >= startedAt).length,
      });
      worker = await startWorker();
    }

    // Every match sends its opening emails to host, talent and coordinator.
    const allSent = async () => {
      const [rows, sent] = await Promise.all([
        database.db.email.count(),
        database.db.email.count({ where: { status: 'sent' } }),
      ]);
      return rows >= MATCHES * 3 && sent === rows && new Set(smtp.received.map((e) => e.messageId)).size === rows;
    };
    await eventually(allSent, { timeoutMs: 180_000, intervalMs: 500 });
    // A late duplicate has every chance to arrive before counting (retries follow a crash within ~20 s).
    await new Promise((r) => setTimeout(r, 3000));
    expect(await allSent()).toBe(true);

    const copies = new Map<string, number[]>();
    for (const e of smtp.received)
      copies.set(e.messageId, [...(copies.get(e.messageId) ?? []), e.receivedAt.getTime()]);
    const duplicated = [...copies.entries()].filter(([, times]) => times.length > 1);
    // Each copy beyond the first belongs to the first kill after the copy before it arrived (its acceptance was not
    // recorded when that worker died).
    const perKill = kills.map(() => 0);
    let withoutKill = 0;
    for (const [, times] of duplicated) {
      for (let i = 1; i < times.length; i++) {
        const kill = kills.findIndex((k) => k.at >= times[i - 1]!);
        if (kill < 0) withoutKill += 1;
        else perKill[kill]! += 1;
      }
    }
    const figures = {
      emails: copies.size,
      received: smtp.received.length,
      kills: KILLS,
      duplicates: smtp.received.length - copies.size,
      duplicatesPerKill: perKill,
      duplicatesWithoutKill: withoutKill,
      caughtSendingPerKill: kills.map((k) => k.caught),
      sendsInFlight: SENDS_IN_FLIGHT,
    };
    mkdirSync(path.join(PROJECT_ROOT, 'test-artifacts'), { recursive: true });
    writeFileSync(
      path.join(PROJECT_ROOT, 'test-artifacts', 'mail-crash.json'),
      `${JSON.stringify(figures, null, 2)}\n`,
    );
    process.stderr.write(`[mail-crash] ${JSON.stringify(figures)}\n`);

    const outbox = await database.db.email.findMany({
      select: { messageId: true, status: true, possibleDuplicates: true },
    });
    // Nothing lost: every email of the outbox arrived and is recorded as sent.
    expect(outbox.every((e) => e.status === 'sent')).toBe(true);
    expect(outbox.every((e) => copies.has(e.messageId))).toBe(true);
    // A duplicate is always the same message (same Message-ID), and only one a kill caught in its SMTP transaction.
    expect(withoutKill).toBe(0);
    const caught = new Set(kills.flatMap((k) => k.sending));
    expect(duplicated.map(([id]) => id).filter((id) => !caught.has(id))).toEqual([]);
    // Each kill caught at most the bounded number of transactions, so it duplicated at most that many.
    for (const kill of kills) expect(kill.caught).toBeLessThanOrEqual(SENDS_IN_FLIGHT);
    for (const n of perKill) expect(n).toBeLessThanOrEqual(SENDS_IN_FLIGHT);
    // The outbox counts every resend whose earlier attempt's outcome was unknown: each duplicate is among them.
    const possible = new Map(outbox.map((e) => [e.messageId, e.possibleDuplicates]));
    for (const [id, times] of duplicated) expect(possible.get(id)).toBeGreaterThanOrEqual(times.length - 1);
  }, 600_000);
});
