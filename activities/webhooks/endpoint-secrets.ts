import { isSealedText, type KeyRing } from '../../config/key-ring';
import type { Database } from '../../prisma/client';
import type { Log } from '../../telemetry/log';

/**
 * A webhook endpoint's secrets, the HMAC key of its signature header, a Chatwork token and a Slack incoming webhook's
 * URL (the URL is Slack's credential), are kept sealed with the key ring of PAYLOAD_ENCRYPTION_KEYS
 * (`config/key-ring.ts`): the API seals them when the endpoint is made, the worker opens them to sign and post. Rows
 * stored by a release before sealing hold them in clear; the API and the worker seal those at start
 * (`sealEndpointSecrets`), and until then they are read as they are.
 */
export function openEndpointSecret(keys: KeyRing, stored: string): string {
  return isSealedText(stored) ? keys.openText(stored) : stored;
}

/** Whether an endpoint's URL is a credential, kept sealed: a Slack incoming webhook's is; a JSON or Chatwork one is not
 * (shown whole). */
export const urlIsSecret = (format: string): boolean => format === 'slack';

/** The URL an endpoint is stored with: sealed when it is a credential (`urlIsSecret`), else as given. */
export const storedEndpointUrl = (keys: KeyRing, format: string, url: string): string =>
  urlIsSecret(format) ? keys.sealText(url) : url;

/**
 * Seals every endpoint secret not sealed by the sealing key: those stored in clear, and those an older key sealed
 * (after a rotation, so that key can go once Temporal's histories no longer need it). Each row is written only if it
 * still holds what was read, so processes starting side by side do not undo each other. A secret whose key is no
 * longer listed cannot be sealed again: it is logged (the key id) and left; that endpoint's deliveries fail, saying
 * why. Returns the number of rows sealed.
 */
export async function sealEndpointSecrets(db: Database, keys: KeyRing, log?: Log): Promise<number> {
  const sealed = { startsWith: keys.sealedTextPrefix };
  const rows = await db.webhookEndpoint.findMany({
    where: {
      OR: [
        { NOT: { signingSecret: sealed } },
        { AND: [{ chatworkToken: { not: null } }, { NOT: { chatworkToken: sealed } }] },
        { AND: [{ format: 'slack' }, { NOT: { url: sealed } }] },
      ],
    },
    select: { id: true, format: true, url: true, signingSecret: true, chatworkToken: true },
  });
  const reseal = (stored: string) =>
    stored.startsWith(keys.sealedTextPrefix) ? stored : keys.sealText(openEndpointSecret(keys, stored));
  let count = 0;
  for (const row of rows) {
    let data: { url: string; signingSecret: string; chatworkToken: string | null };
    try {
      data = {
        url: urlIsSecret(row.format) ? reseal(row.url) : row.url,
        signingSecret: reseal(row.signingSecret),
        chatworkToken: row.chatworkToken && reseal(row.chatworkToken),
      };
    } catch (error) {
      log?.warn({ endpointId: row.id, problem: (error as Error).message }, 'a webhook endpoint secret does not open');
      continue;
    }
    const { count: written } = await db.webhookEndpoint.updateMany({
      where: { id: row.id, url: row.url, signingSecret: row.signingSecret, chatworkToken: row.chatworkToken },
      data,
    });
    count += written;
  }
  return count;
}

/**
 * The start-up data migration of the API and the worker: `sealEndpointSecrets` in the background, logged. Postgres
 * down at start delays it to the next start; secrets in clear or under an older listed key are read meanwhile.
 */
export function sealStoredEndpointSecrets(db: Database, keys: KeyRing, log: Log): void {
  sealEndpointSecrets(db, keys, log).then(
    (count) => count && log.info({ count }, 'webhook endpoint secrets sealed with the current key'),
    (error: unknown) => log.warn({ err: error }, 'webhook endpoint secrets not sealed now; the next start tries again'),
  );
}
