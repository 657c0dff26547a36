/**
 * What the workflows share with the API, the worker and the tests: pure types, message definitions, the task
 * queue's default name, the workflow id helper and the search attribute keys. No I/O lives here.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery } from '@temporalio/workflow';

/** The task queue every match workflow and activity runs on, unless `TASK_QUEUE` says otherwise. */
export const DEFAULT_TASK_QUEUE = 'bansou-matches';

const MATCH_WORKFLOW_PREFIX = 'match:';

/** A match id: what programs already use in their spreadsheets (letters, digits, `-`, `_`, `.`). */
export const MATCH_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The workflow id of a match: `match:<id>`. The API, the worker and the tests all build it here. */
export function matchWorkflowId(matchId: string): string {
  if (!MATCH_ID_PATTERN.test(matchId)) throw new RangeError(`not a match id: ${JSON.stringify(matchId)}`);
  return `${MATCH_WORKFLOW_PREFIX}${matchId}`;
}

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

export type Locale = 'ja' | 'en';
export const LOCALES: readonly Locale[] = ['ja', 'en'];

export type ParticipantRole = 'host' | 'talent' | 'coordinator';

/** A person as the workflow knows them: enough to write to them in their language. */
export type Participant = {
  personId: string;
  name: string;
  email: string;
  locale: Locale;
  organization?: string;
};

/** The match as it was when the workflow started (dates are ISO calendar dates, `YYYY-MM-DD`). */
export type MatchSnapshot = {
  id: string;
  programId: string;
  programName: string;
  title: string;
  startDate: string;
  endDate: string;
  host: Participant;
  talent: Participant;
  coordinator: Participant;
};

export type MatchPhase = 'onboarding' | 'active' | 'wrap_up' | 'closed';
export type MatchStatus = 'open' | 'paused' | 'completed' | 'terminated_early' | 'cancelled';

export type MatchWorkflowInput = {
  match: MatchSnapshot;
};

/** The live state of a match workflow, as its query returns it. */
export type MatchState = {
  matchId: string;
  phase: MatchPhase;
  status: MatchStatus;
  /** Steps the workflow has completed, oldest first (the timeline in Postgres has the full detail). */
  completedSteps: string[];
  /** Emails handed to the outbox, by idempotency key. */
  emailsSent: string[];
};

export const matchStateQuery = defineQuery<MatchState>('matchState');
