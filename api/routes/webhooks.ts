import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ZWebhookEventName, ZWebhookFormat } from '../../workflows/webhook-events';
import { ZText } from '../../workflows/text';
import { openEndpointSecret, storedEndpointUrl, urlIsSecret } from '../../activities/webhooks/endpoint-secrets';
import { literalAddressProblem } from '../../activities/webhooks/receiver-address';
import type { KeyRing } from '../../config/key-ring';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import type { ApiRoutes } from '../routing';
import { programInScope } from '../services/scope';
import { ZProgramId } from './programs';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** An endpoint's URL: HTTPS; plain HTTP only to loopback, and only where the API is configured to allow it. */
export function webhookUrlProblem(url: string, loopbackHttp: boolean): string | undefined {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (!parsed || !/^https?:$/.test(parsed.protocol)) return 'must be an https:// URL';
  if (parsed.username || parsed.password) return 'must not carry a user name or password';
  if (parsed.protocol === 'http:' && !(loopbackHttp && LOOPBACK_HOSTS.has(parsed.hostname)))
    return 'must be https:// (plain http:// only to a loopback address, when WEBHOOK_ALLOW_LOOPBACK_HTTP is set)';
  // An address written in the URL is checked now; a name is checked at each delivery, on the address it resolves to.
  const problem = literalAddressProblem(parsed, loopbackHttp);
  if (problem) return `must be a public address: ${problem}`;
  return undefined;
}

export const ZCreateWebhookRequest = z.object({
  url: ZText.token({ max: 2000 }).describe('where the events are posted: https://…'),
  format: ZWebhookFormat.default('json').describe(
    'json: bansou\'s own, signed; slack: a Slack incoming webhook URL; chatwork: a room\'s "post a message" URL',
  ),
  events: z.array(ZWebhookEventName).min(1).max(10),
  chatworkToken: ZText.token({ max: 200 }).optional().describe('the Chatwork API token (format chatwork)'),
});

