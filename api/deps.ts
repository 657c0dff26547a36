import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { KeyRing } from '../config/key-ring';
import type { Database } from '../prisma/client';
import type { Log } from '../telemetry/log';
import type { HttpMetrics } from '../telemetry/metrics';

/** What the API needs from the outside world; `api/main.ts` builds it from the environment, tests from theirs. */
export type ApiDeps = {
  db: Database;
  temporal: Client;
  taskQueue: string;
  /**
   * The payload codecs of the data converter, served at /codec/encode and /codec/decode for the Temporal Web UI
   * (whose origins `uiOrigins` are the only ones let in by CORS); no codec endpoint without them.
   */
  codec?: { codecs: PayloadCodec[]; uiOrigins: string[] };
  /**
   * PAYLOAD_ENCRYPTION_KEYS as a key ring: seals what the API keeps in Postgres that must not sit in clear (stored
   * idempotent answers), the first key sealing and any listed key opening.
   */
  keys: KeyRing;
  links: {
    /** PUBLIC_BASE_URL: where people reach the pages. */
    publicBaseUrl: string;
    /** SIGNING_SECRET: verifies check-in and kickoff links (and opens idempotent answers stored before sealing). */
    signingSecret: string;
    /** SIGNING_SECRET_PREVIOUS, during a rotation: still verifies what it signed, never signs. */
    previousSigningSecret?: string;
  };
  /** Requests per minute per client on the public pages (check-in, kickoff). */
  pageRateLimit?: number;
  /** Sign-in requests per client per 15 minutes on the workspace (20 unless set). */
  signInRateLimit?: number;
  /** Requests per minute per API key. */
  apiRateLimit?: number;
  /**
   * How long a key's lookup is kept (API_KEY_CACHE_SECONDS, 5 s unless set): a key revoked elsewhere (another API
   * process, the CLI) answers 401 here within this; 0 looks every request's key up.
   */
  apiKeyCacheMs?: number;
  /** Requests per minute per client on /healthz (120 unless set). */
  healthRateLimit?: number;
  /** Webhook endpoints may be plain HTTP to a loopback address (development and tests); HTTPS only otherwise. */
  webhookLoopbackHttp?: boolean;
  /** How long a request waits for Temporal (an action, a registration) before a 503; 10 s unless set (tests). */
  temporalDeadlineMs?: number;
  /** Resolves when the SMTP server answers (used by /healthz only). */
  checkSmtp: () => Promise<void>;
  /** True once the process has been told to stop: /readyz then answers 503 while requests in flight finish. */
  stopping?: () => boolean;
  /** The root logger; each request gets a child carrying its request id. Silent unless given. */
  log?: Log;
  /** The registry /metrics serves and the request histogram; a fresh one unless given. */
  metrics?: HttpMetrics;
};
