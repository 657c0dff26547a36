import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createMailTransport } from '../../activities/mail/transport';
import { matchStateQuery, matchWorkflowId } from '../../workflows/shared';
import { eventually } from '../support/eventually';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { matchRequest, seedMatch, seedProgram, unique } from '../support/fixtures';
import { startSmtpListener, type SmtpListener } from '../support/smtp';
import { createTestWorker, createTimeSkippingEnv } from '../support/temporal';

describe('match workflow: the opening slice (time-skipping server)', () => {
  let env: TestWorkflowEnvironment;
  let database: TestDatabase;
  let smtp: SmtpListener;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = unique('slice');

  beforeAll(async () => {
    [env, database, smtp] = await Promise.all([createTimeSkippingEnv(), createTestDatabase(), startSmtpListener()]);
    worker = await createTestWorker(env, taskQueue, {
      db: database.db,
      mail: { transport: createMailTransport(smtp.url), from: 'bansou <noreply@bansou.test>' },
      links: { publicBaseUrl: 'http://bansou.test' },
    });
    running = worker.run();
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await Promise.all([env?.teardown(), database?.drop(), smtp?.close()]);
  });

  it('sends the opening email to host, talent and coordinator, records the timeline and closes at the end date', async () => {
    const program = await seedProgram(database.db);
    const match = await seedMatch(database.db, matchRequest(program.id));
    const handle = await env.client.workflow.start('matchWorkflow', {
      workflowId: matchWorkflowId(match.id),
      taskQueue,
      args: [{ match }],
    });

    const emails = await smtp.waitFor(3);
    expect(emails.map((e) => e.to).sort()).toEqual(
      [match.coordinator.email, match.host.email, match.talent.email].sort(),
    );
    const byRecipient = Object.fromEntries(emails.map((e) => [e.to, e]));
    expect(byRecipient[match.host.email]!.subject).toContain('伴走支援を開始しました');
    expect(byRecipient[match.talent.email]!.subject).toContain('Post-match support has started');
    for (const e of emails) expect(e.messageId).toMatch(/^<[0-9a-f]{32}@bansou\.test>$/);

    const state = await eventually(async () => {
      const s = await handle.query(matchStateQuery);
      expect(s.emailsSent).toHaveLength(3);
      return s;
    });
    expect(state.phase).toBe('active');

    const outbox = await database.db.email.findMany({ where: { matchId: match.id } });
    expect(outbox.map((e) => e.status)).toEqual(['sent', 'sent', 'sent']);
    expect(outbox.map((e) => e.messageId).sort()).toEqual(emails.map((e) => e.messageId).sort());

    // Time skips to the end date: the workflow closes as completed.
    const result = await handle.result();
    expect(result).toMatchObject({ phase: 'closed', status: 'completed' });
    const timeline = await database.db.matchEvent.findMany({
      where: { matchId: match.id },
      orderBy: { occurredAt: 'asc' },
    });
    expect(timeline.map((e) => e.type)).toEqual([
      'match.opened',
      'email.sent',
      'email.sent',
      'email.sent',
      'match.closed',
    ]);
    expect(timeline.at(-1)!.occurredAt.toISOString().slice(0, 10)).toBe('2027-05-30'); // 00:00 JST on 31 May
  });
});
