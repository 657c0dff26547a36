import { z } from 'zod';
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

/** The API's whole configuration: parsed once at start-up, nothing else reads `process.env`. */
export const ZApiEnv = z
  .object({
    ...ZTemporalEnv.shape,
    ...ZPayloadKeysEnv.shape,
    ...ZDatabaseEnv.shape,
    // The API does not send mail itself, but /healthz reports whether the SMTP server the worker uses answers.
    SMTP_URL: ZMailEnv.shape.SMTP_URL,
    ...ZLinkEnv.shape,
    ...ZLogEnv.shape,
    ...ZShutdownEnv.shape,
    ...ZTracingEnv.shape,
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    /** The interface to listen on; 127.0.0.1 keeps a development API off the network. */
    HOST: z.string().min(1).default('0.0.0.0'),
    ...ZWebhookEnv.shape,
    /** Requests per minute per API key. */
    API_RATE_LIMIT: z.coerce.number().int().min(1).default(600),
    /** How long an API key's lookup is kept in the process: a revocation elsewhere takes effect within this. */
    API_KEY_CACHE_SECONDS: z.coerce.number().min(0).max(60).default(5),
    /** Requests per minute per client on the check-in and kickoff pages. */
    PAGE_RATE_LIMIT: z.coerce.number().int().min(1).default(60),
    /**
     * The origins of the Temporal Web UI whose pages may call /codec/encode and /codec/decode from the browser
     * (comma-separated, e.g. `https://temporal.example.org`); unset, only callers without an origin (the CLI) may.
     */
    TEMPORAL_UI_ORIGIN: z
      .string()
      .transform((value, ctx) => {
        const origins = value.split(',').map((entry) => entry.trim().replace(/\/$/, ''));
        for (const origin of origins) {
          if (
            !URL.canParse(origin) ||
            !/^https?:$/.test(new URL(origin).protocol) ||
            new URL(origin).origin !== origin
          ) {
            ctx.addIssue({
              code: 'custom',
              message: `"${origin}" is not an origin: scheme, host and port only, e.g. https://temporal.example.org`,
            });
            return z.NEVER;
          }
        }
        return origins;
      })
      .optional(),
  })
  .superRefine(checkTemporalEnv);
export type TApiEnv = z.infer<typeof ZApiEnv>;

export const loadApiEnv = (source?: Record<string, string | undefined>): TApiEnv => parseEnv(ZApiEnv, source);
