import { createHash } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import SMTPPool from 'nodemailer/lib/smtp-pool';
import SMTPTransport from 'nodemailer/lib/smtp-transport';

export type MailTransport = Transporter;

/**
 * An SMTP transport from `SMTP_URL` (e.g. `smtp://127.0.0.1:1025`, `smtps://user:pass@mail.example.org`). With
 * `pool`, up to that many connections stay open and carry one email after another (the worker: no connection and
 * greeting per email); without, each send opens its own (the API's health check).
 *
 * The transport is built here and handed to nodemailer whole: given an options object with a `url`, nodemailer's
 * `createTransport` keeps only what the URL says, so the pool, its limits and the time limits below would be dropped
 * (every email its own connection, and the transport's default limits of minutes).
 */
export function createMailTransport(smtpUrl: string, options: { pool?: number } = {}): MailTransport {
  // A silent socket fails after 90 s: a server may take long to answer the end of an email's data (RFC 5321 allows it
  // ten minutes) and may have taken the email by then, so the limit is kept long, and within a send attempt's two
  // minutes, so the attempt still ends with the transport's own error.
  const timeouts = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 90_000 };
  if (!options.pool) return nodemailer.createTransport(new SMTPTransport({ url: smtpUrl, ...timeouts }));
  return nodemailer.createTransport(
    new SMTPPool({
      url: smtpUrl,
      pool: true,
      maxConnections: options.pool,
      maxMessages: 1000,
      // A connection that closes under an email fails that send: the outbox decides about sending it again, not the
      // pool (which would send it again on another connection, unseen, as often as connections close).
      maxRequeues: 0,
      ...timeouts,
    } as SMTPPool.Options), // (nodemailer's types do not list maxRequeues)
  );
}

/** The domain part of `MAIL_FROM`, used on the right of every Message-ID. */
export function mailDomain(mailFrom: string): string {
  const address = /<([^>]+)>/.exec(mailFrom)?.[1] ?? mailFrom;
  return address.split('@')[1]?.trim() || 'bansou.invalid';
}

/**
 * The Message-ID of an outbox email: a hash of its idempotency key, so a retried send carries the same id and any
 * receiver (or a test) can recognise a duplicate.
 */
export function messageIdFor(idempotencyKey: string, domain: string): string {
  const digest = createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32);
  return `<${digest}@${domain}>`;
}
