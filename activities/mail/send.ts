import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Respondent } from '../../workflows/checkin-questions';
import type { KickoffInvite, Locale, Participant } from '../../workflows/shared';
import type { ActivityDeps } from '../deps';
import { linkUrl, signLink } from '../links';
import { renderInvite } from './invite';
import { headerText, renderEmail, UnknownTemplateError } from './render';
import { mailDomain, messageIdFor } from './transport';

const HEARTBEAT_EVERY_MS = 2_000;

/** Heartbeats every 2 s until stopped, when running as an activity (a direct call, e.g. in a test, has no context). */
function heartbeatWhile(): { stop(): void } {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return { stop: () => undefined };
  }
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
  return { stop: () => clearInterval(timer) };
}

export type SendEmailInput = {
  /** Idempotency key: workflow id + step + recipient. The same key is delivered at most once by bansou. */
  key: string;
  matchId?: string;
  template: string;
  recipient: Pick<Participant, 'name' | 'email' | 'locale'>;
  /** What the template shows besides the recipient; serialisable. */
  data: Record<string, unknown>;
  /** The recipient's role on the match, shown on the timeline (host, talent, coordinator, program_manager). */
  role?: string;
  timeZone?: string;
  /** Sign a check-in link for this recipient (`links.checkin` in the template). */
  checkin?: { round: number; respondent: Respondent; expiresAt: string };
  /** Sign a kickoff answer link for this recipient (`links.kickoff` in the template). */
  kickoffLink?: { proposal: number; respondent: Respondent; expiresAt: string };
  /** Attach this calendar invite (text/calendar, METHOD as given). */
  invite?: KickoffInvite;
};

/** The first check-in question, whose 1–5 scale the email offers as one-click links (they preselect, never save). */
export const ONE_CLICK_QUESTION = 'satisfaction';

/** The workflow records the email on the match timeline from this. */
export type SendEmailResult = { messageId: string; delivered: 'now' | 'earlier'; to: string; subject: string };

/** Error codes of the mail activities, as `ApplicationFailure.type`. */
export const MailErrorCode = {
  templateMissing: 'EMAIL_TEMPLATE_MISSING',
  rejected: 'EMAIL_REJECTED',
} as const;

type SmtpError = Error & { responseCode?: number };

export function createMailActivities({ db, mail, links }: ActivityDeps) {
  const domain = mailDomain(mail.from);

  /** Signed links the template may show, built from PUBLIC_BASE_URL. */
  const linksFor = (input: SendEmailInput) => {
    const out: Record<string, unknown> = { base: links.publicBaseUrl };
    if (input.checkin && input.matchId) {
      const token = signLink(links.signingSecret, {
        kind: 'checkin',
        matchId: input.matchId,
        n: input.checkin.round,
        respondent: input.checkin.respondent,
        expiresAt: Date.parse(input.checkin.expiresAt),
      });
      const url = linkUrl(links.publicBaseUrl, 'checkin', token);
      out.checkin = url;
      out.oneClick = [1, 2, 3, 4, 5].map((value) => ({ value, url: `${url}?${ONE_CLICK_QUESTION}=${value}` }));
    }
    if (input.kickoffLink && input.matchId) {
      const token = signLink(links.signingSecret, {
        kind: 'kickoff',
        matchId: input.matchId,
        n: input.kickoffLink.proposal,
        respondent: input.kickoffLink.respondent,
        expiresAt: Date.parse(input.kickoffLink.expiresAt),
      });
      out.kickoff = linkUrl(links.publicBaseUrl, 'kickoff', token);
    }
    return out;
  };

  return {
    /** Sends one email through the durable outbox: stored first, sent once, marked sent. */
    async sendEmail(input: SendEmailInput): Promise<SendEmailResult> {
      const messageId = messageIdFor(input.key, domain);
      const existing = await db.email.findUnique({
        where: { idempotencyKey: input.key },
        select: { status: true, messageId: true, to: true, subject: true },
      });
      if (existing?.status === 'sent')
        return { messageId: existing.messageId, delivered: 'earlier', to: existing.to, subject: existing.subject };

      if (!existing) {
        let rendered;
        try {
          rendered = renderEmail(
            input.template,
            input.recipient.locale as Locale,
            { ...input.data, recipient: input.recipient, role: input.role, links: linksFor(input) },
            { timeZone: input.timeZone },
          );
        } catch (error) {
          if (error instanceof UnknownTemplateError) {
            throw ApplicationFailure.nonRetryable(error.message, MailErrorCode.templateMissing);
          }
          throw error;
        }
        // The stored copy is what gets sent, on this attempt and any retry, so a retry cannot change the content.
        await db.email.createMany({
          data: [
            {
              idempotencyKey: input.key,
              messageId,
              matchId: input.matchId ?? null,
              template: input.template,
              locale: input.recipient.locale,
              to: input.recipient.email,
              subject: rendered.subject,
              text: rendered.text,
              html: rendered.html,
              ics: input.invite ? renderInvite(input.invite, input.timeZone ?? 'Asia/Tokyo') : null,
            },
          ],
          skipDuplicates: true,
        });
      }

      const email = await db.email.update({
        where: { idempotencyKey: input.key },
        data: { attempts: { increment: 1 } },
        select: { id: true, to: true, subject: true, text: true, html: true, ics: true, messageId: true },
      });

      // Alive while SMTP takes its time: Temporal notices a crashed worker by the missing heartbeat, not by waiting
      // out the whole start-to-close.
      const beating = heartbeatWhile();
      try {
        await mail.transport.sendMail({
          from: mail.from,
          to: { name: headerText(input.recipient.name), address: email.to },
          subject: email.subject,
          text: email.text,
          html: email.html,
          messageId: email.messageId,
          headers: { 'X-Bansou-Template': input.template },
          ...(email.ics
            ? {
                icalEvent: {
                  method: input.invite?.method ?? 'REQUEST',
                  filename: input.invite?.method === 'CANCEL' ? 'cancel.ics' : 'invite.ics',
                  content: email.ics,
                },
              }
            : {}),
        });
      } catch (cause) {
        const error = cause as SmtpError;
        const permanent = typeof error.responseCode === 'number' && error.responseCode >= 500;
        // Never over a `sent` written meanwhile (an attempt that outlived its time while a retry delivered).
        await db.email.updateMany({
          where: { idempotencyKey: input.key, status: { not: 'sent' } },
          data: { status: 'failed', error: `${error.responseCode ?? ''} ${error.message}`.trim().slice(0, 2000) },
        });
        if (permanent) {
          throw ApplicationFailure.nonRetryable(`SMTP rejected ${email.to}: ${error.message}`, MailErrorCode.rejected);
        }
        throw error;
      } finally {
        beating.stop();
      }

      await db.email.update({
        where: { idempotencyKey: input.key },
        data: { status: 'sent', sentAt: new Date(), error: null },
      });
      return { messageId: email.messageId, delivered: 'now', to: email.to, subject: email.subject };
    },
  };
}
