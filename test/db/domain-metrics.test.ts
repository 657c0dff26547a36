import { Registry } from 'prom-client';
import { createDatabase } from '../../prisma/client';
import { registerDomainMetrics } from '../../telemetry/domain-metrics';
import { silentLog } from '../../telemetry/log';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { escalationRow, matchRequest, seedMatch, seedProgram, unique } from '../support/fixtures';
import { freePort } from '../support/http';
import { parseMetrics, valueOf } from '../support/prometheus';

/** The worker's gauges of matches and mail, read from real Postgres when scraped, one reading per cache window. */
describe('domain metrics (real Postgres)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  // The instant the scenario reads at; rows are dated from it, so ages do not depend on the wall clock.
  const T = Date.parse('2026-12-07T01:00:00Z');
  const email = (status: string, createdAt: Date, matchId?: string) => {
    const key = unique('email');
    return {
      idempotencyKey: key,
      messageId: `<${key}@bansou.test>`,
      matchId,
      template: 'checkin-request',
      locale: 'ja',
      to: `${key}@example.jp`,
      subject: '件名',
      text: '本文',
      html: '<p>本文</p>',
      status,
      createdAt,
    };
  };

  it('shows the outbox, answers, escalations and matches as Postgres has them, re-read only after the cache window', async () => {
    const { db } = database;
    const program = await seedProgram(db);
    const a = await seedMatch(db, matchRequest(program.id));
    const b = await seedMatch(db, matchRequest(program.id));
    await db.match.update({ where: { id: b.id }, data: { phase: 'active' } });
    await db.email.createMany({
      data: [
        email('sent', new Date(T - 3_600_000), a.id),
        email('sent', new Date(T - 3_600_000), a.id),
        email('queued', new Date(T - 120_000), a.id),
        email('deferred', new Date(T - 30_000), b.id),
        email('failed', new Date(T - 7_200_000), b.id),
      ],
    });
    await db.matchEvent.create({ data: { matchId: a.id, key: unique('skip'), type: 'email.skipped' } });
    await db.checkinAnswer.createMany({
      data: [
        { matchId: a.id, round: 1, respondent: 'host', answers: {} },
        { matchId: a.id, round: 1, respondent: 'talent', answers: {}, signalledAt: new Date(T) },
        { matchId: b.id, round: 1, respondent: 'host', answers: {}, deliveryError: 'the workflow has finished' },
      ],
    });
    await db.escalation.createMany({
      data: [
        escalationRow(a.id, { dueAt: new Date(T - 60_000) }),
        escalationRow(a.id, { dueAt: new Date(T + 86_400_000) }),
        escalationRow(b.id, { status: 'acknowledged', acknowledgedAt: new Date(T) }),
      ],
    });

    let now = T;
    const registry = new Registry();
    registerDomainMetrics(registry, db, { log: silentLog, cacheMs: 10_000, now: () => now });
    const scrape = async () => parseMetrics(await registry.metrics());

    const first = await scrape();
    expect(valueOf(first, 'bansou_state_up')).toBe(1);
    expect(
      Object.fromEntries(
        ['queued', 'sending', 'sent', 'deferred', 'failed'].map((s) => [
          s,
          valueOf(first, 'bansou_emails', { status: s }),
        ]),
      ),
    ).toEqual({ queued: 1, sending: 0, sent: 2, deferred: 1, failed: 1 });
    expect(valueOf(first, 'bansou_emails_skipped')).toBe(1);
    expect(valueOf(first, 'bansou_outbox_oldest_unsent_seconds')).toBe(120);
    expect(valueOf(first, 'bansou_answers_undelivered')).toBe(1);
    expect(valueOf(first, 'bansou_escalations', { status: 'open' })).toBe(2);
    expect(valueOf(first, 'bansou_escalations', { status: 'acknowledged' })).toBe(1);
    expect(valueOf(first, 'bansou_escalations', { status: 'resolved' })).toBe(0);
    expect(valueOf(first, 'bansou_escalations_overdue')).toBe(1);
    expect(valueOf(first, 'bansou_matches', { phase: 'onboarding', status: 'open' })).toBe(1);
    expect(valueOf(first, 'bansou_matches', { phase: 'active', status: 'open' })).toBe(1);

    // The queued email goes out; within the cache window the scrape still shows the last reading.
    await db.email.updateMany({ where: { status: 'queued' }, data: { status: 'sent' } });
    now = T + 9_000;
    expect(valueOf(await scrape(), 'bansou_emails', { status: 'queued' })).toBe(1);
    now = T + 10_000;
    const later = await scrape();
    expect(valueOf(later, 'bansou_emails', { status: 'queued' })).toBe(0);
    expect(valueOf(later, 'bansou_emails', { status: 'sent' })).toBe(3);
    expect(valueOf(later, 'bansou_outbox_oldest_unsent_seconds')).toBe(40);
  });

  it('says Postgres did not answer (bansou_state_up 0) and shows no figures, without failing the scrape', async () => {
    const port = await freePort(); // nothing listens there
    const db = createDatabase(`postgresql://bansou:bansou@127.0.0.1:${port}/bansou`);
    try {
      const registry = new Registry();
      registerDomainMetrics(registry, db, { log: silentLog });
      const samples = parseMetrics(await registry.metrics());
      expect(valueOf(samples, 'bansou_state_up')).toBe(0);
      const others = samples.filter((s) => s.name.startsWith('bansou_') && s.name !== 'bansou_state_up');
      // Without labels, NaN (Prometheus keeps it as no value); with labels (by status, by phase), no samples at all.
      expect(others.map((s) => s.name).sort()).toEqual([
        'bansou_answers_undelivered',
        'bansou_emails_skipped',
        'bansou_escalations_overdue',
        'bansou_outbox_oldest_unsent_seconds',
      ]);
      expect(others.every((s) => Number.isNaN(s.value))).toBe(true);
    } finally {
      await db.$disconnect();
    }
  });
});
