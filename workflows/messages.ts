/**
 * The input rules of every message the match workflow takes: the coordinator's actions (updates) and a saved
 * check-in answer (signal), as zod schemas. The API decodes requests with them and the workflow's validators check
 * the same schemas, so each rule is written once. Pure (zod only, no I/O), so the workflow bundle carries it; it
 * imports only leaf modules, so `shared.ts` can build the message definitions on it without an import circle.
 */
import { z } from 'zod';
import { RESPONDENTS, SCALE_QUESTIONS } from './checkin-questions';
import { LOCALES } from './locale';
import { ZText } from './text';

export const CONTRACT_STATUSES = ['missing', 'submitted', 'verified', 'rejected'] as const;

/** Why a match ended before its planned end (途中終了), a fixed taxonomy so programs can compare. */
export const TERMINATION_REASONS = [
  'working_style_mismatch',
  'tools_or_remote',
  'priority_change',
  'unclear_tasks',
  'contract_issue',
  'host_circumstances',
  'talent_circumstances',
  'other',
] as const;

// Fields --------------------------------------------------------------------------------------------------------------

const ZInstant = z.iso.datetime({
  offset: true,
  error: 'must be an ISO date-time with a zone, e.g. 2026-12-03T10:00:00+09:00',
});
const ZReason = ZText.line({ max: 1000 });
const ZNote = ZText.lines({ max: 2000, blank: true });
const ZLocation = ZText.line({ max: 500, blank: true });
const ZDurationMinutes = z.int('must be 15 to 480').min(15, 'must be 15 to 480').max(480, 'must be 15 to 480');
const ZItemId = ZText.token({ max: 200 });

/** A contract document's key in the playbook (`outsourcing_contract`). */
export const ZContractType = z.string().regex(/^[a-z][a-z0-9_]{0,40}$/, 'is not a document type');

/** A person as the workflow knows them (an id of the read model, a name, an address, a language). */
export const ZParticipant = z.object({
  personId: z.string().min(1),
  name: ZText.line({ max: 200 }),
  email: z.email({ error: 'must be an email address' }).max(320),
  locale: z.enum(LOCALES),
  organization: z.string().optional(),
});

/**
 * Who took an action: a person signed in to the workspace (by email) or an API key (by id), with the name to show.
 * Sent beside an action's own fields as `by`; the workflow puts it on the timeline events the action records.
 */
export const ZActor = z.object({
  kind: z.enum(['account', 'api_key']),
  id: z.string().min(1).max(320),
  name: z.string().min(1).max(200),
});
export type Actor = z.infer<typeof ZActor>;

// Kickoff -------------------------------------------------------------------------------------------------------------

const slot = (durationMinutes: z.ZodType<number>) => z.object({ startsAt: ZInstant, durationMinutes });
const proposal = <S extends z.ZodType>(slotSchema: S) =>
  z.object({
    slots: z.array(slotSchema).min(1, 'propose 1 to 5 slots').max(5, 'propose 1 to 5 slots'),
    location: ZLocation.optional(),
  });

export const ZKickoffSlot = slot(ZDurationMinutes);
export const ZProposeKickoffSlots = proposal(ZKickoffSlot);
export const ZScheduleKickoff = ZKickoffSlot.extend({ location: ZLocation.optional() });
/** As the API takes slots: a meeting lasts an hour unless it says otherwise. */
const ZKickoffSlotRequest = slot(ZDurationMinutes.default(60));
export const ZProposeKickoffSlotsRequest = proposal(ZKickoffSlotRequest);
export const ZScheduleKickoffRequest = ZKickoffSlotRequest.extend({ location: ZLocation.optional() });

/** `proposal`: the proposal the answer is for (its link says); an answer to a replaced proposal is refused. */
export const ZRespondKickoff = z.object({
  respondent: z.enum(RESPONDENTS, { error: 'must be host or talent' }),
  choice: z.union([z.literal('other'), z.int().min(0)], { error: 'must be "other" or a slot number' }),
  note: ZText.lines({ max: 1000, blank: true }).optional(),
  proposal: z.int().min(1).optional(),
});
export const ZCancelKickoff = z.object({ reason: ZReason });
export const ZRecordKickoff = z
  .object({ held: z.boolean(), reason: ZReason.optional() })
  .refine((k) => k.held || k.reason !== undefined, {
    path: ['reason'],
    message: 'is required when the kickoff was not held',
  });

