import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { sqlRows } from '../../prisma/client';
import { SessionLock } from '../../prisma/session-lock';
import { reasonOf, silentLog, type Log } from '../../telemetry/log';
import type { matchWorkflow } from '../../workflows';
import { beforeDeadline, temporalDeadline } from './actions';
import { matchSelect } from './matches';
import { personOf } from './people';
import { completeRegistration, REGISTRATION_MEMO, REGISTRATION_SETTLE_MS, type MatchStarter } from './registration';

export type ReconcileResult = {
  /** Registering rows whose workflow is now started (or found) and that are now registered. */
  completed: string[];
  /** Running match workflows that had no row: the row is written back from the workflow's own input. */
  restored: string[];
  /** Ids that could not be finished this time (they are tried again next time). */
  failed: string[];
};

/** How often the reconciler looks for halfway registrations (one indexed query on Postgres). */
export const RECONCILE_EVERY_MS = 60_000;
/**
 * How often it also lists every running match workflow to find those without a row. The list costs Temporal in
 * proportion to the running matches (at 10,000, about 4–6 s of the dev server's CPU a pass), and a running
 * workflow loses its row only when Postgres is restored from a backup older than its start.
 */
export const RESTORE_SCAN_EVERY_MS = 10 * 60_000;
/** How long a scan of the running workflows may take before the pass is given up (10,000 took 6–37 s on 2 cores). */
const SCAN_DEADLINE_MS = 120_000;
/** The advisory lock whose holder is the one API process that reconciles. */
const LEADER_LOCK = 'bansou:registration-reconciler';

/**
 * Brings rows and workflows together: registrations a failure left halfway are finished (rows older than
 * `settleMs`), and, unless `restore` is false, running match workflows without a row get their row back from their
 * start input.
 */
export async function reconcileRegistrations(
  deps: MatchStarter,
  {
    settleMs = REGISTRATION_SETTLE_MS,
    restore = true,
    log = silentLog,
    scanDeadlineMs = SCAN_DEADLINE_MS,
  }: { settleMs?: number; restore?: boolean; log?: Log; scanDeadlineMs?: number } = {},
): Promise<ReconcileResult> {
  const { db, temporal } = deps;
  const result: ReconcileResult = { completed: [], restored: [], failed: [] };
  const halfway = await db.match.findMany({
    where: { registeredAt: null, createdAt: { lt: new Date(Date.now() - settleMs) } },
    select: matchSelect,
    orderBy: { createdAt: 'asc' },
    take: 100,
  });
  for (const row of halfway) {
    try {
      await completeRegistration(deps, row, temporalDeadline(deps));
      result.completed.push(row.id);
    } catch (error) {
      result.failed.push(row.id);
      log.warn({ matchId: row.id, reason: reasonOf(error) }, 'registration not finished; will retry');
    }
  }

  if (!restore) return result;

  const running = await beforeDeadline(temporal, Date.now() + scanDeadlineMs, async () => {
    const ids: string[] = [];
    for await (const execution of temporal.workflow.list({
      query: `WorkflowType = 'matchWorkflow' AND ExecutionStatus = 'Running'`,
    })) {
      ids.push(execution.workflowId);
    }
    return ids;
  });
  // One array parameter: an IN list of every running id would pass Postgres's 65,535 parameters at that many matches.
  const withRow = await sqlRows<{ workflowId: string }>(
    db,
    'SELECT "workflowId" FROM "Match" WHERE "workflowId" = ANY($1::text[])',
    [running],
  );
  const byWorkflow = new Set(withRow.map((m) => m.workflowId));
  for (const workflowId of running.filter((id) => !byWorkflow.has(id))) {
    try {
      await restoreRow(deps, workflowId);
      result.restored.push(workflowId);
    } catch (error) {
      result.failed.push(workflowId);
      log.warn({ workflowId, reason: reasonOf(error) }, 'match row not restored; will retry');
    }
  }
  return result;
}

