import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import { principalOf, requirePermission, type Permission, type Principal } from './auth';
import { AppError, knownError, parseInput } from './errors';
import {
  fingerprintOf,
  idempotencyKeyOf,
  IDEMPOTENCY_HEADER,
  type IdempotencyClaim,
  type IdempotencyStore,
} from './idempotency';
import { requestLog } from './request-context';
import { ZProblem } from './routes/schemas';
import { fromArrival } from './services/actions';

/**
 * One place that declares each JSON route: its input schemas, who may call it and what it answers. The same
 * declaration registers the Express handler and becomes the route's entry in the OpenAPI document (api/openapi.ts),
 * so the spec cannot drift from the code.
 */
export type ResponseSpec = { description: string; schema?: z.ZodType; contentType?: string };

export type RouteDef<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> = {
  method: 'get' | 'post' | 'put' | 'delete';
  /** Express-style path, e.g. `/matches/:id`. */
  path: string;
  summary: string;
  tag: string;
  /** `public` routes need no API key; the others need one whose role grants this. */
  access: Permission | 'public';
  params?: P;
  query?: Q;
  body?: B;
  /** The body's media type when it is not JSON (e.g. `text/csv`). */
  bodyContentType?: string;
  /** The body may be left out (it is then read as `{}`); otherwise a request without one is a 400. */
  bodyOptional?: boolean;
  /**
   * Rules the input must also meet that JSON Schema cannot state (one field against another, a program that must
   * exist…): input that fits the schema may still be a 400 for these, and the spec says so.
   */
  beyondSchema?: string;
  responses: Record<number, ResponseSpec>;
};

export type RouteInput<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> = {
  params: z.infer<P>;
  query: z.infer<Q>;
  body: z.infer<B>;
  /** The caller (absent on public routes). */
  principal: Principal;
  /** The request's `Idempotency-Key`, claimed for it (its id is the update id of a workflow action). */
  idempotency?: IdempotencyClaim;
  req: Request;
  res: Response;
};

/**
 * Status and body of a route's answer (the body is sent as JSON unless the route answers otherwise itself). A route
 * that has its answer as JSON text already gives it as `json`, sent as it is.
 */
export type RouteResult =
  | { status?: number; body: unknown; headers?: Record<string, string> }
  | { status?: number; json: string; headers?: Record<string, string> }
  | void;

export const JSON_BODY_LIMIT = '1mb';
export const CSV_BODY_LIMIT = '5mb';
const jsonBody = express.json({ limit: JSON_BODY_LIMIT });
/** The CSV arrives as raw bytes so its encoding (UTF-8 or Shift_JIS) can be told apart. */
const csvBody = express.raw({ type: ['text/csv', 'application/csv', 'text/plain'], limit: CSV_BODY_LIMIT });

/** Every POST that needs a key takes an `Idempotency-Key` (api/idempotency.ts). */
export const takesIdempotencyKey = (def: { method: string; access: string }) =>
  def.method === 'post' && def.access !== 'public';

const IDEMPOTENCY_409 = `a request with the same ${IDEMPOTENCY_HEADER} is still being handled`;
const IDEMPOTENCY_422 = `the ${IDEMPOTENCY_HEADER} was used before for another request`;

/**
 * What a route may answer besides its own responses, from what it declares: bad input (400), no key or not this key
 * (401/403), nothing with that id (404), a body too large or of another type (413/415), too many requests (429), a
 * dependency down (503). Written once here, so the spec lists exactly what each route can answer.
 */
function standardResponses(def: RouteDef<z.ZodType, z.ZodType, z.ZodType>): Record<number, ResponseSpec> {
  const responses: Record<number, ResponseSpec> = {};
  const keyed = def.access !== 'public';
  if (def.params || def.query || def.body) {
    const beyond = def.beyondSchema ? `. Beyond the schema: ${def.beyondSchema}` : '';
    responses[400] = {
      description: `Invalid input: every wrong field is named in \`errors\`${beyond}`,
      schema: ZProblem,
    };
  }
  if (keyed) {
    responses[401] = { description: 'No valid API key (missing, unknown or revoked)', schema: ZProblem };
    responses[403] = { description: 'The key may not do this, or does not cover the program', schema: ZProblem };
  }
  if (keyed && def.params) {
    responses[404] = {
      description: 'Nothing with that id (admin keys; other keys get 403 whether it exists or not)',
      schema: ZProblem,
    };
  }
  if (def.body) {
    responses[413] = {
      description: `The body is larger than ${def.bodyContentType ? CSV_BODY_LIMIT : JSON_BODY_LIMIT}`,
      schema: ZProblem,
    };
    responses[415] = { description: `The body is not ${def.bodyContentType ?? 'application/json'}`, schema: ZProblem };
  }
  if (takesIdempotencyKey(def)) {
    responses[409] = { description: `Conflict: ${IDEMPOTENCY_409}`, schema: ZProblem };
    responses[422] = { description: `Not processable: ${IDEMPOTENCY_422}`, schema: ZProblem };
  }
  if (keyed) {
    responses[429] = { description: 'Too many requests with this key; wait a minute (Retry-After)', schema: ZProblem };
    responses[503] = {
      description: 'Postgres or Temporal cannot be reached; try again (Retry-After)',
      schema: ZProblem,
    };
  }
  return responses;
}

