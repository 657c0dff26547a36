/**
 * What the workflows share with the API, the worker and the tests: pure types, message definitions, the task
 * queue's default name, the workflow id helper and the search attribute keys. No I/O lives here.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { z } from 'zod';
import type { CheckinAnswers, Respondent } from './checkin-questions';
import type { Health } from './health';
import type { LocalizedText } from './locale';
import type {
  CONTRACT_STATUSES,
  TERMINATION_REASONS,
  ZAddNote,
  ZCancelKickoff,
  ZCancelMatch,
  ZCheckinAnswered,
  ZCompleteMatch,
  ZCompleteTask,
  ZEndEarly,
  ZEscalationAction,
  ZExtend,
  ZKickoffSlot,
  ZParticipant,
  ZPause,
  ZProposeKickoffSlots,
  ZReassign,
  ZRecordKickoff,
  ZResolveEscalation,
  ZRespondKickoff,
  ZResume,
  ZScheduleKickoff,
  ZSetContractStatus,
  ZSnoozeEscalation,
} from './messages';
import type { Playbook } from './playbook';
import type { RiskSignal, RiskSignalType, Severity } from './risk';
import type { RiskCause, RiskHistoryEntry, RiskState } from './risk-model';
import type { RaisedWebhookEvent } from './webhook-events';

export { LOCALES, type Locale } from './locale';
export { CONTRACT_STATUSES, TERMINATION_REASONS } from './messages';

/** The task queue every match workflow and activity runs on, unless `TASK_QUEUE` says otherwise. */
export const DEFAULT_TASK_QUEUE = 'bansou-matches';

const MATCH_WORKFLOW_PREFIX = 'match:';

/** A program id: lowercase letters, digits and `-` (it is the first part of its matches' ids). */
export const PROGRAM_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

/**
 * A program's own id for one of its matches, as its spreadsheets have it (letters, digits, `-`, `_`, `.`): unique
 * within the program only, so two programs may use the same one.
 */
export const MATCH_REFERENCE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * A match id: `<program>:<reference>`, unique across programs because the program is part of it (matches registered
 * before ids were per program keep their reference alone as their id).
 */
export const MATCH_ID_PATTERN = new RegExp(
  `^(?:${PROGRAM_ID_PATTERN.source.slice(1, -1)}:)?${MATCH_REFERENCE_PATTERN.source.slice(1, -1)}$`,
);

/** The id of the match a program calls `reference`. */
export function matchIdFor(programId: string, reference: string): string {
  return `${programId}:${reference}`;
}

/** What the match's program calls it (the part of its id after the program). */
export function matchReference(matchId: string): string {
  return matchId.slice(matchId.indexOf(':') + 1);
}

/** The workflow id of a match: `match:<id>`. The API, the worker and the tests all build it here. */
export function matchWorkflowId(matchId: string): string {
  if (!MATCH_ID_PATTERN.test(matchId)) throw new RangeError(`not a match id: ${JSON.stringify(matchId)}`);
  return `${MATCH_WORKFLOW_PREFIX}${matchId}`;
}

/** The workflow that emails one sign-in link to the workspace: `sign-in:<link id>`. */
export function signInWorkflowId(linkId: string): string {
  return `sign-in:${linkId}`;
}

/** What the sign-in email workflow needs: the link's id (never its token) and who it goes to. */
export type SignInEmailInput = {
  linkId: string;
  recipient: Pick<Participant, 'name' | 'email' | 'locale'>;
  /** How long the link works, for the email's wording. */
  validMinutes: number;
};

/** The match id inside a workflow id, or undefined when the workflow is not a match. */
export function matchIdOf(workflowId: string): string | undefined {
  if (!workflowId.startsWith(MATCH_WORKFLOW_PREFIX)) return undefined;
  const id = workflowId.slice(MATCH_WORKFLOW_PREFIX.length);
  return MATCH_ID_PATTERN.test(id) ? id : undefined;
}

