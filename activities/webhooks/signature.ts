import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The signature of a webhook request, in the header `Bansou-Signature: t=<unix seconds>,v1=<hex>`: HMAC-SHA256 with
 * the endpoint's signing secret over `<t>.<body>` (the body's bytes as sent). A receiver recomputes it, compares in
 * constant time, and refuses a `t` further than the replay window from its own clock.
 */
export const SIGNATURE_HEADER = 'Bansou-Signature';
/** How far a receiver should accept `t` from its clock (seconds): a captured request cannot be replayed later. */
export const REPLAY_WINDOW_SECONDS = 300;

/** The hex HMAC of `<t>.<body>`: what the header's `v1` carries. */
const hmacOf = (secret: string, t: number, body: string) =>
  createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');

export function signWebhook(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${hmacOf(secret, t, body)}`;
}

/** What a receiver does: true when the header signs this body with this secret within the replay window. */
export function verifyWebhook(
  secret: string,
  header: string | undefined,
  body: string,
  now = new Date(),
  windowSeconds = REPLAY_WINDOW_SECONDS,
): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !parts.v1 || Math.abs(now.getTime() / 1000 - t) > windowSeconds) return false;
  const expected = Buffer.from(hmacOf(secret, t, body));
  const given = Buffer.from(parts.v1);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
