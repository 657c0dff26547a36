import { z } from 'zod';
import { DEFAULT_STATEMENT_TIMEOUT_MS } from '../prisma/statement-timeout';
import { LOG_LEVELS } from '../telemetry/log';
import { DEFAULT_TASK_QUEUE } from '../workflows/shared';

/**
 * Environment fragments shared by the processes. Each process composes its own schema from these
 * (see `worker/env.ts`, `api/env.ts`) and parses it once at start-up; nothing else reads `process.env`.
 */

const ZPath = z.string().min(1);
const ZPem = z.string().min(1).includes('-----BEGIN', { error: 'must be PEM text (-----BEGIN …)' });
export const ZFlag = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1');

/**
 * Where Temporal is and how to reach it: the standard client variables of every Temporal SDK and CLI (address,
 * namespace, API key, TLS, a profile file), read by `temporal/connection.ts`, which also checks what these can only
 * say together (a certificate and its key, files that exist). Unset, bansou talks to a local server without TLS.
 */
export const ZTemporalEnv = z.object({
  /** host:port of the frontend; default 127.0.0.1:7233, or the profile's. */
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):\d{1,5}$/, 'must be host:port, e.g. my-ns.a1b2c.tmprl.cloud:7233')
    .optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).optional(),
  /** An API key (Temporal Cloud): sent as a bearer token, and turns TLS on. */
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  /** TLS on or off; on by itself when a TLS setting or an API key is given. */
  TEMPORAL_TLS: ZFlag.optional(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: ZPath.optional(),
  TEMPORAL_TLS_CLIENT_CERT_DATA: ZPem.optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: ZPath.optional(),
  TEMPORAL_TLS_CLIENT_KEY_DATA: ZPem.optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: ZPath.optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_DATA: ZPem.optional(),
  /** The name the server's certificate must carry, when it is not the address's host. */
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  /** A TOML profile file (as `temporal config` writes it); variables above override what it says. */
  TEMPORAL_CONFIG_FILE: ZPath.optional(),
  /** The profile to use in that file (`default` unless set). */
  TEMPORAL_PROFILE: z.string().min(1).optional(),
  TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
});
export type TTemporalEnv = z.infer<typeof ZTemporalEnv>;

/**
 * The keys that encrypt what bansou stores in Temporal (`temporal/payload-codec.ts`): `id:key` entries separated by
 * commas, each key 32 random bytes in base64 (`openssl rand -base64 32`). The first encrypts; every one decrypts, so
 * a new key goes first and the old ones stay listed while histories they encrypted are kept.
 */
export const ZPayloadKeysEnv = z.object({
  PAYLOAD_ENCRYPTION_KEYS: z.string().transform((value, ctx) => {
    const keys: { id: string; key: Buffer }[] = [];
    for (const [i, entry] of value.split(',').entries()) {
      const found = /^\s*([A-Za-z0-9._-]{1,64}):([A-Za-z0-9+/_-]+={0,2})\s*$/.exec(entry);
      // Node reads both base64 alphabets (standard and URL-safe).
      const key = found ? Buffer.from(found[2]!, 'base64') : undefined;
      if (!found || key!.length !== 32) {
        ctx.addIssue({
          code: 'custom',
          message: `entry ${i + 1} must be id:key with a key of 32 bytes in base64 (e.g. 2026-01:$(openssl rand -base64 32))`,
        });
        return z.NEVER;
      }
      if (keys.some((k) => k.id === found[1])) {
        ctx.addIssue({ code: 'custom', message: `the key id ${found[1]} is listed twice` });
        return z.NEVER;
      }
      keys.push({ id: found[1]!, key: key! });
    }
    return keys;
  }),
});
export type TPayloadKeysEnv = z.infer<typeof ZPayloadKeysEnv>;

export const ZDatabaseEnv = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' }),
  /**
   * Postgres stops a statement of bansou's connections that runs (or waits on a lock) this long, and ends a transaction
   * left idle as long; the client waits 5 s more for an answer, then drops the connection (`prisma/client.ts`).
   */
  DATABASE_STATEMENT_TIMEOUT_SECONDS: z.coerce
    .number()
    .min(1)
    .max(3600)
    .default(DEFAULT_STATEMENT_TIMEOUT_MS / 1000),
});

export const ZMailEnv = z.object({
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }),
  MAIL_FROM: z
    .string()
    .regex(/^(.*<)?[^\s@<>]+@[^\s@<>]+\.?[^\s@<>]*>?$/, 'must be an address such as "bansou <noreply@example.org>"'),
});

const ZSigningSecret = z.string().min(32, 'must be at least 32 characters (use `openssl rand -hex 32`)');

export const ZLinkEnv = z.object({
  PUBLIC_BASE_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
    .default('http://localhost:3000'),
  /** Signs check-in, kickoff and sign-in links and the forms' CSRF values (activities/links.ts). */
  SIGNING_SECRET: ZSigningSecret,
  /**
   * While SIGNING_SECRET is being rotated, the one before it: links and form values it signed are still accepted by
   * the API; it never signs anything (docs/deployment.md, "Rotating SIGNING_SECRET").
   */
  SIGNING_SECRET_PREVIOUS: ZSigningSecret.optional(),
});

export const ZLogEnv = z.object({
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
});

export const ZShutdownEnv = z.object({
  /** After SIGTERM, how long work in flight (requests, activities) may take to finish before it is cut off. */
  SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(600).default(20),
});

/**
 * Tracing (OpenTelemetry): spans are exported by OTLP over HTTP to this collector (its base URL; `/v1/traces` is
 * added) when it is set, and nowhere otherwise. The exporter reads the other standard `OTEL_EXPORTER_OTLP_*`
 * variables itself (headers, timeout).
 */
export const ZTracingEnv = z.object({
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
});

/**
 * Webhooks: endpoints are https:// to public addresses only (checked when an endpoint is added, by the API, and again at
 * each delivery, by the worker, on the address it connects to). The flag also allows plain http:// and loopback
 * addresses (development and tests; `./dev/start` sets it).
 */
export const ZWebhookEnv = z.object({
  WEBHOOK_ALLOW_LOOPBACK_HTTP: ZFlag.default(false),
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

/**
 * For a process entry point's failure: a ConfigError ends the process with a one-screen message and exit code 78
 * (EX_CONFIG); any other error is left to the caller (which logs it and exits 1).
 */
export function exitOnConfigError(error: unknown): void {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(78);
  }
}
