/** The bundle's tracing interceptors with tracing on: every run a worker starts is traced (`tracing.ts`). */
import { tracingInterceptors } from './tracing';

export const interceptors = () => tracingInterceptors({ traceNewRuns: true });
