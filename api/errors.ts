import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';
import { fieldIssues, type FieldIssue } from '../workflows/messages';

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
  payload_too_large: { status: 413, title: 'The request body is too large' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Something went wrong on our side' },
  unavailable: { status: 503, title: 'A service bansou depends on is unavailable' },
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

export type FieldError = FieldIssue;

/** The one error type of the API. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly errors?: FieldError[],
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

/** Maps any error to a problem document. Unknown errors are logged and answered without detail. */
export function problemHandler(log: (message: string, meta: Record<string, unknown>) => void): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let error: AppError;
    const parserError = err as BodyParserError;
    if (err instanceof AppError) error = err;
    else if (parserError?.type === 'entity.parse.failed')
      error = new AppError('validation_failed', 'The body is not valid JSON.');
    else if (parserError?.type === 'entity.too.large')
      error = new AppError('payload_too_large', 'The body is too large.');
    else if (parserError?.type === 'charset.unsupported' || parserError?.type === 'encoding.unsupported')
      error = new AppError('validation_failed', parserError.message);
    else {
      log('unhandled error', {
        error: err instanceof Error ? err.stack : String(err),
        path: req.path,
        requestId: res.locals.requestId,
      });
      error = new AppError('internal', 'The request failed. It has been logged; try again later.');
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
}