/** Writes back the row of a running match workflow from the snapshot it was started (or continued) with. */
async function restoreRow(deps: MatchStarter, workflowId: string): Promise<void> {
  const { db, temporal } = deps;
  const deadline = temporalDeadline(deps);
  const handle = temporal.workflow.getHandle(workflowId);
  const [history, description] = await beforeDeadline(temporal, deadline, () =>
    Promise.all([handle.fetchHistory(), handle.describe()]),
  );
  const registration = description.memo?.[REGISTRATION_MEMO];
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (!started?.input?.payloads?.length) throw new Error('the workflow has no start input');
  // The history holds the input as stored (encrypted): decoded with the client's codecs, then converted.
  const { match, playbook } = await decodeFromPayloadsAtIndex<Parameters<typeof matchWorkflow>[0]>(
    temporal.options.loadedDataConverter,
    0,
    started.input.payloads,
  );
  await db.$transaction(async (tx) => {
    const host = await personOf(tx, match.programId, match.host, 'host');
    const talent = await personOf(tx, match.programId, match.talent, 'talent');
    const coordinator = await personOf(tx, match.programId, match.coordinator, 'coordinator');
    await tx.match.create({
      data: {
        id: match.id,
        programId: match.programId,
        title: match.title,
        startDate: new Date(`${match.startDate}T00:00:00Z`),
        endDate: new Date(`${match.endDate}T00:00:00Z`),
        endsAt: match.endsAt ? new Date(match.endsAt) : null,
        hostId: host.id,
        talentId: talent.id,
        coordinatorId: coordinator.id,
        workflowId,
        cohort: match.startDate.slice(0, 7),
        playbookVersion: playbook.version,
        requestHash: typeof registration === 'string' && registration ? registration : null,
      },
    });
  });
}

/**
 * Passes in a row that may fail before the process gives the lock up and sits one tick out, so that another replica,
 * which may reach what this one cannot (Temporal), takes the job.
 */
const FAILURES_BEFORE_HANDING_ON = 3;

/**
 * Every `intervalMs`, finishes halfway registrations, and every `restoreEveryMs` restores missing rows too. Of several
 * API processes on one database, only the one holding the reconciler's advisory lock does it (the others ask for the
 * lock at each tick, and one of them takes it over when its holder stops, dies, or fails three passes in a row).
 * Returns a stop function, which resolves once the lock is given up.
 */
export function startRegistrationReconciler(
  deps: MatchStarter,
  {
    intervalMs = RECONCILE_EVERY_MS,
    restoreEveryMs = RESTORE_SCAN_EVERY_MS,
    scanDeadlineMs = SCAN_DEADLINE_MS,
    log = silentLog,
  }: { intervalMs?: number; restoreEveryMs?: number; scanDeadlineMs?: number; log?: Log } = {},
): () => Promise<void> {
  const leader = new SessionLock(deps.db, LEADER_LOCK, log);
  let inFlight: Promise<void> | undefined;
  let leading = false;
  let lastScan = -Infinity;
  let failures = 0;
  let sitOut = false;
  const tick = async () => {
    if (sitOut) {
      sitOut = false;
      return;
    }
    const held = await leader.held();
    if (held !== leading)
      log.info({ leading: held }, held ? 'this process reconciles registrations' : 'reconciling handed on');
    leading = held;
    if (!held) return;
    const restore = Date.now() - lastScan >= restoreEveryMs;
    try {
      const r = await reconcileRegistrations(deps, { restore, log, scanDeadlineMs });
      failures = 0;
      if (restore) lastScan = Date.now();
      if (r.completed.length || r.restored.length) log.info(r, 'registrations reconciled');
    } catch (error) {
      failures += 1;
      log.warn({ reason: reasonOf(error), failures }, 'registration reconciler failed; will retry');
      if (failures < FAILURES_BEFORE_HANDING_ON) return;
      failures = 0;
      sitOut = true;
      leading = false;
      await leader.release();
      log.warn({ leading: false }, 'reconciling handed on after failing passes in a row');
    }
  };
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = tick()
      .catch((error: unknown) => log.warn({ reason: reasonOf(error) }, 'registration reconciler failed; will retry'))
      .finally(() => (inFlight = undefined));
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    // A pass in flight is not waited for (a scan may take minutes); what it does is safe to have cut short.
    await leader.close();
  };
}
