import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { Prisma } from '@prisma/client';
import type { Request, Response } from 'express';
import { signedByAny, signInToken } from '../../activities/links';
import type { signInEmailWorkflow } from '../../workflows';
import { signInWorkflowId, type Locale, type SignInEmailInput } from '../../workflows/shared';
import { accountPrincipal } from '../auth';
import type { ApiDeps } from '../deps';
import { beforeDeadline, temporalDeadline } from '../services/actions';

/**
 * Signing in to the workspace: a one-time link by email, then a session held server-side.
 *
 * - A link works once, for `LINK_MINUTES`; its token (256 bits) is derived from a random id with SIGNING_SECRET and
 *   only its SHA-256 is stored. The email goes through the outbox, by a small workflow the API starts.
 * - A session id is 256 random bits in an HttpOnly, SameSite=Lax cookie (Secure and `__Host-` when the public base
 *   URL is https); only its hash is stored. It ends after `IDLE_MS` without use or `ABSOLUTE_MS` after sign-in,
 *   whichever comes first, at sign-out, or when revoked. Signing in always makes a new id (no fixation).
 */
export const SESSION_POLICY = {
  LINK_MINUTES: 15,
  /** Sign-in emails per address in `LINK_WINDOW_MS`; more requests get the same page and no email. */
  LINKS_PER_EMAIL: 5,
  LINK_WINDOW_MS: 15 * 60_000,
  IDLE_MS: 12 * 3_600_000,
  ABSOLUTE_MS: 7 * 86_400_000,
  /** lastSeenAt is written at most this often. */
  TOUCH_MS: 60_000,
} as const;

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** Cookie names; `__Host-` (Secure, host-only, path /) when served over https. */
export function cookieNames(publicBaseUrl: string) {
  const secure = publicBaseUrl.startsWith('https:');
  const prefix = secure ? '__Host-' : '';
  return { secure, session: `${prefix}bansou_session`, form: `${prefix}bansou_form` };
}

/** The cookies of a request (no library: one header, split). */
export function cookiesOf(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name && !(name in out)) {
      try {
        out[name] = decodeURIComponent(value);
      } catch {
        out[name] = value;
      }
    }
  }
  return out;
}

function setCookie(res: Response, publicBaseUrl: string, name: string, value: string, maxAgeMs?: number): void {
  res.cookie(name, value, {
    httpOnly: true,
    sameSite: 'lax',
    secure: cookieNames(publicBaseUrl).secure,
    path: '/',
    ...(maxAgeMs !== undefined ? { maxAge: maxAgeMs } : {}),
  });
}

// Sign-in links --------------------------------------------------------------------------------------------------

export type SignInRequestOutcome = 'sent' | 'unknown' | 'throttled';

/** How long a sign-in request waits to learn whether Temporal answers. */
const SIGN_IN_TEMPORAL_CHECK_MS = 3000;

/**
 * Whether Temporal answers, so that a sign-in email could be started. Asked for every address alike, before the page
 * is answered: a person is told at once that no link can be sent now, and neither the page nor its timing says whether
 * bansou knows the address.
 */
export async function canSendSignInLinks(deps: ApiDeps): Promise<boolean> {
  try {
    await beforeDeadline(deps.temporal, Date.now() + SIGN_IN_TEMPORAL_CHECK_MS, () =>
      deps.temporal.workflowService.getSystemInfo({}),
    );
    return true;
  } catch {
    return false;
  }
}

/**
 * Emails a sign-in link when bansou knows the address (someone with a role in a program, or an admin). Unknown and
 * throttled addresses get nothing; the caller shows the same page whatever the outcome.
 */
