import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { patchesIn, saveHistories } from '../support/histories';
import { WORKING_DAY_MORNING } from '../support/instants';
import { createHarness, HOUR, type Harness } from '../support/lifecycle';
import { advanceUntil, templateOf, untilOpened } from '../support/people';

const MINUTE = 60_000;
const { EventType } = temporal.api.enums.v1;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The activity type of each activity the history scheduled on the task queue (regular activities). */
const activityTasks = (events: HistoryEvent[]) =>
  events
    .filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name);

/**
 * Each local activity whose outcome the history keeps as a marker: its type, and whether it failed (a failed attempt
 * whose next try waits on a timer is kept too, with its backoff).
 */
const localActivities = (events: HistoryEvent[]) =>
  events
    .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
    .map((e) => {
      const [data] = e.markerRecordedEventAttributes!.details!.data!.payloads!;
      const { activity_type } = defaultPayloadConverter.fromPayload<{ activity_type: string }>(data!);
      return { type: activity_type, failed: Boolean(e.markerRecordedEventAttributes!.failure) };
    });

/**
 * The read model is written by a local activity (`patched('sync-local')`): the worker runs `syncMatch` inside the
 * workflow task that asked for it, so a sync is not an activity task on the queue and needs no workflow task of its
 * own after it (an activity completion). A write that fails there is handed to an activity task with the retries of
 * before.
 */
describe('the read model is written by a local activity', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('writes the opening inside the workflow tasks that ask for it, with no activity task of its own', async () => {
    await h.startAt(WORKING_DAY_MORNING);
    const m = await h.startMatch();
    const runs = await untilOpened(h, m);
    // Kept for the replay test: this history has the `sync-local` patch marker.
    saveHistories('sync-local', runs);
    const events = runs[0]!.history.events ?? [];

    expect(patchesIn(runs[0]!.history)).toContain('sync-local');
    expect(activityTasks(events)).toEqual(['sendEmail', 'sendEmail', 'sendEmail', 'sendEmail']);
    const syncs = localActivities(events);
    expect(syncs.length).toBeGreaterThanOrEqual(2);
    expect(syncs.every((s) => s.type === 'syncMatch' && !s.failed)).toBe(true);
    // (How many workflow tasks the opening takes is not asserted: a local activity still running when its task is due
    // to time out makes the worker complete that task with the syncs so far and start another, which a loaded machine
    // does now and then.)

    // What the syncs wrote: every event once, the read model as the workflow has it.
    const timeline = await m.timeline();
    expect(timeline.filter((e) => e.type === 'email.sent')).toHaveLength(4);
    const state = await m.state();
    const row = await h.database.db.match.findUniqueOrThrow({ where: { id: m.id } });
    expect(row.status).toBe(state.status);
  });

  it('hands a refused write to an activity task with its retries, and writes everything once Postgres takes it', async () => {
    await h.startAt(WORKING_DAY_MORNING);
    const { db } = h.database;
    await db.$executeRawUnsafe(`
      CREATE FUNCTION refuse_events() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'timeline writes refused for the test'; END $$`);
    await db.$executeRawUnsafe(
      `CREATE TRIGGER refuse_events BEFORE INSERT ON "MatchEvent" FOR EACH ROW EXECUTE FUNCTION refuse_events()`,
    );
    const m = await h.startMatch();
    try {
      await advanceUntil(
        h,
        'the opening emails, sent while the timeline is refused',
        () => m.emails((e) => templateOf(e) === 'match-opened').length === 3,
        { step: MINUTE, within: HOUR },
      );
      await h.advance(2 * MINUTE);
      expect(await m.timeline()).toEqual([]);
      const events = (await m.handle.fetchHistory()).events ?? [];
      // One attempt in the workflow task, failed; then one activity task, retried by the server while writes are
      // refused (no timer, no workflow task per attempt).
      expect(localActivities(events)).toEqual([{ type: 'syncMatch', failed: true }]);
      expect(activityTasks(events).filter((type) => type === 'syncMatch')).toHaveLength(1);
      const pending = (await m.handle.describe()).raw.pendingActivities?.find(
        (p) => p.activityType?.name === 'syncMatch',
      );
      expect(pending?.attempt).toBeGreaterThanOrEqual(2);
    } finally {
      await db.$executeRawUnsafe(`DROP TRIGGER refuse_events ON "MatchEvent"`);
      await db.$executeRawUnsafe(`DROP FUNCTION refuse_events()`);
    }

    await advanceUntil(
      h,
      'the timeline, written once the writes are taken',
      async () => (await m.timeline()).filter((e) => e.type === 'email.sent').length === m.emails().length,
      { step: MINUTE, within: HOUR },
    );
    const timeline = await m.timeline();
    expect(timeline.filter((e) => e.type === 'match.opened')).toHaveLength(1);
    expect(localActivities((await m.handle.fetchHistory()).events ?? [])).toContainEqual({
      type: 'syncMatch',
      failed: false,
    });
  });
});
