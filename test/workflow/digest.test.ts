import { DIGEST_TIME_ZONE, mondayOf } from '../../workflows/digest';
import { isJapaneseHoliday, localDate } from '../../workflows/calendar';
import { createMailTransport } from '../../activities/mail/transport';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { escalationRow, matchRequest, seedMatch, seedProgram, unique } from '../support/fixtures';
import {
  describeJst,
  firstDateAt,
  isWorkingDay,
  JST,
  sendingOpensAt,
  weekdayOf,
  type CalendarStart,
} from '../support/instants';
import { startSmtpListener, type SmtpListener } from '../support/smtp';
import { createTestWorker, createTimeSkippingEnv, moveClockTo, steadyClient } from '../support/temporal';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { eventually } from '../support/eventually';
import { saveHistories } from '../support/histories';
import { receiver } from '../support/webhook-receiver';

/** When the schedule starts the digest (worker/schedules.ts): Monday 09:00 JST, a working day or a public holiday. */
const WORKING_MONDAY: CalendarStart = {
  name: 'a working Monday',
  next: (from) => firstDateAt(from, 9, 0, (date) => weekdayOf(date) === 1 && isWorkingDay(date)),
};
const HOLIDAY_MONDAY: CalendarStart = {
  name: 'a public holiday on a Monday',
  next: (from) => firstDateAt(from, 9, 0, (date) => weekdayOf(date) === 1 && isJapaneseHoliday(date)),
};

