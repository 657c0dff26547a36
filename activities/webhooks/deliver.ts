import { createHash } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Prisma } from '@prisma/client';
import type { ActivityDeps } from '../deps';
import { webhookDeliveryWorkflowId, type webhookDeliveryWorkflow } from '../../workflows/webhook-delivery';
import { ZWebhookEvent, type RaisedWebhookEvent, type WebhookFormat } from '../../workflows/webhook-events';
import { weeklyDigestCounts } from './digest-counts';
import { openEndpointSecret } from './endpoint-secrets';
import { webhookBody } from './formats';
import { postToReceiver, ReceiverAddressRefused } from './receiver-address';
import { SIGNATURE_HEADER, signWebhook } from './signature';

/** A delivery's id: the endpoint and the event's key, hashed (raising an event again stores nothing new). */
export const webhookDeliveryId = (endpointId: string, eventKey: string) =>
  createHash('sha256').update(`${endpointId}\n${eventKey}`).digest('hex').slice(0, 40);

/** How long one try waits for the receiver. */
const REQUEST_TIMEOUT_MS = 15_000;
/** Answers worth trying again; any other 4xx is the receiver refusing this request for good. */
const RETRYABLE_4XX = new Set([408, 409, 425, 429]);

export function createWebhookActivities({ db, keys, webhooks }: ActivityDeps) {
  const record = (id: string, data: Prisma.WebhookDeliveryUpdateInput) =>
    db.webhookDelivery.update({ where: { id }, data });

  /** Stores the event once for every endpoint of its program that takes it; returns the deliveries' ids. */
  async function queueWebhookEvent(event: RaisedWebhookEvent): Promise<string[]> {
    const data = ZWebhookEvent.parse(event.data);
    const endpoints = await db.webhookEndpoint.findMany({
      where: { programId: event.programId, removedAt: null, events: { has: data.event } },
      select: { id: true },
      orderBy: { createdAt: 'asc' },
    });
    const ids = endpoints.map((e) => webhookDeliveryId(e.id, event.key));
    await db.webhookDelivery.createMany({
      data: endpoints.map((e, i) => ({
        id: ids[i]!,
        endpointId: e.id,
        programId: event.programId,
        event: data.event,
        eventKey: event.key,
        payload: { occurredAt: event.occurredAt, data } as Prisma.InputJsonValue,
      })),
      skipDuplicates: true,
    });
    return ids;
  }

  /**
   * Stores the events' deliveries and starts a delivery workflow for each one not yet made, on this worker's task
   * queue. Idempotent: the deliveries' ids and their workflows' ids follow from the events' keys, and a delivery
   * workflow is never started twice for one id.
   */
  async function raiseWebhookEvents({ events }: { events: RaisedWebhookEvent[] }): Promise<{ deliveries: number }> {
    const { client, info } = Context.current();
    let deliveries = 0;
    for (const event of events) {
      const ids = await queueWebhookEvent(event);
      const pending = await db.webhookDelivery.findMany({
        where: { id: { in: ids }, status: 'pending' },
        select: { id: true },
      });
      for (const { id } of pending) {
        try {
          await client.workflow.start<typeof webhookDeliveryWorkflow>('webhookDeliveryWorkflow', {
            workflowId: webhookDeliveryWorkflowId(id),
            taskQueue: info.taskQueue,
            args: [{ deliveryId: id }],
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
          });
        } catch (error) {
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        }
      }
      deliveries += ids.length;
    }
    return { deliveries };
  }

  return {
    queueWebhookEvent,
    raiseWebhookEvents,

    /**
     * The weekly digest of each program that has open matches and an endpoint taking `digest.weekly`: its numbers for
     * the week starting `weekOf`, raised once per program and week.
     */
    async raiseWeeklyDigestEvents({ weekOf }: { weekOf: string }): Promise<{ deliveries: number }> {
      const occurredAt = new Date().toISOString();
      const counts = await weeklyDigestCounts(db, new Date(occurredAt));
      return raiseWebhookEvents({
        events: counts.map(({ programId, ...numbers }) => ({
          programId,
          key: `digest:${programId}:${weekOf}`,
          occurredAt,
          data: { event: 'digest.weekly', week: weekOf, counts: numbers },
        })),
      });
    },

    /**
     * Posts one delivery to its endpoint, signed; records the try (attempts, the answer's status). A 2xx delivers it;
     * a 5xx, a 408/429 or no answer is thrown to be retried with backoff; another 4xx, or the last try, fails it.
     */
    async deliverWebhook({ deliveryId, maximumAttempts }: { deliveryId: string; maximumAttempts: number }) {
      const delivery = await db.webhookDelivery.findUniqueOrThrow({ where: { id: deliveryId } });
      if (delivery.status !== 'pending') return;
      const endpoint = await db.webhookEndpoint.findUniqueOrThrow({ where: { id: delivery.endpointId } });
      if (endpoint.removedAt) {
        await record(deliveryId, { status: 'failed', lastError: 'the endpoint was removed' });
        return;
      }
      const program = await db.program.findUniqueOrThrow({ where: { id: delivery.programId }, select: { name: true } });
      const payload = delivery.payload as { occurredAt: string; data: unknown };
      const { body, contentType } = webhookBody(
        endpoint.format as WebhookFormat,
        {
          id: delivery.id,
          occurredAt: payload.occurredAt,
          programId: delivery.programId,
          data: ZWebhookEvent.parse(payload.data),
        },
        program.name,
      );
      const attempt = Context.current().info.attempt;
      const last = attempt >= maximumAttempts;
      let status: number | undefined;
      let problem: string | undefined;
      let refusedAddress: string | undefined;
      try {
        // A secret (or a Slack URL) sealed with a key no longer listed is this try's problem, recorded and retried
        // like no answer. The error names the key, never the value.
        const opened = (what: string, stored: string) => {
          try {
            return openEndpointSecret(keys, stored);
          } catch (error) {
            throw new Error(`the endpoint's ${what} does not open: it is ${(error as Error).message}`, {
              cause: error,
            });
          }
        };
        const secret = (stored: string) => opened('secret', stored);
        status = await postToReceiver(opened('URL', endpoint.url), {
          headers: {
            'content-type': contentType,
            'user-agent': 'bansou-webhooks',
            'bansou-event': delivery.event,
            'bansou-delivery': delivery.id,
            [SIGNATURE_HEADER]: signWebhook(secret(endpoint.signingSecret), body, new Date()),
            ...(endpoint.format === 'chatwork' && endpoint.chatworkToken
              ? { 'x-chatworktoken': secret(endpoint.chatworkToken) }
              : {}),
          },
          body,
          timeoutMs: REQUEST_TIMEOUT_MS,
          allowLoopback: webhooks?.allowLoopback ?? false,
        });
      } catch (error) {
        if (error instanceof ReceiverAddressRefused) refusedAddress = error.reason;
        problem = error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 300) : 'no answer';
      }
      const ok = status !== undefined && status >= 200 && status < 300;
      // An address refused (not public) is refused for good, like a 4xx: trying again would reach the same address.
      const refused =
        refusedAddress !== undefined ||
        (status !== undefined && status >= 300 && status < 500 && !RETRYABLE_4XX.has(status));
      const failed = !ok && (refused || last);
      await record(deliveryId, {
        attempts: { increment: 1 },
        attemptedAt: new Date(),
        lastStatusCode: status ?? null,
        lastError: ok ? null : (problem ?? `HTTP ${status}`),
        ...(ok ? { status: 'delivered', deliveredAt: new Date() } : failed ? { status: 'failed' } : {}),
      });
      if (ok) return;
      const message = refusedAddress
        ? `not posted: ${refusedAddress}`
        : `the receiver answered ${problem ?? `HTTP ${status}`}`;
      if (failed) throw ApplicationFailure.nonRetryable(message, 'WEBHOOK_FAILED');
      throw ApplicationFailure.retryable(message, 'WEBHOOK_NOT_DELIVERED');
    },

    /** Marks a delivery failed (every try used), unless it was delivered. */
    async markWebhookFailed({ deliveryId, reason }: { deliveryId: string; reason: string }): Promise<void> {
      await db.webhookDelivery.updateMany({
        where: { id: deliveryId, status: 'pending' },
        data: { status: 'failed', lastError: reason.slice(0, 300) },
      });
    },
  };
}
