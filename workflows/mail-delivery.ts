/**
 * What happens to an email that did not go out: which failures are tried again, how long the mailer waits (always
 * into the program's sending hours) and when it gives up. Pure: the match workflow and the mail activity share the
 * error codes, the unit tests the arithmetic.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { nextSendTime, type SendingPolicy } from './calendar';

const MINUTE = 60_000;

/** Error codes of the mail activity, as `ApplicationFailure.type`; every one but `unavailable` is not retried. */
export const MAIL_ERROR_CODES = {
  /** The template does not exist in the recipient's language. */
  templateMissing: 'EMAIL_TEMPLATE_MISSING',
  /** The template exists but cannot be rendered from this email's data. */
  unrenderable: 'EMAIL_UNRENDERABLE',
  /** The SMTP server refused the email for good (5xx). */
  rejected: 'EMAIL_REJECTED',
  /** The SMTP server answered "not now" for this email (4xx): the mailer tries again later. */
  deferred: 'EMAIL_DEFERRED',
  /** The SMTP server could not be reached or failed mid-transaction; the activity retries this itself. */
  unavailable: 'EMAIL_SERVER_UNAVAILABLE',
  /** A retry came due after the sending window it was meant for had closed; nothing was sent. */
  outsideSendingHours: 'EMAIL_OUTSIDE_SENDING_HOURS',
} as const;

/**
 * Why the mailer drops a queued email without sending it, recorded as the reason of `email.skipped` on the match's
 * timeline (the workspace shows each in words). The strings are stored in histories: keep them as they are.
 */
export const SKIP_REASONS = {
  roundClosed: 'the round has closed',
  answeredMeanwhile: 'answered meanwhile',
  overdueReminderReplaces: 'the overdue reminder replaces it',
  /** A task reminder whose task is no longer open, by the task's status. */
  taskNotOpen: { scheduled: 'the task is scheduled', done: 'the task is done', cancelled: 'the task is cancelled' },
} as const;

/** Every reason the mailer can record for a skipped email. */
export const SKIP_REASON_CODES: readonly string[] = Object.values(SKIP_REASONS).flatMap((r) =>
  typeof r === 'string' ? [r] : Object.values(r),
);

/** How the mailer retries an email that did not go out. */
export const MAIL_RETRY = {
  /** Tries of an email its server keeps deferring (4xx) before it is failed: about two working days. */
  tries: 8,
  /** The wait after the first failed try; it doubles after each one, up to `maxWaitMs`. */
  firstWaitMs: 10 * MINUTE,
  maxWaitMs: 240 * MINUTE,
} as const;

/**
 * What a failed send means for the email: `deferred` (its server said "not now": counts towards the bound),
 * `unavailable` (the server could not be reached: tried again without a bound, an outage delays mail but never drops
 * it), `outside_sending_hours` (tried again when the next window opens) or `failed` (for good).
 */
export type SendFailure = 'deferred' | 'unavailable' | 'outside_sending_hours' | 'failed';

export function sendFailureOf(error: unknown): SendFailure {
  // Anything but an activity failure is a bug in the workflow's own code: visible as a failed email, not retried.
  if (!(error instanceof ActivityFailure)) return 'failed';
  const cause = error.cause;
  if (cause instanceof ApplicationFailure) {
    if (cause.type === MAIL_ERROR_CODES.deferred) return 'deferred';
    if (cause.type === MAIL_ERROR_CODES.outsideSendingHours) return 'outside_sending_hours';
    if (cause.nonRetryable) return 'failed';
  }
  // The activity's own retries ran out: the server stayed unreachable, or the worker kept dying mid-send.
  return 'unavailable';
}

/** When to try again after the `failures`-th failed try at `failedAt`: backing off, inside sending hours. */
export function nextTryAt(failedAt: number, failures: number, policy: SendingPolicy): number {
  const wait = Math.min(MAIL_RETRY.firstWaitMs * 2 ** Math.max(0, failures - 1), MAIL_RETRY.maxWaitMs);
  return nextSendTime(failedAt + wait, policy);
}
