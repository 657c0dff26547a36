import { ActivityFailure, ApplicationFailure, RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { createSendSlots } from '../../activities/mail/send-slots';
import { maySendAt } from '../../workflows/calendar';
import { MAIL_ERROR_CODES, MAIL_RETRY, nextTryAt, sendFailureOf } from '../../workflows/mail-delivery';
import { DEFAULT_PLAYBOOK } from '../../workflows/playbook';

/** 09:00–18:00 JST on working days, holidays skipped. */
const jst = DEFAULT_PLAYBOOK;
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const activityFailed = (cause: Error, retryState: RetryState = RetryState.NON_RETRYABLE_FAILURE) =>
  new ActivityFailure('activity failed', 'sendEmail', '1', retryState, 'worker', cause);

describe('retrying an email that did not go out', () => {
  it('backs off from 10 minutes, doubling, and every try falls inside sending hours', () => {
    // Friday 4 December 2026, 17:30 JST: the third try would be at 18:00 and waits for Monday 09:00.
    let failedAt = at('2026-12-04T08:30:00Z');
    const tries = [iso(failedAt)];
    for (let failures = 1; failures < MAIL_RETRY.tries; failures++) {
      failedAt = nextTryAt(failedAt, failures, jst);
      tries.push(iso(failedAt));
    }
    expect(tries).toEqual([
      '2026-12-04T08:30:00.000Z', // Fri 17:30
      '2026-12-04T08:40:00.000Z', // Fri 17:40 (+10 min)
      '2026-12-07T00:00:00.000Z', // Mon 09:00 (18:00 is closed)
      '2026-12-07T00:40:00.000Z', // Mon 09:40 (+40 min)
      '2026-12-07T02:00:00.000Z', // Mon 11:00 (+80 min)
      '2026-12-07T04:40:00.000Z', // Mon 13:40 (+160 min)
      '2026-12-07T08:40:00.000Z', // Mon 17:40 (+240 min, the longest wait)
      '2026-12-08T00:00:00.000Z', // Tue 09:00 (21:40 is closed)
    ]);
    expect(tries.every((t) => maySendAt(Date.parse(t), jst))).toBe(true);
  });

  it('tells a deferral, an unreachable server, a closed window and a failure for good apart', () => {
    const failure = (type: string, nonRetryable: boolean) => new ApplicationFailure('x', type, nonRetryable);
    expect(sendFailureOf(activityFailed(failure(MAIL_ERROR_CODES.deferred, true)))).toBe('deferred');
    expect(sendFailureOf(activityFailed(failure(MAIL_ERROR_CODES.outsideSendingHours, true)))).toBe(
      'outside_sending_hours',
    );
    expect(sendFailureOf(activityFailed(failure(MAIL_ERROR_CODES.rejected, true)))).toBe('failed');
    expect(sendFailureOf(activityFailed(failure(MAIL_ERROR_CODES.templateMissing, true)))).toBe('failed');
    expect(sendFailureOf(activityFailed(failure(MAIL_ERROR_CODES.unrenderable, true)))).toBe('failed');
    // The activity's own retries ran out: the server stayed unreachable, or the worker kept dying.
    const ranOut = RetryState.MAXIMUM_ATTEMPTS_REACHED;
    expect(sendFailureOf(activityFailed(failure(MAIL_ERROR_CODES.unavailable, false), ranOut))).toBe('unavailable');
    const heartbeat = new TimeoutFailure('heartbeat', undefined, TimeoutType.HEARTBEAT);
    expect(sendFailureOf(activityFailed(heartbeat, ranOut))).toBe('unavailable');
    // Not an activity's failure at all: a bug, shown rather than retried.
    expect(sendFailureOf(new TypeError('x is undefined'))).toBe('failed');
  });
});

describe('send slots', () => {
  it('lets a bounded number of sends through and passes a freed slot to the next in line', async () => {
    const slots = createSendSlots(2);
    const first = await slots.acquire();
    const second = await slots.acquire();
    let thirdIn = false;
    const third = slots.acquire().then((release) => {
      thirdIn = true;
      return release;
    });
    await Promise.resolve();
    expect([slots.inUse, thirdIn]).toEqual([2, false]);
    first();
    first(); // a second release of the same slot frees nothing more
    (await third)();
    expect(thirdIn).toBe(true);
    second();
    expect(slots.inUse).toBe(0);
  });

  it('lets a send that is cancelled while waiting leave the line', async () => {
    const slots = createSendSlots(1);
    const held = await slots.acquire();
    const abort = new AbortController();
    const waiting = slots.acquire(abort.signal);
    abort.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
    held();
    expect(slots.inUse).toBe(0);
    (await slots.acquire())();
  });
});
