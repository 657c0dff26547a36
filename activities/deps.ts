import type { KeyRing } from '../config/key-ring';
import type { Database } from '../prisma/client';
import type { MailTransport } from './mail/transport';

/** What the activities need from the outside world; the worker builds it from its environment, tests from theirs. */
export type ActivityDeps = {
  db: Database;
  mail: {
    transport: MailTransport;
    /** The From header, e.g. `bansou <noreply@example.org>`. */
    from: string;
    /** SMTP transactions in flight at once (`MAIL_MAX_CONCURRENT_SENDS`): what one crash can duplicate at most. */
    maxConcurrentSends?: number;
  };
  /** PAYLOAD_ENCRYPTION_KEYS as a key ring: opens the webhook endpoints' secrets, sealed in Postgres. */
  keys: KeyRing;
  links: {
    /** Where people reach the API's pages (check-in forms), e.g. `https://bansou.example.org`. */
    publicBaseUrl: string;
    /** SIGNING_SECRET: signs check-in and kickoff links. */
    signingSecret: string;
  };
  /** WEBHOOK_ALLOW_LOOPBACK_HTTP: webhooks may be posted to loopback addresses (development, tests); unset, not. */
  webhooks?: { allowLoopback: boolean };
};
