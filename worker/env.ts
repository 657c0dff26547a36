import { z } from 'zod';
import { DEFAULT_CONCURRENT_SENDS } from '../activities/mail/send-slots';
import {
  parseEnv,
  ZDatabaseEnv,
  ZLinkEnv,
  ZLogEnv,
  ZMailEnv,
  ZPayloadKeysEnv,
  ZShutdownEnv,
  ZTemporalEnv,
  ZTracingEnv,
  ZWebhookEnv,
} from '../config/env';
import { checkTemporalEnv } from '../temporal/connection';
import { ZWorkerMemoryMb } from './memory';

const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const ZSeconds = z.coerce.number().positive().max(3600);

/**
 * How the worker uses its machine. The defaults are sized for a 2-core machine (activities no more than a pool of
 * Postgres connections can serve); they are still to be checked with `npm run bench -- --only capacity` at the default
 * sizes on a quiet machine (README, "Performance"). Raise them on a bigger one.
 */
export const ZWorkerTuningEnv = z.object({
  /** The worker's memory budget in MB: sets its heap limit and, unless given below, its cache (`worker/memory.ts`). */
  WORKER_MEMORY_MB: ZWorkerMemoryMb,
  /**
   * Match workflows kept in memory between their tasks; one that is not must replay its history. By default what
   * `WORKER_MEMORY_MB` leaves room for, or without a budget 1000.
   */
  WORKER_MAX_CACHED_WORKFLOWS: count(0, 100_000).optional(),
  /**
   * Workflow tasks the worker runs at once. They all run on one thread (the SDK reuses one V8 context): more at once
   * only makes each take longer, and on a busy machine past its 10 s timeout, when its work is thrown away.
   */
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: count(2, 1000).default(4),
  /** Activities (emails, read-model writes) the worker runs at once. */
  WORKER_MAX_CONCURRENT_ACTIVITIES: count(1, 1000).default(20),
  /** Long polls for workflow tasks / activity tasks kept open at once. */
  WORKER_WORKFLOW_POLLERS: count(2, 100).default(5),
  WORKER_ACTIVITY_POLLERS: count(1, 100).default(5),
  /**
   * The share of the workflow pollers that take tasks from the task queue (a match's first task, and any task of a
   * workflow not in this worker's cache) rather than from this worker's sticky queue (the next tasks of cached ones).
   */
  WORKER_NONSTICKY_POLL_RATIO: z.coerce.number().min(0.05).max(1).default(0.2),
  /** Seconds a task may wait for this worker's cache before any other worker may take it. */
  WORKER_STICKY_QUEUE_TIMEOUT_SECONDS: ZSeconds.default(10),
  /** Postgres connections of the worker; by default one per concurrent activity, so none waits for a connection. */
  DATABASE_POOL_SIZE: count(1, 500).optional(),
});

/** The worker's whole configuration: parsed once at start-up, nothing else reads `process.env`. */
export const ZWorkerEnv = z
  .object({
    ...ZTemporalEnv.shape,
    ...ZPayloadKeysEnv.shape,
    ...ZDatabaseEnv.shape,
    ...ZMailEnv.shape,
    ...ZLinkEnv.shape,
    ...ZLogEnv.shape,
    ...ZShutdownEnv.shape,
    ...ZTracingEnv.shape,
    ...ZWebhookEnv.shape,
    /** SMTP transactions the worker has in flight at once: a crash can duplicate at most these. */
    MAIL_MAX_CONCURRENT_SENDS: z.coerce.number().int().min(1).max(100).default(DEFAULT_CONCURRENT_SENDS),
    /** The worker's metrics port (Prometheus `/metrics`); 0 takes any free port. */
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
    METRICS_HOST: z.string().min(1).default('0.0.0.0'),
    ...ZWorkerTuningEnv.shape,
    /** The workflow bundle built ahead of time (`node worker/bundle.js <file>`; the image has one); else built at start. */
    WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
  })
  .superRefine(checkTemporalEnv);
export type TWorkerEnv = z.infer<typeof ZWorkerEnv>;

export const loadWorkerEnv = (source?: Record<string, string | undefined>): TWorkerEnv => parseEnv(ZWorkerEnv, source);
