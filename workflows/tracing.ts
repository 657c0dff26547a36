/**
 * The workflows' tracing interceptors (bundled beside the workflows, `worker/bundle.ts`; not a workflow): the
 * OpenTelemetry ones of `@temporalio/interceptors-opentelemetry`, turned on per run behind a patch. They continue the
 * trace of whoever started or messaged the run, and pass it to the activities it schedules; their spans leave the
 * sandbox through the worker's sink.
 *
 * Wrapping a run's calls adds steps between a command and its result, which reorders what a run already under way
 * does (its replay fails). So a run is traced only if it was from its start: the first call that may decide (the run,
 * a signal or update handler, a command) asks `patched()`, which a run started before this code answers `false` on
 * replay, to its end. Queries and update validators issue no commands, so they follow the decision and never make it.
 */
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import { patched, type WorkflowInterceptors } from '@temporalio/workflow';

/** The patch that turns tracing on for runs started on this code (README, "Changing the match workflow"). */
export const TRACING_PATCH = 'traced-by-opentelemetry';

/** One set per workflow run: the SDK calls this factory for each. */
export const interceptors = (): WorkflowInterceptors => {
  let traced: boolean | undefined;
  const decide = (): boolean => (traced ??= patched(TRACING_PATCH));
  const follow = (): boolean => traced === true;
  const inbound = new OpenTelemetryInboundInterceptor();
  const outbound = new OpenTelemetryOutboundInterceptor();
  const internals = new OpenTelemetryInternalsInterceptor();
  return {
    inbound: [
      {
        execute: (input, next) => (decide() ? inbound.execute(input, next) : next(input)),
        handleSignal: (input, next) => (decide() ? inbound.handleSignal(input, next) : next(input)),
        handleUpdate: (input, next) => (decide() ? inbound.handleUpdate(input, next) : next(input)),
        validateUpdate: (input, next) => (follow() ? inbound.validateUpdate(input, next) : next(input)),
        handleQuery: (input, next) => (follow() ? inbound.handleQuery(input, next) : next(input)),
      },
    ],
    outbound: [
      {
        scheduleActivity: (input, next) => (decide() ? outbound.scheduleActivity(input, next) : next(input)),
        scheduleLocalActivity: (input, next) => (decide() ? outbound.scheduleLocalActivity(input, next) : next(input)),
        startNexusOperation: (input, next) => (decide() ? outbound.startNexusOperation(input, next) : next(input)),
        startChildWorkflowExecution: (input, next) =>
          decide() ? outbound.startChildWorkflowExecution(input, next) : next(input),
        continueAsNew: (input, next) => (decide() ? outbound.continueAsNew(input, next) : next(input)),
        signalWorkflow: (input, next) => (decide() ? outbound.signalWorkflow(input, next) : next(input)),
        getLogAttributes: (input, next) => (follow() ? outbound.getLogAttributes(input, next) : next(input)),
        getMetricTags: (input, next) => (follow() ? outbound.getMetricTags(input, next) : next(input)),
      },
    ],
    internals: [
      {
        // Synchronous inside, though declared async.
        dispose: (input, next) => (follow() ? void internals.dispose(input, next) : next(input)),
      },
    ],
  };
};
