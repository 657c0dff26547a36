/**
 * The mailer, one of the single writers: it sends the queued emails in the program's sending hours and never while
 * the match is paused; those that are ready go out together, one per address at a time and in queue order. An email
 * that waited is checked again when its time comes: a reminder that has been overtaken is dropped, and a coordinator's
 * email goes to whoever coordinates the match by then. An email that did not go out waits for its next try (inside
 * sending hours) without holding up the others; one that cannot be delivered becomes a delivery problem on the match,
 * and the coordinator is told.
 */
import { condition, isCancellation, log, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { nextSendTime, sendingWindowEnd } from '../calendar';
import { MAIL_RETRY, nextTryAt, sendFailureOf, SKIP_REASONS } from '../mail-delivery';
import type { DeliveryProblem, MatchState, Participant, PendingEmail } from '../shared';
import { iso, ms, now, type MatchContext } from './context';

// Longer than the SMTP transport's own time limits (connect, greeting, idle socket), so an attempt ends by itself
// before Temporal starts a retry: a slow server never gets the same email from two attempts at once. The activity
// heartbeats while it sends, so a crashed worker's email is retried within seconds all the same.
// Before patched('mail-retries-in-sending-hours'): no attempt limit (5xx rejections failed at once, non-retryable).
const { sendEmail } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '10 minutes' },
});

// Since patched('mail-retries-in-sending-hours'): an attempt retries by itself only a crash or an unreachable server,
// for a few minutes; a deferral (4xx) comes back at once, and a retry that would start after the sending window it was
// meant for is refused. The mailer then tries again later, inside sending hours (workflows/mail-delivery.ts).
const { sendEmail: sendEmailInSendingHours } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 8 },
});

/** What the mail activity answers for an email that went out. */
type SendEmailResult = Awaited<ReturnType<Activities['sendEmail']>>;

/** Delivery problems a match keeps (one per address, the latest), so its state stays small. */
const MAX_DELIVERY_PROBLEMS = 20;

/** Why a queued reminder is no longer wanted, if it is not. */
export function overtaken(state: MatchState, email: PendingEmail): string | undefined {
  if (email.template === 'checkin-reminder' && email.checkin) {
    const round = state.checkins.current;
    if (round?.round !== email.checkin.round || round.status === 'closed') return SKIP_REASONS.roundClosed;
    if (round.answers[email.checkin.respondent]) return SKIP_REASONS.answeredMeanwhile;
  }
  if (email.template === 'task-reminder') {
    const task = taskOf(state, email);
    if (task && task.status !== 'open') return SKIP_REASONS.taskNotOpen[task.status];
  }
  return undefined;
}

/**
 * Why a task's opening reminder gives way, if it does: the task fell due while the reminder waited for sending hours,
 * so its overdue reminder (queued behind it) says all there is to say, and the coordinator gets one email, not two.
 */
export function supersededByOverdue(state: MatchState, email: PendingEmail): string | undefined {
  if (email.template !== 'task-reminder' || email.data.overdue !== false) return undefined;
  const task = taskOf(state, email);
  return task?.status === 'open' && task.overdueReminded ? SKIP_REASONS.overdueReminderReplaces : undefined;
}

/** The task a task reminder is about. */
function taskOf(state: MatchState, email: PendingEmail): MatchState['tasks'][number] | undefined {
  const id = (email.data.task as { id?: string } | undefined)?.id;
  return state.tasks.find((t) => t.id === id);
}

