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
 *
 * The patch's marker thus records, per run, whether it is traced, and every worker follows it on replay. What a
 * worker decides is only whether a run it starts is traced: with tracing on (`tracing-on.ts`) it is; with tracing off
 * (`tracing-off.ts`) it is not, records no marker and its calls pass straight through, while a run already traced
 * (started with tracing on, or before tracing could be off) keeps its interceptors, whose spans the worker drops.
 */
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import { patched, workflowInfo, type WorkflowInterceptors } from '@temporalio/workflow';

/** The patch whose marker says a run is traced (README, "Changing the match workflow"). */
export const TRACING_PATCH = 'traced-by-opentelemetry';

type Traced = {
  inbound: OpenTelemetryInboundInterceptor;
  outbound: OpenTelemetryOutboundInterceptor;
  internals: OpenTelemetryInternalsInterceptor;
};

/** One set per workflow run; `traceNewRuns`: whether a run this worker starts is traced. */
export function tracingInterceptors({ traceNewRuns }: { traceNewRuns: boolean }): WorkflowInterceptors {
  let traced: Traced | false | undefined;
  // A new run records the marker only when it is to be traced; a replayed one follows its history.
  const decide = (): Traced | false =>
    (traced ??=
      (traceNewRuns || workflowInfo().unsafe.isReplaying) && patched(TRACING_PATCH)
        ? {
            inbound: new OpenTelemetryInboundInterceptor(),
            outbound: new OpenTelemetryOutboundInterceptor(),
            internals: new OpenTelemetryInternalsInterceptor(),
          }
        : false);
  const follow = (): Traced | false => traced ?? false;
  return {
    inbound: [
      {
        execute: (input, next) => {
          const t = decide();
          return t ? t.inbound.execute(input, next) : next(input);
        },
        handleSignal: (input, next) => {
          const t = decide();
          return t ? t.inbound.handleSignal(input, next) : next(input);
        },
        handleUpdate: (input, next) => {
          const t = decide();
          return t ? t.inbound.handleUpdate(input, next) : next(input);
        },
        validateUpdate: (input, next) => {
          const t = follow();
          return t ? t.inbound.validateUpdate(input, next) : next(input);
        },
        handleQuery: (input, next) => {
          const t = follow();
          return t ? t.inbound.handleQuery(input, next) : next(input);
        },
      },
    ],
    outbound: [
      {
        scheduleActivity: (input, next) => {
          const t = decide();
          return t ? t.outbound.scheduleActivity(input, next) : next(input);
        },
        scheduleLocalActivity: (input, next) => {
          const t = decide();
          return t ? t.outbound.scheduleLocalActivity(input, next) : next(input);
        },
        startNexusOperation: (input, next) => {
          const t = decide();
          return t ? t.outbound.startNexusOperation(input, next) : next(input);
        },
        startChildWorkflowExecution: (input, next) => {
          const t = decide();
          return t ? t.outbound.startChildWorkflowExecution(input, next) : next(input);
        },
        continueAsNew: (input, next) => {
          const t = decide();
          return t ? t.outbound.continueAsNew(input, next) : next(input);
        },
        signalWorkflow: (input, next) => {
          const t = decide();
          return t ? t.outbound.signalWorkflow(input, next) : next(input);
        },
        getLogAttributes: (input, next) => {
          const t = follow();
          return t ? t.outbound.getLogAttributes(input, next) : next(input);
        },
        getMetricTags: (input, next) => {
          const t = follow();
          return t ? t.outbound.getMetricTags(input, next) : next(input);
        },
      },
    ],
    internals: [
      {
        // Synchronous inside, though declared async.
        dispose: (input, next) => {
          const t = follow();
          return t ? void t.internals.dispose(input, next) : next(input);
        },
      },
    ],
  };
}
