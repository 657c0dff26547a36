import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import { principalOf, requirePermission, type Permission, type Principal } from './auth';
import { parseInput } from './errors';

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
  responses: Record<number, ResponseSpec>;
};

export type RouteInput<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> = {
  params: z.infer<P>;
  query: z.infer<Q>;
  body: z.infer<B>;
  /** The caller (absent on public routes). */
  principal: Principal;
  req: Request;
  res: Response;
};

/** Status and body of a route's answer (the body is sent as JSON unless the route answers otherwise itself). */
export type RouteResult = { status?: number; body: unknown; headers?: Record<string, string> } | void;

export class ApiRoutes {
  readonly router = Router();
  readonly defs: RouteDef<z.ZodType, z.ZodType, z.ZodType>[] = [];

  /** `guards` run before every route that needs a key (authentication, the per-key rate limit). */
  constructor(private readonly guards: RequestHandler[] = []) {}

  add<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
    def: RouteDef<P, Q, B>,
    handler: (input: RouteInput<P, Q, B>) => Promise<RouteResult>,
  ): void {
    this.defs.push(def as unknown as RouteDef<z.ZodType, z.ZodType, z.ZodType>);
    const guards = def.access === 'public' ? [] : this.guards;
    this.router[def.method](def.path, ...guards, async (req: Request, res: Response) => {
      const principal = def.access === 'public' ? (undefined as unknown as Principal) : principalOf(res);
      // The role first (403), then the input (400); handlers check the program the request is about.
      if (def.access !== 'public') requirePermission(principal, def.access);
      const input: RouteInput<P, Q, B> = {
        params: def.params ? parseInput(def.params, req.params, 'path') : ({} as z.infer<P>),
        query: def.query ? parseInput(def.query, req.query, 'query') : ({} as z.infer<Q>),
        body: def.body ? parseInput(def.body, req.body ?? {}, 'body') : ({} as z.infer<B>),
        principal,
        req,
        res,
      };
      const result = await handler(input);
      if (!result || res.headersSent) return;
      if (result.headers) res.set(result.headers);
      res.status(result.status ?? 200).json(result.body);
    });
  }
}
