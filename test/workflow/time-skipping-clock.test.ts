import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { testEnv } from '../support/env';
import { describeJst, FRIDAY_EVENING } from '../support/instants';
import { createTimeSkippingEnv, moveClockTo } from '../support/temporal';

/** The clock every workflow scenario runs on: where it starts, and how scenarios move it. */
describe('the time-skipping clock of the workflow tests', () => {
  let env: TestWorkflowEnvironment;
  let createdAt: number;
  beforeAll(async () => {
    createdAt = Date.now();
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('starts at BANSOU_TEST_NOW when it is set, at the real time otherwise', async () => {
    const simulated = testEnv().BANSOU_TEST_NOW;
    const expected = simulated ? Date.parse(simulated) : createdAt;
    const now = await env.currentTimeMs();
    expect(now).toBeGreaterThanOrEqual(expected);
    expect(now - expected).toBeLessThan(60_000);
  });

  it('moves forward to a chosen instant and refuses to move back', async () => {
    const friday = FRIDAY_EVENING.next(await env.currentTimeMs());
    await moveClockTo(env, friday);
    expect(describeJst(await env.currentTimeMs())).toBe(describeJst(friday));
    expect(describeJst(friday)).toMatch(/\(Fri\) 18:30 JST$/);
    await expect(moveClockTo(env, friday - 86_400_000)).rejects.toThrow(/cannot move back/);
  });
});
