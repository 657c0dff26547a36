import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createMailTransport } from '../../activities/mail/transport';
import { saveAndDeliverAnswer } from '../../api/services/checkins';
import type { matchWorkflow } from '../../workflows';
import type { Respondent } from '../../workflows/checkin-questions';
import { healthyAnswers, type AnswerInput } from './answers';
import { DEFAULT_PLAYBOOK, type Playbook } from '../../workflows/playbook';
import {
  matchStateQuery,
  matchWorkflowId,
  type ActionResult,
  type MatchSnapshot,
  type MatchState,
} from '../../workflows/shared';
import type { TCreateMatchRequest } from '../../api/services/matches';
import { createTestDatabase, type TestDatabase } from './database';
import { matchDates, matchRequest, seedMatch, seedProgram, unique } from './fixtures';
import type { CalendarStart } from './instants';
import { startSmtpListener, type ReceivedEmail, type SmtpListener, type SmtpListenerOptions } from './smtp';
import {
  createTestWorker,
  createTimeSkippingEnv,
  moveClockTo,
  steadyClient,
  terminateWhenIdle,
  untilAtRest,
  type AtRest,
} from './temporal';

export type { AnswerInput } from './answers';

export const SIGNING_SECRET = 'lifecycle-test-signing-secret-0123456789';
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export type MatchResult = Awaited<ReturnType<typeof matchWorkflow>>;

export type Timeline = { type: string; at: Date; payload: Record<string, unknown> }[];

export type RunningMatch = {
  id: string;
  snapshot: MatchSnapshot;
  programManagerEmail: string;
  /** On a client that never lets the server skip time by itself: its `result()` waits in real time (see `result`). */
  handle: WorkflowHandleWithFirstExecutionRunId<typeof matchWorkflow>;
  /** Moves the clock an hour at a time until the match's workflow has ended; its result. */
  result(): Promise<MatchResult>;
  state(): Promise<MatchState>;
  act<A>(update: UpdateDefinition<ActionResult, [A]>, arg: A): Promise<ActionResult>;
  /** Saves the answer to Postgres, then signals the workflow (as the check-in page does). */
  answer(round: number, respondent: Respondent, answers?: AnswerInput): Promise<void>;
  emails(filter?: (e: ReceivedEmail) => boolean): ReceivedEmail[];
  timeline(): Promise<Timeline>;
};

export type Harness = {
  env: TestWorkflowEnvironment;
  database: TestDatabase;
  smtp: SmtpListener;
  now(): Promise<number>;
  /** Moves the time-skipping server's clock forward (timers fire, activities run, emails arrive). */
  advance(ms: number): Promise<void>;
  /** Moves the clock to `at` if it is not there yet. */
  advanceTo(at: number | string): Promise<void>;
  /** Moves the clock to exactly `at`; an instant already passed is an error (the server cannot go back). */
  moveTo(at: number | string): Promise<void>;
  /**
   * Starts a scenario at the next instant of a kind (a working-day morning, a Friday evening…): ends the matches
   * earlier scenarios left running, so they are not carried along, then moves the clock there. Returns the instant.
   */
  startAt(start: CalendarStart): Promise<number>;
  /** A match starting today on the test server's clock, its workflow running. */
  startMatch(options?: {
    playbook?: Partial<Playbook>;
    months?: number;
    days?: number;
    /** Other people than the fixture's (e.g. an address the SMTP listener defers). */
    people?: Partial<Pick<TCreateMatchRequest, 'host' | 'talent' | 'coordinator'>>;
    /** Changes the snapshot the workflow starts with, beyond what the API would accept (a fault to inject). */
    alter?: (snapshot: MatchSnapshot) => MatchSnapshot;
  }): Promise<RunningMatch>;
  /** Terminates every match this harness started that is still running, each once it is at rest. */
  endMatches(): Promise<void>;
  close(): Promise<void>;
};

