import { endEarlyUpdate } from '../../workflows/shared';
import { eventually } from '../support/eventually';
import { saveHistories } from '../support/histories';
import { WORKING_DAY_MORNING } from '../support/instants';
import { createHarness, DAY, HOUR, type Harness } from '../support/lifecycle';
import { advanceUntil, historiesOf, templateOf } from '../support/people';
import { receiver, type WebhookReceiver } from '../support/webhook-receiver';

describe('match workflow: escalations and the close raise webhook events', () => {
  let h: Harness;
  let hook: WebhookReceiver;
  beforeAll(async () => {
    [h, hook] = await Promise.all([createHarness(), receiver()]);
  });
  afterAll(async () => {
    await h?.close();
    await hook?.close();
  });

  it('an escalation opened, raised to the program managers, and the match ended early: one delivery each', async () => {
    await h.startAt(WORKING_DAY_MORNING);
    const m = await h.startMatch();
    await h.database.db.webhookEndpoint.create({
      data: {
        programId: m.snapshot.programId,
        url: hook.url,
        format: 'json',
        events: ['escalation.opened', 'escalation.raised', 'match.closed'],
        signingSecret: 'whsec_workflow-test',
      },
    });
    // Nobody holds the kickoff: at its deadline two escalations open (the kickoff, the contract due by then); nobody
    // acknowledges them, so after the SLA they go up to the program managers. Then the match ends early.
    const deadline = Date.parse((await m.state()).kickoff.deadlineAt);
    await h.advanceTo(deadline + HOUR);
    await advanceUntil(
      h,
      'the escalations raised to the program managers',
      () => m.emails((e) => templateOf(e) === 'escalation-raised').length === 2,
      { step: 6 * HOUR, within: 10 * DAY },
    );
    await m.act(endEarlyUpdate, { reason: 'host_circumstances', note: '事業再編のため' });
    await h.advance(HOUR);
    // Kept for the replay test: this history has the `webhook-events` patch marker (recorded before it too).
    saveHistories('webhook-events', await historiesOf(h, m.handle.workflowId, m.handle.firstExecutionRunId));

    const s = await m.state();
    const keysOf = (event: string) =>
      h.database.db.webhookDelivery
        .findMany({ where: { programId: m.snapshot.programId, event }, select: { eventKey: true } })
        .then((rows) => rows.map((r) => r.eventKey).sort());
    const escalationKeys = (what: string) => s.escalations.map((e) => `${m.id}/escalation/${e.id}/${what}`).sort();
    expect(await keysOf('escalation.opened')).toEqual(escalationKeys('opened'));
    expect(await keysOf('escalation.raised')).toEqual(escalationKeys('raised'));
    expect(await keysOf('match.closed')).toEqual([`${m.id}/closed`]);
    // Each reached the receiver once, by a delivery workflow of its own.
    await eventually(() => hook.received.length >= 5);
    expect(hook.received.map((r) => r.headers['bansou-event']).sort()).toEqual([
      'escalation.opened',
      'escalation.opened',
      'escalation.raised',
      'escalation.raised',
      'match.closed',
    ]);
    const closed = JSON.parse(hook.of('match.closed')[0]!.body);
    expect(closed.data).toEqual({
      event: 'match.closed',
      match: { id: m.id, title: m.snapshot.title },
      outcome: 'ended_early',
      reason: 'host_circumstances',
    });
    const opened = JSON.parse(hook.of('escalation.opened')[0]!.body);
    expect(opened.data.escalation).toMatchObject({
      id: expect.stringMatching(/-esc-/),
      cause: expect.stringMatching(/kickoff_not_held|contract_overdue/),
      reason: { ja: expect.any(String), en: expect.any(String) },
    });
    expect(JSON.stringify(opened)).not.toContain(m.snapshot.host.email);
    await expect(
      h.database.db.webhookDelivery.count({ where: { programId: m.snapshot.programId, status: 'delivered' } }),
    ).resolves.toBe(5);
  }, 180_000);
});
