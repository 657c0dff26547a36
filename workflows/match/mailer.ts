/**
 * The mailer, one of the two single writers: it sends the queued emails one by one, in the program's sending hours
 * and never while the match is paused. An email that waited is checked again when its time comes: a reminder that
 * has been overtaken is dropped, and a coordinator's email goes to whoever coordinates the match by then.
 */
import { condition, isCancellation, log, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { nextSendTime } from '../calendar';
import type { MatchState, PendingEmail } from '../shared';
import { now, type MatchContext } from './context';

// Longer than the SMTP transport's own time limits (connect, greeting, idle socket), so an attempt ends by itself
// before Temporal starts a retry: a slow server never gets the same email from two attempts at once. The activity
// heartbeats while it sends, so a crashed worker's email is retried within seconds all the same.
const { sendEmail } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  // No attempt limit: an SMTP outage must delay a check-in, not drop it (5xx rejections fail at once, non-retryable).
  retry: { initialInterval: '2 seconds', maximumInterval: '10 minutes' },
});

/** Why a queued reminder is no longer wanted, if it is not. */
export function overtaken(state: MatchState, email: PendingEmail): string | undefined {
  if (email.template === 'checkin-reminder' && email.checkin) {
    const round = state.checkins.current;
    if (round?.round !== email.checkin.round || round.status === 'closed') return 'the round has closed';
    if (round.answers[email.checkin.respondent]) return 'answered meanwhile';
  }
  if (email.template === 'task-reminder') {
    const id = (email.data.task as { id?: string } | undefined)?.id;
    const task = state.tasks.find((t) => t.id === id);
    if (task && task.status !== 'open') return `the task is ${task.status}`;
  }
  return undefined;
}

/** The innermost message of an activity failure (the SMTP server's words, a missing template). */
function errorMessage(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

/** Sends the outbox, first in first out, for as long as the run lasts. */
export async function mailer(ctx: MatchContext): Promise<void> {
  const { state, outbox } = ctx;
  for (;;) {
    await condition(() => outbox.length > 0 && !state.paused);
    const sendAt = nextSendTime(now(), state.playbook);
    if (sendAt > now()) {
      await condition(() => Boolean(state.paused), sendAt - now());
      continue;
    }
    const email = outbox[0]!;
    // An email that waited (for sending hours, a resume) may have been overtaken: nobody gets a reminder for
    // something they have already done.
    const why = overtaken(state, email);
    if (why && patched('mail-drops-overtaken-reminders')) {
      outbox.shift();
      ctx.record('email.skipped', { template: email.template, role: email.to, reason: why });
      continue;
    }
    // The coordinator's emails go to whoever coordinates the match when they are sent (a reassign may have come
    // in while they waited).
    const current = state.match.coordinator;
    const redirected = email.to === 'coordinator' && email.recipient.email !== current.email;
    const recipient = redirected && patched('coordinator-mail-follows-reassign') ? current : email.recipient;
    ctx.activitiesInFlight += 1;
    try {
      const sent = await sendEmail({
        key: email.key,
        matchId: state.matchId,
        template: email.template,
        role: email.to,
        recipient,
        data: email.data,
        checkin: email.checkin,
        kickoffLink: email.kickoffLink,
        invite: email.invite,
        timeZone: state.playbook.timeZone,
      });
      ctx.record('email.sent', {
        template: email.template,
        role: email.to,
        to: sent.to,
        subject: sent.subject,
        messageId: sent.messageId,
      });
    } catch (error) {
      if (isCancellation(error)) throw error;
      // A permanent failure (e.g. the address was rejected) is on the outbox row; the timeline says so; move on.
      log.warn('email not sent', { key: email.key, error: String(error) });
      ctx.record('email.failed', {
        template: email.template,
        role: email.to,
        to: recipient.email,
        error: errorMessage(error),
      });
    } finally {
      ctx.activitiesInFlight -= 1;
    }
    outbox.shift();
  }
}
