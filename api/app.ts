import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import type { ApiDeps } from './deps';
import { notFoundHandler, problemHandler } from './errors';
import { actionRoutes } from './routes/actions';
import { healthRoutes } from './routes/health';
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
  app.use(express.json({ limit: '1mb' }));

  app.use(healthRoutes(deps));
  app.use(programRoutes(deps));
  app.use(matchRoutes(deps));
  app.use(actionRoutes(deps));

  app.use(notFoundHandler);
  app.use(problemHandler((message, meta) => log(message, meta)));
  return app;
}
