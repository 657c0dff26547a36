/**
 * The bundle's tracing interceptors with tracing off: no run a worker starts is traced; one already traced stays so
 * (`tracing.ts`), so that it replays.
 */
import { tracingInterceptors } from './tracing';

export const interceptors = () => tracingInterceptors({ traceNewRuns: false });