export async function requestSignIn(deps: ApiDeps, email: string, pageLocale: Locale): Promise<SignInRequestOutcome> {
  const { db } = deps;
  if (!(await accountPrincipal(db, email))) return 'unknown';
  const [account, person] = await Promise.all([
    db.account.findUnique({ where: { email }, select: { locale: true } }),
    db.person.findFirst({ where: { email }, select: { name: true, locale: true }, orderBy: { createdAt: 'asc' } }),
  ]);
  // Counting and storing under one lock per address, so requests arriving together cannot pass the limit.
  const link = await db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`sign-in:${email}`}))`;
    const recent = await tx.signInLink.count({
      where: { email, createdAt: { gt: new Date(Date.now() - SESSION_POLICY.LINK_WINDOW_MS) } },
    });
    if (recent >= SESSION_POLICY.LINKS_PER_EMAIL) return null;
    return storeSignInLink(tx, deps.links.signingSecret, email, SESSION_POLICY.LINK_MINUTES);
  });
  if (!link) return 'throttled';
  const { id } = link;
  const input: SignInEmailInput = {
    linkId: id,
    recipient: {
      name: person?.name ?? email,
      email,
      locale: (account?.locale ?? person?.locale ?? pageLocale) === 'en' ? 'en' : 'ja',
    },
    validMinutes: SESSION_POLICY.LINK_MINUTES,
  };
  // Like every call to Temporal, within its deadline. The page checked that Temporal answers (canSendSignInLinks); if
  // it went away since, the caller logs it and the person, told to look in their inbox, asks for a link again.
  await beforeDeadline(deps.temporal, temporalDeadline(deps), () =>
    deps.temporal.workflow.start<typeof signInEmailWorkflow>('signInEmailWorkflow', {
      workflowId: signInWorkflowId(id),
      taskQueue: deps.taskQueue,
      args: [input],
      // Nobody needs the email once the link has expired.
      workflowExecutionTimeout: `${SESSION_POLICY.LINK_MINUTES} minutes`,
    }),
  );
  return 'sent';
}

/** Stores a new sign-in link (only its token's hash); returns its id and token. */
async function storeSignInLink(db: Prisma.TransactionClient, secret: string, email: string, validMinutes: number) {
  const id = randomUUID();
  const token = signInToken(secret, id);
  const now = Date.now();
  await db.signInLink.create({
    data: {
      id,
      email,
      tokenHash: sha256(token),
      createdAt: new Date(now),
      expiresAt: new Date(now + validMinutes * 60_000),
    },
  });
  return { id, token };
}

/**
 * A sign-in link's token, without an email: for `dev/stack.ts`, which prints a ready link for the local admin, and
 * for tests. The same row `requestSignIn` makes.
 */
export async function createSignInLink(
  deps: Pick<ApiDeps, 'db' | 'links'>,
  email: string,
  validMinutes: number = SESSION_POLICY.LINK_MINUTES,
): Promise<string> {
  return (await storeSignInLink(deps.db, deps.links.signingSecret, email, validMinutes)).token;
}

export type LinkState = { ok: true; email: string } | { ok: false; reason: 'invalid' | 'used' | 'expired' };

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** What a sign-in link is, without using it (the page a mail scanner may open changes nothing). */
export async function inspectSignInLink(deps: ApiDeps, token: string): Promise<LinkState> {
  if (!TOKEN_PATTERN.test(token)) return { ok: false, reason: 'invalid' };
  const row = await deps.db.signInLink.findUnique({ where: { tokenHash: sha256(token) } });
  if (!row) return { ok: false, reason: 'invalid' };
  if (row.usedAt) return { ok: false, reason: 'used' };
  if (row.expiresAt.getTime() <= Date.now()) return { ok: false, reason: 'expired' };
  return { ok: true, email: row.email };
}

/** Uses a sign-in link: at most once, however many requests race for it. */
export async function consumeSignInLink(deps: ApiDeps, token: string): Promise<LinkState> {
  const state = await inspectSignInLink(deps, token);
  if (!state.ok) return state;
  const { count } = await deps.db.signInLink.updateMany({
    where: { tokenHash: sha256(token), usedAt: null, expiresAt: { gt: new Date() } },
    data: { usedAt: new Date() },
  });
  return count === 1 ? state : { ok: false, reason: 'used' };
}

// Sessions ---------------------------------------------------------------------------------------------------------

export type WebSession = { idHash: string; email: string };

/** Starts a new session for `email` (revoking the one the browser came with, if any) and sets its cookie. */
export async function startSession(deps: ApiDeps, req: Request, res: Response, email: string): Promise<WebSession> {
  const names = cookieNames(deps.links.publicBaseUrl);
  const previous = cookiesOf(req)[names.session];
  if (previous) {
    await deps.db.webSession.updateMany({
      where: { idHash: sha256(previous), revokedAt: null },
      data: { revokedAt: new Date() },
    });
  }
  const id = randomBytes(32).toString('base64url');
  const now = Date.now();
  await deps.db.webSession.create({
    data: {
      idHash: sha256(id),
      email,
      createdAt: new Date(now),
      lastSeenAt: new Date(now),
      expiresAt: new Date(now + SESSION_POLICY.ABSOLUTE_MS),
    },
  });
  setCookie(res, deps.links.publicBaseUrl, names.session, id, SESSION_POLICY.ABSOLUTE_MS);
  return { idHash: sha256(id), email };
}

/** The session the request's cookie names, if it is still good (not revoked, not idle too long, not past its end). */
export async function currentSession(deps: ApiDeps, req: Request): Promise<WebSession | null> {
  const id = cookiesOf(req)[cookieNames(deps.links.publicBaseUrl).session];
  if (!id || id.length > 100) return null;
  const idHash = sha256(id);
  const row = await deps.db.webSession.findUnique({ where: { idHash } });
  const now = Date.now();
  if (!row || row.revokedAt || row.expiresAt.getTime() <= now) return null;
  if (now - row.lastSeenAt.getTime() > SESSION_POLICY.IDLE_MS) return null;
  if (now - row.lastSeenAt.getTime() > SESSION_POLICY.TOUCH_MS) {
    await deps.db.webSession.update({ where: { idHash }, data: { lastSeenAt: new Date(now) } });
  }
  return { idHash, email: row.email };
}

/** Signs out: the session is revoked on the server and the cookie cleared. */
export async function endSession(deps: ApiDeps, req: Request, res: Response): Promise<void> {
  const names = cookieNames(deps.links.publicBaseUrl);
  const id = cookiesOf(req)[names.session];
  if (id) {
    await deps.db.webSession.updateMany({
      where: { idHash: sha256(id), revokedAt: null },
      data: { revokedAt: new Date() },
    });
  }
  res.clearCookie(names.session, { path: '/', httpOnly: true, sameSite: 'lax', secure: names.secure });
}

/** Ends every session of a person (an admin revoking access, or "sign out everywhere"). */
export async function revokeSessions(deps: Pick<ApiDeps, 'db'>, email: string): Promise<number> {
  const { count } = await deps.db.webSession.updateMany({
    where: { email, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  return count;
}

// CSRF --------------------------------------------------------------------------------------------------------------

/**
 * What a form's CSRF value is bound to: the session when signed in, otherwise a random value in a cookie of its own
 * (set the first time a sign-in form is shown). A value made for one binding is refused for any other.
 */
export function formBinding(deps: ApiDeps, req: Request, res: Response, session: WebSession | null): string {
  if (session) return `session:${session.idHash}`;
  const names = cookieNames(deps.links.publicBaseUrl);
  let value = cookiesOf(req)[names.form];
  if (!value || !/^[A-Za-z0-9_-]{43}$/.test(value)) {
    value = randomBytes(32).toString('base64url');
    setCookie(res, deps.links.publicBaseUrl, names.form, value);
  }
  return `form:${value}`;
}

export function csrfToken(secret: string, binding: string): string {
  return createHmac('sha256', secret).update(`workspace-csrf:${binding}`).digest('base64url');
}

/** Whether a form's CSRF value was made for this binding (with SIGNING_SECRET, or the previous one). */
export function csrfValid(secrets: readonly string[], binding: string, given: unknown): boolean {
  return signedByAny(secrets, (secret) => csrfToken(secret, binding), given);
}
