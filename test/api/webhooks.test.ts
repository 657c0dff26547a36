import { MockActivityEnvironment } from '@temporalio/testing';
import { createWebhookActivities, webhookDeliveryId } from '../../activities/webhooks/deliver';
import { SIGNATURE_HEADER, verifyWebhook } from '../../activities/webhooks/signature';
import type { ActivityDeps } from '../../activities';
import { webhookDeliveryWorkflow, webhookDeliveryWorkflowId } from '../../workflows/webhook-delivery';
import type { RaisedWebhookEvent } from '../../workflows/webhook-events';
import { eventually } from '../support/eventually';
import { matchDates, matchRequest, seedProgram, unique } from '../support/fixtures';
import type { HttpResponse } from '../support/http';
import { keyHeaders } from '../support/keys';
import { createDevStack, QUICK_PLAYBOOK, type DevStack } from '../support/stack';
import { testKeyRing } from '../support/temporal';
import { receiver, type WebhookReceiver } from '../support/webhook-receiver';

/** Tries in tenths of seconds, so the scenario's bound is reached in moments. */
const QUICK_RETRY = { initialIntervalMs: 100, maximumIntervalMs: 400, maximumAttempts: 4 };

describe('outbound webhooks: endpoints through the API, deliveries by a workflow to real receivers on loopback', () => {
  let stack: DevStack;
  const receivers: WebhookReceiver[] = [];
  beforeAll(async () => {
    stack = await createDevStack();
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await stack?.close();
  });

  it('signed JSON, Slack and Chatwork deliveries; a receiver failing for a while gets it once, one never answering 2xx is failed after the bound; all in the log', async () => {
    const [flaky, down, slack, chatwork] = await Promise.all([
      receiver([503, 500, 200]),
      receiver([500]),
      receiver([200]),
      receiver([200]),
    ]);
    receivers.push(flaky, down, slack, chatwork);
    const base = `/programs/${stack.programId}/webhooks`;
    const add = (body: Record<string, unknown>) => stack.api.request('POST', base, body);
    const events = ['escalation.opened'];
    const made: HttpResponse[] = [];
    for (const body of [
      { url: flaky.url, events },
      { url: down.url, events },
      { url: slack.url, format: 'slack', events },
      { url: chatwork.url, format: 'chatwork', events, chatworkToken: 'cw-token-0123' },
      { url: chatwork.url, events: ['match.closed'] }, // another event: gets nothing here
    ]) {
      made.push(await add(body));
    }
    expect(made.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    const secretOf = (i: number) => made[i]!.body.signingSecret as string;
    const listed = await stack.api.request('GET', base);
    const shown = new Map(listed.body.webhooks.map((w: { id: string }) => [w.id, w]));
    expect(made.map((m) => (shown.get(m.body.webhook.id) as { format: string }).format)).toEqual([
      'json',
      'json',
      'slack',
      'chatwork',
      'json',
    ]);
    // A Slack URL is its credential: listed by its origin only.
    expect((shown.get(made[2]!.body.webhook.id) as { url: string }).url).toBe(`${new URL(slack.url).origin}/…`);

    const event: RaisedWebhookEvent = {
      programId: stack.programId,
      key: `match:${stack.programId}:1:escalation:e1:opened`,
      occurredAt: '2026-12-01T00:30:00.000Z',
      data: {
        event: 'escalation.opened',
        match: { id: `${stack.programId}:1`, title: 'EC 販路開拓' },
        escalation: {
          id: 'e1',
          cause: 'silence',
          reason: { ja: '2回続けて双方から回答がありません。', en: 'Neither side answered twice in a row.' },
          dueAt: '2026-12-04T00:00:00.000Z',
        },
      },
    };
    const activities = createWebhookActivities({ db: stack.database.db } as ActivityDeps);
    const queued = await activities.queueWebhookEvent(event);
    // One delivery per endpoint that takes the event, its id from the endpoint and the event's key.
    const ids = made.slice(0, 4).map((m) => webhookDeliveryId(m.body.webhook.id, event.key));
    expect(new Set(queued)).toEqual(new Set(ids));
    // Raised again (a retried activity, a replayed workflow): the same deliveries, nothing new.
    expect(new Set(await activities.queueWebhookEvent(event))).toEqual(new Set(ids));
    await expect(stack.database.db.webhookDelivery.count({ where: { programId: stack.programId } })).resolves.toBe(4);

    const outcomes = await Promise.all(
      ids.map((deliveryId) =>
        stack.env.client.workflow.execute(webhookDeliveryWorkflow, {
          workflowId: webhookDeliveryWorkflowId(deliveryId),
          taskQueue: stack.deps.taskQueue,
          args: [{ deliveryId, retry: QUICK_RETRY }],
        }),
      ),
    );
    expect(outcomes).toEqual(['delivered', 'failed', 'delivered', 'delivered']);

    // The flaky receiver: three tries, each signed with the endpoint's secret over the body it got, the same body.
    expect(flaky.received).toHaveLength(3);
    for (const r of flaky.received) {
      expect(verifyWebhook(secretOf(0), r.headers[SIGNATURE_HEADER.toLowerCase()] as string, r.body)).toBe(true);
      expect(r.body).toBe(flaky.received[0]!.body);
    }
    const first = flaky.received[0]!;
    // Another secret, a changed body, or a timestamp outside the replay window: refused.
    const signature = first.headers[SIGNATURE_HEADER.toLowerCase()] as string;
    expect(verifyWebhook(secretOf(1), signature, first.body)).toBe(false);
    expect(verifyWebhook(secretOf(0), signature, first.body.replace('EC', 'ED'))).toBe(false);
    expect(verifyWebhook(secretOf(0), signature, first.body, new Date(Date.now() + 10 * 60_000))).toBe(false);
    expect(JSON.parse(first.body)).toMatchObject({
      id: ids[0],
      event: 'escalation.opened',
      occurredAt: event.occurredAt,
      program: { id: stack.programId },
      data: event.data,
    });
    expect(first.headers['bansou-event']).toBe('escalation.opened');

    // The one that never answers 2xx: tried up to the bound, then failed.
    expect(down.received).toHaveLength(QUICK_RETRY.maximumAttempts);
    // Slack: a message in Japanese first, then English. Chatwork: its form, with the token.
    expect(JSON.parse(slack.received[0]!.body).text).toBe(
      [
        `【エスカレーション】EC 販路開拓（${stack.programId}:1）`,
        '2回続けて双方から回答がありません。　対応期限: 2026/12/04 09:00',
        `Escalation on ${stack.programId}:1: Neither side answered twice in a row. Due 2026-12-04T00:00:00.000Z.`,
      ].join('\n'),
    );
    expect(chatwork.received[0]!.headers['x-chatworktoken']).toBe('cw-token-0123');
    expect(new URLSearchParams(chatwork.received[0]!.body).get('body')).toMatch(
      /^\[info\]\[title\]bansou\[\/title\]【エスカレーション】EC 販路開拓/,
    );

    // The log: status, tries and the receiver's last answer of each.
    const log = await stack.api.request('GET', `${base}/deliveries`);
    expect(log.status).toBe(200);
    const byId = new Map(log.body.deliveries.map((d: { id: string }) => [d.id, d]));
    expect(ids.map((id) => byId.get(id))).toEqual([
      expect.objectContaining({ status: 'delivered', attempts: 3, lastStatusCode: 200, lastError: null }),
      expect.objectContaining({ status: 'failed', attempts: 4, lastStatusCode: 500, lastError: 'HTTP 500' }),
      expect.objectContaining({ status: 'delivered', attempts: 1, lastStatusCode: 200 }),
      expect.objectContaining({ status: 'delivered', attempts: 1, lastStatusCode: 200 }),
    ]);
    const failed = await stack.api.request('GET', `${base}/deliveries?status=failed`);
    expect(failed.body.deliveries.map((d: { id: string }) => d.id)).toEqual([ids[1]]);

    // A removed endpoint is gone from the list; its log stays.
    const removed = await stack.api.request('POST', `${base}/${made[1]!.body.webhook.id}/remove`);
    expect(removed.status).toBe(200);
    expect((await stack.api.request('GET', base)).body.webhooks).toHaveLength(4);
    expect((await stack.api.request('GET', `${base}/deliveries`)).body.deliveries).toHaveLength(4);
  }, 120_000);

  it('a match raises its events: each escalation one signed delivery, its early end a match.closed; an endpoint of another program gets nothing', async () => {
    const [ours, theirs] = await Promise.all([receiver([200]), receiver([200])]);
    receivers.push(ours, theirs);
    const { db } = stack.database;
    // A kickoff due seconds after the start (today): nobody holds it, so the match escalates at once.
    const kickoff = { deadline: '3s', reminderBefore: '1s' };
    const program = await seedProgram(db, unique('hooked'), undefined, { ...QUICK_PLAYBOOK, kickoff });
    const other = await seedProgram(db, unique('other'), undefined, { ...QUICK_PLAYBOOK, kickoff });
    const events = ['escalation.opened', 'escalation.raised', 'match.closed'];
    const mine = await stack.api.request('POST', `/programs/${program.id}/webhooks`, { url: ours.url, events });
    const notMine = await stack.api.request('POST', `/programs/${other.id}/webhooks`, { url: theirs.url, events });
    expect([mine.status, notMine.status]).toEqual([201, 201]);
    const created = await stack.api.request('POST', '/matches', matchRequest(program.id, matchDates({ inDays: 0 })));
    expect(created.status).toBe(201);
    const matchId = created.body.match.id as string;

    const escalationIds = (body: string) => JSON.parse(body).data.escalation.id as string;
    const opened = () => ours.of('escalation.opened');
    const opening = await eventually(
      async () => {
        const { escalations } = await stack.state(matchId);
        return escalations.length;
      },
      { timeoutMs: 60_000 },
    );
    await eventually(() => opened().length >= opening, { timeoutMs: 30_000 });
    const ended = await stack.api.request('POST', `/matches/${matchId}/end-early`, { reason: 'priority_change' });
    expect(ended.status).toBe(200);
    const closed = await eventually(() => ours.of('match.closed')[0], {
      timeoutMs: 30_000,
    });

    // One delivery per escalation the match opened, each signed with the endpoint's secret.
    const state = await stack.state(matchId);
    expect(state.escalations.map((e) => e.type)).toContain('kickoff_not_held');
    expect(
      opened()
        .map((r) => escalationIds(r.body))
        .sort(),
    ).toEqual(state.escalations.map((e) => e.id).sort());
    for (const r of ours.received) {
      const signature = r.headers[SIGNATURE_HEADER.toLowerCase()] as string;
      expect(verifyWebhook(mine.body.signingSecret, signature, r.body)).toBe(true);
    }
    expect(JSON.parse(closed!.body)).toMatchObject({
      event: 'match.closed',
      program: { id: program.id },
      data: { match: { id: matchId }, outcome: 'ended_early', reason: 'priority_change' },
    });
    expect(ours.received).toHaveLength(state.escalations.length + 1);
    // The other program's endpoint heard nothing; its log is empty, ours shows each delivered.
    expect(theirs.received).toHaveLength(0);
    const log = await stack.api.request('GET', `/programs/${program.id}/webhooks/deliveries`);
    expect(log.body.deliveries.map((d: { status: string }) => d.status)).toEqual(ours.received.map(() => 'delivered'));
    expect((await stack.api.request('GET', `/programs/${other.id}/webhooks/deliveries`)).body.deliveries).toEqual([]);
  }, 120_000);

  it('a worker not allowed loopback posts nothing there: the delivery fails at once, its reason in the log', async () => {
    const local = await receiver([200]);
    receivers.push(local);
    const made = await stack.api.request('POST', `/programs/${stack.programId}/webhooks`, {
      url: local.url,
      events: ['match.closed'],
    });
    expect(made.status).toBe(201);
    const event: RaisedWebhookEvent = {
      programId: stack.programId,
      key: `${unique('guard')}/closed`,
      occurredAt: '2026-12-01T00:30:00.000Z',
      data: { event: 'match.closed', match: { id: 'm', title: 't' }, outcome: 'completed', reason: null },
    };
    const guarded = createWebhookActivities({
      db: stack.database.db,
      keys: testKeyRing(),
      webhooks: { allowLoopback: false },
    } as ActivityDeps);
    const [deliveryId] = await guarded.queueWebhookEvent(event);
    const tried = new MockActivityEnvironment({ attempt: 1 }).run(guarded.deliverWebhook, {
      deliveryId: deliveryId!,
      maximumAttempts: 30,
    });
    await expect(tried).rejects.toMatchObject({ nonRetryable: true, message: expect.stringContaining('loopback') });
    const row = await stack.database.db.webhookDelivery.findUniqueOrThrow({ where: { id: deliveryId! } });
    expect([row.status, row.attempts, row.lastStatusCode]).toEqual(['failed', 1, null]);
    expect(row.lastError).toMatch(/127\.0\.0\.1 is a loopback address/);
    expect(local.received).toEqual([]);
  }, 60_000);

  it('only HTTPS (plain HTTP to loopback when allowed); admin and the program managers only, in their program', async () => {
    const base = `/programs/${stack.programId}/webhooks`;
    const events = ['digest.weekly'];
    const plain = await stack.api.request('POST', base, { url: 'http://hooks.example.org/x', events });
    expect([plain.status, plain.body.errors?.[0]?.field]).toEqual([400, 'url']);
    const noToken = await stack.api.request('POST', base, {
      url: 'https://api.chatwork.com/v2/rooms/1/messages',
      format: 'chatwork',
      events,
    });
    expect([noToken.status, noToken.body.errors?.[0]?.field]).toEqual([400, 'chatworkToken']);
    for (const url of ['https://10.0.0.5/x', 'https://169.254.169.254/latest', 'https://[::ffff:192.168.0.1]/x']) {
      const internal = await stack.api.request('POST', base, { url, events });
      expect([internal.status, internal.body.errors?.[0]?.field]).toEqual([400, 'url']);
      expect(JSON.stringify(internal.body)).toContain('not a public address');
    }
    const unknownEvent = await stack.api.request('POST', base, { url: 'https://hooks.example.org/x', events: ['x'] });
    expect(unknownEvent.status).toBe(400);

    const manager = await keyHeaders(stack.database.db, 'program_manager', [stack.programId]);
    const coordinator = await keyHeaders(stack.database.db, 'coordinator', [stack.programId]);
    const other = await seedProgram(stack.database.db, unique('other'));
    const otherManager = await keyHeaders(stack.database.db, 'program_manager', [other.id]);
    const body = { url: 'https://hooks.example.org/x', events };
    expect((await stack.api.request('POST', base, body, manager)).status).toBe(201);
    expect((await stack.api.request('POST', base, body, coordinator)).status).toBe(403);
    expect((await stack.api.request('POST', base, body, otherManager)).status).toBe(403);
    expect((await stack.api.request('GET', `${base}/deliveries`, undefined, otherManager)).status).toBe(403);
  }, 60_000);
});
