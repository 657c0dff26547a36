import type { ApiDeps } from '../deps';
import { ERROR_CODES } from '../errors';
import { buildOpenApi, type ExtraRoute } from '../openapi';
import { renderPage } from '../pages/render';
import type { ApiRoutes } from '../routing';
import { z } from 'zod';

type Operation = {
  operationId: string;
  summary: string;
  tags: string[];
  'x-bansou-access': string;
  parameters: { name: string; required: boolean }[];
  responses: Record<string, unknown>;
};

/** GET /openapi.json (OpenAPI 3.1 from the zod schemas) and GET /docs (the same, readable). Registered last. */
export function metaRoutes(api: ApiRoutes, deps: ApiDeps, extra: ExtraRoute[]): void {
  const spec = () => buildOpenApi(api.defs, extra, deps.links.publicBaseUrl);

  api.add(
    {
      method: 'get',
      path: '/openapi.json',
      summary: 'This API, as an OpenAPI 3.1 document',
      tag: 'meta',
      access: 'public',
      responses: { 200: { description: 'The document', schema: z.object({ openapi: z.literal('3.1.0') }).loose() } },
    },
    async () => ({ body: spec() }),
  );

  api.add(
    {
      method: 'get',
      path: '/docs',
      summary: 'This API, readable: endpoints, access and problem codes',
      tag: 'meta',
      access: 'public',
      responses: { 200: { description: 'HTML', contentType: 'text/html' } },
    },
    async ({ res }) => {
      const document = spec() as { info: unknown; paths: Record<string, Record<string, Operation>> };
      const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, op]) => ({
          method,
          path,
          operationId: op.operationId,
          summary: op.summary,
          tag: op.tags[0] ?? 'other',
          access: op['x-bansou-access'],
          parameters: op.parameters,
          statuses: Object.keys(op.responses),
        })),
      );
      const tags = [...new Set(operations.map((o) => o.tag))];
      renderPage(res, 200, 'docs', 'en', {
        spec: document,
        groups: tags.map((tag) => ({ tag, operations: operations.filter((o) => o.tag === tag) })),
        problems: Object.entries(ERROR_CODES).map(([code, { status, title }]) => ({ code, status, title })),
      });
    },
  );
}
