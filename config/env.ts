import { z } from 'zod';
import { LOG_LEVELS } from '../telemetry/log';
import { DEFAULT_TASK_QUEUE } from '../workflows/shared';

/**
 * Environment fragments shared by the processes. Each process composes its own schema from these
 * (see `worker/env.ts`, `api/env.ts`) and parses it once at start-up; nothing else reads `process.env`.
 */

export const ZTemporalEnv = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
});

export const ZDatabaseEnv = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' }),
});

export const ZMailEnv = z.object({
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }),
  MAIL_FROM: z
    .string()
    .regex(/^(.*<)?[^\s@<>]+@[^\s@<>]+\.?[^\s@<>]*>?$/, 'must be an address such as "bansou <noreply@example.org>"'),
});

export const ZLinkEnv = z.object({
  PUBLIC_BASE_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
    .default('http://localhost:3000'),
  SIGNING_SECRET: z.string().min(32, 'must be at least 32 characters (use `openssl rand -hex 32`)'),
});

export const ZLogEnv = z.object({
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
});

/** Raised when the environment does not match a process's schema; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses `source` (by default the process environment) with `schema`, or throws a ConfigError. */
export function parseEnv<T extends z.ZodType>(
  schema: T,
  source: Record<string, string | undefined> = process.env,
): z.infer<T> {
  // Empty strings count as unset, so `FOO=` in a shell falls back to the default instead of failing as "too short".
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => ({
      variable: issue.path.map(String).join('.') || '(environment)',
      message: issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message,
    })),
  );
}

/** Runs a process entry point, turning a ConfigError into a one-screen message and exit code 78 (EX_CONFIG). */
export function exitOnConfigError(error: unknown): never {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(78);
  }
  throw error;
}
