import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { DIGEST_TIME_ZONE } from '../workflows/digest';

export const DIGEST_SCHEDULE_ID = 'bansou-coordinator-digest';

/** Creates the weekly coordinator digest schedule (Monday 09:00 JST) unless it exists. Safe on every start. */
export async function ensureDigestSchedule(client: Client, taskQueue: string): Promise<'created' | 'exists'> {
  try {
    await client.schedule.create({
      scheduleId: DIGEST_SCHEDULE_ID,
      spec: { calendars: [{ dayOfWeek: 'MONDAY', hour: 9, minute: 0 }], timezone: DIGEST_TIME_ZONE },
      action: {
        type: 'startWorkflow',
        workflowType: 'coordinatorDigestWorkflow',
        workflowId: 'coordinator-digest',
        taskQueue,
        args: [{}],
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
    });
    return 'created';
  } catch (error) {
    if (error instanceof ScheduleAlreadyRunning) return 'exists';
    throw error;
  }
}
