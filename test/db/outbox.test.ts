import type { ActivityDeps } from '../../activities/deps';
import { beginTransaction, recordAccepted, recordNotSent } from '../../activities/mail/outbox';
import { createMailActivities, type SendEmailInput } from '../../activities/mail/send';
import { createMailTransport, type MailTransport } from '../../activities/mail/transport';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { unique } from '../support/fixtures';
import { startSmtpListener, type SmtpListener } from '../support/smtp';

/**
 * The durable outbox against real Postgres and a real SMTP listener: one row per idempotency key, a transaction begun
 * only by a compare-and-set on the row, a row left `sending` counted as a possible duplicate, `sent` never taken back,
 * and its instants as Prisma reads them.
 */
describe('the outbox', () => {
  let database: TestDatabase;
  let smtp: SmtpListener;
  let transport: MailTransport;
  let sendEmail: ReturnType<typeof createMailActivities>['sendEmail'];
  beforeAll(async () => {
    database = await createTestDatabase();
    smtp = await startSmtpListener();
    transport = createMailTransport(smtp.url);
    sendEmail = createMailActivities({
      db: database.db,
      mail: { transport, from: 'bansou <noreply@bansou.test>' },
      links: { publicBaseUrl: 'https://bansou.test', signingSecret: 's'.repeat(32) },
    } as ActivityDeps).sendEmail;
  });
  afterAll(async () => {
    transport?.close();
    await smtp?.close();
    await database?.drop();
  });

  const input = (key: string): SendEmailInput => ({
    key,
    template: 'sign-in',
    recipient: { name: '山田 花子', email: `${key}@example.org`, locale: 'ja' },
    data: { validMinutes: 15 },
    signIn: { linkId: unique('link') },
  });
  const row = (key: string) => database.db.email.findUniqueOrThrow({ where: { idempotencyKey: key } });
  const received = (key: string) => smtp.received.filter((e) => e.to === `${key}@example.org`);

  it('stores the email once, sends it once and answers a later call from the row', async () => {
    const key = unique('outbox-once');
    const before = Date.now();
    const first = await sendEmail(input(key));
    const again = await sendEmail({ ...input(key), data: { validMinutes: 99 } });

    expect(first).toMatchObject({ delivered: 'now', to: `${key}@example.org` });
    expect(again).toEqual({ ...first, delivered: 'earlier' });
    expect(received(key).map((e) => e.messageId)).toEqual([first.messageId]);
    const stored = await row(key);
    expect(stored).toMatchObject({
      status: 'sent',
      attempts: 1,
      possibleDuplicates: 0,
      error: null,
      template: 'sign-in',
      locale: 'ja',
      subject: first.subject,
      matchId: null,
      ics: null,
    });
    expect(stored.text).toContain('15');
    for (const at of [stored.createdAt, stored.attemptedAt!, stored.sentAt!]) {
      expect(at.getTime()).toBeGreaterThanOrEqual(before - 1_000);
      expect(at.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);
    }
  });

  it('sends a row left `sending` again, with the same Message-ID, counted as a possible duplicate', async () => {
    const key = unique('outbox-died');
    await sendEmail(input(key));
    // As a worker leaves it when it dies between the server's acceptance and writing it down.
    await database.db.email.update({ where: { idempotencyKey: key }, data: { status: 'sending', sentAt: null } });

    const retry = await sendEmail(input(key));

    expect(retry.delivered).toBe('now');
    expect(received(key).map((e) => e.messageId)).toEqual([retry.messageId, retry.messageId]);
    expect(await row(key)).toMatchObject({ status: 'sent', attempts: 2, possibleDuplicates: 1 });
  });

  it('lets overlapping attempts both begin, the later counted as a possible duplicate', async () => {
    const key = unique('outbox-overlap');
    await sendEmail(input(key));
    await database.db.email.update({ where: { idempotencyKey: key }, data: { status: 'deferred' } });

    const [a, b] = await Promise.all([beginTransaction(database.db, key), beginTransaction(database.db, key)]);

    expect(a).toEqual(b);
    expect(a).toMatchObject({ to: `${key}@example.org`, ics: null });
    expect(await row(key)).toMatchObject({ status: 'sending', attempts: 3, possibleDuplicates: 1 });
  });

  it('never takes back a `sent`: no transaction begins and a failure is not written over it', async () => {
    const key = unique('outbox-sent');
    await sendEmail(input(key));

    expect(await beginTransaction(database.db, key)).toBeNull();
    await recordNotSent(database.db, key, 'failed', '550 too late');

    expect(await row(key)).toMatchObject({ status: 'sent', attempts: 1, error: null });
  });

  it('records a failed transaction with its error, cut to 2,000 characters, and an acceptance clears it', async () => {
    const key = unique('outbox-failed');
    await sendEmail(input(key));
    await database.db.email.update({ where: { idempotencyKey: key }, data: { status: 'sending' } });

    await recordNotSent(database.db, key, 'deferred', `452 ${'x'.repeat(3000)}`);
    const deferred = await row(key);
    await recordAccepted(database.db, key);

    expect(deferred.status).toBe('deferred');
    expect(deferred.error).toHaveLength(2000);
    expect(await row(key)).toMatchObject({ status: 'sent', error: null });
  });
});

/**
 * The worker's transport (`MAIL_MAX_CONCURRENT_SENDS` connections kept open): its emails share those connections, a
 * new SMTP session (connect, greeting, EHLO) only when one is missing, not one per email.
 */
describe("the worker's pooled transport", () => {
  let database: TestDatabase;
  let smtp: SmtpListener;
  let transport: MailTransport;
  beforeAll(async () => {
    database = await createTestDatabase();
    smtp = await startSmtpListener();
    transport = createMailTransport(smtp.url, { pool: 2 });
  });
  afterAll(async () => {
    transport?.close();
    await smtp?.close();
    await database?.drop();
  });

  it('sends twelve emails, four at a time, over at most two connections', async () => {
    const { sendEmail } = createMailActivities({
      db: database.db,
      mail: { transport, from: 'bansou <noreply@bansou.test>', maxConcurrentSends: 4 },
      links: { publicBaseUrl: 'https://bansou.test', signingSecret: 's'.repeat(32) },
    } as ActivityDeps);
    const keys = Array.from({ length: 12 }, () => unique('outbox-pooled'));
    for (let i = 0; i < keys.length; i += 4) {
      await Promise.all(
        keys.slice(i, i + 4).map((key) =>
          sendEmail({
            key,
            template: 'sign-in',
            recipient: { name: '山田 花子', email: `${key}@example.org`, locale: 'ja' },
            data: { validMinutes: 15 },
            signIn: { linkId: unique('link') },
          }),
        ),
      );
    }

    expect(smtp.received.map((e) => e.to).sort()).toEqual(keys.map((k) => `${k}@example.org`).sort());
    expect(smtp.connections()).toBeLessThanOrEqual(2);
  });
});
