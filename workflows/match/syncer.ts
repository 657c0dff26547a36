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

// Since patched('sync-local'): a local activity, run by this worker inside the workflow task that asked for it, its
// result kept as a marker. Same timeout and retries; a retry that would wait longer than 2 s waits on a timer instead,
// so the workflow task is not held (signals, updates and queries wait for it) while Postgres is away.
const { syncMatch: syncInTask } = proxyLocalActivities<Activities>({ ...attempts, localRetryThreshold: '2 seconds' });

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
    const syncMatch = patched('sync-local') ? syncInTask : syncAsTask;
    ctx.activitiesInFlight += 1;
    try {
      await syncMatch({ matchId: state.matchId, events, model: readModelOf(state, nextStep(state)) });
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
