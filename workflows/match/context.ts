/**
 * The small context every part of a match workflow shares: the durable state, the queues the two single writers
 * drain (emails for the mailer, timeline events for the syncer), and how a part waits for its time. Each part
 * (kickoff, contracts, check-ins, tasks, escalations, lifecycle) reads and changes the state only through here.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type { z } from 'zod';
import { computeHealth } from '../health';
import { problemsWith, ZActor, type Actor } from '../messages';
import { REFUSALS, refusalText, type RefusalDetail, type RefusalKey, type RefusalValues } from '../refusals';
import { riskSignals } from '../risk-model';
import { initialState } from '../schedule';
import { WEBHOOK_EVENTS_PATCH, type RaisedWebhookEvent, type WebhookEvent } from '../webhook-events';
import {
  REJECTION_CODES,
  type ActionResult,
  type MatchState,
  type MatchWorkflowInput,
  type Participant,
  type PendingEmail,
  type PendingEvent,
} from '../shared';

/** Check-in rounds per workflow run before it continues as new, so a year-long match keeps a short history. */
export const ROUNDS_PER_RUN = 4;

// Patches (`patched(id)`) used in more than one place; README's "Changing the match workflow" lists every patch and
// when it can be retired.

/** Answer windows and escalation due dates start when their email can go out (sending hours), not before. */
export const TIMERS_START_AT_SENDING_HOURS = 'timers-start-at-sending-hours';
/** A pause also holds the contract due dates and the first check-in after the kickoff. */
export const PAUSE_HOLDS_CONTRACTS_AND_FIRST_CHECKIN = 'pause-holds-contracts-and-first-checkin';
/** An answer saved before its round closed belongs to the round, even when it is delivered after the close. */
export const LATE_ANSWERS_JOIN_THEIR_ROUND = 'late-answers-join-their-round';

export const ms = (iso: string) => Date.parse(iso);
export const iso = (t: number) => new Date(t).toISOString();
/** Workflow time (deterministic inside the workflow sandbox). */
export const now = () => Date.now();

/**
 * The workflow's refusal of an action (one of `REFUSALS`), with the code the API maps to 409 (wrong state) or 422:
 * the English words are its message, the key and values its details, so each reader words it in its own language.
 */
export const refuse = (refusal: RefusalKey, values: RefusalValues = {}) =>
  ApplicationFailure.create({
    type: REJECTION_CODES[REFUSALS[refusal].code],
    message: refusalText({ refusal, values }, 'en'),
    details: [{ refusal, values } satisfies RefusalDetail],
    nonRetryable: true,
  });

/** Refuses a message whose argument breaks its schema, naming each wrong field ("sentiment must be 1 to 5"). */
export function assertValid(schema: z.ZodType, value: unknown): void {
  const problems = problemsWith(schema, value);
  if (problems) throw refuse('invalidInput', { problems });
}

/** An action's own fields, and who took it (`by`), apart: the action's schema checks only its own fields. */
function withoutActor<A>(a: A): { actor: unknown; arg: A } {
  if (!a || typeof a !== 'object' || !('by' in a)) return { actor: undefined, arg: a };
  const { by, ...arg } = a as A & { by: unknown };
  return { actor: by, arg: arg as A };
}

/** Every action is refused once the match has closed. */
export function assertOpen(state: MatchState): void {
  if (state.phase === 'closed') throw refuse('matchClosed');
}

/** No round is open and none is owed: the final survey has gone out, or the match was cancelled. */
export function checkinsDone(state: MatchState): boolean {
  const { checkins, outcome } = state;
  if (checkins.current?.status === 'open') return false;
  return checkins.finalSent || outcome?.status === 'cancelled';
}

export type EmailExtra = Partial<Pick<PendingEmail, 'template' | 'checkin' | 'kickoffLink' | 'invite'>>;

export class MatchContext {
  readonly state: MatchState;
  /** Emails decided but not yet sent (the mailer's queue). */
  readonly outbox: PendingEmail[];
  /** Timeline events not yet written (the syncer's queue). */
  readonly events: PendingEvent[];
  /** Webhook events not yet handed to their deliveries (the announcer's queue). */
  readonly webhooks: RaisedWebhookEvent[];
  readonly workflowId = workflowInfo().workflowId;
  /** The read model is behind the state. */
  dirty = true;
  activitiesInFlight = 0;
  /** Who took the action being applied, while it is (see `action`). */
  private actor: Actor | undefined;
  roundsThisRun = 0;

  constructor(input: MatchWorkflowInput) {
    this.state = input.carried?.state ?? initialState(input.match, input.playbook, now());
    this.outbox = input.carried?.outbox ?? [];
    this.events = input.carried?.events ?? [];
    this.webhooks = input.carried?.webhooks ?? [];
    if (input.carried) this.state.run += 1;
    // A match whose playbook has a risk model is judged by it from its start; one started before keeps the
    // round-by-round rules for life (its state carries no `risk`). Retire the patch once no match started before it runs.
    else if (input.playbook.riskModel && patched('risk-model')) {
      this.state.risk = { history: [], state: { level: 'none', causes: [] } };
    }
  }

