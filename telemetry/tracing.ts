import { createRequire } from 'node:module';
import { context, type Span } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { Resource } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NoopSpanProcessor,
  type ReadableSpan,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { scrubText, type Log } from './log';

/** A process's tracing: where its spans go (nowhere when off) and how to flush them before it exits. */
export type Tracing = {
  /** Whether spans are exported (OTEL_EXPORTER_OTLP_ENDPOINT is set). */
  on: boolean;
  /** Takes every finished span; the worker hands it the workflows' spans too (through the SDK's sink). */
  spanProcessor: SpanProcessor;
  /** The process's resource: `service.name` is `bansou-api` or `bansou-worker`. */
  resource: Resource;
  /** Exports the spans not yet sent, then stops; bounded by the exporter's timeout. */
  shutdown: () => Promise<void>;
};

export type StartTracingOptions = {
  service: 'api' | 'worker';
  /** The OTLP collector's base URL; unset, tracing is off. */
  endpoint?: string;
  /** Traces incoming HTTP requests (the API). */
  http?: boolean;
  log?: Log;
};

// Probes and scrapes, asked every few seconds, would bury the requests people make.
const UNTRACED_PATHS = new Set(['/livez', '/readyz', '/healthz', '/metrics']);

/**
 * Turns tracing on when an endpoint is given: spans of the process (the Temporal interceptors', and the HTTP server's
 * with `http`) are batched and exported by OTLP over HTTP, and the W3C trace context is propagated. Off, nothing is
 * registered and every span is a no-op.
 */
export function startTracing(options: StartTracingOptions): Tracing {
  const resource = new Resource({ [ATTR_SERVICE_NAME]: `bansou-${options.service}` });
  if (!options.endpoint) {
    return { on: false, spanProcessor: new NoopSpanProcessor(), resource, shutdown: async () => {} };
  }
  const exporter = new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/+$/, '')}/v1/traces` });
  const spanProcessor = new BatchSpanProcessor(exporter);
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  if (options.http) {
    registerInstrumentations({
      instrumentations: [
        new HttpInstrumentation({
          ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has((request.url ?? '').split('?')[0]!),
          requestHook: (span) => scrubSpanAttributes(span),
        }),
      ],
    });
    // The instrumentation patches `http` (in place, for every user) when it is next required; the server's modules
    // required it at start-up already, so it is required once more here.
    createRequire(__filename)('node:http');
  }
  options.log?.info({ endpoint: scrubText(options.endpoint) }, 'traces exported by OTLP');
  return { on: true, spanProcessor, resource, shutdown: () => provider.shutdown() };
}

/**
 * A request's URL is in its span's attributes: a check-in or sign-in link's token there would be a credential in the
 * tracing backend, an email address personal data. Both are cut out as they are from logs.
 */
function scrubSpanAttributes(span: Span): void {
  const attributes = (span as Partial<ReadableSpan>).attributes ?? {};
  for (const [key, value] of Object.entries(attributes)) {
    if (typeof value !== 'string') continue;
    const clean = scrubText(value);
    if (clean !== value) span.setAttribute(key, clean);
  }
}

/**
 * Names the HTTP server span of the request being answered by its declared route (`POST /matches/:id/actions`,
 * never the path), as the span's `http.route`. Outside a traced request it does nothing.
 */
export function nameRequestSpan(route: string): void {
  const rpc = getRPCMetadata(context.active());
  if (rpc?.type === RPCType.HTTP) rpc.route = route;
}
