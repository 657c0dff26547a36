import pg from 'pg';
import { signLink } from '../activities/links';
import { csrfFor } from '../api/pages/render';
import { SCALE_QUESTIONS } from '../workflows/checkin-questions';
import { matchIdFor } from '../workflows/shared';
import { ALWAYS_SEND, inParallel, matchBody, registerForSetup } from './matches';
import { figure, median, noteLoad, percentile, sleep, type BenchRun } from './report';
import { SIGNING_SECRET, type BenchStack } from './stack';

/**
 * An answer, from the person's click to the read model: host and talent of each match post the check-in page (the
 * answer is saved, then the workflow is signalled), and the benchmark watches Postgres for the timeline's
 * `checkin.answered`. Two answers at a time, as people answer: the figure is latency, not throughput.
 */
export async function answerBenchmark(
  stack: BenchStack,
  run: BenchRun,
  options: { matches: number; reps: number },
): Promise<void> {
  const programId = 'bench-answers';
  // Round 1 opens a few seconds after the match starts and stays open for an hour.
  await stack.seedProgram(programId, {
    ...ALWAYS_SEND,
    kickoff: { deadline: '3s', reminderBefore: '1s' },
    checkins: { cadence: '2h', firstAfterKickoff: '1s', reminderAfter: '50m', closeAfter: '1h', extraQuestions: [] },
  });
  const headers = await stack.keyHeaders('coordinator', [programId]);
  const [apiUrl] = stack.processes.apiUrls;
  if (!apiUrl) throw new Error('answers need an API process');
  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 3 });

  const saved: number[] = [];
  const timeline: number[] = [];
  try {
    for (let rep = 1; rep <= options.reps; rep++) {
      const references = Array.from({ length: options.matches }, (_, i) => `ans-${rep}-${i + 1}`);
      await inParallel(references, 10, (reference) =>
        registerForSetup(apiUrl, headers, matchBody(programId, reference)),
      );
      const ids = references.map((reference) => matchIdFor(programId, reference));
      // Every round 1 open and in the read model.
      for (;;) {
        const { rows } = await pool.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM "CheckinRound" WHERE "matchId" = ANY($1) AND round = 1',
          [ids],
        );
        if (rows[0]!.n >= ids.length) break;
        await sleep(500);
      }
      await sleep(2000);
      noteLoad(run, 'answers');
      const answers = ids.flatMap((id) => (['host', 'talent'] as const).map((respondent) => ({ id, respondent })));
      await inParallel(answers, 2, async ({ id, respondent }) => {
        const token = signLink(SIGNING_SECRET, {
          kind: 'checkin',
          matchId: id,
          n: 1,
          respondent,
          expiresAt: Date.now() + 86_400_000,
        });
        const form = new URLSearchParams({
          csrf: csrfFor(SIGNING_SECRET, token),
          ...Object.fromEntries(SCALE_QUESTIONS.map((q) => [q, '4'])),
        });
        const t0 = performance.now();
        const res = await fetch(`${apiUrl}/checkins/${token}`, { method: 'POST', body: form });
        await res.text();
        if (res.status !== 200) throw new Error(`check-in answer: ${res.status}`);
        saved.push(performance.now() - t0);
        for (;;) {
          const { rowCount } = await pool.query(
            `SELECT 1 FROM "MatchEvent" WHERE "matchId" = $1 AND type = 'checkin.answered' AND payload->>'respondent' = $2`,
            [id, respondent],
          );
          if (rowCount) break;
          if (performance.now() - t0 > 60_000) throw new Error(`answer of ${id} not on the timeline after 60 s`);
          await sleep(5);
        }
        timeline.push(performance.now() - t0);
      });
      process.stdout.write(
        `  rep ${rep}: saved and signalled p99 ${percentile(saved, 99)!.toFixed(0)} ms, on the timeline p99 ${percentile(timeline, 99)!.toFixed(0)} ms\n`,
      );
    }
  } finally {
    await pool.end();
  }
  const b = 'answers';
  figure(run, { benchmark: b, name: 'answer saved and signalled p50', value: median(saved), unit: 'ms' });
  figure(run, { benchmark: b, name: 'answer saved and signalled p99', value: percentile(saved, 99), unit: 'ms' });
  figure(run, { benchmark: b, name: 'answer → timeline p50', value: median(timeline), unit: 'ms' });
  figure(run, { benchmark: b, name: 'answer → timeline p99', value: percentile(timeline, 99), unit: 'ms' });
}
