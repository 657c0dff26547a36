import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { WEBHOOK_RETRY, type WebhookRetry } from './webhook-events';

/** The workflow id of one delivery: one per delivery id, so starting it again starts nothing new. */
export const webhookDeliveryWorkflowId = (deliveryId: string) => `webhook:${deliveryId}`;

/**
 * Delivers one webhook event to one endpoint: the activity posts it, retried with backoff (a receiver down, a 5xx, a
 * 429) up to the bound; the last failed try marks the delivery failed. A workflow of its own, so no match ever waits
 * on a receiver.
 */
export async function webhookDeliveryWorkflow({
  deliveryId,
  retry = WEBHOOK_RETRY,
}: {
  deliveryId: string;
  retry?: WebhookRetry;
}): Promise<'delivered' | 'failed'> {
  const { deliverWebhook, markWebhookFailed } = proxyActivities<Activities>({
    startToCloseTimeout: '1 minute',
    retry: {
      initialInterval: retry.initialIntervalMs,
      backoffCoefficient: 2,
      maximumInterval: retry.maximumIntervalMs,
      maximumAttempts: retry.maximumAttempts,
    },
  });
  try {
    await deliverWebhook({ deliveryId, maximumAttempts: retry.maximumAttempts });
    return 'delivered';
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    // Refused for good, or every try used (the last one may have timed out before it could say so).
    await markWebhookFailed({ deliveryId, reason: error.cause?.message ?? error.message });
    return 'failed';
  }
}
