import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed links for people who answer without logging in: a check-in round (`/checkins/<token>`) or a kickoff
 * proposal (`/kickoff/<token>`). A token is the payload (kind, match, round or proposal, respondent, expiry) and an
 * HMAC-SHA256 over it with SIGNING_SECRET (256 bits), so nothing needs storing and nothing can be forged or edited.
 */
export type LinkKind = 'checkin' | 'kickoff';

export type LinkClaims = {
  kind: LinkKind;
  matchId: string;
  /** The check-in round, or the kickoff proposal number. */
  n: number;
  respondent: 'host' | 'talent';
  /** Expiry, epoch milliseconds. */
  expiresAt: number;
};

export type VerifiedLink =
  { ok: true; claims: LinkClaims } | { ok: false; reason: 'malformed' | 'forged' | 'expired'; claims?: LinkClaims };

const b64 = (buffer: Buffer) => buffer.toString('base64url');
const sign = (secret: string, payload: string) => createHmac('sha256', secret).update(payload).digest();

export function signLink(secret: string, claims: LinkClaims): string {
  const payload = [
    claims.kind,
    claims.matchId,
    claims.n,
    claims.respondent === 'host' ? 'h' : 't',
    Math.floor(claims.expiresAt / 1000),
  ].join('~');
  const encoded = b64(Buffer.from(payload, 'utf8'));
  return `${encoded}.${b64(sign(secret, encoded))}`;
}

/**
 * The secrets a link or a form value is checked with: SIGNING_SECRET, and SIGNING_SECRET_PREVIOUS while a rotation is
 * under way (so what was signed before it still opens). Only SIGNING_SECRET signs.
 */
export function verifyingSecrets(links: { signingSecret: string; previousSigningSecret?: string }): string[] {
  return links.previousSigningSecret ? [links.signingSecret, links.previousSigningSecret] : [links.signingSecret];
}

/** True when `given` is what `derive` makes with one of `secrets`, each compared in constant time. */
export function signedByAny(secrets: readonly string[], derive: (secret: string) => string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const actual = Buffer.from(given);
  return secrets.some((secret) => {
    const expected = Buffer.from(derive(secret));
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  });
}

/** Checks a token's signature (by any of `secrets`) and expiry; an expired token still says what it was for. */
export function verifyLink(secrets: readonly string[], token: string, nowMs: number): VerifiedLink {
  const match = /^([A-Za-z0-9_-]{8,400})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return { ok: false, reason: 'malformed' };
  const [, encoded, mac] = match as unknown as [string, string, string];
  if (!signedByAny(secrets, (secret) => b64(sign(secret, encoded)), mac)) return { ok: false, reason: 'forged' };
  const parts = Buffer.from(encoded, 'base64url').toString('utf8').split('~');
  const [kind, matchId, n, who, exp] = parts;
  if (parts.length !== 5 || (kind !== 'checkin' && kind !== 'kickoff') || !matchId || (who !== 'h' && who !== 't')) {
    return { ok: false, reason: 'malformed' };
  }
  const claims: LinkClaims = {
    kind,
    matchId,
    n: Number(n),
    respondent: who === 'h' ? 'host' : 'talent',
    expiresAt: Number(exp) * 1000,
  };
  if (!Number.isInteger(claims.n) || !Number.isFinite(claims.expiresAt)) return { ok: false, reason: 'malformed' };
  if (nowMs > claims.expiresAt) return { ok: false, reason: 'expired', claims };
  return { ok: true, claims };
}

/** The URL a person opens; `publicBaseUrl` comes from PUBLIC_BASE_URL. */
export function linkUrl(publicBaseUrl: string, kind: LinkKind, token: string): string {
  return `${publicBaseUrl.replace(/\/$/, '')}/${kind === 'checkin' ? 'checkins' : 'kickoff'}/${token}`;
}

/**
 * The token of a one-time sign-in link to the workspace: an HMAC of the link's random id with SIGNING_SECRET (256
 * bits). The API stores only its hash; the workflow that emails it carries only the id, and the activity derives the
 * token when it renders the email, so the token is in no workflow history.
 */
export function signInToken(secret: string, linkId: string): string {
  return b64(sign(secret, `sign-in~${linkId}`));
}

/** Where a sign-in link leads. */
export function signInUrl(publicBaseUrl: string, token: string): string {
  return `${publicBaseUrl.replace(/\/$/, '')}/workspace/sign-in/${token}`;
}
