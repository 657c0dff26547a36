import { createHash } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';

export type MailTransport = Transporter;

/**
 * An SMTP transport from `SMTP_URL` (e.g. `smtp://127.0.0.1:1025`, `smtps://user:pass@mail.example.org`). With
 * `pool`, up to that many connections stay open and carry one email after another (the worker: no connection and
 * greeting per email); without, each send opens its own (the API's health check).
 */
export function createMailTransport(smtpUrl: string, options: { pool?: number } = {}): MailTransport {
  const timeouts = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };
  if (!options.pool) return nodemailer.createTransport(smtpUrl, timeouts);
  const pooled: SMTPPool.Options = {
    url: smtpUrl,
    pool: true,
    maxConnections: options.pool,
    maxMessages: 1000,
    ...timeouts,
  };
  return nodemailer.createTransport(pooled) as unknown as MailTransport;
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
