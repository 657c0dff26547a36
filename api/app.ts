import path from 'node:path';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { silentLog } from '../telemetry/log';
import { createHttpMetrics } from '../telemetry/metrics';
import { ApiKeys, authenticate, type Principal } from './auth';
import type { ApiDeps } from './deps';
import { AppError, knownError, notFoundHandler, problemHandler } from './errors';
import { browserLocale, renderMessage, renderUnavailable } from './pages/render';
import type { ExtraRoute } from './openapi';
import { perKeyRateLimit } from './rate-limit';
import { requestContext, requestLog } from './request-context';
import { ApiRoutes, methodNotAllowed } from './routing';
import { webhookRoutes } from './routes/webhooks';
import { idempotencyStore } from './idempotency';
import { actionRoutes } from './routes/actions';
import { apiKeyRoutes } from './routes/api-keys';
import { CHECKIN_PAGE_ROUTES, checkinRoutes } from './routes/checkins';
import { codecCors, codecRoutes, keyOrSession } from './routes/codec';
import { escalationRoutes } from './routes/escalations';
import { healthRoutes } from './routes/health';
import { importRoutes } from './routes/imports';
import { KICKOFF_PAGE_ROUTES, kickoffRoutes } from './routes/kickoff';
import { kpiRoutes } from './routes/kpis';
import { matchRoutes } from './routes/matches';
import { metaRoutes } from './routes/meta';
import { metricsRoutes } from './routes/metrics';
import { programRoutes } from './routes/programs';
import { workspaceRoutes } from './workspace';

/** The site's front page in the OpenAPI document. */
const FRONT_PAGE_ROUTE: ExtraRoute = {
  method: 'get',
  path: '/',
  summary: 'The front page: the workspace for coordinators and program managers',
  tag: 'pages',
  responses: { 303: 'To /workspace (its sign-in page until signed in)' },
};

/** The paths of the pages people open from their email, as their routes match them (any case, whole segments). */
const PAGE_PATH = /^\/(?:checkins|kickoff)(?:\/|$)/i;

/** An error Express, body-parser or serve-static made for a bad request: it carries the HTTP status to answer. */
type HttpError = Error & { status?: number; statusCode?: number; type?: string };

