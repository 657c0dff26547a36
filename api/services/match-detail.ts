import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { matchStateQuery, matchWorkflowId, type MatchState } from '../../workflows/shared';
import { may, type Principal } from '../auth';
import type { ApiDeps } from '../deps';
import { isoOrNull, toRiskView, toSummary, ZMatchSummary, ZRiskView } from './match-list';
import { detailRows } from './match-reads';
import { reasonOf, silentLog } from '../../telemetry/log';
import { inScope } from './scope';
import { beforeDeadline } from './actions';

/**
 * One match as the API's GET /matches/:id and the workspace's match page show it: the read model, its contracts,
 * tasks, escalations, check-in rounds with both sides' answers (for those who may read them), the timeline, and the
 * workflow's own state when it answers in time.
 */
/** A name in both languages, as the playbook gives it (`{ ja, en }`). */
const ZLabel = z.record(z.string(), z.string());
export const ZTimelineEvent = z.object({
  type: z.string(),
  at: z.string(),
  payload: z.record(z.string(), z.unknown()),
});
const ZCheckinRoundView = z.object({
  round: z.number().int(),
  kind: z.string().nullable(),
  status: z.string().nullable(),
  openedAt: z.string().nullable(),
  closeAt: z.string().nullable(),
  host: z.record(z.string(), z.unknown()).nullable(),
  talent: z.record(z.string(), z.unknown()).nullable(),
});
export const ZMatchDetail = z.object({
  match: ZMatchSummary,
  risk: ZRiskView,
  contracts: z.array(
    z.object({
      type: z.string(),
      label: ZLabel,
      required: z.boolean(),
      status: z.string(),
      dueAt: z.string().nullable(),
      reason: z.string().nullable(),
    }),
  ),
  tasks: z.array(
    z.object({
      id: z.string(),
      key: z.string(),
      label: ZLabel,
      status: z.string(),
      openAt: z.string(),
      dueAt: z.string(),
      doneAt: z.string().nullable(),
    }),
  ),
  escalations: z.array(z.lazy(() => ZEscalationBrief)),
  checkins: z.array(ZCheckinRoundView),
  timeline: z.array(ZTimelineEvent).describe('the latest events (timelineLimit), oldest first'),
  timelineTruncated: z.boolean().describe('older events exist: page through them at /matches/:id/timeline'),
  live: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe("with live=true, the workflow's own state (a query), when it answers; otherwise null"),
  liveError: z.string().optional(),
});
export const ZEscalationBrief = z.object({
  id: z.string(),
  type: z.string(),
  severity: z.string(),
  status: z.string(),
  level: z.number().int(),
  reasons: z.array(z.string()),
  reason: z
    .object({ ja: z.string(), en: z.string() })
    .nullable()
    .describe("the risk model's reason in words (null for the round-by-round rules)"),
  openedAt: z.string(),
  dueAt: z.string(),
  snoozedUntil: z.string().nullable(),
  resolvedAt: z.string().nullable(),
});

export const timelineSelect = { id: true, type: true, payload: true, occurredAt: true } as const;
export const toTimelineEvent = (e: { type: string; payload: unknown; occurredAt: Date }) => ({
  type: e.type,
  at: e.occurredAt.toISOString(),
  payload: e.payload as Record<string, unknown>,
});

type RoundRow = { round: number; kind: string; status: string; openedAt: Date; closeAt: Date };
type AnswerRow = { round: number; respondent: string; answers: unknown; submittedAt: Date; signalledAt: Date | null };

/** The workflow's state without what host and talent wrote (for program managers). */
function withoutAnswers(state: MatchState): MatchState {
  const current = state.checkins.current;
  return {
    ...state,
    // The risk model's history holds the answers; its state (evidence and reasons) stays.
    ...(state.risk ? { risk: { ...state.risk, history: [] } } : {}),
    checkins: {
      ...state.checkins,
      lastAnswers: {},
      current: current && {
        ...current,
        answers: Object.fromEntries(
          Object.entries(current.answers).map(([who, a]) => [who, { answerId: a!.answerId, at: a!.at }]),
        ),
      },
    },
  } as MatchState;
}

/**
 * Check-in rounds with each side's answer (answers saved for a round the read model has not seen yet included);
 * without `withAnswers` only whether and when each side answered.
 */
function checkinView(rounds: RoundRow[], answers: AnswerRow[], withAnswers: boolean) {
  const numbers = [...new Set([...rounds.map((r) => r.round), ...answers.map((a) => a.round)])].sort((a, b) => a - b);
  return numbers.map((n) => {
    const round = rounds.find((r) => r.round === n);
    const side = (who: string) => {
      const a = answers.find((x) => x.round === n && x.respondent === who);
      if (!a) return null;
      const meta = { submittedAt: a.submittedAt.toISOString(), delivered: Boolean(a.signalledAt) };
      return withAnswers ? { ...(a.answers as object), ...meta } : { answered: true, ...meta };
    };
    return {
      round: n,
      kind: round?.kind ?? null,
      status: round?.status ?? null,
      openedAt: isoOrNull(round?.openedAt ?? null),
      closeAt: isoOrNull(round?.closeAt ?? null),
      host: side('host'),
      talent: side('talent'),
    };
  });
}

