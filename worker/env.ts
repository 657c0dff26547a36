import { z } from 'zod';
import { DEFAULT_CONCURRENT_SENDS } from '../activities/mail/send-slots';
import { parseEnv, ZDatabaseEnv, ZLinkEnv, ZLogEnv, ZMailEnv, ZTemporalEnv } from '../config/env';

/** The worker's whole configuration: parsed once at start-up, nothing else reads `process.env`. */
export const ZWorkerEnv = z.object({
  ...ZTemporalEnv.shape,
  ...ZDatabaseEnv.shape,
  ...ZMailEnv.shape,
  ...ZLinkEnv.shape,
  ...ZLogEnv.shape,
  /** Workflow tasks and activities the worker runs at once. */
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).max(1000).default(50),
  /** SMTP transactions the worker has in flight at once: a crash can duplicate at most these. */
  MAIL_MAX_CONCURRENT_SENDS: z.coerce.number().int().min(1).max(100).default(DEFAULT_CONCURRENT_SENDS),
});
export type TWorkerEnv = z.infer<typeof ZWorkerEnv>;

export const loadWorkerEnv = (source?: Record<string, string | undefined>): TWorkerEnv => parseEnv(ZWorkerEnv, source);
