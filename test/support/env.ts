import { z } from 'zod';
import { parseEnv } from '../../config/env';

/** What the global setup hands to every test file through the environment. */
const ZTestEnv = z.object({
  BANSOU_TEST_PG_URL: z.url(),
  BANSOU_TEST_TEMPLATE_DB: z.string().min(1),
  BANSOU_TEST_WORKFLOW_BUNDLE: z.string().min(1),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  TEMPORAL_TEST_SERVER_PATH: z.string().min(1).optional(),
});

let cached: z.infer<typeof ZTestEnv> | undefined;
export const testEnv = () => (cached ??= parseEnv(ZTestEnv));
