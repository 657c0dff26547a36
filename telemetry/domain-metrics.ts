import { Gauge, type Registry } from 'prom-client';
import type { Database } from '../prisma/client';
import { reasonOf, type Log } from './log';

/** How long one reading of Postgres answers every scrape: Prometheus and a dashboard may both ask. */
export const DOMAIN_METRICS_CACHE_MS = 10_000;

const EMAIL_STATUSES = ['queued', 'sending', 'sent', 'deferred', 'failed'] as const;
const ESCALATION_STATUSES = ['open', 'acknowledged', 'snoozed', 'resolved'] as const;
/** An email not sent yet: waiting, being sent, or deferred for another try. */
const UNSENT = ['queued', 'sending', 'deferred'];

type Reading = {
  emails: Record<string, number>;
  emailsSkipped: number;
  oldestUnsentSeconds: number;
  answersUndelivered: number;
  escalations: Record<string, number>;
  escalationsOverdue: number;
  matches: { phase: string; status: string; count: number }[];
};

/** One reading of what the gauges show, in one round of queries. */
async function read(db: Database, now: number): Promise<Reading> {
  const [emails, emailsSkipped, oldest, answersUndelivered, escalations, escalationsOverdue, matches] =
    await Promise.all([
      db.email.groupBy({ by: ['status'], _count: { _all: true } }),
      db.matchEvent.count({ where: { type: 'email.skipped' } }),
      db.email.aggregate({ where: { status: { in: UNSENT } }, _min: { createdAt: true } }),
      db.checkinAnswer.count({ where: { signalledAt: null, deliveryError: null } }),
      db.escalation.groupBy({ by: ['status'], _count: { _all: true } }),
      db.escalation.count({ where: { status: 'open', dueAt: { lt: new Date(now) } } }),
      db.match.groupBy({ by: ['phase', 'status'], where: { registeredAt: { not: null } }, _count: { _all: true } }),
    ]);
  const oldestAt = oldest._min.createdAt?.getTime();
  return {
    emails: Object.fromEntries(emails.map((e) => [e.status, e._count._all])),
    emailsSkipped,
    oldestUnsentSeconds: oldestAt === undefined ? 0 : Math.max(0, (now - oldestAt) / 1000),
    answersUndelivered,
    escalations: Object.fromEntries(escalations.map((e) => [e.status, e._count._all])),
    escalationsOverdue,
    matches: matches.map((m) => ({ phase: m.phase, status: m.status, count: m._count._all })),
  };
}

/**
 * bansou's own gauges, read from Postgres when Prometheus scrapes (one reading serves every scrape for
 * DOMAIN_METRICS_CACHE_MS): the outbox by status and the age of its oldest unsent email, reminders skipped, answers
 * saved but not yet delivered to their workflow, escalations by status and overdue, matches by phase and status.
 * When Postgres does not answer, `bansou_state_up` is 0 and the other gauges are NaN or left out.
 */
export function registerDomainMetrics(
  registry: Registry,
  db: Database,
  options: { log: Log; cacheMs?: number; now?: () => number },
): void {
  const cacheMs = options.cacheMs ?? DOMAIN_METRICS_CACHE_MS;
  const now = options.now ?? Date.now;
  let latest: { at: number; reading: Promise<Reading | undefined> } | undefined;
  const reading = (): Promise<Reading | undefined> => {
    const at = now();
    if (!latest || at - latest.at >= cacheMs) {
      latest = {
        at,
        reading: read(db, at).catch((error: unknown) => {
          options.log.warn({ reason: reasonOf(error) }, 'metrics: Postgres not read');
          return undefined;
        }),
      };
    }
    return latest.reading;
  };

  // Each gauge fills itself from the shared reading when scraped (prom-client awaits every gauge's collect).
  const gauge = <L extends string>(
    config: { name: string; help: string; labelNames?: readonly L[] },
    fill: (g: Gauge<L>, r: Reading) => void,
  ): void => {
    new Gauge<L>({
      ...config,
      registers: [registry],
      async collect() {
        const r = await reading();
        this.reset();
        if (r) fill(this, r);
        // Unread: a gauge without labels says NaN (not a misleading 0); one with labels has no samples.
        else if (!config.labelNames) this.set(NaN);
      },
    });
  };

  new Gauge({
    name: 'bansou_state_up',
    help: 'Whether Postgres answered the reading of the bansou_ gauges (1) or not (0: they are NaN or left out)',
    registers: [registry],
    async collect() {
      this.set((await reading()) ? 1 : 0);
    },
  });
  gauge(
    {
      name: 'bansou_emails',
      help: 'Emails in the outbox by status (queued, sending, sent, deferred: tried again in sending hours, failed)',
      labelNames: ['status'],
    },
    (g, r) => EMAIL_STATUSES.forEach((status) => g.set({ status }, r.emails[status] ?? 0)),
  );
  gauge(
    {
      name: 'bansou_emails_skipped',
      help: 'Queued emails dropped before sending because they were overtaken (a reminder for something already done)',
    },
    (g, r) => g.set(r.emailsSkipped),
  );
  gauge(
    {
      name: 'bansou_outbox_oldest_unsent_seconds',
      help: 'Age of the oldest email in the outbox not sent yet (queued, sending or deferred); 0 when there is none',
    },
    (g, r) => g.set(r.oldestUnsentSeconds),
  );
  gauge(
    {
      name: 'bansou_answers_undelivered',
      help: 'Check-in answers saved but not yet delivered to their workflow (the relay retries them)',
    },
    (g, r) => g.set(r.answersUndelivered),
  );
  gauge(
    {
      name: 'bansou_escalations',
      help: 'Escalations by status (open, acknowledged, snoozed, resolved)',
      labelNames: ['status'],
    },
    (g, r) => ESCALATION_STATUSES.forEach((status) => g.set({ status }, r.escalations[status] ?? 0)),
  );
  gauge(
    { name: 'bansou_escalations_overdue', help: 'Open escalations past their due date (not acknowledged in time)' },
    (g, r) => g.set(r.escalationsOverdue),
  );
  gauge(
    {
      name: 'bansou_matches',
      help: 'Registered matches by phase (onboarding, active, wrap_up, closed) and status',
      labelNames: ['phase', 'status'],
    },
    (g, r) => r.matches.forEach((m) => g.set({ phase: m.phase, status: m.status }, m.count)),
  );
}
