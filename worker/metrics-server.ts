import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { Registry } from 'prom-client';
import { reasonOf, type Log } from '../telemetry/log';

/** How long a scrape waits for the Temporal SDK's own exporter before answering with bansou's metrics alone. */
const CORE_SCRAPE_TIMEOUT_MS = 2000;

/** A free port on the loopback interface, for the SDK's Prometheus exporter, which only this process reads. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export type WorkerMetricsServerOptions = {
  host: string;
  /** 0: any free port (the one taken is logged and returned). */
  port: number;
  registry: Registry;
  /** The Temporal SDK's Prometheus exporter (on loopback); its metrics are served after bansou's. */
  coreMetricsUrl?: string;
  /** What `/readyz` answers (200 when its status is `ready`, 503 otherwise); `/livez` answers whenever the process does. */
  readiness: () => Promise<{ status: string; checks: Record<string, unknown> }>;
  log: Log;
};

/**
 * The worker's metrics port: `/livez` and `/readyz` as on the API, and `GET /metrics`, which answers bansou's registry (process, outbox, matches…) followed by the
 * Temporal SDK's metrics (workflow and activity task latencies, slots, polls…), fetched from the SDK's own exporter on
 * loopback, so Prometheus scrapes one target per worker.
 */
export async function startWorkerMetricsServer(
  options: WorkerMetricsServerOptions,
): Promise<{ server: Server; port: number }> {
  const { registry, coreMetricsUrl, log } = options;
  const coreMetrics = async (): Promise<string> => {
    if (!coreMetricsUrl) return '';
    try {
      const answer = await fetch(coreMetricsUrl, { signal: AbortSignal.timeout(CORE_SCRAPE_TIMEOUT_MS) });
      if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
      return await answer.text();
    } catch (error) {
      log.warn({ reason: reasonOf(error) }, 'metrics: the Temporal SDK exporter did not answer');
      return '';
    }
  };
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method === 'GET' && path === '/livez') return json(200, { status: 'ok' });
    if (req.method === 'GET' && path === '/readyz') {
      options.readiness().then(
        (readiness) => json(readiness.status === 'ready' ? 200 : 503, readiness),
        (error: unknown) => (log.error({ err: error }, 'readiness not checked'), json(503, { status: 'not_ready' })),
      );
      return;
    }
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
      return;
    }
    Promise.all([registry.metrics(), coreMetrics()]).then(
      ([own, core]) => res.writeHead(200, { 'content-type': registry.contentType }).end(`${own}\n${core}`),
      (error: unknown) => {
        log.error({ err: error }, 'metrics: not collected');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('Metrics not collected\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return { server, port: (server.address() as { port: number }).port };
}
