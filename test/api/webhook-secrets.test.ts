import { randomBytes } from 'node:crypto';
import { createWebhookActivities, webhookDeliveryId } from '../../activities/webhooks/deliver';
import { openEndpointSecret, sealEndpointSecrets } from '../../activities/webhooks/endpoint-secrets';
import { SIGNATURE_HEADER, verifyWebhook } from '../../activities/webhooks/signature';
import type { ActivityDeps } from '../../activities';
import { KeyRing } from '../../config/key-ring';
import { webhookDeliveryWorkflow, webhookDeliveryWorkflowId } from '../../workflows/webhook-delivery';
import type { RaisedWebhookEvent } from '../../workflows/webhook-events';
import { captureLog } from '../support/logs';
import { createDevStack, type DevStack } from '../support/stack';
import { testKeyRing, testKeys } from '../support/temporal';
import { receiver } from '../support/webhook-receiver';

const QUICK_RETRY = { initialIntervalMs: 100, maximumIntervalMs: 200, maximumAttempts: 2 };

describe("webhook endpoints' secrets: sealed at rest with the payload keys, shown once (real Postgres, Temporal, receivers)", () => {
  let stack: DevStack;
  let hook: Awaited<ReturnType<typeof receiver>>;
  let n = 0;
  beforeAll(async () => {
    [stack, hook] = await Promise.all([createDevStack(), receiver()]);
  });
  afterAll(async () => {
    await hook?.close();
    await stack?.close();
  });

  /** Raises one escalation event for the program and delivers it to every endpoint that takes it; their outcomes. */
  async function deliverAnEvent(endpointIds: string[]): Promise<string[]> {
    n += 1;
    const event: RaisedWebhookEvent = {
      programId: stack.programId,
      key: `match:${stack.programId}:${n}:escalation:e1:opened`,
      occurredAt: '2026-12-01T00:30:00.000Z',
      data: {
        event: 'escalation.opened',
        match: { id: `${stack.programId}:${n}`, title: '販路開拓' },
        escalation: {
          id: 'e1',
          cause: 'silence',
          reason: { ja: '回答なし', en: 'No answer' },
          dueAt: '2026-12-04T00:00:00.000Z',
        },
      },
    };
    await createWebhookActivities({ db: stack.database.db } as ActivityDeps).queueWebhookEvent(event);
    return Promise.all(
      endpointIds.map((id) => {
        const deliveryId = webhookDeliveryId(id, event.key);
        return stack.env.client.workflow.execute(webhookDeliveryWorkflow, {
          workflowId: webhookDeliveryWorkflowId(deliveryId),
          taskQueue: stack.deps.taskQueue,
          args: [{ deliveryId, retry: QUICK_RETRY }],
        });
      }),
    );
  }

  it('made through the API: stored sealed, never answered again (list, removal, log), and deliveries signed with it', async () => {
    const base = `/programs/${stack.programId}/webhooks`;
    const events = ['escalation.opened'];
    const json = await stack.api.request('POST', base, { url: hook.url, events });
    const chatwork = await stack.api.request('POST', base, {
      url: hook.url,
      format: 'chatwork',
      events,
      chatworkToken: 'cw-token-sealed-0123',
    });
    expect([json.status, chatwork.status]).toEqual([201, 201]);
    const secret = json.body.signingSecret as string;
    expect(secret).toMatch(/^whsec_/);

    const rows = await stack.database.db.webhookEndpoint.findMany({
      where: { id: { in: [json.body.webhook.id, chatwork.body.webhook.id] } },
      orderBy: { createdAt: 'asc' },
    });
    for (const row of rows) {
      expect(row.signingSecret).toMatch(/^sealed:test-2026:/);
      expect(row.signingSecret).not.toContain(secret);
    }
    expect(rows[1]!.chatworkToken).toMatch(/^sealed:test-2026:/);
    expect(rows[1]!.chatworkToken).not.toContain('cw-token');

    const before = hook.received.length;
    expect(await deliverAnEvent([json.body.webhook.id, chatwork.body.webhook.id])).toEqual(['delivered', 'delivered']);
    const got = hook.received.slice(before);
    const signed = got.find((r) => r.headers['content-type']?.startsWith('application/json'))!;
    expect(verifyWebhook(secret, signed.headers[SIGNATURE_HEADER.toLowerCase()] as string, signed.body)).toBe(true);
    expect(got.find((r) => r.headers['x-chatworktoken'])!.headers['x-chatworktoken']).toBe('cw-token-sealed-0123');

    // After creation no answer carries a secret: not the list, not a removal, not the delivery log.
    const answers = [
      await stack.api.request('GET', base),
      await stack.api.request('GET', `${base}/deliveries`),
      await stack.api.request('POST', `${base}/${chatwork.body.webhook.id}/remove`),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    for (const { text } of answers) {
      for (const leaked of [secret, 'cw-token', 'sealed:', 'signingSecret', 'chatworkToken']) {
        expect(text).not.toContain(leaked);
      }
    }
  }, 60_000);

  it('stored in clear before: sealed at start, still signing; a rotation seals them again; a key gone is named in the log', async () => {
    const { db } = stack.database;
    const clear = `whsec_${randomBytes(32).toString('base64url')}`;
    const retiredKey = { id: 'retired-2025', key: randomBytes(32) };
    const [old, lost] = await Promise.all([
      // As the release before stored them.
      db.webhookEndpoint.create({
        data: {
          programId: stack.programId,
          url: hook.url,
          format: 'json',
          events: ['escalation.opened'],
          signingSecret: clear,
        },
      }),
      db.webhookEndpoint.create({
        data: {
          programId: stack.programId,
          url: hook.url,
          format: 'json',
          events: ['match.closed'],
          signingSecret: new KeyRing([retiredKey]).sealText('whsec_under-a-key-gone'),
        },
      }),
    ]);
    const stored = async (id: string) => (await db.webhookEndpoint.findUniqueOrThrow({ where: { id } })).signingSecret;

    // The start-up migration: the clear one is sealed with the current key; the one whose key is gone is left, logged.
    const captured = captureLog('api');
    expect(await sealEndpointSecrets(db, testKeyRing(), captured.log)).toBeGreaterThanOrEqual(1);
    expect(await stored(old.id)).toMatch(/^sealed:test-2026:/);
    expect(await stored(lost.id)).toMatch(/^sealed:retired-2025:/);
    expect(captured.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        endpointId: lost.id,
        problem: 'sealed with key "retired-2025", which is not configured',
      }),
    );
    expect(captured.raw.join('\n')).not.toContain('whsec_');
    // Run again (another process starting): nothing left to seal but what cannot be.
    const again = await sealEndpointSecrets(db, testKeyRing());
    expect(again).toBe(0);

    const before = hook.received.length;
    expect(await deliverAnEvent([old.id])).toEqual(['delivered']);
    const got = hook.received[before]!;
    expect(verifyWebhook(clear, got.headers[SIGNATURE_HEADER.toLowerCase()] as string, got.body)).toBe(true);

    // A delivery to the endpoint whose key is gone fails saying so, without the secret.
    const event: RaisedWebhookEvent = {
      programId: stack.programId,
      key: `match:${stack.programId}:lost:closed`,
      occurredAt: '2026-12-01T00:30:00.000Z',
      data: {
        event: 'match.closed',
        match: { id: `${stack.programId}:lost`, title: '販路開拓' },
        outcome: 'completed',
        reason: null,
      },
    };
    await createWebhookActivities({ db } as ActivityDeps).queueWebhookEvent(event);
    const deliveryId = webhookDeliveryId(lost.id, event.key);
    const outcome = await stack.env.client.workflow.execute(webhookDeliveryWorkflow, {
      workflowId: webhookDeliveryWorkflowId(deliveryId),
      taskQueue: stack.deps.taskQueue,
      args: [{ deliveryId, retry: QUICK_RETRY }],
    });
    const delivery = await db.webhookDelivery.findUniqueOrThrow({ where: { id: deliveryId } });
    expect([outcome, delivery.status]).toEqual(['failed', 'failed']);
    expect(delivery.lastError).toMatch(
      /secret does not open: it is sealed with key "retired-2025", which is not configured/,
    );
    expect(delivery.lastError).not.toContain('whsec_');

    // Rotated (the new key first, the old kept): the next start seals every secret with the new key, so the old key
    // is needed no more for them.
    const newKey = { id: 'rotated-2027', key: randomBytes(32) };
    const rotated = new KeyRing([newKey, ...testKeys()]);
    await sealEndpointSecrets(db, rotated);
    expect(await stored(old.id)).toMatch(/^sealed:rotated-2027:/);
    expect(openEndpointSecret(new KeyRing([newKey]), await stored(old.id))).toBe(clear);
  }, 90_000);
});