/** The innermost message of an activity failure (the SMTP server's words, a missing template). */
function errorMessage(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

/** At most this many emails of one match are being sent at once. */
export const MAX_SENDING_TOGETHER = 8;

/** Sends the outbox, first in first out, for as long as the run lasts. */
export function mailer(ctx: MatchContext): Promise<void> {
  // Since patched('mail-sent-together'): the emails that are ready go out together, one per address at a time, so
  // their outcomes are handled by one workflow task. A run that started before sends one at a time to its end.
  return patched('mail-sent-together') ? sendTogether(ctx) : sendOneByOne(ctx);
}

/**
 * Before patched('mail-sent-together'): one email at a time, the next once the last one's outcome is handled. Its
 * awaits are those the mailer always had, so runs that started before replay the same commands in the same order.
 */
async function sendOneByOne(ctx: MatchContext): Promise<void> {
  const { state, outbox } = ctx;
  for (;;) {
    await condition(() => outbox.length > 0 && !state.paused);
    const sendAt = nextSendTime(now(), state.playbook);
    if (sendAt > now()) {
      await condition(() => Boolean(state.paused), sendAt - now());
      continue;
    }
    // The first email not waiting for its next try; one that waits holds up nobody else's.
    const email = outbox.find((e) => !e.retry || ms(e.retry.at) <= now());
    if (!email) {
      const queued = outbox.length;
      const retryAt = Math.min(...outbox.map((e) => ms(e.retry!.at)));
      await condition(() => Boolean(state.paused) || outbox.length !== queued, retryAt - now());
      continue;
    }
    if (droppedUnwanted(ctx, email)) continue;
    const attempt = attemptOf(ctx, email);
    ctx.activitiesInFlight += 1;
    try {
      wentOut(ctx, attempt, await send(ctx, attempt));
    } catch (error) {
      if (isCancellation(error)) throw error;
      if (waitsForAnotherTry(ctx, attempt, error)) continue;
    } finally {
      ctx.activitiesInFlight -= 1;
    }
    unqueue(ctx, email);
  }
}

/**
 * Every email that is ready goes out at once, each as its own activity: the first one not waiting for its next try
 * of each address nobody is being sent to (so one person's emails keep their order), at most `MAX_SENDING_TOGETHER`.
 * Each outcome is handled as one at a time would handle it; outcomes that arrive together, in one workflow task.
 */
async function sendTogether(ctx: MatchContext): Promise<void> {
  const { state, outbox } = ctx;
  /** The emails being sent, each with the address it goes to. */
  const sending = new Map<PendingEmail, string>();
  // A send that throws (cancelled, or a bug in this code) ends the mailer, as it does one at a time.
  let stop: (error: unknown) => void = () => undefined;
  const stopped = new Promise<never>((_, reject) => (stop = reject));
  const start = (email: PendingEmail, address: string) => {
    sending.set(email, address);
    deliver(ctx, email).then(
      () => sending.delete(email),
      (error: unknown) => {
        sending.delete(email);
        stop(error);
      },
    );
  };
  const run = async (): Promise<never> => {
    for (;;) {
      await condition(
        () => !state.paused && sending.size < MAX_SENDING_TOGETHER && outbox.some((e) => !sending.has(e)),
      );
      const sendAt = nextSendTime(now(), state.playbook);
      if (sendAt > now()) {
        await condition(() => Boolean(state.paused), sendAt - now());
        continue;
      }
      const ready = readyToSend(ctx, sending);
      if (ready.length > 0) {
        for (const [email, address] of ready) start(email, address);
        continue;
      }
      // Nothing can start: wait for a try to fall due, an email to be queued or a send to end (freeing its address).
      const queued = outbox.length;
      const busy = sending.size;
      const changed = () => Boolean(state.paused) || outbox.length !== queued || sending.size !== busy;
      const tries = outbox.filter((e) => !sending.has(e) && e.retry && ms(e.retry.at) > now());
      if (tries.length === 0) await condition(changed);
      else await condition(changed, Math.min(...tries.map((e) => ms(e.retry!.at))) - now());
    }
  };
  return Promise.race([stopped, run()]);
}

/** The emails to start now, with their addresses: in queue order, the first ready one per address that is free. */
function readyToSend(ctx: MatchContext, sending: Map<PendingEmail, string>): [PendingEmail, string][] {
  const busy = new Set(sending.values());
  const ready: [PendingEmail, string][] = [];
  for (const email of ctx.outbox) {
    if (sending.size + ready.length >= MAX_SENDING_TOGETHER) break;
    if (sending.has(email) || (email.retry && ms(email.retry.at) > now())) continue;
    // A coordinator's email goes to whoever coordinates the match when it is sent (see `attemptOf`).
    const to = email.to === 'coordinator' ? ctx.state.match.coordinator : email.recipient;
    const address = to.email.toLowerCase();
    if (busy.has(address)) continue;
    busy.add(address);
    ready.push([email, address]);
  }
  return ready;
}

/**
 * One email, sent or dropped, its outcome handled, for `sendTogether`. The same steps stand inline in `sendOneByOne`:
 * awaiting this function there would add awaits, and could change the order of commands of runs already under way.
 */
async function deliver(ctx: MatchContext, email: PendingEmail): Promise<void> {
  if (droppedUnwanted(ctx, email)) return;
  const attempt = attemptOf(ctx, email);
  ctx.activitiesInFlight += 1;
  try {
    wentOut(ctx, attempt, await send(ctx, attempt));
  } catch (error) {
    if (isCancellation(error)) throw error;
    if (waitsForAnotherTry(ctx, attempt, error)) return;
  } finally {
    ctx.activitiesInFlight -= 1;
  }
  unqueue(ctx, email);
}

const unqueue = (ctx: MatchContext, email: PendingEmail) => ctx.outbox.splice(ctx.outbox.indexOf(email), 1);

/**
 * Drops an email that waited (for sending hours, a resume) and has been overtaken: nobody gets a reminder for
 * something they have already done. Since patched('opening-reminder-gives-way-to-overdue'): nor two emails for one
 * task when it fell due meanwhile.
 */
function droppedUnwanted(ctx: MatchContext, email: PendingEmail): boolean {
  const why = overtaken(ctx.state, email);
  const superseded = supersededByOverdue(ctx.state, email);
  if (
    (why && patched('mail-drops-overtaken-reminders')) ||
    (superseded && patched('opening-reminder-gives-way-to-overdue'))
  ) {
    unqueue(ctx, email);
    ctx.record('email.skipped', { template: email.template, role: email.to, reason: why ?? superseded });
    return true;
  }
  return false;
}

/** One try at sending an email: to whom, whether its retries stay in sending hours, the window it is meant for. */
type Attempt = { email: PendingEmail; recipient: Participant; bounded: boolean; windowEnd: number | null };

function attemptOf(ctx: MatchContext, email: PendingEmail): Attempt {
  const { state } = ctx;
  // The coordinator's emails go to whoever coordinates the match when they are sent (a reassign may have come
  // in while they waited).
  const current = state.match.coordinator;
  const redirected = email.to === 'coordinator' && email.recipient.email !== current.email;
  const recipient = redirected && patched('coordinator-mail-follows-reassign') ? current : email.recipient;
  // Retries inside sending hours, bounded; before, the activity retried without end.
  const bounded = patched('mail-retries-in-sending-hours');
  return { email, recipient, bounded, windowEnd: sendingWindowEnd(now(), state.playbook) };
}

/** Schedules the email's `sendEmail` activity (not an async function: the caller awaits the activity itself). */
function send(ctx: MatchContext, { email, recipient, bounded, windowEnd }: Attempt): Promise<SendEmailResult> {
  const { state } = ctx;
  return (bounded ? sendEmailInSendingHours : sendEmail)({
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
    ...(bounded
      ? {
          sendBefore: windowEnd === null ? undefined : iso(windowEnd),
          lastTry: (email.retry?.deferrals ?? 0) + 1 >= MAIL_RETRY.tries,
        }
      : {}),
  });
}

/** The email went out: the timeline says so, and a delivery problem its address had is over. */
function wentOut(ctx: MatchContext, { email, bounded }: Attempt, sent: SendEmailResult): void {
  ctx.record('email.sent', {
    template: email.template,
    role: email.to,
    to: sent.to,
    subject: sent.subject,
    messageId: sent.messageId,
  });
  if (bounded) deliveredTo(ctx, email.to, sent.to);
}

/** The email did not go out: true when it waits for another try, false when it has failed (see `notDelivered`). */
function waitsForAnotherTry(ctx: MatchContext, { email, recipient, windowEnd }: Attempt, error: unknown): boolean {
  if (patched('mail-retries-in-sending-hours')) return notDelivered(ctx, email, recipient, error, windowEnd);
  // A permanent failure (e.g. the address was rejected) is on the outbox row; the timeline says so; move on.
  log.warn('email not sent', { key: email.key, error: String(error) });
  ctx.record('email.failed', {
    template: email.template,
    role: email.to,
    to: recipient.email,
    error: errorMessage(error),
  });
  return false;
}

/**
 * An email did not go out: keeps it for another try inside sending hours (true), or, refused or deferred past the
 * bound, fails it, shows a delivery problem on the match and tells the coordinator (false).
 */
function notDelivered(
  ctx: MatchContext,
  email: PendingEmail,
  recipient: Participant,
  error: unknown,
  windowEnd: number | null,
): boolean {
  const { state } = ctx;
  const failure = sendFailureOf(error);
  const failures = (email.retry?.failures ?? 0) + 1;
  const deferrals = (email.retry?.deferrals ?? 0) + (failure === 'deferred' ? 1 : 0);
  const base = { template: email.template, role: email.to, to: recipient.email, error: errorMessage(error) };
  log.warn('email not sent', { key: email.key, failure, tries: failures });
  if (failure === 'outside_sending_hours') {
    // Nothing went out: the next try waits for the window after the one this try was meant for.
    const at = iso(nextSendTime(Math.max(now(), windowEnd ?? now()), state.playbook));
    email.retry = { failures: email.retry?.failures ?? 0, deferrals: email.retry?.deferrals ?? 0, at };
    ctx.record('email.deferred', { ...base, retryAt: at });
    return true;
  }
  if (failure === 'unavailable' || (failure === 'deferred' && deferrals < MAIL_RETRY.tries)) {
    const at = iso(nextTryAt(now(), failures, state.playbook));
    email.retry = { failures, deferrals, at };
    ctx.record('email.deferred', { ...base, tries: failures, retryAt: at });
    return true;
  }
  const problem: DeliveryProblem = { ...base, name: recipient.name, tries: failures, at: iso(now()) };
  const problems = state.deliveryProblems ?? [];
  const known = problems.some((p) => p.to === recipient.email);
  // One problem per address, the latest: whoever was told of it is not told again until mail gets through.
  state.deliveryProblems = [...problems.filter((p) => p.to !== recipient.email), problem].slice(-MAX_DELIVERY_PROBLEMS);
  // The coordinator is told; of the coordinator's own address, the program managers. A notice that cannot be
  // delivered is not noticed again.
  let told: { role: PendingEmail['to']; person: Participant }[] = [];
  if (!known && email.template !== 'delivery-problem') {
    told =
      email.to === 'coordinator'
        ? state.match.programManagers.map((person) => ({ role: 'program_manager' as const, person }))
        : [{ role: 'coordinator', person: state.match.coordinator }];
  }
  const step = `delivery-problem-${++state.seq}`;
  for (const { role, person } of told) ctx.email(step, role, person, { problem }, { template: 'delivery-problem' });
  ctx.record('email.failed', { ...base, tries: failures, told: told[0]?.role ?? null });
  return false;
}

/** Mail to an address went through: a delivery problem it had is over. */
function deliveredTo(ctx: MatchContext, role: PendingEmail['to'], address: string): void {
  const problems = ctx.state.deliveryProblems ?? [];
  if (!problems.some((p) => p.to === address)) return;
  ctx.state.deliveryProblems = problems.filter((p) => p.to !== address);
  ctx.record('email.delivered-again', { role, to: address });
}
