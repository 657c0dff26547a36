import { z } from 'zod';
import type { ApiDeps } from '../deps';
import type { ApiRoutes } from '../routing';

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

const ZCheck = z.object({ status: z.enum(['up', 'down']) });
const ZHealth = z.object({
  status: z.enum(['ok', 'down']),
  down: z.array(z.string()),
  checks: z.object({ temporal: ZCheck, postgres: ZCheck, smtp: ZCheck }),
});

export function healthRoutes(api: ApiRoutes, deps: ApiDeps): void {
  const checks: Record<string, () => Promise<unknown>> = {
    temporal: () => deps.temporal.workflowService.getSystemInfo({}),
    postgres: () => deps.db.$queryRaw`SELECT 1`,
    smtp: () => deps.checkSmtp(),
  };

  api.add(
    {
      method: 'get',
      path: '/healthz',
      summary: 'Whether Temporal, Postgres and SMTP answer',
      tag: 'meta',
      access: 'public',
      responses: {
        200: { description: 'All answer', schema: ZHealth },
        503: { description: 'Something is down (named)', schema: ZHealth },
      },
    },
    async () => {
      const results = await Promise.all(
        Object.entries(checks).map(async ([name, check]) => {
          try {
            await withTimeout(check);
            return [name, { status: 'up' as const }] as const;
          } catch (error) {
            // A public endpoint: it says what is down; the log says why.
            deps.log?.('health check failed', { check: name, error: String(error) });
            return [name, { status: 'down' as const }] as const;
          }
        }),
      );
      const down = results.filter(([, r]) => r.status === 'down').map(([name]) => name);
      return {
        status: down.length ? 503 : 200,
        body: { status: down.length ? 'down' : 'ok', down, checks: Object.fromEntries(results) },
      };
    },
  );
}
