import { z } from 'zod';
import { HEALTH_CACHE_MS, healthChecks, readinessOf } from '../../telemetry/health';
import { silentLog } from '../../telemetry/log';
import type { ApiDeps } from '../deps';
import type { ApiRoutes } from '../routing';
import { ZProblem } from './schemas';

export { HEALTH_CACHE_MS };

const ZCheck = z.object({ status: z.enum(['up', 'down']) });
const ZChecks = z.object({ temporal: ZCheck, postgres: ZCheck, smtp: ZCheck });
const ZHealth = z.object({
  status: z.enum(['ok', 'down']),
  down: z.array(z.string()),
  checks: ZChecks,
});
const ZReadiness = z.object({ status: z.enum(['ready', 'not_ready', 'stopping']), checks: ZChecks });
const ZLiveness = z.object({ status: z.literal('ok') });

/** The API's health: /healthz (everything it depends on), /livez (the process) and /readyz (may it take requests). */
export function healthRoutes(api: ApiRoutes, deps: ApiDeps): void {
  const health = healthChecks(
    {
      temporal: () => deps.temporal.workflowService.getSystemInfo({}),
      postgres: () => deps.db.$queryRaw`SELECT 1`,
      smtp: () => deps.checkSmtp(),
    },
    deps.log ?? silentLog,
  );
  const retryAfter = { 'retry-after': String(HEALTH_CACHE_MS / 1000) };

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
      return { status: 503, headers: retryAfter, body: result };
    },
  );

  api.add(
    {
      method: 'get',
      path: '/livez',
      summary: 'Whether the process is up (asks nothing else: a liveness probe)',
      tag: 'meta',
      access: 'public',
      responses: { 200: { description: 'Up', schema: ZLiveness } },
    },
    async () => ({ body: { status: 'ok' as const } }),
  );

  api.add(
    {
      method: 'get',
      path: '/readyz',
      summary: `Whether the API can take requests: Temporal and Postgres answer (SMTP is reported, not needed) and it is not stopping (checked at most every ${HEALTH_CACHE_MS / 1000} s)`,
      tag: 'meta',
      access: 'public',
      responses: {
        200: { description: 'Ready', schema: ZReadiness },
        503: { description: 'Temporal or Postgres does not answer, or the API is stopping', schema: ZReadiness },
      },
    },
    async () => {
      const readiness = readinessOf(await health(), ['temporal', 'postgres'], deps.stopping?.() ?? false);
      if (readiness.status === 'ready') return { body: readiness };
      return { status: 503, headers: retryAfter, body: readiness };
    },
  );
}
