import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Respondent } from '../../workflows/checkin-questions';
import type { KickoffInvite, Locale, Participant } from '../../workflows/shared';
import { MAIL_ERROR_CODES } from '../../workflows/mail-delivery';
import type { ActivityDeps } from '../deps';
import { linkUrl, signInToken, signInUrl, signLink } from '../links';
import { renderInvite } from './invite';
import { beginTransaction, findEmail, findEmailOrThrow, recordAccepted, recordNotSent, storeEmail } from './outbox';
import { headerText, renderEmail, UnknownTemplateError } from './render';
import { createSendSlots, DEFAULT_CONCURRENT_SENDS } from './send-slots';
import { mailDomain, messageIdFor } from './transport';

const HEARTBEAT_EVERY_MS = 2_000;

/** The running activity's context; none when called directly (e.g. in a test). */
function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Heartbeats every 2 s until stopped, so Temporal notices a dead worker by the missing heartbeat. */
function heartbeatWhile(context: Context | undefined): { stop(): void } {
  if (!context) return { stop: () => undefined };
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
  return { stop: () => clearInterval(timer) };
}

export type SendEmailInput = {
  /** Idempotency key: workflow id + step + recipient. One email per key (a worker dying mid-send may deliver it twice). */
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
  /**
   * The end of the sending window this send is meant for: an attempt Temporal schedules at or after it (a retry after
   * a crash) sends nothing and fails as `EMAIL_OUTSIDE_SENDING_HOURS`, so the workflow waits for the next window.
   */
  sendBefore?: string;
  /**
   * Set by a caller that retries deferrals itself, in sending hours (the match workflow): a deferral (4xx) then comes
   * back at once, and on the last try (`true`) fails the email for good. Unset, the activity's retry policy retries it.
   */
  lastTry?: boolean;
  /** Derive the one-time sign-in link of this id (`links.signIn` in the template). */
  signIn?: { linkId: string };
};

/** The first check-in question, whose 1–5 scale the email offers as one-click links (they preselect, never save). */
export const ONE_CLICK_QUESTION = 'satisfaction';

/** The workflow records the email on the match timeline from this. */
export type SendEmailResult = { messageId: string; delivered: 'now' | 'earlier'; to: string; subject: string };

type SmtpError = Error & { responseCode?: number; code?: string };

/**
 * What an SMTP failure says about the email: refused for good (5xx, or not even offered: an invalid address, too
 * large), deferred by the server for this email (4xx to its envelope or data), or the server unavailable (no
 * connection, a timeout, 421 closing, anything else).
 */
function smtpFailure(error: SmtpError): 'rejected' | 'deferred' | 'unavailable' {
  const code = error.responseCode;
  const aboutThisEmail = error.code === 'EENVELOPE' || error.code === 'EMESSAGE';
  if (typeof code === 'number' && code >= 500) return 'rejected';
  if (aboutThisEmail && typeof code !== 'number') return 'rejected';
  if (aboutThisEmail && typeof code === 'number' && code >= 400 && code !== 421) return 'deferred';
  return 'unavailable';
}

export function createMailActivities({ db, mail, links }: ActivityDeps) {
  const domain = mailDomain(mail.from);
  const slots = createSendSlots(mail.maxConcurrentSends ?? DEFAULT_CONCURRENT_SENDS);

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
    if (input.signIn)
      out.signIn = signInUrl(links.publicBaseUrl, signInToken(links.signingSecret, input.signIn.linkId));
    return out;
  };

  return {
    /**
     * Sends one email through the durable outbox: stored first, marked `sending` as its SMTP transaction begins,
     * `sent` as soon as the server accepts it.
     */
    async sendEmail(input: SendEmailInput): Promise<SendEmailResult> {
      const context = activityContext();
      const messageId = messageIdFor(input.key, domain);
      const existing = await findEmail(db, input.key);
      if (existing?.status === 'sent')
        return { messageId: existing.messageId, delivered: 'earlier', to: existing.to, subject: existing.subject };
      // By Temporal's clock (the workflow's), not this machine's: when this attempt was scheduled.
      const scheduledAt = context?.info.currentAttemptScheduledTimestampMs ?? Date.now();
      if (input.sendBefore && scheduledAt >= Date.parse(input.sendBefore)) {
        throw ApplicationFailure.nonRetryable(
          'the sending window closed before this try',
          MAIL_ERROR_CODES.outsideSendingHours,
        );
      }

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
          // No retry renders it differently: the workflow shows it as a delivery problem.
          const code =
            error instanceof UnknownTemplateError ? MAIL_ERROR_CODES.templateMissing : MAIL_ERROR_CODES.unrenderable;
          throw ApplicationFailure.nonRetryable(error instanceof Error ? error.message : String(error), code);
        }
        // The stored copy is what gets sent, on this attempt and any retry, so a retry cannot change the content.
        await storeEmail(db, {
          key: input.key,
          messageId,
          matchId: input.matchId ?? null,
          template: input.template,
          locale: input.recipient.locale,
          to: input.recipient.email,
          subject: rendered.subject,
          text: rendered.text,
          html: rendered.html,
          ics: input.invite ? renderInvite(input.invite, input.timeZone ?? 'Asia/Tokyo') : null,
        });
      }

      // Alive while waiting for a slot and while SMTP takes its time: Temporal notices a crashed worker by the missing
      // heartbeat, not by waiting out the whole start-to-close.
      const beating = heartbeatWhile(context);
      try {
        const release = await slots.acquire(context?.cancellationSignal);
        try {
          const email = await beginTransaction(db, input.key);
          if (!email) {
            const sent = await findEmailOrThrow(db, input.key);
            return { messageId: sent.messageId, delivered: 'earlier', to: sent.to, subject: sent.subject };
          }
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
            const failure = smtpFailure(error);
            const said = `${error.responseCode ?? ''} ${error.message}`.trim();
            const final = failure === 'rejected' || (failure === 'deferred' && input.lastTry);
            await recordNotSent(db, input.key, final ? 'failed' : 'deferred', said);
            // The server's words may name the address; the logger cuts addresses out of every line.
            context?.log.warn('email not accepted', { key: input.key, template: input.template, failure, said });
            if (failure === 'rejected')
              throw ApplicationFailure.nonRetryable(`SMTP rejected the email: ${said}`, MAIL_ERROR_CODES.rejected);
            if (failure === 'deferred' && input.lastTry !== undefined)
              throw ApplicationFailure.nonRetryable(`SMTP deferred the email: ${said}`, MAIL_ERROR_CODES.deferred);
            if (failure === 'deferred') throw ApplicationFailure.retryable(said, MAIL_ERROR_CODES.deferred);
            throw ApplicationFailure.retryable(said, MAIL_ERROR_CODES.unavailable);
          }
          // Accepted: recorded before anything else, so a crash from here on sends it again only if it comes first.
          await recordAccepted(db, input.key, context?.cancellationSignal);
          context?.log.info('email sent', { key: input.key, template: input.template, messageId: email.messageId });
          return { messageId: email.messageId, delivered: 'now', to: email.to, subject: email.subject };
        } finally {
          release();
        }
      } finally {
        beating.stop();
      }
    },
  };
}
