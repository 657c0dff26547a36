import pg from 'pg';
import { currentPlaybook } from '../api/services/playbooks';
import type { matchWorkflow } from '../workflows';
import { matchIdFor, matchWorkflowId, searchAttributes } from '../workflows/shared';
import { ALWAYS_SEND, inParallel, insertMatches, snapshotOf } from './matches';
import { cpuWindow, machineCores } from './cpu';
import { describeCeiling, figure, median, noteLoad, percentile, recordCpu, sleep, type BenchRun } from './report';
import { rssMb, type BenchStack } from './stack';
import { scheduleToStart, stickyCache, windowOf } from './temporal-metrics';

/**
 * Open matches: `size` matches on the worker(s), check-in rounds on a compressed cadence (seconds, sending hours
 * always open) so that `size / cadence` rounds fall due every second, nobody answering (so reminders and missed-round
 * escalations go out too). The matches are written to Postgres and their workflows started directly (registration is
 * measured elsewhere); the rounds begin once the opening emails have had time to go out. Over a window of a few
 * cadences: rounds due against rounds opened, how late they opened and how late their requests were sent, emails per
 * second, the worker's memory and how long workflow tasks waited for a worker.
 */
export type CapacityOptions = {
  size: number;
  workers: number;
  /** Rounds falling due per second (the cadence is size / this, at least 20 s). */
  roundsPerSecond: number;
  /** How many cadences the measured window lasts. */
  windowCadences: number;
  /** Seconds from a workflow's start to its first round (the opening emails go out meanwhile). */
  openingSeconds?: number;
};

/** How a capacity run is named in the figures: `capacity 1000 × 1 worker`. */
export const capacityLabel = (size: number, workers: number) =>
  `capacity ${size} × ${workers} worker${workers > 1 ? 's' : ''}`;

