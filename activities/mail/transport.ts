import { createHash } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';

export type MailTransport = Transporter;

/** An SMTP transport from `SMTP_URL` (e.g. `smtp://127.0.0.1:1025`, `smtps://user:pass@mail.example.org`). */
export function createMailTransport(smtpUrl: string): MailTransport {
  return nodemailer.createTransport(smtpUrl, {
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
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
