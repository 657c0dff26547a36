/**
 * The outbox row of one email through its SMTP transactions: `queued` → `sending` (a transaction began) → `sent`, or
 * `deferred` / `failed` with the error. A row found `sending` by the next attempt was left by a worker that died
 * mid-transaction: whether the server accepted it is unknown, so it is sent again and counted as a possible duplicate.
 *
 * Plain SQL (each email passes here three or four times, on the worker's hot path); the row as Prisma's `Email`.
 */
import { randomUUID } from 'node:crypto';
import { sqlRows, sqlWrite, type Database } from '../../prisma/client';

export type EmailStatus = 'queued' | 'sending' | 'sent' | 'deferred' | 'failed';

export type EmailToSend = { id: string; to: string; subject: string; text: string; html: string; ics: string | null };
/** What a caller learns of an email already sent. */
export type EmailSent = { status: EmailStatus; messageId: string; to: string; subject: string };
/** What the outbox stores before the first transaction: the content every attempt sends. */
export type EmailToStore = Pick<EmailToSend, 'to' | 'subject' | 'text' | 'html' | 'ics'> & {
  key: string;
  messageId: string;
  matchId: string | null;
  template: string;
  locale: string;
};

const FIND_SQL = `SELECT status, "messageId", "to", subject FROM "Email" WHERE "idempotencyKey" = $1`;

/** The email stored under `key`, as far as a caller needs to tell whether it was sent; null when none is. */
export async function findEmail(db: Database, key: string): Promise<EmailSent | null> {
  const [row] = await sqlRows<EmailSent>(db, FIND_SQL, [key]);
  return row ?? null;
}

/** As `findEmail`, for a row known to exist. */
export async function findEmailOrThrow(db: Database, key: string): Promise<EmailSent> {
  const row = await findEmail(db, key);
  if (!row) throw new Error('no email is stored under this idempotency key');
  return row;
}

const STORE_SQL = `
INSERT INTO "Email" (id, "idempotencyKey", "messageId", "matchId", template, locale, "to", subject, text, html, ics,
  "createdAt")
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT DO NOTHING`;

/** Stores the email as `queued`, unless one is stored under its key (or Message-ID) already. */
export async function storeEmail(db: Database, email: EmailToStore): Promise<void> {
  await sqlWrite(db, STORE_SQL, [
    randomUUID(),
    email.key,
    email.messageId,
    email.matchId,
    email.template,
    email.locale,
    email.to,
    email.subject,
    email.text,
    email.html,
    email.ics,
    new Date().toISOString(),
  ]);
}

/**
 * One compare-and-set: Postgres locks the row, and an attempt that overlapped (waited for that lock) sees the row as
 * the other left it, so it counts the other's transaction as a possible duplicate, and never takes a `sent` row.
 */
const BEGIN_SQL = `
UPDATE "Email" SET status = 'sending', attempts = attempts + 1, "attemptedAt" = $2,
  "possibleDuplicates" = "possibleDuplicates" + CASE WHEN status = 'sending' THEN 1 ELSE 0 END
WHERE "idempotencyKey" = $1 AND status <> 'sent'
RETURNING id, "to", subject, text, html, ics, "messageId"`;

/**
 * Marks the row `sending` for one transaction, right before it begins; null when the email has been sent meanwhile
 * (by an earlier attempt that outlived its time).
 */
export async function beginTransaction(
  db: Database,
  key: string,
): Promise<(EmailToSend & { messageId: string }) | null> {
  const [email] = await sqlRows<EmailToSend & { messageId: string }>(db, BEGIN_SQL, [key, new Date().toISOString()]);
  return email ?? null;
}

const ACCEPTED_SQL = `UPDATE "Email" SET status = 'sent', "sentAt" = $2, error = NULL WHERE "idempotencyKey" = $1`;

/**
 * Records that the server accepted the email, at once, and keeps trying until it is written (or `signal` aborts):
 * an acceptance known to this attempt must not be lost to a database hiccup, or the retry would send it again.
 */
export async function recordAccepted(db: Database, key: string, signal?: AbortSignal): Promise<void> {
  for (let wait = 200; ; wait = Math.min(wait * 2, 5_000)) {
    try {
      if ((await sqlWrite(db, ACCEPTED_SQL, [key, new Date().toISOString()])) === 0) {
        throw new Error('no email is stored under this idempotency key');
      }
      return;
    } catch (error) {
      if (signal?.aborted) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

const NOT_SENT_SQL = `UPDATE "Email" SET status = $2, error = $3 WHERE "idempotencyKey" = $1 AND status <> 'sent'`;

/** Records a transaction that failed; never over a `sent` written meanwhile by an overlapping attempt. */
export async function recordNotSent(
  db: Database,
  key: string,
  status: Extract<EmailStatus, 'deferred' | 'failed'>,
  error: string,
): Promise<void> {
  await sqlWrite(db, NOT_SENT_SQL, [key, status, error.slice(0, 2000)]);
}
