import { Prisma } from '@prisma/client';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { fieldIssues, type FieldIssue } from '../workflows/messages';
import type { RefusalDetail } from '../workflows/refusals';
import { isUnanswered } from '../prisma/client';
import { requestLog } from './request-context';

/**
 * Every error the API returns, by code. The HTTP status of each code is set here and nowhere else; responses are
 * RFC 9457 `application/problem+json`.
 */
export const ERROR_CODES = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  unauthenticated: { status: 401, title: 'An API key is required' },
  forbidden: { status: 403, title: 'This API key may not do that' },
  not_found: { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflicts with the current state' },
  rejected: { status: 422, title: 'The match workflow rejected the action' },
  idempotency_key_reused: { status: 422, title: 'The Idempotency-Key was used for another request' },
  idempotency_in_progress: { status: 409, title: 'A request with this Idempotency-Key is still being handled' },
  idempotency_answer_unreadable: {
    status: 409,
    title: 'The request with this Idempotency-Key was answered, but its answer can no longer be read',
  },
  method_not_allowed: { status: 405, title: 'This path does not take that method' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  unsupported_media_type: { status: 415, title: 'The body is not of a type this route takes' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Something went wrong on our side' },
  unavailable: { status: 503, title: 'A service bansou depends on is unavailable' },
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

/** What a 503 tells the caller (header `Retry-After`, in seconds); the pages say "in a minute" too. */
export const RETRY_AFTER_SECONDS = 60;

export type FieldError = FieldIssue;

/** The one error type of the API. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly errors?: FieldError[],
    /** The workflow's refusal, by key and values, when that is what this is (pages word it in the person's language). */
    readonly refusal?: RefusalDetail,
  ) {
    super(detail);
    this.name = 'AppError';
  }
}

export const problemType = (code: ErrorCode) => `/docs#problem-${code}`;

/** Field errors from a zod error, with paths such as `host.email` or `rows[3].endDate` (the workflow names them alike). */
export function fieldErrors(error: z.ZodError, prefix?: string): FieldError[] {
  return fieldIssues(error, prefix);
}

/** Parses request input with a zod schema, or throws a 400 listing every wrong field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, where = 'body'): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new AppError(
    'validation_failed',
    `The ${where} has ${result.error.issues.length} invalid field(s).`,
    fieldErrors(result.error),
  );
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('not_found', `No route for ${req.method} ${req.path}.`));
};

type BodyParserError = Error & { type?: string; status?: number };

/** Prisma's codes for "the database server cannot be reached / went away / is overloaded". */
const DATABASE_DOWN_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
/** The pg driver adapter's kinds for the same (its `driverAdapterError.cause.kind`). */
const DATABASE_DOWN_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);
/** SQLSTATEs of a server shutting down, starting up or out of connections, and of broken connections (class 08). */
const DATABASE_DOWN_STATES = /^(08...|57P0[1-3]|53300)$/;
/** A socket's error codes when the server is not there. */
const SOCKET_DOWN_CODES = /^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH|AI_AGAIN)$/;
/** What pg itself says when a connection dies under a query or cannot be made in time. */
const DATABASE_DOWN_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Can't reach database server/i;

/** What Prisma's pg driver adapter says caused a request error: its kind, and Postgres's SQLSTATE when it sent one. */
const adapterCause = (e: Prisma.PrismaClientKnownRequestError) =>
  (e.meta?.driverAdapterError as { cause?: { kind?: string; originalCode?: string; code?: string } } | undefined)
    ?.cause;