// Contracts, tasks, notes ---------------------------------------------------------------------------------------------

/** A contract document's new status, as the API's body carries it (the type is in the path). */
export const ZContractStatusChange = z
  .object({ status: z.enum(CONTRACT_STATUSES), reason: ZReason.optional() })
  .refine((c) => c.status !== 'rejected' || c.reason !== undefined, {
    path: ['reason'],
    message: 'is required to reject a document',
  });
export const ZSetContractStatus = ZContractStatusChange.extend({ type: ZContractType });

export const ZCompleteTask = z.object({ taskId: ZItemId, note: ZNote.optional() });
export const ZAddNote = z.object({
  text: ZText.lines({ max: 5000 }),
  sentiment: z.int('must be 1 to 5').min(1, 'must be 1 to 5').max(5, 'must be 1 to 5').optional(),
});

// Escalations ---------------------------------------------------------------------------------------------------------

export const ZEscalationAction = z.object({ escalationId: ZItemId });
export const ZResolveEscalation = ZEscalationAction.extend({
  note: ZText.lines({ max: 2000 }),
});
export const ZSnoozeEscalation = ZEscalationAction.extend({ until: ZInstant, reason: ZReason });

// The match as a whole ------------------------------------------------------------------------------------------------

export const ZPause = z.object({ reason: ZReason });
export const ZResume = z.object({}).strict();
export const ZExtend = z.object({ endDate: z.iso.date({ error: 'must be a date as YYYY-MM-DD' }) });
export const ZReassign = z.object({ coordinator: ZParticipant });
export const ZEndEarly = z.object({
  reason: z.enum(TERMINATION_REASONS, { error: `must be one of ${TERMINATION_REASONS.join(', ')}` }),
  note: ZNote.optional(),
});
export const ZCompleteMatch = z.object({ note: ZNote.optional() });
export const ZCancelMatch = z.object({ reason: ZReason });

// Check-in answers ----------------------------------------------------------------------------------------------------

const ZScore = z.int().min(1).max(5);

/** One person's answers to one round, as the check-in page saves them. */
export const ZCheckinAnswers = z.object({
  scores: z.object(
    Object.fromEntries(SCALE_QUESTIONS.map((q) => [q, ZScore])) as Record<
      (typeof SCALE_QUESTIONS)[number],
      typeof ZScore
    >,
  ),
  hoursSpent: z.number().min(0).max(1000).optional(),
  comment: z.string().max(5000).optional(),
  wantsCoordinator: z.boolean(),
  extra: z.record(z.string(), z.union([z.number(), z.string().max(2000)])).optional(),
});

/** A check-in answer was saved to Postgres (the API saves first, then signals); `submittedAt` is when it was saved. */
export const ZCheckinAnswered = z.object({
  round: z.int().min(1),
  respondent: z.enum(RESPONDENTS),
  answerId: z.string().min(1),
  answers: ZCheckinAnswers,
  submittedAt: ZInstant,
});

// Naming what is wrong ------------------------------------------------------------------------------------------------

export type FieldIssue = { field: string; message: string };

/** Each problem of a failed parse with the field it is about (`host.email`, `slots[0].startsAt`). */
export function fieldIssues(error: z.ZodError, prefix?: string): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path
      .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
      .join('');
    const field = [prefix, path].filter(Boolean).join('.') || '(body)';
    const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
    return { field, message };
  });
}

/** What is wrong with a message's argument, in one sentence per field ("sentiment must be 1 to 5"), or null. */
export function problemsWith(schema: z.ZodType, value: unknown): string | null {
  const result = schema.safeParse(value);
  if (result.success) return null;
  return fieldIssues(result.error)
    .map((i) => (i.field === '(body)' ? i.message : `${i.field} ${i.message}`))
    .join('; ');
}