/** The time-skipping server, real Postgres, a real SMTP listener and a worker with the real activities. */
export async function createHarness(options: { smtp?: SmtpListenerOptions } = {}): Promise<Harness> {
  const [env, database, smtp] = await Promise.all([
    createTimeSkippingEnv(),
    createTestDatabase(),
    startSmtpListener(options.smtp),
  ]);
  const taskQueue = unique('lifecycle');
  const worker: Worker = await createTestWorker(env, taskQueue, {
    db: database.db,
    mail: { transport: createMailTransport(smtp.url), from: 'bansou <noreply@bansou.test>' },
    links: { publicBaseUrl: 'http://bansou.test', signingSecret: SIGNING_SECRET },
  });
  const running = worker.run();
  const program = await seedProgram(database.db);
  const programManagerEmail = `pm.${program.id}@city.example.jp`;
  const pm = await database.db.person.create({
    data: {
      programId: program.id,
      email: programManagerEmail,
      name: '事務局 担当',
      locale: 'ja',
      role: 'program_manager',
    },
  });
  await database.db.programManager.create({ data: { programId: program.id, personId: pm.id } });

  const now = () => env.currentTimeMs();
  const client = steadyClient(env);
  const started: string[] = [];
  const instant = (at: number | string) => (typeof at === 'string' ? Date.parse(at) : at);
  const endMatches = async () => {
    for (const workflowId of started.splice(0)) await terminateWhenIdle(env, workflowId);
  };
  const moveTo = (at: number | string) => moveClockTo(env, instant(at));
  return {
    env,
    database,
    smtp,
    now,
    advance: (ms) => env.sleep(ms),
    async advanceTo(at) {
      const target = instant(at);
      const current = await now();
      if (target > current) await env.sleep(target - current);
    },
    moveTo,
    async startAt(start) {
      await endMatches();
      const at = start.next(await now());
      await moveTo(at);
      return at;
    },
    endMatches,
    async startMatch({ playbook = {}, months = 6, days, people: others = {}, alter = (s: MatchSnapshot) => s } = {}) {
      const dates = matchDates({ from: await now(), inDays: 0, months, days });
      const snapshot = alter(await seedMatch(database.db, matchRequest(program.id, { ...dates, ...others })));
      const handle = await client.workflow.start<typeof matchWorkflow>('matchWorkflow', {
        workflowId: matchWorkflowId(snapshot.id),
        taskQueue,
        args: [{ match: snapshot, playbook: { ...DEFAULT_PLAYBOOK, ...playbook, version: 1 } }],
      });
      started.push(handle.workflowId);
      // Without a run id, queries and updates reach the newest run after a continue-as-new.
      const latest = () => client.workflow.getHandle<typeof matchWorkflow>(matchWorkflowId(snapshot.id));
      // Queries and updates reach the match only at rest: one that meets a workflow task ending in continue-as-new
      // leaves the time-skipping server holding its clock for good (every later sleep would take real time).
      let rest: AtRest | undefined;
      const atRest = async () => {
        rest = await untilAtRest(env, handle.workflowId, rest);
        return latest();
      };
      const people = [snapshot.host.email, snapshot.talent.email, snapshot.coordinator.email, programManagerEmail];
      return {
        id: snapshot.id,
        snapshot,
        programManagerEmail,
        handle,
        async result() {
          for (let hours = 0; (await latest().describe()).status.name === 'RUNNING'; hours++) {
            if (hours > 60 * 24) throw new Error(`match ${snapshot.id} still running 60 days on`);
            await env.sleep(HOUR);
          }
          return latest().result();
        },
        state: async () => (await atRest()).query(matchStateQuery),
        act: async (update, arg) => (await atRest()).executeUpdate(update, { args: [arg] }),
        async answer(round, respondent, answers = {}) {
          const saved = await saveAndDeliverAnswer(database.db, env.client, {
            matchId: snapshot.id,
            round,
            respondent,
            answers: healthyAnswers(answers),
          });
          if (!saved.delivered) throw new Error('the answer was saved but not delivered to the workflow');
        },
        // The program manager hears about every match of the program; theirs are told apart by the match id in the text.
        emails: (filter = () => true) =>
          smtp.received
            .filter(
              (e) =>
                people.includes(e.to) && (e.to !== programManagerEmail || Boolean(e.mail.text?.includes(snapshot.id))),
            )
            .filter(filter),
        async timeline() {
          const rows = await database.db.matchEvent.findMany({
            where: { matchId: snapshot.id },
            orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }],
          });
          return rows.map((r) => ({ type: r.type, at: r.occurredAt, payload: r.payload as Record<string, unknown> }));
        },
      };
    },
    async close() {
      worker.shutdown();
      await running;
      await Promise.all([env.teardown(), database.drop(), smtp.close()]);
    },
  };
}
