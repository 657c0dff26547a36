import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics (prom-client). Each process has its own registry, with Node's process metrics (CPU, memory, event
 * loop lag, GC); the API adds the requests it answered, the worker the state of matches and mail
 * (`telemetry/domain-metrics.ts`) and the Temporal SDK's own metrics (`worker/metrics-server.ts`).
 */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** What the API observes of one request when it has been answered. */
export type RequestObservation = { method: string; route: string; status: number; seconds: number };

export type HttpMetrics = { registry: Registry; observeRequest: (observed: RequestObservation) => void };

/** Request rate and latency by declared route (`/matches/:id`, never the path: no ids, no tokens) and status. */
export function createHttpMetrics(registry: Registry = createRegistry()): HttpMetrics {
  const duration = new Histogram({
    name: 'bansou_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, declared route and status (its _count is the request count)',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return {
    registry,
    observeRequest: ({ method, route, status, seconds }) =>
      duration.observe({ method, route, status: String(status) }, seconds),
  };
}
