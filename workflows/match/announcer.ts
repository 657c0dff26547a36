/**
 * The announcer, the third single writer: it hands the webhook events the match raises (escalations, the close) to
 * their deliveries, one workflow per endpoint (`webhookDeliveryWorkflow`). It waits only for the deliveries to be
 * stored and started, never for a receiver: a receiver down changes nothing for the match.
 */
import { condition, isCancellation, log, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { EscalationState, MatchState } from '../shared';
import type { WebhookEvent } from '../webhook-events';
import type { MatchContext } from './context';

const { raiseWebhookEvents } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 20 },
});

const OUTCOME_OF = { completed: 'completed', terminated_early: 'ended_early', cancelled: 'cancelled' } as const;

/**
 * An escalation of a match as an event: opened (or opened again after a snooze: `opening` tells them apart) or raised
 * to the program managers. Its key names the match, the escalation and what happened, so raising it again sends
 * nothing new.
 */
export function escalationEvent(
  state: MatchState,
  e: EscalationState,
  event: 'escalation.opened' | 'escalation.raised',
  opening = 'opened',
): { key: string; data: WebhookEvent } {
  const reasons = e.reasons.join(' / ');
  return {
    key: `${state.matchId}/escalation/${e.id}/${event === 'escalation.raised' ? 'raised' : opening}`,
    data: {
      event,
      match: { id: state.matchId, title: state.match.title },
      escalation: { id: e.id, cause: e.type, reason: e.reason ?? { ja: reasons, en: reasons }, dueAt: e.dueAt },
    },
  };
}

/** The close of a match as an event (its outcome and reason; the coordinator's note stays in bansou). */
export function matchClosedEvent(state: MatchState): { key: string; data: WebhookEvent } {
  const { outcome } = state;
  return {
    key: `${state.matchId}/closed`,
    data: {
      event: 'match.closed',
      match: { id: state.matchId, title: state.match.title },
      outcome: OUTCOME_OF[outcome!.status],
      reason: outcome?.reason ?? null,
    },
  };
}

/** Hands over whatever was raised, for as long as the run lasts; a failed hand-over is tried again ten minutes later. */
export async function announcer(ctx: MatchContext): Promise<void> {
  for (;;) {
    await condition(() => ctx.webhooks.length > 0);
    const raised = ctx.webhooks.slice();
    ctx.activitiesInFlight += 1;
    let failed = false;
    try {
      await raiseWebhookEvents({ events: raised });
      ctx.webhooks.splice(0, raised.length);
    } catch (error) {
      if (isCancellation(error)) throw error;
      log.warn('webhook events not handed to their deliveries; retrying later', { error: String(error) });
      failed = true;
    } finally {
      ctx.activitiesInFlight -= 1;
    }
    if (failed) await condition(() => false, '10 minutes');
  }
}
