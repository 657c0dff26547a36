/**
 * One match, from the day it is made to its close: the post-match support (伴走支援) a good coordinator gives, as a
 * durable workflow. The story is told by its parts, each in its own module under `match/` on a small shared context:
 * the match is made (lifecycle), the kickoff is arranged and held (kickoff), the contract documents are chased
 * (contracts), check-ins go out on a cadence (check-ins) and are judged for risk (escalations), coordinators get
 * their tasks (tasks), and at the end the outcome is recorded and the match closes (lifecycle). Three single writers
 * do all I/O: the mailer sends emails, the syncer writes the read model, the announcer hands webhook events to their
 * deliveries.
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  setHandler,
} from '@temporalio/workflow';
import { matchStateQuery, type MatchResult, type MatchWorkflowInput } from './shared';
import { Checkins } from './match/checkins';
import { MatchContext } from './match/context';
import { Contracts } from './match/contracts';
import { Escalations } from './match/escalations';
import { Kickoff } from './match/kickoff';
import { Lifecycle } from './match/lifecycle';
import { announcer } from './match/announcer';
import { mailer } from './match/mailer';
import { syncer } from './match/syncer';
import { Tasks } from './match/tasks';

export { ROUNDS_PER_RUN } from './match/context';

/** One match, from the day it is made to its close. */
export async function matchWorkflow(input: MatchWorkflowInput): Promise<MatchResult> {
  const ctx = new MatchContext(input);
  const tasks = new Tasks(ctx);
  const escalations = new Escalations(ctx);
  const contracts = new Contracts(ctx, escalations);
  const kickoff = new Kickoff(ctx, tasks, contracts, escalations);
  const checkins = new Checkins(ctx, escalations);
  const lifecycle = new Lifecycle(ctx, { tasks, contracts, checkins, escalations });

  // Every handler is registered before the first await.
  setHandler(matchStateQuery, () => ctx.state);
  checkins.listen();
  kickoff.listen();
  contracts.listen();
  tasks.listen();
  escalations.listen();
  lifecycle.listen();

  if (ctx.state.run === 1) lifecycle.open();

  // The parts run side by side, each waiting for its own time in the state, until the match is finished or the run
  // is long enough to continue as new.
  const scope = new CancellationScope();
  const flows = scope.run(() =>
    Promise.all([
      mailer(ctx),
      syncer(ctx),
      announcer(ctx),
      kickoff.deadline(),
      kickoff.reminder(),
      contracts.run(),
      checkins.run(),
      tasks.run(),
      escalations.ladder(),
      lifecycle.phases(),
    ]),
  );
  flows.catch(() => undefined); // awaited below; this only keeps a cancellation from surfacing twice
  // A part that fails (a bug, not a business error: those are handled where they happen) fails the workflow task,
  // visibly, instead of silently stopping that part of the support for months.
  const failed = flows.then(() => new Promise<never>(() => undefined));

  await Promise.race([condition(() => ctx.finished() || (ctx.shouldContinueAsNew() && ctx.quiet())), failed]);
  scope.cancel();
  await flows.catch((error: unknown) => {
    if (!isCancellation(error)) throw error;
  });

  const { state } = ctx;
  if (!ctx.finished()) {
    await condition(allHandlersFinished);
    ctx.record('workflow.continued', { run: state.run, rounds: state.checkins.completedRounds });
    return continueAsNew<typeof matchWorkflow>({
      match: state.match,
      playbook: state.playbook,
      carried: { state, outbox: ctx.outbox, events: ctx.events, webhooks: ctx.webhooks },
    });
  }
  await condition(allHandlersFinished);
  const { asked, answered } = state.checkins;
  return {
    matchId: state.matchId,
    outcome: state.outcome!,
    completedRounds: state.checkins.completedRounds,
    responseRate: asked ? answered / asked : null,
    runs: state.run,
  };
}
