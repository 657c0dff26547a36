import { DIGEST_TIME_ZONE, mondayOf } from '../../workflows/digest';
import { createMailTransport } from '../../activities/mail/transport';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { escalationRow, matchRequest, seedMatch, seedProgram, unique } from '../support/fixtures';
import { startSmtpListener, type SmtpListener } from '../support/smtp';
import { createTestWorker, createTimeSkippingEnv } from '../support/temporal';

describe('weekly coordinator digest', () => {
  let env: TestWorkflowEnvironment;
  let database: TestDatabase;
  let smtp: SmtpListener;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = unique('digest');

  beforeAll(async () => {
    [env, database, smtp] = await Promise.all([
      createTimeSkippingEnv(),
      createTestDatabase(),
      startSmtpListener({ rejectRecipients: (a) => a.startsWith('gone.') }),
    ]);
    worker = await createTestWorker(env, taskQueue, {
      db: database.db,
      mail: { transport: createMailTransport(smtp.url), from: 'bansou <noreply@bansou.test>' },
      links: { publicBaseUrl: 'http://bansou.test', signingSecret: 'digest-test-signing-secret-0123456789' },
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await Promise.all([env?.teardown(), database?.drop(), smtp?.close()]);
  });

  it('finds the Monday of the week in JST', () => {
    expect(mondayOf(Date.parse('2026-11-26T03:00:00Z'))).toBe('2026-11-23'); // Thursday
    expect(mondayOf(Date.parse('2026-11-22T16:00:00Z'))).toBe('2026-11-23'); // Monday 01:00 JST
    expect(mondayOf(Date.parse('2026-11-22T14:00:00Z'))).toBe('2026-11-16'); // Sunday 23:00 JST
    expect(DIGEST_TIME_ZONE).toBe('Asia/Tokyo');
  });

  it('sends each coordinator one email with what needs them across all their matches, overdue first, once a week', async () => {
    const { db } = database;
    const program = await seedProgram(db);
    const coordinator = { name: '鈴木 一郎', email: `digest.${unique('c')}@npo.example.jp`, locale: 'ja' as const };
    const a = await seedMatch(db, matchRequest(program.id, { coordinator, title: '案件A 販路開拓' }));
    const b = await seedMatch(db, matchRequest(program.id, { coordinator, title: '案件B 採用広報' }));
    const other = await seedMatch(db, matchRequest(program.id, { title: '案件C 他の担当' }));
    const weekOf = mondayOf(await env.currentTimeMs());
    const now = Date.now();
    await db.coordinatorTask.createMany({
      data: [
        {
          id: `${a.id}-t1`,
          matchId: a.id,
          key: 'midpoint_review',
          label: { ja: '中間振り返り', en: 'Mid-point review' },
          status: 'open',
          openAt: new Date(now - 9 * 86_400_000),
          dueAt: new Date(now - 2 * 86_400_000),
        },
        {
          id: `${b.id}-t1`,
          matchId: b.id,
          key: 'kickoff_prep',
          label: { ja: 'キックオフの準備', en: 'Prepare the kickoff' },
          status: 'open',
          openAt: new Date(now),
          dueAt: new Date(now + 3 * 86_400_000),
        },
        {
          id: `${b.id}-t2`,
          matchId: b.id,
          key: 'retrospective',
          label: { ja: '事後振り返り', en: 'Retrospective' },
          status: 'done',
          openAt: new Date(now),
          dueAt: new Date(now),
        },
      ],
    });
    await db.escalation.create({
      data: escalationRow(b.id, {
        id: `${b.id}-e1`,
        type: 'priority_gap',
        openedAt: new Date(now),
        dueAt: new Date(now + 86_400_000),
      }),
    });
    await db.match.update({ where: { id: other.id }, data: { status: 'completed', phase: 'closed' } });

    const run = () =>
      env.client.workflow.execute('coordinatorDigestWorkflow', {
        workflowId: unique('digest'),
        taskQueue,
        args: [{ weekOf }],
      });
    const result = await run();
    expect(result).toEqual({ weekOf, sent: 1, failed: 0 }); // the other match is closed: its coordinator gets nothing

    const [mine] = await smtp.waitFor(1, { filter: (e) => e.to === coordinator.email });
    expect(mine!.subject).toContain('今週の対応事項');
    expect(mine!.subject).toContain('3件');
    const text = mine!.mail.text!;
    expect(text).toContain('案件A 販路開拓');
    expect(text).toContain('案件B 採用広報');
    expect(text).toContain('優先度の認識のずれ');
    expect(text).not.toContain('事後振り返り'); // done
    expect(text).not.toContain('案件C'); // someone else's
    expect(text.indexOf('中間振り返り')).toBeLessThan(text.indexOf('キックオフの準備')); // overdue first

    // The same week again: nothing is sent twice.
    const before = smtp.received.length;
    await run();
    await new Promise((r) => setTimeout(r, 500));
    expect(smtp.received.length).toBe(before);
  });

  it('a rejected address does not keep the other coordinators’ digests from going out', async () => {
    const { db } = database;
    const program = await seedProgram(db);
    const gone = { name: '退職者', email: `gone.${unique('c')}@npo.example.jp`, locale: 'ja' as const };
    const here = { name: 'Active Coordinator', email: `here.${unique('c')}@npo.example.jp`, locale: 'en' as const };
    await seedMatch(db, matchRequest(program.id, { coordinator: gone, title: '宛先不明' }));
    await seedMatch(db, matchRequest(program.id, { coordinator: here, title: 'Reachable' }));
    const weekOf = '2026-12-07';
    const result = await env.client.workflow.execute('coordinatorDigestWorkflow', {
      workflowId: unique('digest'),
      taskQueue,
      args: [{ weekOf }],
    });
    expect(result).toMatchObject({ weekOf, failed: 1 });
    const [mine] = await smtp.waitFor(1, { filter: (e) => e.to === here.email });
    expect(mine!.subject).toContain('Your week of');
    const outbox = await db.email.findFirstOrThrow({ where: { to: gone.email, template: 'coordinator-digest' } });
    expect(outbox).toMatchObject({ status: 'failed', error: expect.stringContaining('550') });
  });
});
