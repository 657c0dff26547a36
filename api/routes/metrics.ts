import type { Registry } from 'prom-client';
import type { ApiRoutes } from '../routing';

/** GET /metrics: the API's Prometheus metrics (requests by route and status, Node's process metrics). */
export function metricsRoutes(api: ApiRoutes, registry: Registry): void {
  api.add(
    {
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics: request latency by declared route and status, and the process (text format)',
      tag: 'meta',
      access: 'public',
      responses: { 200: { description: 'Prometheus text exposition format', contentType: 'text/plain' } },
    },
    async ({ res }) => {
      res.type(registry.contentType).send(await registry.metrics());
    },
  );
}
