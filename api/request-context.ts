import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Log } from '../telemetry/log';
import type { RequestObservation } from '../telemetry/metrics';
import { nameRequestSpan } from '../telemetry/tracing';
import type { Principal } from './auth';

/** What every request carries from its first middleware on: its id and a logger bound to it. */
export type RequestContext = { requestId: string; log: Log };

/** The request's logger (bound to its request id); the root logger outside a request. */
export function requestLog(res: Response): Log {
  return (res.locals.log as Log | undefined) ?? (res.app.locals.log as Log);
}

/**
 * The route a request matched, as declared (`/matches/:id`), never the path itself: the signed part of a page link
 * is a credential, and ids would make a metric label per match. Requests no route took are `unmatched`.
 */
export function routeOf(req: Request): string {
  const route = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof route === 'string') return `${req.baseUrl}${route}`;
  if (req.baseUrl === '/assets' || req.originalUrl.startsWith('/assets/')) return '/assets';
  return 'unmatched';
}

/** The match a request is about, when its route names one (`/matches/:id/...`). */
function matchOf(req: Request, route: string): string | undefined {
  const id = (req.params as Record<string, unknown> | undefined)?.id;
  return route.startsWith('/matches/:id') && typeof id === 'string' ? id : undefined;
}

export type RequestObserver = (observed: RequestObservation) => void;

/**
 * Gives each request its id (a caller's own `x-request-id` is kept when it looks like one; it is echoed on the
 * answer) and a child logger carrying it, and when the answer is sent writes one line about it and tells `observe`
 * (the metrics) its route, status and duration.
 */
export function requestContext(log: Log, observe?: RequestObserver): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && /^[\w.-]{1,100}$/.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.locals.log = log.child({ requestId });
    res.set('x-request-id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeOf(req);
      if (route !== 'unmatched') nameRequestSpan(route);
      observe?.({ method: req.method, route, status: res.statusCode, seconds });
      const principal = res.locals.principal as Principal | undefined;
      const matchId = matchOf(req, route);
      // A server error is logged with its cause where it happened; this line only says the request ended so.
      requestLog(res)[res.statusCode >= 500 ? 'warn' : 'info'](
        {
          method: req.method,
          route,
          status: res.statusCode,
          ms: Math.round(seconds * 1000),
          ...(matchId ? { matchId } : {}),
          // A key by its id; a person signed in is not named in the logs.
          ...(principal ? (principal.kind === 'api_key' ? { keyId: principal.id } : { account: true }) : {}),
        },
        'request',
      );
    });
    next();
  };
}