const ZWebhookView = z.object({
  id: z.string(),
  url: z.string(),
  format: ZWebhookFormat,
  events: z.array(ZWebhookEventName),
  createdAt: z.string(),
});
const ZDeliveryView = z.object({
  id: z.string(),
  endpointId: z.string(),
  event: ZWebhookEventName,
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  attemptedAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
});
const ZProgramParams = z.object({ id: ZProgramId });
const ZWebhookParams = ZProgramParams.extend({ webhookId: z.uuid() });
const ZDeliveriesQuery = z.object({
  status: z.enum(['pending', 'delivered', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

type StoredEndpoint = { id: string; url: string; format: string; events: string[]; createdAt: Date };

/** A Slack incoming webhook's URL is its credential, stored sealed: shown by its origin only (nothing of it when its
 * key is no longer listed; its deliveries say why). */
function shownUrl(keys: KeyRing, e: StoredEndpoint): string {
  if (!urlIsSecret(e.format)) return e.url;
  try {
    return `${new URL(openEndpointSecret(keys, e.url)).origin}/…`;
  } catch {
    return '…';
  }
}

const webhookView = (keys: KeyRing) => (e: StoredEndpoint) =>
  ZWebhookView.parse({ ...e, url: shownUrl(keys, e), createdAt: e.createdAt.toISOString() });
const iso = (d: Date | null) => d?.toISOString() ?? null;

/**
 * A program's outbound webhooks: endpoints (admin and the program's managers) and the log of deliveries. The signing
 * secret is shown once, when an endpoint is made, and kept sealed (as is a Chatwork token, never shown); a Slack URL
 * is a credential too, kept sealed and shown by its origin only.
 */
export function webhookRoutes(api: ApiRoutes, deps: ApiDeps): void {
  const { db } = deps;
  const view = webhookView(deps.keys);
  api.add(
    {
      method: 'post',
      path: '/programs/:id/webhooks',
      summary: "Add a webhook endpoint to a program (admin, the program's managers)",
      tag: 'webhooks',
      access: 'manage_webhooks',
      params: ZProgramParams,
      body: ZCreateWebhookRequest,
      beyondSchema: 'the URL is https:// (http:// to loopback only when allowed); chatwork needs chatworkToken',
      responses: {
        201: {
          description: 'Made; `signingSecret` (shown only now) verifies the Bansou-Signature header',
          schema: z.object({ webhook: ZWebhookView, signingSecret: z.string() }),
        },
      },
    },
    async ({ params, body, principal }) => {
      await programInScope(db, principal, params.id, 'manage_webhooks');
      const problems = [
        ...[webhookUrlProblem(body.url, deps.webhookLoopbackHttp ?? false)]
          .filter((m): m is string => m !== undefined)
          .map((message) => ({ field: 'url', message })),
        ...(body.format === 'chatwork' && !body.chatworkToken
          ? [{ field: 'chatworkToken', message: 'is required for the chatwork format' }]
          : []),
      ];
      if (problems.length) {
        throw new AppError('validation_failed', `The body has ${problems.length} invalid field(s).`, problems);
      }
      const signingSecret = `whsec_${randomBytes(32).toString('base64url')}`;
      const created = await db.webhookEndpoint.create({
        data: {
          programId: params.id,
          // A Slack URL is sealed like the secrets (activities/webhooks/endpoint-secrets.ts); others are kept as given.
          url: storedEndpointUrl(deps.keys, body.format, body.url),
          format: body.format,
          events: [...new Set(body.events)],
          // Sealed at rest (activities/webhooks/endpoint-secrets.ts); shown in clear once, in this answer.
          signingSecret: deps.keys.sealText(signingSecret),
          chatworkToken: body.chatworkToken ? deps.keys.sealText(body.chatworkToken) : null,
        },
      });
      return { status: 201, body: { webhook: view(created), signingSecret } };
    },
  );

  api.add(
    {
      method: 'get',
      path: '/programs/:id/webhooks',
      summary: "A program's webhook endpoints",
      tag: 'webhooks',
      access: 'manage_webhooks',
      params: ZProgramParams,
      responses: {
        200: { description: 'The endpoints in use', schema: z.object({ webhooks: z.array(ZWebhookView) }) },
      },
    },
    async ({ params, principal }) => {
      await programInScope(db, principal, params.id, 'manage_webhooks');
      const rows = await db.webhookEndpoint.findMany({
        where: { programId: params.id, removedAt: null },
        orderBy: { createdAt: 'asc' },
      });
      return { body: { webhooks: rows.map(view) } };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/programs/:id/webhooks/:webhookId/remove',
      summary: 'Remove a webhook endpoint (its deliveries not yet made fail; the log stays)',
      tag: 'webhooks',
      access: 'manage_webhooks',
      params: ZWebhookParams,
      bodyOptional: true,
      body: z.object({}),
      responses: { 200: { description: 'Removed', schema: z.object({ webhook: ZWebhookView }) } },
    },
    async ({ params, principal }) => {
      await programInScope(db, principal, params.id, 'manage_webhooks');
      const found = await db.webhookEndpoint.findFirst({ where: { id: params.webhookId, programId: params.id } });
      if (!found) throw new AppError('not_found', `No webhook endpoint "${params.webhookId}" in this program.`);
      const removed = found.removedAt
        ? found
        : await db.webhookEndpoint.update({ where: { id: found.id }, data: { removedAt: new Date() } });
      return { body: { webhook: view(removed) } };
    },
  );

  api.add(
    {
      method: 'get',
      path: '/programs/:id/webhooks/deliveries',
      summary: "The delivery log of a program's webhooks, newest first: status, tries, the receiver's last answer",
      tag: 'webhooks',
      access: 'manage_webhooks',
      params: ZProgramParams,
      query: ZDeliveriesQuery,
      responses: {
        200: { description: 'The latest deliveries', schema: z.object({ deliveries: z.array(ZDeliveryView) }) },
      },
    },
    async ({ params, query, principal }) => {
      await programInScope(db, principal, params.id, 'manage_webhooks');
      const rows = await db.webhookDelivery.findMany({
        where: { programId: params.id, ...(query.status ? { status: query.status } : {}) },
        orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
        take: query.limit,
      });
      return {
        body: {
          deliveries: rows.map((r) =>
            ZDeliveryView.parse({
              ...r,
              createdAt: r.createdAt.toISOString(),
              attemptedAt: iso(r.attemptedAt),
              deliveredAt: iso(r.deliveredAt),
            }),
          ),
        },
      };
    },
  );
}
