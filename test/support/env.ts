import { z } from 'zod';
import { parseEnv } from '../../config/env';

/**
 * `BANSOU_TEST_NOW` runs the suite as if at that instant: every time-skipping server starts its clock there. The
 * server starts at the real time and only moves forward, so the instant must not have passed.
 */
export const ZTestClockEnv = z.object({
  BANSOU_TEST_NOW: z.iso
    .datetime({ offset: true, error: 'must be an ISO date-time with a zone, e.g. 2027-04-28T17:30:00+09:00' })
    .refine(
      (at) => Number.isNaN(Date.parse(at)) || Date.parse(at) > Date.now(),
      'has passed: the time-skipping server starts at the real time and can only move forward; give a later instant',
    )
    .optional(),
});

/** What the global setup hands to every test file through the environment. */
const ZTestEnv = ZTestClockEnv.extend({
  BANSOU_TEST_PG_URL: z.url(),
  BANSOU_TEST_TEMPLATE_DB: z.string().min(1),
  BANSOU_TEST_WORKFLOW_BUNDLE: z.string().min(1),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  TEMPORAL_TEST_SERVER_PATH: z.string().min(1).optional(),
});

let cached: z.infer<typeof ZTestEnv> | undefined;
export const testEnv = () => (cached ??= parseEnv(ZTestEnv));
