/**
 * The outbox row of one email through its SMTP transactions: `queued` → `sending` (a transaction began) → `sent`, or
 * `deferred` / `failed` with the error. A row found `sending` by the next attempt was left by a worker that died
 * mid-transaction: whether the server accepted it is unknown, so it is sent again and counted as a possible duplicate.
 */
import type { Database } from '../../prisma/client';

export type EmailStatus = 'queued' | 'sending' | 'sent' | 'deferred' | 'failed';

const toSend = { id: true, to: true, subject: true, text: true, html: true, ics: true, messageId: true } as const;
export type EmailToSend = { id: string; to: string; subject: string; text: string; html: string; ics: string | null };

/**
 * Marks the row `sending` for one transaction, right before it begins; null when the email has been sent meanwhile
 * (by an earlier attempt that outlived its time).
 */
export async function beginTransaction(
  db: Database,
  key: string,
): Promise<(EmailToSend & { messageId: string }) | null> {
  for (;;) {
    const row = await db.email.findUniqueOrThrow({
      where: { idempotencyKey: key },
      select: { ...toSend, status: true, attempts: true },
    });
    if (row.status === 'sent') return null;
    const { status, attempts, ...email } = row;
    // Only if nobody changed the row since it was read (an overlapping attempt): otherwise read it again.
    const { count } = await db.email.updateMany({
      where: { idempotencyKey: key, status, attempts },
      data: {
        status: 'sending' satisfies EmailStatus,
        attempts: { increment: 1 },
        attemptedAt: new Date(),
        ...(status === 'sending' ? { possibleDuplicates: { increment: 1 } } : {}),
      },
    });
    if (count === 1) return email;
  }
}

/**
 * Records that the server accepted the email, at once, and keeps trying until it is written (or `signal` aborts):
 * an acceptance known to this attempt must not be lost to a database hiccup, or the retry would send it again.
 */
export async function recordAccepted(db: Database, key: string, signal?: AbortSignal): Promise<void> {
  for (let wait = 200; ; wait = Math.min(wait * 2, 5_000)) {
    try {
      await db.email.update({
        where: { idempotencyKey: key },
        data: { status: 'sent' satisfies EmailStatus, sentAt: new Date(), error: null },
      });
      return;
    } catch (error) {
      if (signal?.aborted) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/** Records a transaction that failed; never over a `sent` written meanwhile by an overlapping attempt. */
export async function recordNotSent(
  db: Database,
  key: string,
  status: Extract<EmailStatus, 'deferred' | 'failed'>,
  error: string,
): Promise<void> {
  await db.email.updateMany({
    where: { idempotencyKey: key, status: { not: 'sent' } },
    data: { status, error: error.slice(0, 2000) },
  });
}