/** Search attributes that let the Temporal UI filter matches (registered by the dev stack and compose). */
export const searchAttributes = {
  programId: defineSearchAttributeKey('BansouProgramId', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('BansouStatus', SearchAttributeType.KEYWORD),
  risk: defineSearchAttributeKey('BansouRisk', SearchAttributeType.KEYWORD),
} as const;

export type ParticipantRole = 'host' | 'talent' | 'coordinator';

/** A person as the workflow knows them: enough to write to them in their language. */
export type Participant = z.infer<typeof ZParticipant>;

/** The match as it was when the workflow started (dates are ISO calendar dates, `YYYY-MM-DD`). */
export type MatchSnapshot = {
  id: string;
  programId: string;
  programName: string;
  title: string;
  startDate: string;
  endDate: string;
  /** An exact end instant (short engagements, demos); otherwise the end date's midnight in the program's zone. */
  endsAt?: string;
  host: Participant;
  talent: Participant;
  coordinator: Participant;
  /** Who an escalation goes up to when the coordinator does not acknowledge it in time. */
  programManagers: Participant[];
};

export type PlaybookSnapshot = Playbook & { version: number };

export type MatchPhase = 'onboarding' | 'active' | 'wrap_up' | 'closed';
export type MatchStatus = 'open' | 'paused' | 'completed' | 'terminated_early' | 'cancelled';

export type TerminationReason = (typeof TERMINATION_REASONS)[number];

export type Outcome = {
  status: 'completed' | 'terminated_early' | 'cancelled';
  reason?: TerminationReason | string;
  note?: string;
  at: string;
};

export type KickoffSlot = z.infer<typeof ZKickoffSlot>;

export type KickoffResponse = { choice: number | 'other'; note?: string; at: string };

export type KickoffState = {
  status: 'unscheduled' | 'proposed' | 'scheduled' | 'held' | 'not_held';
  /** Held by then, or it is escalated. */
  deadlineAt: string;
  proposal: number;
  slots: KickoffSlot[];
  location?: string;
  responses: Partial<Record<Respondent, KickoffResponse>>;
  scheduled?: KickoffSlot & { sequence: number; location?: string };
  /** Calendar invites sent so far (the SEQUENCE of the next one is this number). */
  inviteSequence: number;
  heldAt?: string;
  notHeldReason?: string;
  /** The invite sequence the last reminder was sent for (a rescheduled meeting gets a new reminder). */
  remindedSequence?: number;
};

export type ContractStatus = (typeof CONTRACT_STATUSES)[number];

export type ContractDocumentState = {
  type: string;
  label: LocalizedText;
  required: boolean;
  status: ContractStatus;
  dueAt: string | null;
  reason?: string;
  updatedAt: string;
};

export type CheckinRoundState = {
  round: number;
  kind: 'regular' | 'final';
  openedAt: string;
  remindAt: string;
  closeAt: string;
  /** Until when the link works: the close plus a grace period. */
  expiresAt: string;
  status: 'open' | 'closed';
  answers: Partial<Record<Respondent, { answerId: string; at: string; answers: CheckinAnswers }>>;
  reminded: Respondent[];
};

export type TaskState = {
  id: string;
  key: string;
  label: LocalizedText;
  /** `cancelled`: the match closed before the task was done. */
  status: 'scheduled' | 'open' | 'done' | 'cancelled';
  openAt: string;
  dueAt: string;
  doneAt?: string;
  note?: string;
  overdueReminded: boolean;
};

export type EscalationState = {
  id: string;
  /** A cause of the risk model, or a signal of the round-by-round rules (matches started before the model). */
  type: RiskSignalType | RiskCause;
  severity: Severity;
  reasons: string[];
  /** The risk model's reason in words, in both languages (what the email says). */
  reason?: LocalizedText;
  evidence: Record<string, unknown>;
  status: 'open' | 'acknowledged' | 'snoozed' | 'resolved';
  /** 1: the coordinator; 2: raised to the program manager after the SLA. */
  level: 1 | 2;
  openedAt: string;
  dueAt: string;
  acknowledgedAt?: string;
  snoozedUntil?: string;
  snoozeReason?: string;
  snoozes: number;
  resolvedAt?: string;
  resolution?: { by: 'coordinator' | 'auto'; note: string };
};

/** What the risk model has read of a match (its input, in order) and what it makes of it now. */
export type MatchRisk = { history: RiskHistoryEntry[]; state: RiskState };

/** The whole durable state of a match workflow; carried across continue-as-new, returned by the query. */
export type MatchState = {
  matchId: string;
  match: MatchSnapshot;
  playbook: PlaybookSnapshot;
  phase: MatchPhase;
  status: MatchStatus;
  startAt: string;
  endAt: string;
  paused?: { since: string; reason: string };
  kickoff: KickoffState;
  contracts: ContractDocumentState[];
  checkins: {
    nextRound: number;
    nextOpenAt: string | null;
    current?: CheckinRoundState;
    completedRounds: number;
    finalSent: boolean;
    asked: number;
    answered: number;
    lastAnswers: Partial<Record<Respondent, CheckinAnswers>>;
    lastRoundAt?: string;
    /** The last round that closed (the read model's row for it is closed from this). */
    lastClosed?: Pick<CheckinRoundState, 'round' | 'kind' | 'openedAt' | 'closeAt' | 'expiresAt'> & {
      answered: Respondent[];
    };
    missedInARow: Record<Respondent, number>;
  };
  tasks: TaskState[];
  escalations: EscalationState[];
  /** Signals from the last closed round, and milestone signals (kickoff, contracts) that still hold. */
  signals: { round: RiskSignal[]; milestones: RiskSignal[] };
  /**
   * The risk model's history and state, for matches judged by it (those started with a playbook that has a
   * `riskModel`, since the patch `risk-model`); absent, the round-by-round rules of `risk.ts` apply.
   */
  risk?: MatchRisk;
  sentiment?: number;
  health: Health;
  previousRoundScore: number | null;
  outcome?: Outcome;
  /** Monotonic counter for ids and timeline keys. */
  seq: number;
  /**
   * Pauses held the contract due date by `byMs` while it stayed anchored at `anchorAt` (the kickoff, its deadline or
   * the start); a new anchor (the kickoff moved) starts without it.
   */
  contractDueHeld?: { anchorAt: string; byMs: number };
  /** Steps done once per match (milestone escalations, contract reminders), so a new run does not repeat them. */
  stepsDone?: string[];
  /** Emails that could not be delivered, until mail to that address goes through again (the latest few). */
  deliveryProblems?: DeliveryProblem[];
  /** Runs of this workflow so far (continue-as-new starts a new one). */
  run: number;
};

export type MatchWorkflowInput = {
  match: MatchSnapshot;
  playbook: PlaybookSnapshot;
  /** Set when the workflow continues as new: everything it had, and the emails, events and webhook events not yet out. */
  carried?: { state: MatchState; outbox: PendingEmail[]; events: PendingEvent[]; webhooks?: RaisedWebhookEvent[] };
};

/** An email the workflow has decided to send; the mailer sends it once sending hours allow. */
export type PendingEmail = {
  key: string;
  template: string;
  to: 'host' | 'talent' | 'coordinator' | 'program_manager';
  recipient: Participant;
  data: Record<string, unknown>;
  /** A check-in link for this recipient, signed by the activity. */
  checkin?: { round: number; respondent: Respondent; expiresAt: string };
  /** A kickoff answer link (host/talent) for this proposal. */
  kickoffLink?: { proposal: number; respondent: Respondent; expiresAt: string };
  /** A calendar invite to attach. */
  invite?: KickoffInvite;
  queuedAt: string;
  /** Tries that failed for now: all of them, those its server deferred (4xx), and when to try again. */
  retry?: { failures: number; deferrals: number; at: string };
};

/** An email that could not be delivered: shown on the match, and the coordinator is told. */
export type DeliveryProblem = {
  template: string;
  role: PendingEmail['to'];
  name: string;
  to: string;
  /** The SMTP server's answer, or why the email could not be made. */
  error: string;
  tries: number;
  at: string;
};

export type KickoffInvite = {
  method: 'REQUEST' | 'CANCEL';
  uid: string;
  sequence: number;
  startsAt: string;
  durationMinutes: number;
  summary: string;
  location?: string;
  organizer: { name: string; email: string };
  attendees: { name: string; email: string }[];
};

export type PendingEvent = { key: string; type: string; payload: Record<string, unknown>; at: string };

// Messages ----------------------------------------------------------------------------------------------------------

export const matchStateQuery = defineQuery<MatchState>('matchState');

/** A check-in answer was saved to Postgres (the API saves first, then signals). */
export type CheckinAnsweredSignal = z.infer<typeof ZCheckinAnswered>;
export const checkinAnsweredSignal = defineSignal<[CheckinAnsweredSignal]>('checkinAnswered');

// The arguments of the coordinator's actions: their rules are the zod schemas in messages.ts.
export type ProposeKickoffSlots = z.infer<typeof ZProposeKickoffSlots>;
export type RespondKickoff = z.infer<typeof ZRespondKickoff>;
export type ScheduleKickoff = z.infer<typeof ZScheduleKickoff>;
export type CancelKickoff = z.infer<typeof ZCancelKickoff>;
export type RecordKickoff = z.infer<typeof ZRecordKickoff>;
export type SetContractStatus = z.infer<typeof ZSetContractStatus>;
export type CompleteTask = z.infer<typeof ZCompleteTask>;
export type AddNote = z.infer<typeof ZAddNote>;
export type EscalationAction = z.infer<typeof ZEscalationAction>;
export type ResolveEscalation = z.infer<typeof ZResolveEscalation>;
export type SnoozeEscalation = z.infer<typeof ZSnoozeEscalation>;
export type Pause = z.infer<typeof ZPause>;
export type Resume = z.infer<typeof ZResume>;
export type Extend = z.infer<typeof ZExtend>;
export type Reassign = z.infer<typeof ZReassign>;
export type EndEarly = z.infer<typeof ZEndEarly>;
export type CompleteMatch = z.infer<typeof ZCompleteMatch>;
export type CancelMatch = z.infer<typeof ZCancelMatch>;

/** What every coordinator action answers: the state after it (the API returns it). */
export type ActionResult = { ok: true; phase: MatchPhase; status: MatchStatus };

/** What a match workflow returns when it is done. */
export type MatchResult = {
  matchId: string;
  outcome: Outcome;
  completedRounds: number;
  responseRate: number | null;
  runs: number;
};

export const proposeKickoffSlotsUpdate = defineUpdate<ActionResult, [ProposeKickoffSlots]>('proposeKickoffSlots');
export const respondKickoffUpdate = defineUpdate<ActionResult, [RespondKickoff]>('respondKickoff');
export const scheduleKickoffUpdate = defineUpdate<ActionResult, [ScheduleKickoff]>('scheduleKickoff');
export const cancelKickoffUpdate = defineUpdate<ActionResult, [CancelKickoff]>('cancelKickoff');
export const recordKickoffUpdate = defineUpdate<ActionResult, [RecordKickoff]>('recordKickoff');
export const setContractStatusUpdate = defineUpdate<ActionResult, [SetContractStatus]>('setContractStatus');
export const completeTaskUpdate = defineUpdate<ActionResult, [CompleteTask]>('completeTask');
export const addNoteUpdate = defineUpdate<ActionResult, [AddNote]>('addNote');
export const acknowledgeEscalationUpdate = defineUpdate<ActionResult, [EscalationAction]>('acknowledgeEscalation');
export const resolveEscalationUpdate = defineUpdate<ActionResult, [ResolveEscalation]>('resolveEscalation');
export const snoozeEscalationUpdate = defineUpdate<ActionResult, [SnoozeEscalation]>('snoozeEscalation');
export const pauseUpdate = defineUpdate<ActionResult, [Pause]>('pause');
export const resumeUpdate = defineUpdate<ActionResult, [Resume]>('resume');
export const extendUpdate = defineUpdate<ActionResult, [Extend]>('extend');
export const reassignUpdate = defineUpdate<ActionResult, [Reassign]>('reassign');
export const endEarlyUpdate = defineUpdate<ActionResult, [EndEarly]>('endEarly');
export const completeMatchUpdate = defineUpdate<ActionResult, [CompleteMatch]>('completeMatch');
export const cancelMatchUpdate = defineUpdate<ActionResult, [CancelMatch]>('cancelMatch');

/** The workflow's rejection of an action (a validator's error); the API answers it as 409 or 422. */
export const REJECTION_CODES = {
  /** The action does not fit the match's current state (e.g. "mark held" without a scheduled kickoff): 409. */
  wrongState: 'WRONG_STATE',
  /** The action's input is not acceptable (e.g. a slot in the past): 422. */
  invalid: 'INVALID',
  /** The thing the action is about does not exist on this match (e.g. an unknown task id): 422. */
  unknown: 'UNKNOWN',
} as const;
