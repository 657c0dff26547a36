/**
 * What the workflow writes to Postgres after every change: the read model the API's lists, KPIs and detail views
 * serve (never by polling workflows). A projection of the state, without the snapshot and playbook it started with.
 */
import type { Health } from './health';
import type { RiskState } from './risk-model';
import type { NextStep } from './schedule';
import type {
  ContractDocumentState,
  DeliveryProblem,
  EscalationState,
  KickoffState,
  MatchState,
  Outcome,
  Participant,
  TaskState,
} from './shared';

export type MatchReadModel = {
  phase: MatchState['phase'];
  status: MatchState['status'];
  endDate: string;
  coordinator: Participant;
  paused: boolean;
  health: Health;
  /** The risk model's state; null for a match judged by the round-by-round rules. */
  risk: RiskState | null;
  kickoff: Pick<KickoffState, 'status' | 'deadlineAt' | 'heldAt' | 'proposal' | 'slots' | 'location'> & {
    startsAt?: string;
  };
  contracts: ContractDocumentState[];
  tasks: TaskState[];
  escalations: EscalationState[];
  checkins: {
    completedRounds: number;
    asked: number;
    answered: number;
    lastRoundAt?: string;
    /** Who answered the last closed round. */
    lastRoundAnswered: ('host' | 'talent')[];
    /** The last closed round, written again so its row is closed even if the next one opened meanwhile. */
    lastClosed?: {
      round: number;
      kind: 'regular' | 'final';
      openedAt: string;
      closeAt: string;
      expiresAt: string;
      answered: ('host' | 'talent')[];
    };
    current?: {
      round: number;
      kind: 'regular' | 'final';
      status: 'open' | 'closed';
      openedAt: string;
      closeAt: string;
      expiresAt: string;
      answered: ('host' | 'talent')[];
    };
  };
  outcome?: Outcome;
  nextStep: NextStep | null;
  playbookVersion: number;
  /** Emails that could not be delivered, until mail to that address goes through again. */
  deliveryProblems: DeliveryProblem[];
};

export function readModelOf(state: MatchState, next: NextStep | null): MatchReadModel {
  const round = state.checkins.current;
  return {
    phase: state.phase,
    status: state.status,
    endDate: state.match.endDate,
    coordinator: state.match.coordinator,
    paused: Boolean(state.paused),
    health: state.health,
    risk: state.risk?.state ?? null,
    kickoff: {
      status: state.kickoff.status,
      deadlineAt: state.kickoff.deadlineAt,
      heldAt: state.kickoff.heldAt,
      startsAt: state.kickoff.scheduled?.startsAt,
      proposal: state.kickoff.proposal,
      slots: state.kickoff.slots,
      location: state.kickoff.location,
    },
    contracts: state.contracts,
    tasks: state.tasks,
    escalations: state.escalations,
    checkins: {
      completedRounds: state.checkins.completedRounds,
      asked: state.checkins.asked,
      answered: state.checkins.answered,
      lastRoundAt: state.checkins.lastRoundAt,
      // The last round that closed, also while the next one is open.
      lastRoundAnswered:
        state.checkins.lastClosed?.answered ??
        (round?.status === 'closed' ? (['host', 'talent'] as const).filter((r) => round.answers[r]) : []),
      lastClosed: state.checkins.lastClosed,
      current: round && {
        round: round.round,
        kind: round.kind,
        status: round.status,
        openedAt: round.openedAt,
        closeAt: round.closeAt,
        expiresAt: round.expiresAt,
        answered: (['host', 'talent'] as const).filter((r) => round.answers[r]),
      },
    },
    outcome: state.outcome,
    nextStep: next,
    playbookVersion: state.playbook.version,
    deliveryProblems: state.deliveryProblems ?? [],
  };
}