/** Reads the body a route declares; a missing one is a 400 (unless optional), one of another type a 415. */
function bodyOf(def: RouteDef<z.ZodType, z.ZodType, z.ZodType>): RequestHandler[] {
  if (!def.body) return [];
  const type = def.bodyContentType ?? 'application/json';
  return [
    def.bodyContentType ? csvBody : jsonBody,
    (req, _res, next) => {
      if (req.body !== undefined) return next();
      const sent = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
      if (sent) return next(new AppError('unsupported_media_type', `Send the body as ${type} (Content-Type).`));
      if (def.bodyOptional) {
        req.body = {};
        return next();
      }
      next(
        new AppError('validation_failed', `This route needs a ${type} body.`, [
          { field: '(body)', message: 'is required' },
        ]),
      );
    },
  ];
}

export class ApiRoutes {
  readonly router = Router();
  readonly defs: RouteDef<z.ZodType, z.ZodType, z.ZodType>[] = [];

  /**
   * `guards` run before every route that needs a key (authentication, the per-key rate limit); `idempotency` keeps
   * the answers of POSTs sent with an `Idempotency-Key`.
   */
  constructor(
    private readonly guards: RequestHandler[] = [],
    private readonly idempotency?: IdempotencyStore,
  ) {}

  add<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
    def: RouteDef<P, Q, B>,
    handler: (input: RouteInput<P, Q, B>) => Promise<RouteResult>,
  ): void {
    const declared = def as unknown as RouteDef<z.ZodType, z.ZodType, z.ZodType>;
    // The route's own descriptions win over the standard ones; a 400 always names the rules beyond the schema.
    const standard = standardResponses(declared);
    declared.responses = { ...standard, ...def.responses };
    if (def.responses[400] && def.beyondSchema) {
      declared.responses[400] = {
        ...def.responses[400],
        description: `${def.responses[400].description}. Beyond the schema: ${def.beyondSchema}`,
      };
    }
    if (takesIdempotencyKey(def)) {
      for (const [status, also] of [
        [409, IDEMPOTENCY_409],
        [422, IDEMPOTENCY_422],
      ] as const) {
        const own = def.responses[status];
        if (own) declared.responses[status] = { ...own, description: `${own.description}; or ${also}` };
      }
    }
    this.defs.push(declared);
    const guards = def.access === 'public' ? [] : this.guards;
    this.router[def.method](def.path, ...guards, ...bodyOf(declared), async (req: Request, res: Response) => {
      const principal = def.access === 'public' ? (undefined as unknown as Principal) : principalOf(res);
      // The role first (403), then the input (400); handlers check the program the request is about.
      if (def.access !== 'public') requirePermission(principal, def.access);
      const key = takesIdempotencyKey(def) ? idempotencyKeyOf(req) : undefined;
      const input: RouteInput<P, Q, B> = {
        params: def.params ? parseInput(def.params, req.params, 'path') : ({} as z.infer<P>),
        query: def.query ? parseInput(def.query, req.query, 'query') : ({} as z.infer<Q>),
        body: def.body ? parseInput(def.body, req.body, 'body') : ({} as z.infer<B>),
        principal,
        req,
        res,
      };
      const answer = (result: RouteResult) => {
        if (!result || res.headersSent) return;
        if (result.headers) res.set(result.headers);
        res.status(result.status ?? 200);
        // As `res.json` sends it: application/json; charset=utf-8.
        if ('json' in result) res.type('json').send(result.json);
        else res.json(result.body);
      };
      const run = () => fromArrival(res.locals.arrivedAt, () => handler(input));
      if (!key || !this.idempotency) return answer(await run());
      const store = this.idempotency;
      const claimed = await store.claim(principal, key, def.path, req, fingerprintOf(req, input));
      if ('answer' in claimed) {
        // Answered before: the same answer again, nothing applied again.
        res.set('idempotent-replayed', 'true');
        const stored = claimed.answer;
        if (stored.kind === 'error') throw new AppError(stored.code, stored.detail, stored.errors);
        return answer(stored);
      }
      input.idempotency = claimed.claim;
      const settle = (stored: Parameters<IdempotencyStore['settle']>[1]) =>
        store.settle(claimed.claim, stored).catch((error: unknown) => {
          // The answer stands; unsettled, the key is free again once its hold ends and a retry runs it again.
          requestLog(res).warn({ err: error }, 'idempotency key not settled');
        });
      let result: RouteResult;
      try {
        result = await run();
      } catch (error) {
        const known = knownError(error);
        await settle(known && { kind: 'error', code: known.code, detail: known.detail, errors: known.errors });
        throw error;
      }
      await settle(
        result && !res.headersSent
          ? {
              kind: 'result',
              status: result.status ?? 200,
              body: 'json' in result ? (JSON.parse(result.json) as unknown) : result.body,
              headers: result.headers,
            }
          : undefined,
      );
      answer(result);
    });
  }
}

/**
 * 405 with `Allow` for a path that exists with other methods (routes declared here and the pages alike); paths
 * nobody serves fall through to the 404.
 */
export function methodNotAllowed(routes: { method: string; path: string }[]): RequestHandler {
  const byPath = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  for (const route of routes) {
    const entry = byPath.get(route.path) ?? {
      // Express matches paths case-insensitively, with or without a trailing slash; a parameter is one segment.
      pattern: new RegExp(`^${route.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:\w+/g, '[^/]+')}/?$`, 'i'),
      methods: new Set<string>(),
    };
    entry.methods.add(route.method.toUpperCase());
    if (route.method === 'get') entry.methods.add('HEAD');
    byPath.set(route.path, entry);
  }
  return (req, res, next) => {
    const allowed = new Set<string>();
    for (const { pattern, methods } of byPath.values()) {
      if (pattern.test(req.path)) for (const m of methods) allowed.add(m);
    }
    if (!allowed.size || allowed.has(req.method)) return next();
    res.set('allow', [...allowed].join(', '));
    next(new AppError('method_not_allowed', `${req.path} takes ${[...allowed].join(', ')}, not ${req.method}.`));
  };
}
