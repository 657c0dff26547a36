import { z } from 'zod';

/** RFC 9457 problem details, as every error of the API is answered. */
export const ZProblem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  requestId: z.string().optional(),
});

/** What every coordinator action answers: the match's phase and status after it. */
export const ZActionResult = z.object({
  ok: z.literal(true),
  phase: z.enum(['onboarding', 'active', 'wrap_up', 'closed']),
  status: z.enum(['open', 'paused', 'completed', 'terminated_early', 'cancelled']),
});
