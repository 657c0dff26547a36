import { createDecipheriv, createHash, hkdfSync } from 'node:crypto';
import { Prisma } from '@prisma/client';
import type { Request } from 'express';
import { z } from 'zod';
import { isSealedText, SealedValueError, type KeyRing } from '../config/key-ring';
import type { Database } from '../prisma/client';
import type { Principal } from './auth';
import { AppError, ERROR_CODES, type ErrorCode } from './errors';
import { requestLog } from './request-context';

/**
 * `Idempotency-Key` on every POST of the API: a client that retries after a timeout or a 503 sends the same key, and
 * the request is applied once and answered alike. The first request with a key stores its fingerprint (path, query
 * and body as read) and, once answered, its answer; the same request again gets the stored answer. A request whose
 * answer was not final (a 503, or the process died) runs again, and what it runs is idempotent in itself: a workflow
 * update takes the key as its update id (Temporal applies one update id once per run), a registration finds the
 * match its first attempt stored or started. The key is the caller's own: another caller's equal key is another key.
 */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

export const ZIdempotencyKey = z
  .string()
  .regex(/^[\x21-\x7e]{8,255}$/, 'must be 8 to 255 visible ASCII characters (a UUID, say)')
  .describe(
    'Makes the POST safe to retry: the same key with the same request is applied once and answered the same ' +
      '(kept 24 hours); the same key with another request is a 422. A key belongs to its caller.',
  );

/** How long a key and its answer are kept. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60_000;
/** How long a request being handled holds its key; a retry meanwhile is a 409, and after this, it runs again. */
const HOLD_MS = 60_000;
/** Answers at or above this status (and 429) are not stored: the same request again runs again. */
const NOT_FINAL = 500;

/** The stored answer: a route's result, or the error it gave (answered again through the one error mapping). */
export type StoredAnswer =
  | { kind: 'result'; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'error'; code: ErrorCode; detail: string; errors?: { field: string; message: string }[] };

/** A request's claim on its key, while it runs. */
export type IdempotencyClaim = {
  /** SHA-256 of the caller and the key: the Temporal update id of an action sent with it. */
  id: string;
  /** When the key was first used (a retry of an import counts the matches registered since as its own). */
  since: Date;
};

/** What the first request with a key found. */
type Claimed = { claim: IdempotencyClaim } | { answer: StoredAnswer };

export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

/** The request as read: its path (with its ids), its query and its body (a file by its digest). */
export function fingerprintOf(req: Request, input: { params: unknown; query: unknown; body: unknown }): string {
  const body = Buffer.isBuffer(input.body) ? { sha256: sha256(input.body) } : input.body;
  return sha256(JSON.stringify(canonical({ method: req.method, path: req.path, query: input.query, body })));
}

/** Reads the header: absent is undefined; a malformed one is a 400 naming it. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const raw = req.get(IDEMPOTENCY_HEADER);
  if (raw === undefined) return undefined;
  const parsed = ZIdempotencyKey.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new AppError('validation_failed', `The ${IDEMPOTENCY_HEADER} header is not valid.`, [
    { field: `${IDEMPOTENCY_HEADER} (header)`, message: parsed.error.issues[0]!.message },
  ]);
}

/**
 * Answers are sealed at rest with the key ring of PAYLOAD_ENCRYPTION_KEYS (`config/key-ring.ts`): they may hold
 * personal data, or an API key shown once. The key id is kept with the sealed answer, so answers sealed before a
 * key rotation open while their key stays listed.
 */
function answerSealer(keys: KeyRing, legacySecret: string) {
  const legacy = legacyAnswerKey(legacySecret);
  return {
    seal: (answer: StoredAnswer): string => keys.sealText(JSON.stringify(answer)),
    /** The stored answer, or the key id it is sealed with (`undefined`: the old derived key) when it does not open. */
    open(sealed: string): { answer: StoredAnswer } | { unreadable: string | undefined } {
      try {
        const text = isSealedText(sealed) ? keys.openText(sealed) : openLegacyAnswer(legacy, sealed);
        return { answer: JSON.parse(text) as StoredAnswer };
      } catch (error) {
        if (error instanceof SealedValueError) return { unreadable: error.keyId };
        if (error instanceof LegacyAnswerError) return { unreadable: undefined };
        throw error;
      }
    },
  };
}

/**
 * Answers stored before the key ring sealed them: AES-256-GCM under a key derived from SIGNING_SECRET, as
 * base64(IV ‖ tag ‖ ciphertext). Opened only, never written; such an answer lives at most IDEMPOTENCY_TTL_MS (24 h),
 * so this goes in the first release after one that seals with the key ring has run a day (README, "Requests sent
 * again").
 */
