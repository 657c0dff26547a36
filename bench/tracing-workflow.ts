import { proxyActivities } from '@temporalio/workflow';

/** The activity of the tracing benchmark: returns its argument (the work is Temporal's and the interceptors'). */
export type TracingBenchActivities = { step(n: number): Promise<number> };

const { step } = proxyActivities<TracingBenchActivities>({ startToCloseTimeout: '30 seconds' });

/** A run shaped like a round of a match, without its business: a few activities one after another. */
export async function tracingBenchWorkflow(input: { steps: number }): Promise<number> {
  let sum = 0;
  for (let i = 0; i < input.steps; i++) sum += await step(i);
  return sum;
}
