import path from 'node:path';
import { z } from 'zod';
import { parseEnv } from '../config/env';

/** The root of the checkout, where `.tools/` and `.data/` live. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

/** Settings of the local tooling (the dev stack and the test harness); all optional. */
export const ZDevEnv = z.object({
  /** Use this Temporal CLI instead of looking on PATH or in `.tools/`. */
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  /** Use this time-skipping test server instead of looking on PATH or in `.tools/`. */
  TEMPORAL_TEST_SERVER_PATH: z.string().min(1).optional(),
  /** An existing Postgres to use instead of starting the local cluster under `.data/postgres`. */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  /** Where to keep the embedded stack's data (Temporal SQLite, Postgres, mail). */
  BANSOU_DATA_DIR: z.string().min(1).default(path.join(PROJECT_ROOT, '.data')),
  /** Where pinned tools are cached. */
  BANSOU_TOOLS_DIR: z.string().min(1).default(path.join(PROJECT_ROOT, '.tools')),
  /** Ports of the embedded stack. */
  BANSOU_PG_PORT: z.coerce.number().int().default(55432),
  TEMPORAL_PORT: z.coerce.number().int().default(7233),
  TEMPORAL_UI_PORT: z.coerce.number().int().default(8233),
  MAIL_SMTP_PORT: z.coerce.number().int().default(1025),
  MAIL_WEB_PORT: z.coerce.number().int().default(1080),
  PORT: z.coerce.number().int().default(3000),
  /** The worker's metrics port (Prometheus /metrics). */
  METRICS_PORT: z.coerce.number().int().default(9464),
  /** The API key the demo and the CLI use against a running API. */
  BANSOU_API_KEY: z.string().min(1).optional(),
  /** The API fuzzing (test/fuzz): test cases per operation, and a seed to repeat a run (random when unset). */
  BANSOU_FUZZ_EXAMPLES: z.coerce.number().int().min(1).optional(),
  BANSOU_FUZZ_SEED: z.coerce.number().int().min(0).optional(),
  PATH: z.string().default(''),
});
export type TDevEnv = z.infer<typeof ZDevEnv>;

let cached: TDevEnv | undefined;
export function devEnv(): TDevEnv {
  cached ??= parseEnv(ZDevEnv);
  return cached;
}
