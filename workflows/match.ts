import { condition, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  matchStateQuery,
  searchAttributes,
  type MatchState,
  type MatchWorkflowInput,
  type Participant,
  type ParticipantRole,
} from './shared';

const { recordMatchEvent } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 20 },
});

// SMTP can stall; a short start-to-close bounds how long a crashed worker holds an email before the retry.
const { sendEmail } = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '5 minutes', maximumAttempts: 30 },
});

/** One match, from the day it is made to its close: the post-match support a coordinator gives, as a workflow. */
export async function matchWorkflow({ match }: MatchWorkflowInput): Promise<MatchState> {
  const workflowId = workflowInfo().workflowId;
  const state: MatchState = {
    matchId: match.id,
    phase: 'onboarding',
    status: 'open',
    completedSteps: [],
    emailsSent: [],
  };
  setHandler(matchStateQuery, () => state);

  const now = () => new Date().toISOString();
  const step = async (name: string, type: string, payload: Record<string, unknown> = {}) => {
    await recordMatchEvent({ key: `${workflowId}/${name}`, matchId: match.id, type, payload, occurredAt: now() });
    state.completedSteps.push(name);
  };
  const email = async (name: string, template: string, role: ParticipantRole, recipient: Participant) => {
    const key = `${workflowId}/${name}/${role}`;
    await sendEmail({ key, matchId: match.id, template, role, recipient, data: { match }, occurredAt: now() });
    state.emailsSent.push(key);
  };

  upsertSearchAttributes([
    { key: searchAttributes.programId, value: match.programId },
    { key: searchAttributes.status, value: state.status },
  ]);

  // The match is made: tell all three people who is who and what comes next.
  await step('opened', 'match.opened', { title: match.title, startDate: match.startDate, endDate: match.endDate });
  await email('match-opened', 'match-opened', 'host', match.host);
  await email('match-opened', 'match-opened', 'talent', match.talent);
  await email('match-opened', 'match-opened', 'coordinator', match.coordinator);

  // The rest of the lifecycle (kickoff, contracts, check-ins) runs until the planned end date.
  const endsAt = Date.parse(`${match.endDate}T00:00:00+09:00`);
  state.phase = 'active';
  await condition(() => state.phase === 'closed', Math.max(endsAt - Date.now(), 1));
  state.phase = 'closed';
  state.status = 'completed';
  upsertSearchAttributes([{ key: searchAttributes.status, value: state.status }]);
  await step('closed', 'match.closed', { outcome: state.status });
  return state;
}
