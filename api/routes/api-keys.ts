import { z } from 'zod';
import { createApiKey, listApiKeys, revokeApiKey, ZApiKeyView, ZCreateApiKeyRequest, type ApiKeys } from '../auth';
import type { ApiDeps } from '../deps';
import type { ApiRoutes } from '../routing';
import { ZText } from '../../workflows/text';
import { ZProblem } from './schemas';

export function apiKeyRoutes(api: ApiRoutes, { db }: ApiDeps, keys: ApiKeys): void {
  api.add(
    {
      method: 'post',
      path: '/api-keys',
      summary: 'Create an API key (admin); the key is in this answer only',
      tag: 'access',
      access: 'administer',
      body: ZCreateApiKeyRequest,
      beyondSchema: 'each program exists; a program manager or coordinator key names at least one',
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
      responses: { 200: { description: 'Keys, oldest first', schema: z.object({ items: z.array(ZApiKeyView) }) } },
    },
    async () => ({ body: { items: await listApiKeys(db) } }),
  );

  api.add(
    {
      method: 'post',
      path: '/api-keys/:id/revoke',
      summary:
        'Revoke an API key (admin): from the next request on it answers 401 (within API_KEY_CACHE_SECONDS on other API processes); revoking twice changes nothing',
      tag: 'access',
      access: 'administer',
      params: z.object({ id: ZText.token({ max: 64 }).describe('the key id, or its prefix (bsk_…)') }),
      responses: {
        200: { description: 'The revoked key', schema: ZApiKeyView },
        404: { description: 'No such key', schema: ZProblem },
        409: { description: 'The key making the request cannot revoke itself', schema: ZProblem },
      },
    },
    async ({ params, principal }) => {
      const revoked = await revokeApiKey(db, params.id, principal.kind === 'api_key' ? principal.id : undefined);
      keys.forget(revoked.id);
      return { body: revoked };
    },
  );
}
