import { z } from 'zod';
import { reasonOf, silentLog } from '../../telemetry/log';
import type { ApiDeps } from '../deps';
import type { ApiRoutes } from '../routing';
import { ZProblem } from './schemas';

const CHECK_TIMEOUT_MS = 3000;
/**
 * How long one round of checks answers every caller. Probes and dashboards may call often; each round opens an SMTP
 * connection and asks Temporal and Postgres, so callers within this window share one round instead.
 */
export const HEALTH_CACHE_MS = 5000;

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
type THealth = z.infer<typeof ZHealth>;

export function healthRoutes(api: ApiRoutes, deps: ApiDeps): void {
  const checks: Record<string, () => Promise<unknown>> = {
    temporal: () => deps.temporal.workflowService.getSystemInfo({}),
    postgres: () => deps.db.$queryRaw`SELECT 1`,
    smtp: () => deps.checkSmtp(),
  };

  async function runChecks(): Promise<THealth> {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await withTimeout(check);
          return [name, { status: 'up' as const }] as const;
        } catch (error) {
          // A public endpoint: it says what is down; the log says why.
          (deps.log ?? silentLog).warn({ check: name, reason: reasonOf(error) }, 'health check failed');
          return [name, { status: 'down' as const }] as const;
        }
      }),
    );
    const down = results.filter(([, r]) => r.status === 'down').map(([name]) => name);
    return { status: down.length ? 'down' : 'ok', down, checks: Object.fromEntries(results) as THealth['checks'] };
  }

  // The round in progress or last finished, shared by every caller until it is older than HEALTH_CACHE_MS.
  let latest: { startedAt: number; result: Promise<THealth> } | undefined;
  const health = (): Promise<THealth> => {
    const now = Date.now();
    if (!latest || now - latest.startedAt >= HEALTH_CACHE_MS) latest = { startedAt: now, result: runChecks() };
    return latest.result;
  };

  api.add(
    {
      method: 'get',
      path: '/healthz',
      summary: `Whether Temporal, Postgres and SMTP answer (checked at most every ${HEALTH_CACHE_MS / 1000} s; rate-limited per client)`,
      tag: 'meta',
      access: 'public',
      responses: {
        200: { description: 'All answer', schema: ZHealth },
        429: { description: 'Too many calls from this client; wait a minute', schema: ZProblem },
        503: { description: 'Something is down (named)', schema: ZHealth },
      },
    },
    async () => {
      const result = await health();
      if (result.status === 'ok') return { body: result };
      return { status: 503, headers: { 'retry-after': String(HEALTH_CACHE_MS / 1000) }, body: result };
    },
  );
}