/** Whether an error means Postgres cannot be reached just now (down, restarting, out of connections). */
export function isDatabaseUnavailable(error: unknown): boolean {
  // A statement the server did not answer within the client's bound (a partitioned network): its connection is gone.
  if (isUnanswered(error)) return true;
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    if (e instanceof Prisma.PrismaClientInitializationError) return true;
    if (e instanceof Prisma.PrismaClientKnownRequestError) {
      if (DATABASE_DOWN_CODES.has(e.code)) return true;
      const cause = adapterCause(e);
      if (cause?.kind && DATABASE_DOWN_KINDS.has(cause.kind)) return true;
      if (cause?.kind === 'postgres' && DATABASE_DOWN_STATES.test(cause.originalCode ?? cause.code ?? '')) return true;
    }
    if (e instanceof Error && !(e instanceof AppError) && DATABASE_DOWN_MESSAGES.test(e.message)) return true;
    // Plain SQL through pg (the hot reads): a socket that cannot connect, or the server's SQLSTATE.
    const code = (e as { code?: unknown }).code;
    if (
      e instanceof Error &&
      typeof code === 'string' &&
      (SOCKET_DOWN_CODES.test(code) || DATABASE_DOWN_STATES.test(code))
    )
      return true;
  }
  return false;
}

/**
 * Whether an error is a transaction that ran out of its time (Prisma's P2028: it could not start in time, or its
 * commit came after its timeout; or a plain SQL transaction that Postgres ended at its bound): it was rolled back, and
 * the database is only too busy just now, so the caller is told to try again, as when it is down.
 */
export function isTransactionExpired(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2028') return true;
    // A statement Postgres stopped at its time limit, or a transaction it ended for sitting idle past its bound
    // (`sqlTransaction`; from Prisma, as its driver adapter reports it): rolled back, as an expired transaction is.
    const code =
      e instanceof Prisma.PrismaClientKnownRequestError
        ? adapterCause(e)?.originalCode
        : (e as { code?: unknown }).code;
    if (code === '57014' || code === '25P03') return true;
  }
  return false;
}

/** Whether an error from the Temporal client means the server could not be reached (gRPC UNAVAILABLE, DEADLINE_EXCEEDED). */
export function isTemporalUnreachable(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (code === 14 || code === 4 || code === 'ECONNREFUSED') return true;
    if (e instanceof Error && /Connection|connect|unavailable|deadline/i.test(`${e.name} ${e.message}`)) return true;
  }
  return false;
}

/**
 * The API's answer to a foreseeable error that is not an AppError (bad JSON, a body too large, a dependency down),
 * or undefined for a real bug. The JSON API and the pages both ask here.
 */
export function knownError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  const parserError = err as BodyParserError;
  if (parserError?.type === 'entity.parse.failed')
    return new AppError('validation_failed', 'The body is not valid JSON.');
  if (parserError?.type === 'entity.too.large') return new AppError('payload_too_large', 'The body is too large.');
  if (parserError?.type === 'charset.unsupported' || parserError?.type === 'encoding.unsupported')
    return new AppError('validation_failed', parserError.message);
  if (isDatabaseUnavailable(err)) {
    return new AppError('unavailable', 'The database cannot be reached just now. Try again in a minute.');
  }
  if (isTransactionExpired(err)) {
    return new AppError('unavailable', 'The database is too busy just now. Try again in a minute.');
  }
  return undefined;
}

/** Sets `Retry-After` on an answer that says a dependency is down. */
export function retryLater(res: Response): void {
  res.set('Retry-After', String(RETRY_AFTER_SECONDS));
}

/** Maps any error to a problem document. Unknown errors are logged and answered without detail. */
export const problemHandler: ErrorRequestHandler = (err: unknown, req, res, _next) => {
  let error = knownError(err);
  if (!error) {
    requestLog(res).error({ err, path: req.path }, 'unhandled error');
    error = new AppError('internal', 'The request failed. It has been logged; try again later.');
  } else if (error.code === 'unavailable') {
    // Foreseeable, and already said to the caller: one line, no stack.
    requestLog(res).warn({ detail: error.detail, path: req.path }, 'dependency unavailable');
    retryLater(res);
  }
  const { status, title } = ERROR_CODES[error.code];
  res
    .status(status)
    .type('application/problem+json')
    .json({
      type: problemType(error.code),
      title,
      status,
      detail: error.detail,
      instance: req.originalUrl,
      ...(error.errors ? { errors: error.errors } : {}),
      ...(res.locals.requestId ? { requestId: res.locals.requestId } : {}),
    });
};
