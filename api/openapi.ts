import { z } from 'zod';
import { takesIdempotencyKey, type ResponseSpec, type RouteDef } from './routing';
import { ERROR_CODES } from './errors';
import { IDEMPOTENCY_HEADER, ZIdempotencyKey } from './idempotency';

type AnyRouteDef = RouteDef<z.ZodType, z.ZodType, z.ZodType>;

/** A route outside ApiRoutes (the HTML pages), described for the spec. */
export type ExtraRoute = {
  method: 'get' | 'post';
  path: string;
  summary: string;
  tag: string;
  responses: Record<number, string>;
};

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  const shape = (schema as unknown as { shape?: Record<string, z.ZodType> }).shape ?? {};
  return Object.entries(shape).map(([name, field]) => {
    const { description, ...fieldSchema } = jsonSchema(field, 'input');
    return {
      name,
      in: where,
      required: where === 'path' || !field.safeParse(undefined).success,
      ...(description ? { description } : {}),
      // A list in the query is comma-separated (`status=open,paused`); repeating the name works too.
      ...(fieldSchema.type === 'array' ? { style: 'form', explode: false } : {}),
      schema: fieldSchema,
    };
  });
}

/** The `Idempotency-Key` header every keyed POST takes. */
function idempotencyParameter() {
  const { description, ...schema } = jsonSchema(ZIdempotencyKey, 'input');
  return { name: IDEMPOTENCY_HEADER, in: 'header', required: false, description, schema };
}

const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

/** The OpenAPI 3.1 document, generated from the routes' zod schemas. */
export function buildOpenApi(defs: AnyRouteDef[], extra: ExtraRoute[], serverUrl: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const def of defs) {
    const operation: Record<string, unknown> = {
      operationId: `${def.method}${openApiPath(def.path)
        .replace(/[{}]/g, '')
        .replace(/[/-](\w)/g, (_, c: string) => c.toUpperCase())}`,
      summary: def.summary,
      tags: [def.tag],
      'x-bansou-access': def.access,
      security: def.access === 'public' ? [] : [{ apiKey: [] }],
      parameters: [
        ...parameters(def.params, 'path'),
        ...parameters(def.query, 'query'),
        ...(takesIdempotencyKey(def) ? [idempotencyParameter()] : []),
      ],
      responses: Object.fromEntries(
        Object.entries<ResponseSpec>(def.responses).map(([status, spec]) => {
          const contentType =
            spec.contentType ?? (Number(status) >= 400 ? 'application/problem+json' : 'application/json');
          const schema = spec.schema ?? (Number(status) >= 400 ? z.object({}).loose() : undefined);
          return [
            status,
            {
              description: spec.description,
              ...(schema
                ? {
                    content: {
                      [contentType]: {
                        schema:
                          Number(status) >= 400
                            ? { $ref: '#/components/schemas/Problem' }
                            : jsonSchema(schema, 'output'),
                      },
                    },
                  }
                : {}),
            },
          ];
        }),
      ),
    };
    if (def.body) {
      operation.requestBody = {
        required: !def.bodyOptional,
        content: {
          [def.bodyContentType ?? 'application/json']: {
            schema: def.bodyContentType ? { type: 'string' } : jsonSchema(def.body, 'input'),
          },
        },
      };
    }
    (paths[openApiPath(def.path)] ??= {})[def.method] = operation;
  }
  for (const route of extra) {
    (paths[openApiPath(route.path)] ??= {})[route.method] = {
      operationId: `${route.method}${openApiPath(route.path)
        .replace(/[{}]/g, '')
        .replace(/[/-](\w)/g, (_, c: string) => c.toUpperCase())}`,
      summary: route.summary,
      tags: [route.tag],
      'x-bansou-access': 'public',
      security: [],
      parameters: [...openApiPath(route.path).matchAll(/\{(\w+)\}/g)].map((m) => ({
        name: m[1],
        in: 'path',
        required: true,
        schema: { type: 'string' },
      })),
      responses: Object.fromEntries(
        Object.entries(route.responses).map(([status, description]) => [
          status,
          // A redirect carries no page of its own.
          /^3/.test(status)
            ? { description }
            : { description, content: { 'text/html': { schema: { type: 'string' } } } },
        ]),
      ),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'bansou API',
      version: '1.0.0',
      description:
        'Post-match support for side-job and pro-bono matching programs: matches, their health and escalations, program KPIs, coordinator actions. Errors are RFC 9457 problem documents.',
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: Authorization: Bearer bsk_…' },
      },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'detail', 'instance'],
          properties: {
            type: {
              type: 'string',
              description: 'a link into /docs for the problem code',
              enum: Object.keys(ERROR_CODES).map((c) => `/docs#problem-${c}`),
            },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                properties: { field: { type: 'string' }, message: { type: 'string' } },
                required: ['field', 'message'],
              },
            },
            requestId: { type: 'string' },
          },
        },
      },
    },
    paths,
  };
}
