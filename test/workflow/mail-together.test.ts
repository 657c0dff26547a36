import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { SendEmailInput } from '../../activities/mail/send';
import { saveHistories } from '../support/histories';
import { WORKING_DAY_MORNING } from '../support/instants';
import { createHarness, type Harness } from '../support/lifecycle';
import { templateOf, untilOpened } from '../support/people';
import { testDataConverter } from '../support/temporal';

const { EventType } = temporal.api.enums.v1;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Each `sendEmail` the workflow scheduled, in order: its event, the workflow task that scheduled it, its input. */
async function sendsScheduled(events: HistoryEvent[]) {
  const [codec] = testDataConverter().payloadCodecs!;
  const scheduled = events.filter(
    (e) =>
      e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
      e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendEmail',
  );
  return Promise.all(
    scheduled.map(async (e) => {
      const attributes = e.activityTaskScheduledEventAttributes!;
      const [payload] = await codec!.decode(attributes.input!.payloads!);
      return {
        id: Number(e.eventId),
        byTask: Number(attributes.workflowTaskCompletedEventId),
        input: defaultPayloadConverter.fromPayload<SendEmailInput>(payload!),
      };
    }),
  );
}

/** The id of the event that completed the activity scheduled as event `scheduledId`. */
function completedEvent(events: HistoryEvent[], scheduledId: number): number | undefined {
  const done = events.find(
    (e) =>
      e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED &&
      Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === scheduledId,
  );
  return done ? Number(done.eventId) : undefined;
}

/**
 * The emails that are ready go out together: a match's opening emails to host, talent and coordinator are scheduled
 * by one workflow task, each still its own activity, instead of one after another; a second email to the same
 * address waits until the first has gone, so one person's emails arrive in the order they were queued.
 */
describe('the mailer sends the emails that are ready together', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("sends the opening emails at once, and the coordinator's task reminder after their opening email", async () => {
    await h.startAt(WORKING_DAY_MORNING);
    const m = await h.startMatch();
    const { host, talent, coordinator } = m.snapshot;
    const runs = await untilOpened(h, m);
    // Kept for the replay test: this history has the `mail-sent-together` patch marker.
    saveHistories('mail-sent-together', runs);
    const events = runs[0]!.history.events ?? [];
    const sends = await sendsScheduled(events);

    // The three opening emails: scheduled by one workflow task, before any send had completed.
    const opening = sends.filter((s) => s.input.template === 'match-opened');
    expect(opening.map((s) => s.input.recipient.email).sort()).toEqual(
      [host.email, talent.email, coordinator.email].sort(),
    );
    expect(new Set(opening.map((s) => s.byTask)).size).toBe(1);
    const firstCompleted = events.find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED);
    expect(Number(firstCompleted?.eventId)).toBeGreaterThan(Math.max(...opening.map((s) => s.id)));

    // The coordinator's task reminder was queued with them, and went only once their opening email had gone.
    const toCoordinator = sends.filter((s) => s.input.recipient.email === coordinator.email);
    expect(toCoordinator.map((s) => s.input.template)).toEqual(['match-opened', 'task-reminder']);
    const openingDone = completedEvent(events, toCoordinator[0]!.id);
    expect(openingDone).toBeDefined();
    expect(toCoordinator[1]!.id).toBeGreaterThan(openingDone!);
    expect(m.emails((e) => e.to === coordinator.email).map(templateOf)).toEqual(['match-opened', 'task-reminder']);

    // Each email once, with its own Message-ID, and on the timeline as sent.
    const received = m.emails();
    expect(received).toHaveLength(4);
    expect(new Set(received.map((e) => e.messageId)).size).toBe(4);
    const sent = (await m.timeline()).filter((e) => e.type === 'email.sent');
    expect(sent.map((e) => e.payload.messageId).sort()).toEqual(received.map((e) => e.messageId).sort());
  });
});
