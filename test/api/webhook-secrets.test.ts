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
/** The path of a Slack incoming webhook's URL: its credential (here on the loopback receiver). */
const SLACK_PATH = '/services/T0TEST/B0TEST/slack-url-secret-0123';

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

  /** Stores the event's deliveries and runs the delivery workflows of these endpoints; their outcomes. */
  async function deliver(event: RaisedWebhookEvent, endpointIds: string[]): Promise<string[]> {
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

  /** Raises one escalation event for the program and delivers it to these endpoints; their outcomes. */
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
    return deliver(event, endpointIds);
  }

  it('made through the API: stored sealed (a Slack URL too), never answered again (list, removal, log), and deliveries signed with it and posted to the URL', async () => {
    const base = `/programs/${stack.programId}/webhooks`;
    const events = ['escalation.opened'];
    const json = await stack.api.request('POST', base, { url: hook.url, events });
    const chatwork = await stack.api.request('POST', base, {
      url: hook.url,
      format: 'chatwork',
      events,
      chatworkToken: 'cw-token-sealed-0123',
    });
    const slackUrl = `${new URL(hook.url).origin}${SLACK_PATH}`;
    const slack = await stack.api.request('POST', base, { url: slackUrl, format: 'slack', events });
    expect([json.status, chatwork.status, slack.status]).toEqual([201, 201, 201]);
    // Shown by its origin only, when made as after.
    expect(slack.body.webhook.url).toBe(`${new URL(hook.url).origin}/…`);
    const secret = json.body.signingSecret as string;
    expect(secret).toMatch(/^whsec_/);

    const ids = [json.body.webhook.id, chatwork.body.webhook.id, slack.body.webhook.id] as string[];
    const rows = await stack.database.db.webhookEndpoint.findMany({ where: { id: { in: ids } } });
    rows.sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id));
    for (const row of rows) {
      expect(row.signingSecret).toMatch(/^sealed:test-2026:/);
      expect(row.signingSecret).not.toContain(secret);
    }
    expect(rows[1]!.chatworkToken).toMatch(/^sealed:test-2026:/);
    expect(rows[1]!.chatworkToken).not.toContain('cw-token');
    // The Slack URL is sealed text, not the URL; a JSON or Chatwork URL is no credential, kept as given.
    expect(rows[2]!.url).toMatch(/^sealed:test-2026:/);
    expect(rows[2]!.url).not.toContain('slack-url-secret');
    expect([rows[0]!.url, rows[1]!.url]).toEqual([hook.url, hook.url]);

    const before = hook.received.length;
    expect(await deliverAnEvent(ids)).toEqual(['delivered', 'delivered', 'delivered']);
    const got = hook.received.slice(before);
    expect(got.map((r) => r.path).sort()).toEqual(['/hook', '/hook', SLACK_PATH]);
    expect(JSON.parse(got.find((r) => r.path === SLACK_PATH)!.body).text).toContain('販路開拓');
    const signed = got.find((r) => r.path === '/hook' && r.headers['content-type']?.startsWith('application/json'))!;
    expect(verifyWebhook(secret, signed.headers[SIGNATURE_HEADER.toLowerCase()] as string, signed.body)).toBe(true);
    expect(got.find((r) => r.headers['x-chatworktoken'])!.headers['x-chatworktoken']).toBe('cw-token-sealed-0123');

    // After creation no answer carries a secret: not the list, not a removal, not the delivery log.
    const answers = [
      await stack.api.request('GET', base),
      await stack.api.request('GET', `${base}/deliveries`),
      await stack.api.request('POST', `${base}/${chatwork.body.webhook.id}/remove`),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers[0]!.body.webhooks).toContainEqual(
      expect.objectContaining({ id: slack.body.webhook.id, url: `${new URL(hook.url).origin}/…` }),
    );
    for (const { text } of answers) {
      for (const leaked of [secret, 'cw-token', 'sealed:', 'signingSecret', 'chatworkToken', 'slack-url-secret']) {
        expect(text).not.toContain(leaked);
      }
    }
  }, 60_000);

  it('stored in clear before: sealed at start, still signing and posting; a rotation seals them again; a key gone is named in the log', async () => {
    const { db } = stack.database;
    const clear = `whsec_${randomBytes(32).toString('base64url')}`;
    const slackUrl = `${new URL(hook.url).origin}${SLACK_PATH}`;
    const retiredKey = { id: 'retired-2025', key: randomBytes(32) };
    const [old, oldSlack, lost, lostUrl] = await Promise.all([
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
          url: slackUrl,
          format: 'slack',
          events: ['escalation.opened'],
          // As the release that sealed the secrets but kept a Slack URL in clear stored it.
          signingSecret: testKeyRing().sealText(`whsec_${randomBytes(32).toString('base64url')}`),
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
      // A Slack URL sealed with a key no longer listed (its secret under the current one).
      db.webhookEndpoint.create({
        data: {
          programId: stack.programId,
          url: new KeyRing([retiredKey]).sealText(slackUrl),
          format: 'slack',
          events: ['match.closed'],
          signingSecret: testKeyRing().sealText('whsec_current'),
        },
      }),
    ]);
    const stored = async (id: string) => (await db.webhookEndpoint.findUniqueOrThrow({ where: { id } })).signingSecret;
    const storedUrl = async (id: string) => (await db.webhookEndpoint.findUniqueOrThrow({ where: { id } })).url;

    // The start-up migration: the clear one is sealed with the current key; the one whose key is gone is left, logged.
    const captured = captureLog('api');
    expect(await sealEndpointSecrets(db, testKeyRing(), captured.log)).toBeGreaterThanOrEqual(1);
    expect(await stored(old.id)).toMatch(/^sealed:test-2026:/);
    expect(await stored(lost.id)).toMatch(/^sealed:retired-2025:/);
    expect(await storedUrl(oldSlack.id)).toMatch(/^sealed:test-2026:/);
    expect(await storedUrl(oldSlack.id)).not.toContain('slack-url-secret');
    expect(await storedUrl(old.id)).toBe(hook.url);
    expect(await storedUrl(lostUrl.id)).toMatch(/^sealed:retired-2025:/);
    for (const endpointId of [lost.id, lostUrl.id]) {
      expect(captured.lines).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          endpointId,
          problem: 'sealed with key "retired-2025", which is not configured',
        }),
      );
    }
    expect(captured.raw.join('\n')).not.toMatch(/whsec_|slack-url-secret/);
    // Run again (another process starting): nothing left to seal but what cannot be.
    const again = await sealEndpointSecrets(db, testKeyRing());
    expect(again).toBe(0);

    const before = hook.received.length;
    expect(await deliverAnEvent([old.id, oldSlack.id])).toEqual(['delivered', 'delivered']);
    const got = hook.received.slice(before);
    expect(got.map((r) => r.path).sort()).toEqual(['/hook', SLACK_PATH]);
    const signed = got.find((r) => r.path === '/hook')!;
    expect(verifyWebhook(clear, signed.headers[SIGNATURE_HEADER.toLowerCase()] as string, signed.body)).toBe(true);

    // The list shows the sealed Slack URL by its origin, and nothing of the one whose key is gone.
    const listed = await stack.api.request('GET', `/programs/${stack.programId}/webhooks`);
    const shown = new Map((listed.body.webhooks as { id: string; url: string }[]).map((w) => [w.id, w.url]));
    expect([shown.get(oldSlack.id), shown.get(lostUrl.id)]).toEqual([`${new URL(hook.url).origin}/…`, '…']);

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
    const outcomes = await deliver(event, [lost.id, lostUrl.id]);
    const [delivery, urlDelivery] = await Promise.all(
      [lost.id, lostUrl.id].map((id) =>
        db.webhookDelivery.findUniqueOrThrow({ where: { id: webhookDeliveryId(id, event.key) } }),
      ),
    );
    expect([...outcomes, delivery!.status, urlDelivery!.status]).toEqual(['failed', 'failed', 'failed', 'failed']);
    expect(delivery!.lastError).toMatch(
      /secret does not open: it is sealed with key "retired-2025", which is not configured/,
    );
    expect(urlDelivery!.lastError).toMatch(
      /URL does not open: it is sealed with key "retired-2025", which is not configured/,
    );
    expect(`${delivery!.lastError} ${urlDelivery!.lastError}`).not.toMatch(/whsec_|slack-url-secret/);

    // Rotated (the new key first, the old kept): the next start seals every secret with the new key, so the old key
    // is needed no more for them.
    const newKey = { id: 'rotated-2027', key: randomBytes(32) };
    const rotated = new KeyRing([newKey, ...testKeys()]);
    await sealEndpointSecrets(db, rotated);
    expect(await stored(old.id)).toMatch(/^sealed:rotated-2027:/);
    expect(openEndpointSecret(new KeyRing([newKey]), await stored(old.id))).toBe(clear);
    expect(await storedUrl(oldSlack.id)).toMatch(/^sealed:rotated-2027:/);
    expect(openEndpointSecret(new KeyRing([newKey]), await storedUrl(oldSlack.id))).toBe(slackUrl);
    expect(await storedUrl(old.id)).toBe(hook.url);
  }, 90_000);
});