/**
 * The detail, read in one statement (the match row, which also decides the caller's scope, with everything beside
 * it): the workflow is asked for its own state only with `live`, and the timeline is the latest
 * `timelineLimit` events (all without it).
 */
async function detailParts(
  deps: Pick<ApiDeps, 'db' | 'temporal' | 'log'>,
  principal: Principal,
  matchId: string,
  options: DetailOptions,
): Promise<{ view: TMatchDetail; timeline: string }> {
  const limit = options.timelineLimit;
  const found = await detailRows(deps.db, matchId, limit);
  const row = inScope(principal, matchId, found?.summary ?? null, 'read');
  // inScope has thrown when there is no such match.
  const { contracts, tasks, escalations, timeline, timelineTruncated, rounds, answers } = found!;
  // Host's and talent's own words are for the coordinator (and admins); program managers see who answered.
  const seesAnswers = may(principal, 'read_answers', row.programId);
  let live: MatchState | null = null;
  let liveError: string | undefined;
  try {
    if (options.live) {
      live = await beforeDeadline(deps.temporal, Date.now() + 5000, () =>
        deps.temporal.workflow.getHandle(matchWorkflowId(matchId)).query(matchStateQuery),
      );
    }
  } catch (error) {
    // The stored match and timeline are still worth returning when the workflow cannot be asked right now.
    liveError = 'The match workflow did not answer just now; the rest of this answer is from the read model.';
    (deps.log ?? silentLog).warn(
      { matchId, requestId: options.requestId, reason: reasonOf(error) },
      'live state query failed',
    );
  }
  const view: TMatchDetail = {
    match: toSummary(row),
    risk: toRiskView(row),
    contracts: contracts.map((c) => ({
      type: c.type,
      label: c.label as Record<string, string>,
      required: c.required,
      status: c.status,
      dueAt: isoOrNull(c.dueAt),
      reason: c.reason,
    })),
    tasks: tasks.map((t) => ({
      id: t.id,
      key: t.key,
      label: t.label as Record<string, string>,
      status: t.status,
      openAt: t.openAt.toISOString(),
      dueAt: t.dueAt.toISOString(),
      doneAt: isoOrNull(t.doneAt),
    })),
    escalations: escalations.map(toEscalationBrief),
    // Both sides' answers, for the coordinator; host and talent never see each other's.
    checkins: checkinView(rounds, answers, seesAnswers),
    // In its place among the others; the events themselves are added by the caller (parsed, or as text).
    timeline: [],
    timelineTruncated,
    live: (live && !seesAnswers ? withoutAnswers(live) : live) as unknown as Record<string, unknown> | null,
    ...(liveError ? { liveError } : {}),
  };
  return { view, timeline };
}

type TMatchDetail = z.infer<typeof ZMatchDetail>;
type DetailOptions = { requestId?: string; live?: boolean; timelineLimit?: number };

/** The detail as the workspace's match page uses it. */
export async function matchDetail(
  deps: Pick<ApiDeps, 'db' | 'temporal' | 'log'>,
  principal: Principal,
  matchId: string,
  options: DetailOptions = {},
): Promise<TMatchDetail> {
  const { view, timeline } = await detailParts(deps, principal, matchId, options);
  view.timeline = JSON.parse(timeline) as TMatchDetail['timeline'];
  return view;
}

/** Stands for the timeline in the JSON of the rest (no data can hold it: each process makes its own). */
const TIMELINE_MARK = `\u0000timeline ${randomUUID()}`;
const TIMELINE_SLOT = `"timeline":${JSON.stringify(TIMELINE_MARK)}`;

/**
 * The detail as GET /matches/:id sends it: JSON text, the same as `JSON.stringify(await matchDetail(…))` but for
 * whitespace, with the timeline (most of it) as Postgres wrote it rather than parsed here only to be written again.
 */
export async function matchDetailJson(
  deps: Pick<ApiDeps, 'db' | 'temporal' | 'log'>,
  principal: Principal,
  matchId: string,
  options: DetailOptions = {},
): Promise<string> {
  const { view, timeline } = await detailParts(deps, principal, matchId, options);
  const rest = JSON.stringify({ ...view, timeline: TIMELINE_MARK });
  return rest.replace(TIMELINE_SLOT, () => `"timeline":${timeline}`);
}

export function toEscalationBrief(e: {
  id: string;
  type: string;
  severity: string;
  status: string;
  level: number;
  reasons: unknown;
  reason: unknown;
  openedAt: Date;
  dueAt: Date;
  snoozedUntil: Date | null;
  resolvedAt: Date | null;
}): z.infer<typeof ZEscalationBrief> {
  return {
    id: e.id,
    type: e.type,
    severity: e.severity,
    status: e.status,
    level: e.level,
    reasons: e.reasons as string[],
    reason: (e.reason as { ja: string; en: string } | null) ?? null,
    openedAt: e.openedAt.toISOString(),
    dueAt: e.dueAt.toISOString(),
    snoozedUntil: isoOrNull(e.snoozedUntil),
    resolvedAt: isoOrNull(e.resolvedAt),
  };
}
