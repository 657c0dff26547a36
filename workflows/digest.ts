import { isCancellation, log, patched, proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { localDate, nextSendTime, zonedParts, type SendingPolicy } from './calendar';
import { DAY_MS } from './durations';

/** The weekly digest goes out on Monday morning in this zone (the schedule lives in worker/schedules.ts). */
export const DIGEST_TIME_ZONE = 'Asia/Tokyo';

const { planCoordinatorDigests, raiseWeeklyDigestEvents } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 10 },
});

/** The patch under which the digest also raises each program's `digest.weekly` webhook event. */
const DIGEST_WEBHOOKS = 'digest-webhooks';
// As in the match workflow: longer than SMTP's own limits, with heartbeats to notice a crashed worker.
const { sendEmail } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '10 minutes', maximumAttempts: 50 },
});

/** Digests go out on working days in business hours, like every other email (a Monday holiday moves it on). */
const DIGEST_SENDING: SendingPolicy = {
  timeZone: DIGEST_TIME_ZONE,
  sendingHours: { start: '09:00', end: '18:00' },
  sendDays: 'weekdays',
  skipHolidays: true,
};

/** The Monday of the week an instant falls in, in the digest's zone. */
export function mondayOf(ms: number): string {
  const weekday = zonedParts(ms, DIGEST_TIME_ZONE).weekday; // 0 = Sunday
  return localDate(ms - ((weekday + 6) % 7) * DAY_MS, DIGEST_TIME_ZONE);
}

/**
 * One email per coordinator: what needs them this week, across all their matches, each sent once per week; then each
 * program's numbers to its webhook endpoints.
 */
export async function coordinatorDigestWorkflow(
  input: { weekOf?: string } = {},
): Promise<{ weekOf: string; sent: number; failed: number }> {
  const weekOf = input.weekOf ?? mondayOf(Date.now());
  if (patched('digest-waits-for-a-working-day')) {
    const at = nextSendTime(Date.now(), DIGEST_SENDING);
    if (at > Date.now()) await sleep(at - Date.now());
  }
  const digests = await planCoordinatorDigests({ weekOf, timeZone: DIGEST_TIME_ZONE });
  let sent = 0;
  let failed = 0;
  for (const digest of digests) {
    try {
      await sendEmail({
        key: `digest:${weekOf}:${digest.coordinator.personId}`,
        template: 'coordinator-digest',
        role: 'coordinator',
        recipient: digest.coordinator,
        data: { coordinator: digest.coordinator, weekOf, items: digest.items, programName: digest.programName },
        timeZone: DIGEST_TIME_ZONE,
      });
      sent += 1;
    } catch (error) {
      if (isCancellation(error)) throw error;
      // One rejected address must not keep the others' digests from going out; the outbox row has the error.
      log.warn('digest not sent', { coordinatorId: digest.coordinator.personId, error: String(error) });
      failed += 1;
    }
  }
  // The programs' webhook endpoints get the week in numbers, after the emails; a failure here stops none of them.
  if (patched(DIGEST_WEBHOOKS)) {
    try {
      await raiseWeeklyDigestEvents({ weekOf });
    } catch (error) {
      if (isCancellation(error)) throw error;
      log.warn('weekly digest webhook events not raised', { weekOf, error: String(error) });
    }
  }
  return { weekOf, sent, failed };
}
