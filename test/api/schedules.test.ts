import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DIGEST_SCHEDULE_ID, ensureDigestSchedule } from '../../worker/schedules';
import { createDevServerEnv } from '../support/temporal';

describe('the weekly digest schedule (dev server)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createDevServerEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('is created once, Mondays 09:00 in Asia/Tokyo, and left alone when a worker starts again', async () => {
    await expect(ensureDigestSchedule(env.client, 'bansou-matches')).resolves.toBe('created');
    await expect(ensureDigestSchedule(env.client, 'bansou-matches')).resolves.toBe('exists');
    const schedule = await env.client.schedule.getHandle(DIGEST_SCHEDULE_ID).describe();
    expect(schedule.spec.timezone).toBe('Asia/Tokyo');
    expect(schedule.spec.calendars?.[0]).toMatchObject({
      dayOfWeek: [{ start: 'MONDAY', end: 'MONDAY', step: 1 }],
      hour: [{ start: 9, end: 9, step: 1 }],
    });
    expect(schedule.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'coordinatorDigestWorkflow',
      taskQueue: 'bansou-matches',
    });
    const next = schedule.info.nextActionTimes[0]!;
    expect(
      new Intl.DateTimeFormat('en-US', {
        timeZone: 'Asia/Tokyo',
        weekday: 'short',
        hour: '2-digit',
        hourCycle: 'h23',
      }).format(next),
    ).toBe('Mon, 09');
  });
});
