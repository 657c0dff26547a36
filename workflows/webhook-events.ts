import { z } from 'zod';

/**
 * The events a program's webhook endpoints can receive (outbound webhooks), and what each carries. Written once for
 * the workflows that raise them, the activity that formats and sends them and the API that lists them. An event
 * names the match and what happened in words (Japanese and English), never the people: no names, no addresses.
 */
export const WEBHOOK_EVENTS = ['escalation.opened', 'escalation.raised', 'digest.weekly', 'match.closed'] as const;
export const ZWebhookEventName = z.enum(WEBHOOK_EVENTS);
export type WebhookEventName = z.infer<typeof ZWebhookEventName>;

export const WEBHOOK_FORMATS = ['json', 'slack', 'chatwork'] as const;
export const ZWebhookFormat = z.enum(WEBHOOK_FORMATS);
export type WebhookFormat = z.infer<typeof ZWebhookFormat>;

const ZWords = z.object({ ja: z.string(), en: z.string() });
const ZMatchRef = z.object({ id: z.string(), title: z.string() });
const ZEscalationRef = z.object({ id: z.string(), cause: z.string(), reason: ZWords, dueAt: z.string() });

export const ZWebhookEvent = z.discriminatedUnion('event', [
  z.object({
    event: z.literal('escalation.opened'),
    match: ZMatchRef,
    escalation: ZEscalationRef,
  }),
  z.object({
    event: z.literal('escalation.raised'),
    match: ZMatchRef,
    escalation: ZEscalationRef,
  }),
  z.object({
    event: z.literal('digest.weekly'),
    week: z.string(),
    counts: z.object({
      openEscalations: z.number().int(),
      overdueEscalations: z.number().int(),
      overdueTasks: z.number().int(),
      /** Concerns the risk model watches on open matches (no escalation yet). */
      watches: z.number().int(),
    }),
  }),
  z.object({
    event: z.literal('match.closed'),
    match: ZMatchRef,
    outcome: z.enum(['completed', 'ended_early', 'cancelled']),
    reason: z.string().nullable(),
  }),
]);
export type WebhookEvent = z.infer<typeof ZWebhookEvent>;

/** One event of one program to be delivered: `key` names it uniquely (raising it again delivers nothing new). */
export type RaisedWebhookEvent = { programId: string; key: string; occurredAt: string; data: WebhookEvent };

/** The patch under which the match workflow raises its events (README, "Changing the match workflow"). */
export const WEBHOOK_EVENTS_PATCH = 'webhook-events';

/** How long and how often a delivery is tried: about a day (10 s doubling, at most an hour apart), 30 tries. */
export const WEBHOOK_RETRY = { initialIntervalMs: 10_000, maximumIntervalMs: 3_600_000, maximumAttempts: 30 };
export type WebhookRetry = typeof WEBHOOK_RETRY;