  /**
   * Registers a coordinator action: its validator says yes or no with a reason; the answer is the state after it.
   * Who took it (`by`, beside the action's own fields) goes on every timeline event the action records.
   */
  action<A>(def: UpdateDefinition<ActionResult, [A]>, apply: (a: A) => void, validate: (a: A) => void): void {
    setHandler(
      def,
      (a: A): ActionResult => {
        const { actor, arg } = withoutActor(a);
        this.actor = actor as Actor | undefined; // the validator checked it
        try {
          apply(arg);
        } finally {
          this.actor = undefined;
        }
        this.changed();
        return { ok: true, phase: this.state.phase, status: this.state.status };
      },
      {
        validator: (a: A) => {
          const { actor, arg } = withoutActor(a);
          if (actor !== undefined) assertValid(ZActor, actor);
          validate(arg);
        },
      },
    );
  }

  /** Queues an email; the mailer sends it in the program's sending hours. */
  email(
    step: string,
    to: PendingEmail['to'],
    recipient: Participant,
    data: Record<string, unknown>,
    extra: EmailExtra = {},
  ): void {
    const key = `${this.workflowId}/${step}/${to === 'program_manager' ? `pm-${recipient.personId}` : to}`;
    if (this.outbox.some((e) => e.key === key)) return;
    this.outbox.push({
      key,
      template: extra.template ?? step,
      to,
      recipient,
      data: { match: this.state.match, ...data },
      checkin: extra.checkin,
      kickoffLink: extra.kickoffLink,
      invite: extra.invite,
      queuedAt: iso(now()),
    });
    this.changed();
  }

  /** Adds an event to the timeline; the syncer writes it. */
  record(type: string, payload: Record<string, unknown>): void {
    const by = this.actor ? { by: this.actor } : {};
    this.events.push({
      key: `${this.workflowId}/e${++this.state.seq}`,
      type,
      payload: { ...payload, ...by },
      at: iso(now()),
    });
    this.changed();
  }

  /**
   * Raises an event for the program's webhook endpoints; the announcer hands it to its deliveries, which no part of
   * the match waits for. Runs that started before the patch raise events from where they replay past it.
   */
  announce({ key, data }: { key: string; data: WebhookEvent }): void {
    if (!patched(WEBHOOK_EVENTS_PATCH)) return;
    if (this.webhooks.some((w) => w.key === key)) return;
    this.webhooks.push({ programId: this.state.match.programId, key, occurredAt: iso(now()), data });
  }

  /** Every change recomputes health at once (queries see it) and wakes the syncer to write the read model. */
  changed(): void {
    const { state } = this;
    state.health = computeHealth({
      signals: state.risk ? riskSignals(state.risk.state) : [...state.signals.round, ...state.signals.milestones],
      completedRounds: state.checkins.completedRounds,
      unverifiedRequiredDocuments: state.contracts.filter((c) => c.required && c.status !== 'verified').length,
      sentiment: state.sentiment,
      previousScore: state.previousRoundScore,
    });
    this.dirty = true;
  }

  setPhase(phase: MatchState['phase']): void {
    if (this.state.phase === phase) return;
    this.record('match.phase', { from: this.state.phase, to: phase });
    this.state.phase = phase;
  }

  isClosed(): boolean {
    return this.state.phase === 'closed';
  }

  /**
   * Waits until the instant `at()` (re-read whenever the state changes it), holding while the match is paused.
   * Returns true when the instant was reached, false when `stop()` became true first.
   */
  async waitUntil(at: () => number | null, stop: () => boolean): Promise<boolean> {
    for (;;) {
      if (stop()) return false;
      if (this.state.paused) {
        await condition(() => !this.state.paused || stop());
        continue;
      }
      const target = at();
      if (target !== null && now() >= target) return true;
      const moved = () => stop() || Boolean(this.state.paused) || at() !== target;
      if (target === null) await condition(moved);
      else await condition(moved, target - now());
    }
  }

  /** Steps that must happen once per match (milestone escalations, contract reminders), remembered in the state. */
  done(step: string): boolean {
    return (this.state.stepsDone ?? []).includes(step);
  }

  markDone(step: string): void {
    this.state.stepsDone = [...(this.state.stepsDone ?? []), step];
  }

  /** Closed, the final check-in closed, every task done or reminded past due, every email sent, everything written. */
  finished(): boolean {
    const { state } = this;
    return (
      this.isClosed() &&
      checkinsDone(state) &&
      state.tasks.every((t) => t.status === 'done' || t.status === 'cancelled' || t.overdueReminded) &&
      state.playbook.tasks
        .filter((t) => t.at.anchor === 'close')
        .every((d) => state.outcome?.status === 'cancelled' || state.tasks.some((t) => t.key === d.key)) &&
      this.outbox.length === 0 &&
      this.events.length === 0 &&
      this.webhooks.length === 0 &&
      !this.dirty &&
      this.activitiesInFlight === 0
    );
  }

  shouldContinueAsNew(): boolean {
    return this.roundsThisRun >= ROUNDS_PER_RUN || workflowInfo().continueAsNewSuggested;
  }

  /** Nothing in flight: no activity running, no handler unfinished. */
  quiet(): boolean {
    return this.activitiesInFlight === 0 && allHandlersFinished();
  }
}
