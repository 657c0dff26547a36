import { randomUUID } from 'node:crypto';
import path from 'node:path';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { ApiDeps } from './deps';
import { notFoundHandler, problemHandler } from './errors';
import { browserLocale, renderMessage } from './pages/render';
import { actionRoutes } from './routes/actions';
import { checkinRoutes } from './routes/checkins';
import { healthRoutes } from './routes/health';
import { kickoffRoutes } from './routes/kickoff';
import { matchRoutes } from './routes/matches';
import { programRoutes } from './routes/programs';

/** The HTTP API: decode, then start, signal or query a workflow (or read the read model), then respond. */
export function createApp(deps: ApiDeps): Express {
  const log = deps.log ?? ((message, meta) => console.error(JSON.stringify({ level: 'error', message, ...meta })));
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use((req, res, next) => {
    const incoming = req.get('x-request-id');
    res.locals.requestId = incoming && /^[\w.-]{1,100}$/.test(incoming) ? incoming : randomUUID();
    res.set('x-request-id', res.locals.requestId);
    next();
  });
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

  // The pages people open from their email: rate-limited, HTML errors, no JSON body parser.
  const pages = express.Router();
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
    log('page error', {
      error: err instanceof Error ? err.stack : String(err),
      path: req.path,
      requestId: res.locals.requestId,
    });
    renderMessage(res, 500, browserLocale(req), { title: (t) => t.retryTitle, body: (t) => t.retryBody });
  };
  app.use('/assets', express.static(path.join(__dirname, 'pages', 'assets'), { maxAge: '1h', fallthrough: false }));
  app.use(pages, pageErrors);

  app.use(express.json({ limit: '1mb' }));
  app.use(healthRoutes(deps));
  app.use(programRoutes(deps));
  app.use(matchRoutes(deps));
  app.use(actionRoutes(deps));

  app.use(notFoundHandler);
  app.use(problemHandler((message, meta) => log(message, meta)));
  return app;
}
