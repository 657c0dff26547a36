import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { localDate, zonedParts } from './calendar';
import { DAY_MS } from './durations';

/** The weekly digest goes out on Monday morning in this zone (the schedule lives in worker/schedules.ts). */
export const DIGEST_TIME_ZONE = 'Asia/Tokyo';

const { planCoordinatorDigests } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 10 },
});
const { sendEmail } = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '5 minutes', maximumAttempts: 30 },
});

/** The Monday of the week an instant falls in, in the digest's zone. */
export function mondayOf(ms: number): string {
  const weekday = zonedParts(ms, DIGEST_TIME_ZONE).weekday; // 0 = Sunday
  return localDate(ms - ((weekday + 6) % 7) * DAY_MS, DIGEST_TIME_ZONE);
}

/** One email per coordinator: what needs them this week, across all their matches. Each goes out once per week. */
export async function coordinatorDigestWorkflow(
  input: { weekOf?: string } = {},
): Promise<{ weekOf: string; sent: number }> {
  const weekOf = input.weekOf ?? mondayOf(Date.now());
  const digests = await planCoordinatorDigests({ weekOf, timeZone: DIGEST_TIME_ZONE });
  for (const digest of digests) {
    await sendEmail({
      key: `digest:${weekOf}:${digest.coordinator.personId}`,
      template: 'coordinator-digest',
      role: 'coordinator',
      recipient: digest.coordinator,
      data: { coordinator: digest.coordinator, weekOf, items: digest.items, programName: digest.programName },
      timeZone: DIGEST_TIME_ZONE,
    });
  }
  return { weekOf, sent: digests.length };
}
