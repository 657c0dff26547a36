import { z } from 'zod';
import { createApiKey, ZCreateApiKeyRequest } from '../auth';
import type { ApiDeps } from '../deps';
import type { ApiRoutes } from '../routing';
import { ZProblem } from './schemas';

export function apiKeyRoutes(api: ApiRoutes, { db }: ApiDeps): void {
  api.add(
    {
      method: 'post',
      path: '/api-keys',
      summary: 'Create an API key (admin); the key is in this answer only',
      tag: 'access',
      access: 'administer',
      body: ZCreateApiKeyRequest,
      responses: {
        201: {
          description: 'The new key',
          schema: z.object({
            id: z.string(),
            key: z.string(),
            prefix: z.string(),
            role: z.string(),
            programIds: z.array(z.string()),
          }),
        },
        400: { description: 'Invalid fields', schema: ZProblem },
      },
    },
    async ({ body }) => {
      const created = await createApiKey(db, body);
      return {
        status: 201,
        body: { ...created, role: body.role, programIds: body.role === 'admin' ? [] : body.programIds },
      };
    },
  );

  api.add(
    {
      method: 'get',
      path: '/api-keys',
      summary: 'API keys (admin): names, roles, programs and last use; never the keys',
      tag: 'access',
      access: 'administer',
      responses: {
        200: {
          description: 'Keys',
          schema: z.object({
            items: z.array(
              z.object({
                id: z.string(),
                name: z.string(),
                prefix: z.string(),
                role: z.string(),
                programIds: z.array(z.string()),
                createdAt: z.string(),
                lastUsedAt: z.string().nullable(),
                revokedAt: z.string().nullable(),
              }),
            ),
          }),
        },
      },
    },
    async () => {
      const keys = await db.apiKey.findMany({ orderBy: { createdAt: 'asc' } });
      return {
        body: {
          items: keys.map((k) => ({
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            role: k.role,
            programIds: k.programIds,
            createdAt: k.createdAt.toISOString(),
            lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
            revokedAt: k.revokedAt?.toISOString() ?? null,
          })),
        },
      };
    },
  );
}
