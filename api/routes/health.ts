import { Router } from 'express';
import type { ApiDeps } from '../deps';

const CHECK_TIMEOUT_MS = 3000;

function withTimeout(check: () => Promise<unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
    check().then(
      () => (clearTimeout(timer), resolve()),
      (error: unknown) => (clearTimeout(timer), reject(error)),
    );
  });
}

export function healthRoutes(deps: ApiDeps): Router {
  const router = Router();
  const checks: Record<string, () => Promise<unknown>> = {
    temporal: () => deps.temporal.workflowService.getSystemInfo({}),
    postgres: () => deps.db.$queryRaw`SELECT 1`,
    smtp: () => deps.checkSmtp(),
  };

  /** 200 when Temporal, Postgres and SMTP all answer; 503 naming what is down otherwise. */
  router.get('/healthz', async (_req, res) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await withTimeout(check);
          return [name, { status: 'up' as const }] as const;
        } catch (error) {
          return [
            name,
            { status: 'down' as const, error: error instanceof Error ? error.message : String(error) },
          ] as const;
        }
      }),
    );
    const down = results.filter(([, r]) => r.status === 'down').map(([name]) => name);
    res
      .status(down.length ? 503 : 200)
      .json({ status: down.length ? 'down' : 'ok', down, checks: Object.fromEntries(results) });
  });

  return router;
}