function clientErrorStatus(err: unknown): number | undefined {
  const status = (err as HttpError | null)?.status ?? (err as HttpError | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/** The HTTP API: decode, then start, signal, update or query a workflow (or read the read model), then respond. */
export function createApp(deps: ApiDeps): Express {
  const log = deps.log ?? silentLog;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.locals.log = log;

  // What a caller waits for Temporal counts from the request's arrival.
  app.use((_req, res, next) => {
    res.locals.arrivedAt = Date.now();
    next();
  });
  // A request id on every answer and a logger carrying it; one line per request when it ends, and its metrics.
  const metrics = deps.metrics ?? createHttpMetrics();
  app.use(requestContext(log, metrics.observeRequest));
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'none'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
        },
      },
      referrerPolicy: { policy: 'no-referrer' },
    }),
  );
  // Assets answer their own errors in plain text: a missing file is a 404 (serve-static says so), not a page error.
  const assetErrors: ErrorRequestHandler = (err: unknown, req, res, _next) => {
    const status = clientErrorStatus(err);
    if (status === undefined) requestLog(res).error({ err, path: req.path }, 'asset error');
    res
      .status(status ?? 500)
      .type('text/plain')
      .send(status === 404 ? 'Not found' : status ? 'Bad request' : 'Something went wrong');
  };
  app.use(
    '/assets',
    express.static(path.join(__dirname, 'pages', 'assets'), { maxAge: '1h', fallthrough: false }),
    assetErrors,
  );

  // The pages people open from their email: rate-limited per client, HTML errors, their own body parsing.
  const pages = express.Router();
  // Only their paths go on into the pages' router: every other request (the JSON API's) leaves it at once.
  pages.use((req, _res, next) => (PAGE_PATH.test(req.path) ? next() : next('router')));
  pages.use(
    ['/checkins', '/kickoff'],
    rateLimit({
      windowMs: 60_000,
      limit: deps.pageRateLimit ?? 60,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      handler: (req, res) =>
        renderMessage(res, 429, browserLocale(req), { title: (t) => t.retryTitle, body: (t) => t.retryBody }),
    }),
  );
  pages.use(checkinRoutes(deps));
  pages.use(kickoffRoutes(deps));
  const pageErrors: ErrorRequestHandler = (err: unknown, req, res, _next) => {
    const locale = browserLocale(req);
    const status = clientErrorStatus(err);
    // A link cut or mangled in an email client (bad percent-encoding) is just an invalid link.
    if (status === 400 && err instanceof URIError && /^\/(checkins|kickoff)\//i.test(req.path)) {
      return renderMessage(res, 404, locale, { title: (t) => t.invalidTitle, body: (t) => t.invalidBody });
    }
    if ((err as HttpError).type === 'entity.too.large') {
      return renderMessage(res, 413, locale, { title: (t) => t.tooLargeTitle, body: (t) => t.tooLargeBody });
    }
    if (status === 404) {
      return renderMessage(res, 404, locale, { title: (t) => t.invalidTitle, body: (t) => t.invalidBody });
    }
    if (status !== undefined) {
      return renderMessage(res, status, locale, { title: (t) => t.badRequestTitle, body: (t) => t.badRequestBody });
    }
    if (knownError(err)?.code === 'unavailable') {
      requestLog(res).warn({ path: req.path }, 'dependency unavailable');
      return renderUnavailable(req, res);
    }
    requestLog(res).error({ err, path: req.path }, 'page error');
    renderMessage(res, 500, locale, { title: (t) => t.retryTitle, body: (t) => t.retryBody });
  };
  app.use(pages, pageErrors);

  // The workspace for coordinators and program managers (sessions, not API keys); the site's front page.
  app.get('/', (_req, res) => res.redirect(303, '/workspace'));
  app.use('/workspace', workspaceRoutes(deps));

  // The JSON API. Routes that need a key authenticate it and are rate-limited per key, then read their own body.
  const perKey = perKeyRateLimit({
    windowMs: 60_000,
    limit: deps.apiRateLimit ?? 600,
    keyOf: (req, res) => (res.locals.principal as Principal | undefined)?.id ?? ipKeyGenerator(req.ip ?? 'unknown'),
    refuse: (next) => next(new AppError('rate_limited', 'Too many requests with this API key; wait a minute.')),
  });
  // /healthz needs no key: limited per client, so nobody can make the API poll its dependencies without end.
  app.use(
    '/healthz',
    rateLimit({
      windowMs: 60_000,
      limit: deps.healthRateLimit ?? 120,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      handler: (_req, _res, next) => next(new AppError('rate_limited', 'Too many health checks; wait a minute.')),
    }),
  );
  const idempotency = idempotencyStore(deps.db, deps.keys, deps.links.signingSecret);
  const keys = new ApiKeys(deps.db, deps.apiKeyCacheMs);
  const api = new ApiRoutes([authenticate(keys), perKey], idempotency);
  healthRoutes(api, deps);
  metricsRoutes(api, metrics.registry);
  programRoutes(api, deps);
  kpiRoutes(api, deps);
  matchRoutes(api, deps);
  actionRoutes(api, deps);
  escalationRoutes(api, deps);
  importRoutes(api, deps);
  apiKeyRoutes(api, deps, keys);
  webhookRoutes(api, deps);
  // The Temporal Web UI's codec endpoint: CORS for the UI's origins only (preflights answered there), then an admin
  // key or an admin's workspace session.
  const codec = new ApiRoutes([keyOrSession(deps, keys), perKey], idempotency);
  if (deps.codec) {
    app.use('/codec', codecCors(deps.codec.uiOrigins));
    codecRoutes(codec, deps.codec.codecs);
    api.defs.push(...codec.defs);
  }
  metaRoutes(api, deps, [...CHECKIN_PAGE_ROUTES, ...KICKOFF_PAGE_ROUTES, FRONT_PAGE_ROUTE]);
  app.use(codec.router);
  app.use(api.router);
  app.use(
    methodNotAllowed([
      ...api.defs,
      ...[...CHECKIN_PAGE_ROUTES, ...KICKOFF_PAGE_ROUTES, FRONT_PAGE_ROUTE].map((r) => ({
        method: r.method,
        path: r.path,
      })),
    ]),
  );
  // The declarations behind the OpenAPI document, for tests that hold responses to their schemas.
  app.locals.routeDefs = api.defs;

  app.use(notFoundHandler);
  app.use(problemHandler);
  return app;
}