const legacyAnswerKey = (secret: string) => Buffer.from(hkdfSync('sha256', secret, 'bansou', 'idempotent-answers', 32));
class LegacyAnswerError extends Error {}
function openLegacyAnswer(key: Buffer, sealed: string): string {
  try {
    const bytes = Buffer.from(sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    throw new LegacyAnswerError('an answer stored before sealing does not open with SIGNING_SECRET');
  }
}

/**
 * Keys and their answers in Postgres (`IdempotentRequest`). `keys` seals answers; `legacySecret` (SIGNING_SECRET)
 * opens the ones stored before.
 */
export function idempotencyStore(db: Database, keys: KeyRing, legacySecret: string) {
  const { seal, open } = answerSealer(keys, legacySecret);
  let sweptAt = 0;

  /** Keys older than a day are forgotten, at most once a minute per process. */
  async function sweep(now: number): Promise<void> {
    if (now - sweptAt < 60_000) return;
    sweptAt = now;
    await db.idempotentRequest.deleteMany({ where: { createdAt: { lt: new Date(now - IDEMPOTENCY_TTL_MS) } } });
  }

  const mismatch = () =>
    new AppError(
      'idempotency_key_reused',
      `This ${IDEMPOTENCY_HEADER} was sent before with another request (another path or body). A new request needs a new key.`,
      [{ field: `${IDEMPOTENCY_HEADER} (header)`, message: 'already used for another request' }],
    );
  const busy = () =>
    new AppError(
      'idempotency_in_progress',
      `A request with this ${IDEMPOTENCY_HEADER} is still being handled. Send it again in a moment for its answer.`,
    );

  // Answered once, so not run again: running it again could apply it twice (a second API key, a second endpoint).
  const unreadable = () =>
    new AppError(
      'idempotency_answer_unreadable',
      `This request was handled before under this ${IDEMPOTENCY_HEADER}, but its stored answer was sealed with an ` +
        'encryption key this server no longer has, so it cannot be given again. It is not applied twice: read its ' +
        'result (GET), or send a new request with a new key.',
    );

  return {
    /**
     * Takes the key for this request: the stored answer when the same request was answered before, a claim when it
     * is to run now; a 422 when the key was used for another request, a 409 while another request holds it.
     */
    async claim(principal: Principal, key: string, route: string, req: Request, fingerprint: string): Promise<Claimed> {
      const now = Date.now();
      await sweep(now);
      const id = sha256(`${principal.kind}:${principal.id}\n${key}`);
      const heldUntil = new Date(now + HOLD_MS);
      for (let attempt = 0; attempt < 3; attempt++) {
        const found = await db.idempotentRequest.findUnique({ where: { id } });
        if (found && found.createdAt.getTime() < now - IDEMPOTENCY_TTL_MS) {
          await db.idempotentRequest.deleteMany({ where: { id, createdAt: found.createdAt } });
          continue;
        }
        if (!found) {
          try {
            const row = await db.idempotentRequest.create({
              data: { id, method: req.method, route, fingerprint, heldUntil },
            });
            return { claim: { id, since: row.createdAt } };
          } catch (error) {
            if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') continue;
            throw error;
          }
        }
        if (found.fingerprint !== fingerprint) throw mismatch();
        if (found.answer) {
          const opened = open(found.answer);
          if ('answer' in opened) return { answer: opened.answer };
          requestLog(req.res!).warn(
            { keyId: opened.unreadable ?? '(derived from SIGNING_SECRET)' },
            'a stored idempotent answer does not open: its key is no longer configured',
          );
          throw unreadable();
        }
        if (found.heldUntil && found.heldUntil.getTime() > now) throw busy();
        // Not answered and not held (its earlier attempt gave no final answer, or died): this one runs it again.
        const taken = await db.idempotentRequest.updateMany({
          where: { id, heldUntil: found.heldUntil },
          data: { heldUntil, answer: null },
        });
        if (taken.count === 1) return { claim: { id, since: found.createdAt } };
      }
      throw busy();
    },

    /** Stores a final answer; any other (a 503, an unexpected error) frees the key for the next attempt. */
    async settle(claim: IdempotencyClaim, answer: StoredAnswer | undefined): Promise<void> {
      const status = answer?.kind === 'result' ? answer.status : answer && ERROR_CODES[answer.code].status;
      const final = answer && status !== undefined && status < NOT_FINAL && status !== 429;
      await db.idempotentRequest.update({
        where: { id: claim.id },
        data: final ? { answer: seal(answer), answeredAt: new Date(), heldUntil: null } : { heldUntil: null },
      });
    },
  };
}

export type IdempotencyStore = ReturnType<typeof idempotencyStore>;