describe('weekly coordinator digest', () => {
  let env: TestWorkflowEnvironment;
  let database: TestDatabase;
  let smtp: SmtpListener;
  let worker: Worker;
  let running: Promise<void>;
  let client: Client;
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
    client = steadyClient(env);
  });
  /**
   * Runs the digest as the schedule does and returns its result and when it sent (on the test server's clock). The
   * clock moves to when sending opens and a minute on, step by step, never letting the server skip on its own.
   */
  const digest = async (input: { weekOf?: string }, record?: string) => {
    const handle = await client.workflow.start('coordinatorDigestWorkflow', {
      workflowId: unique('digest'),
      taskQueue,
      args: [input],
    });
    await moveClockTo(env, sendingOpensAt(await env.currentTimeMs()) + 60_000);
    const result = await handle.result();
    const history = await handle.fetchHistory();
    if (record) saveHistories(record, [{ runId: handle.firstExecutionRunId, history }]);
    const events = history.events ?? [];
    // Its first activity (reading what to send) comes once it has waited for sending hours.
    const firstActivity = events.find(
      (e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
    );
    const seconds = firstActivity?.eventTime?.seconds;
    return { result, sentAt: seconds === undefined || seconds === null ? undefined : Number(seconds) * 1000 };
  };
  /** Moves the test server's clock to the next instant of a kind; returns it. */
  const startAt = async (start: CalendarStart) => {
    const at = start.next(await env.currentTimeMs());
    await moveClockTo(env, at);
    return at;
  };
  // Each scenario's matches are closed after it, so the next one's digests hold only its own.
  afterEach(async () => {
    await database?.db.match.updateMany({ where: { status: 'open' }, data: { status: 'completed', phase: 'closed' } });
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

  it.each([WORKING_MONDAY, HOLIDAY_MONDAY])(
    'sends each coordinator one email with what needs them across all their matches, overdue first, once a week, on the first working day from 09:00 (started on $name)',
    async (start) => {
      const startedAt = await startAt(start);
      const { db } = database;
      const program = await seedProgram(db);
      const coordinator = { name: '鈴木 一郎', email: `digest.${unique('c')}@npo.example.jp`, locale: 'ja' as const };
      const a = await seedMatch(db, matchRequest(program.id, { coordinator, title: '案件A 販路開拓' }));
      const b = await seedMatch(db, matchRequest(program.id, { coordinator, title: '案件B 採用広報' }));
      const other = await seedMatch(db, matchRequest(program.id, { title: '案件C 他の担当' }));
      // The digest's activity reads the time where it runs (the real clock, not the test server's): what is overdue is
      // set around that.
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
      // The risk model watches a cause on match A: listed, with its reason, though nobody was emailed about it.
      const watch = {
        cause: 'remote_tools',
        level: 'watch',
        score: 1.8,
        evidence: [],
        reason: {
          ja: '人材の「オンラインツール・リモートでの進め方」の回答が、いつもの4から直近の回答で2に下がりました',
          en: "talent's answers on remote tools fell from their usual 4 to 2 in their last check-in",
        },
      };
      await db.match.update({
        where: { id: a.id },
        data: { riskLevel: 'watch', riskCauses: ['remote_tools'], risk: { level: 'watch', causes: [watch] } },
      });

      // As the schedule starts it: no week given, the week is the one it starts in.
      const { result, sentAt } = await digest({});
      const weekOf = localDate(startedAt, JST);
      expect(result).toEqual({ weekOf, sent: 1, failed: 0 }); // the other match is closed: its coordinator gets nothing
      // On a holiday it waited for the next working day's 09:00.
      expect(describeJst(sentAt!)).toBe(describeJst(sendingOpensAt(startedAt)));

      const [mine] = await smtp.waitFor(1, { filter: (e) => e.to === coordinator.email });
      expect(mine!.subject).toContain('今週の対応事項');
      expect(mine!.subject).toContain('4件');
      const text = mine!.mail.text!;
      expect(text).toContain('案件A 販路開拓');
      expect(text).toContain('案件B 採用広報');
      expect(text).toContain('優先度の認識のずれ');
      expect(text).toContain(`[見守り] オンラインツール・リモートでの進め方: ${watch.reason.ja}`);
      expect(text).not.toContain('事後振り返り'); // done
      expect(text).not.toContain('案件C'); // someone else's
      expect(text.indexOf('中間振り返り')).toBeLessThan(text.indexOf('キックオフの準備')); // overdue first

      // The same week again: nothing is sent twice.
      const before = smtp.received.length;
      await digest({ weekOf });
      await new Promise((r) => setTimeout(r, 500));
      expect(smtp.received.length).toBe(before);
    },
  );

  it("the program's webhook endpoints get the week in numbers: open and overdue escalations, overdue tasks, watches (Slack in Japanese)", async () => {
    const weekOf = mondayOf(await startAt(WORKING_MONDAY));
    const { db } = database;
    const [program, other] = [await seedProgram(db), await seedProgram(db)];
    const a = await seedMatch(db, matchRequest(program.id, { title: '案件A' }));
    const b = await seedMatch(db, matchRequest(program.id, { title: '案件B' }));
    const later = new Date((await env.currentTimeMs()) + 7 * 86_400_000);
    await db.escalation.createMany({
      data: [escalationRow(a.id, { dueAt: new Date(0) }), escalationRow(b.id, { dueAt: later })],
    });
    const watch = {
      cause: 'remote_tools',
      level: 'watch',
      score: 1.8,
      evidence: [],
      reason: { ja: '下がりました', en: 'fell' },
    };
    await db.match.update({ where: { id: b.id }, data: { risk: { level: 'watch', causes: [watch] } } });
    const [slack, theirs] = await Promise.all([receiver(), receiver()]);
    const endpoint = (programId: string, url: string) =>
      db.webhookEndpoint.create({
        data: { programId, url, format: 'slack', events: ['digest.weekly'], signingSecret: 'whsec_digest-test' },
      });
    await endpoint(program.id, slack.url);
    await endpoint(other.id, theirs.url);
    try {
      await digest({ weekOf }, 'digest-webhook');
      const rows = await db.webhookDelivery.findMany({ where: { event: 'digest.weekly' } });
      expect(rows.map((r) => [r.programId, r.eventKey])).toEqual([[program.id, `digest:${program.id}:${weekOf}`]]);
      await eventually(() => slack.received.length === 1);
      const text = JSON.parse(slack.received[0]!.body).text as string;
      expect(text.split('\n')[0]).toBe(`【週次ダイジェスト】ふるさと兼業 テストプログラム（${weekOf} の週）`);
      expect(text).toContain('未解決のエスカレーション 2 件（うち期限超過 1 件）');
      expect(text).toContain('見守り中の懸念 1 件');
      expect(text).toContain('期限を過ぎたタスク 0 件');
      // A program without open work raises nothing; the same week again sends nothing new.
      expect(theirs.received).toHaveLength(0);
      await digest({ weekOf });
      await expect(db.webhookDelivery.count({ where: { event: 'digest.weekly' } })).resolves.toBe(1);
    } finally {
      await Promise.all([slack.close(), theirs.close()]);
    }
  });

  it('a rejected address does not keep the other coordinators’ digests from going out', async () => {
    const weekOf = mondayOf(await startAt(WORKING_MONDAY));
    const { db } = database;
    const program = await seedProgram(db);
    const gone = { name: '退職者', email: `gone.${unique('c')}@npo.example.jp`, locale: 'ja' as const };
    const here = { name: 'Active Coordinator', email: `here.${unique('c')}@npo.example.jp`, locale: 'en' as const };
    await seedMatch(db, matchRequest(program.id, { coordinator: gone, title: '宛先不明' }));
    await seedMatch(db, matchRequest(program.id, { coordinator: here, title: 'Reachable' }));
    const { result } = await digest({ weekOf });
    expect(result).toMatchObject({ weekOf, failed: 1 });
    const [mine] = await smtp.waitFor(1, { filter: (e) => e.to === here.email });
    expect(mine!.subject).toContain('Your week of');
    const outbox = await db.email.findFirstOrThrow({ where: { to: gone.email, template: 'coordinator-digest' } });
    expect(outbox).toMatchObject({ status: 'failed', error: expect.stringContaining('550') });
  });
});