export async function capacityBenchmark(stack: BenchStack, run: BenchRun, o: CapacityOptions): Promise<void> {
  const cadence = Math.max(20, Math.round(o.size / o.roundsPerSecond));
  const opening = o.openingSeconds ?? Math.round((o.size * 3) / 12 + 30);
  const programId = `bench-capacity-${o.size}`;
  await stack.seedProgram(programId, {
    ...ALWAYS_SEND,
    kickoff: { deadline: `${opening}s`, reminderBefore: '1s' },
    contracts: { documents: [], due: { kind: 'before_kickoff' }, reminderBefore: '1s' },
    checkins: {
      cadence: `${cadence}s`,
      firstAfterKickoff: '1s',
      reminderAfter: `${Math.round(cadence / 4)}s`,
      closeAfter: `${Math.round(cadence / 2)}s`,
      extraQuestions: [],
    },
    tasks: [],
  });
  const playbook = await currentPlaybook(stack.db, programId);
  const references = Array.from({ length: o.size }, (_, i) => `cap${o.size}-${i + 1}`);
  const label = capacityLabel(o.size, o.workers);
  process.stdout.write(`  ${label}: cadence ${cadence} s, first rounds ${opening} s after the start\n`);

  await insertMatches(stack.db, programId, references);

  const rss: number[] = [];
  const sampler = setInterval(() => {
    // Only while every worker is there: a worker that died has no memory, not a small one.
    const each = stack.processes.workers.map((w) => (w.child.exitCode === null ? rssMb(w.child.pid) : null));
    if (each.every((mb): mb is number => mb !== null)) rss.push(each.reduce((a, b) => a + b, 0));
  }, 2000);
  const t0 = Date.now();
  await inParallel(references, 20, (reference) =>
    stack.temporal.client.workflow.start<typeof matchWorkflow>('matchWorkflow', {
      workflowId: matchWorkflowId(matchIdFor(programId, reference)),
      taskQueue: stack.taskQueue,
      args: [{ match: snapshotOf(programId, reference), playbook }],
      typedSearchAttributes: [
        { key: searchAttributes.programId, value: programId },
        { key: searchAttributes.status, value: 'open' },
      ],
    }),
  );
  const started = Date.now();
  process.stdout.write(`  started ${o.size} workflows in ${((started - t0) / 1000).toFixed(0)} s\n`);

  // The window: from when the last match's first round is due, for a few cadences.
  const windowStart = started + opening * 1000 + 1000;
  const windowEnd = windowStart + o.windowCadences * cadence * 1000;
  await sleep(windowStart - Date.now());
  const openingSent = stack.smtp.received.filter((e) => e.template === 'match-opened').length;
  const metricsBefore = await scheduleToStart(stack.metricsUrl);
  const cacheBefore = await stickyCache(stack.processes.workerMetricsUrls);
  const sentBefore = stack.smtp.received.length;
  const rssFrom = rss.length;
  const cpuBefore = stack.cpuSample();
  noteLoad(run, label);
  await sleep(windowEnd - Date.now());
  const cpuAfter = stack.cpuSample();
  const sentInWindow = stack.smtp.received.length - sentBefore;
  const metricsAfter = await scheduleToStart(stack.metricsUrl);
  const cacheAfter = await stickyCache(stack.processes.workerMetricsUrls);
  const emailsPerSecond = sentInWindow / ((Date.now() - windowStart) / 1000);
  const rssWindow = rss.slice(rssFrom);
  noteLoad(run, label);

  // The read model catches up (rounds carry the workflow's own time, so a late write still tells when they opened).
  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
  try {
    const openedBy = async () =>
      (
        await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "CheckinRound" r JOIN "Match" m ON m.id = r."matchId"
            WHERE m."programId" = $1 AND r."openedAt" <= $2`,
          [programId, new Date(windowEnd)],
        )
      ).rows[0]!.n;
    let last = -1;
    for (let waited = 0; waited < 180_000; waited += 5000) {
      const now = await openedBy();
      if (now === last) break;
      last = now;
      await sleep(5000);
    }
    clearInterval(sampler);

    const { rows: matches } = await pool.query<{ id: string; deadline: Date | null }>(
      `SELECT id, "kickoffDeadlineAt" AS deadline FROM "Match" WHERE "programId" = $1`,
      [programId],
    );
    const { rows: rounds } = await pool.query<{ matchId: string; round: number; openedAt: Date }>(
      `SELECT r."matchId", r.round, r."openedAt" FROM "CheckinRound" r JOIN "Match" m ON m.id = r."matchId"
        WHERE m."programId" = $1 AND r."openedAt" <= $2 ORDER BY r."matchId", r.round`,
      [programId, new Date(windowEnd)],
    );
    const { rows: requests } = await pool.query<{ key: string; sentAt: Date | null }>(
      `SELECT e."idempotencyKey" AS key, e."sentAt" FROM "Email" e JOIN "Match" m ON m.id = e."matchId"
        WHERE m."programId" = $1 AND e.template = 'checkin-request' AND e."idempotencyKey" LIKE '%/host'`,
      [programId],
    );
    const sentAt = new Map(requests.map((r) => [r.key, r.sentAt?.getTime() ?? null]));
    const byMatch = new Map<string, { round: number; openedAt: number }[]>();
    for (const r of rounds) {
      const list = byMatch.get(r.matchId) ?? [];
      list.push({ round: r.round, openedAt: r.openedAt.getTime() });
      byMatch.set(r.matchId, list);
    }

    // Each round is due a cadence after the previous one opened (the first, a second after the kickoff deadline).
    const openLate: number[] = [];
    const sendLate: number[] = [];
    let due = 0;
    let dueNotOpened = 0;
    for (const m of matches) {
      if (!m.deadline) {
        // The read model never saw this match's first write: everything it owed is missing.
        due += 1;
        dueNotOpened += 1;
        continue;
      }
      let dueAt = m.deadline.getTime() + 1000;
      for (const r of byMatch.get(m.id) ?? []) {
        due += 1;
        openLate.push((r.openedAt - dueAt) / 1000);
        const sent = sentAt.get(`${matchWorkflowId(m.id)}/checkin-${r.round}-request/host`) ?? null;
        sendLate.push(((sent ?? windowEnd) - dueAt) / 1000);
        dueAt = r.openedAt + cadence * 1000;
      }
      if (dueAt <= windowEnd) {
        due += 1;
        dueNotOpened += 1;
        // Not opened by the end: at least this late.
        openLate.push((windowEnd - dueAt) / 1000);
        sendLate.push((windowEnd - dueAt) / 1000);
      }
    }
    const s2s = windowOf(metricsBefore, metricsAfter);
    const b = label;
    const f = (name: string, value: number | null, unit: string, target?: { op: '>=' | '<='; value: number }) =>
      figure(run, { benchmark: b, name, value, unit, ...(target ? { target } : {}) });
    f('rounds due per second', o.size / cadence, '/s');
    f('rounds due', due, '');
    f('rounds due but not opened', dueNotOpened, '', { op: '<=', value: 0 });
    f('round opening lateness p50', median(openLate), 's');
    f('round opening lateness p99', percentile(openLate, 99), 's', { op: '<=', value: 5 });
    f('request email lateness p50', median(sendLate), 's');
    f('request email lateness p99', percentile(sendLate, 99), 's');
    f('emails per second', emailsPerSecond, '/s');
    f('worker RSS max', rssWindow.length ? Math.max(...rssWindow) : null, 'MB', { op: '<=', value: 500 * o.workers });
    f('workflow task schedule-to-start mean', s2s.meanMs, 'ms');
    f('workflow task schedule-to-start p99 (bucket)', s2s.p99Ms, 'ms');
    // The worker's workflow tasks in the window, and the share that first replayed their run's history (not cached).
    const hits = cacheAfter.hits - cacheBefore.hits;
    const misses = cacheAfter.misses - cacheBefore.misses;
    f('worker workflow tasks', hits + misses, '');
    f(
      'worker workflow tasks to an uncached workflow (a replay)',
      hits + misses ? (100 * misses) / (hits + misses) : null,
      '%',
    );
    // Every round opened in the window, and every email sent in it, carries the CPU of the window.
    const openedInWindow = rounds.filter((r) => r.openedAt.getTime() >= windowStart).length;
    const cpu = recordCpu(
      run,
      cpuWindow(
        { benchmark: b, window: 'rounds window' },
        cpuBefore,
        cpuAfter,
        { round: openedInWindow, email: sentInWindow },
        machineCores(),
      ),
    );
    figure(run, {
      benchmark: b,
      name: 'ceiling on this machine (CPU per round)',
      value: cpu.ceiling?.perSecond ?? null,
      unit: 'rounds/s',
      ...(cpu.ceiling ? { note: describeCeiling(cpu.ceiling) } : {}),
    });
    run.details[label] = {
      cadenceSeconds: cadence,
      openingSeconds: opening,
      startSeconds: (started - t0) / 1000,
      openingEmailsSentByWindow: openingSent,
      workflowTasksInWindow: s2s.tasks,
      rssSamplesMb: rssWindow,
    };
  } finally {
    clearInterval(sampler);
    await pool.end();
  }
}
