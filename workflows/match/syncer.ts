/**
 * The syncer, the other single writer: after every change it writes the timeline events and the read model to
 * Postgres (the API's lists, KPIs and detail views read them), and the search attributes the Temporal UI filters on.
 */
import {
  condition,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { readModelOf } from '../read-model';
import { nextStep } from '../schedule';
import { searchAttributes } from '../shared';
import type { MatchContext } from './context';

const attempts = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 60 },
} as const;

// Before patched('sync-local'): each write an activity task (scheduled, polled, completed, and a workflow task after).
const { syncMatch: syncAsTask } = proxyActivities<Activities>(attempts);

// Since patched('sync-local'): one attempt as a local activity, run by this worker inside the workflow task that asked
// for it, its result kept as a marker. It holds that task (and one of the worker's workflow-task slots) while it runs,
// so it is short and not retried there: a write that fails or takes over 5 s goes to the activity task with the
// retries above: a slow or unreachable Postgres holds a slot for at most 5 s a write, and its retries are the server's
// (no timers, no workflow tasks) while it lasts.
const { syncMatch: syncInTask } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '5 seconds',
  retry: { maximumAttempts: 1 },
});

/** One write: in the workflow task first (since `sync-local`), then, if that attempt fails, as an activity task. */
async function writeReadModel(input: Parameters<Activities['syncMatch']>[0]): Promise<void> {
  if (!patched('sync-local')) return syncAsTask(input);
  try {
    await syncInTask(input);
  } catch (error) {
    if (isCancellation(error)) throw error;
    await syncAsTask(input);
  }
}

/** Writes whatever changed, for as long as the run lasts; a failed write is tried again ten minutes later. */
export async function syncer(ctx: MatchContext): Promise<void> {
  const { state } = ctx;
  let shown = { status: '', risk: '' };
  for (;;) {
    await condition(() => ctx.dirty);
    ctx.dirty = false;
    const risk = state.phase === 'closed' ? 'closed' : state.health.band;
    if (shown.status !== state.status || shown.risk !== risk) {
      upsertSearchAttributes([
        { key: searchAttributes.status, value: state.status },
        { key: searchAttributes.risk, value: risk },
      ]);
      shown = { status: state.status, risk };
    }
    const events = ctx.events.slice();
    ctx.activitiesInFlight += 1;
    try {
      await writeReadModel({ matchId: state.matchId, events, model: readModelOf(state, nextStep(state)) });
      ctx.events.splice(0, events.length);
    } catch (error) {
      if (isCancellation(error)) throw error;
      log.warn('read model not written; retrying later', { error: String(error) });
      ctx.dirty = true;
      await condition(() => false, '10 minutes');
    } finally {
      ctx.activitiesInFlight -= 1;
    }
  }
}
