/**
 * Risk and escalations: where a closed check-in round is judged for risk, and where escalations are raised to the
 * coordinator (with a due date), cleared when their condition is gone, and raised further to the program managers
 * when nobody acknowledged them in time.
 *
 * The rest of the workflow talks to this part through a narrow interface: `judgeRound` and `actOnRound` for a
 * closed round, `raiseMilestone` and `clearMilestone` for the kickoff and contract milestones, `closeAll` at the
 * close. The risk policy itself is a pure function (`evaluateRound` in risk.ts) called in one place, `judgeRound`.
 */
import { patched } from '@temporalio/workflow';
import { addBusinessDays, nextSendTime } from '../calendar';
import { RESPONDENTS } from '../checkin-questions';
import { ZEscalationAction, ZResolveEscalation, ZSnoozeEscalation } from '../messages';
import { evaluateRound, ROUND_SIGNAL_TYPES, SEVERITY_RANK, type RiskSignal, type RiskSignalType } from '../risk';
import {
  acknowledgeEscalationUpdate,
  resolveEscalationUpdate,
  snoozeEscalationUpdate,
  type CheckinRoundState,
  type EscalationAction,
  type EscalationState,
  type MatchState,
  type ResolveEscalation,
  type SnoozeEscalation,
} from '../shared';
import { assertValid, iso, ms, now, refuse, TIMERS_START_AT_SENDING_HOURS, type MatchContext } from './context';

/** The escalation an action is about, if it exists on the match and its status allows the action. */
function escalationFor(state: MatchState, id: string, allowed: EscalationState['status'][]): EscalationState {
  const e = state.escalations.find((x) => x.id === id);
  if (!e) throw refuse('unknownEscalation', { escalationId: id });
  if (!allowed.includes(e.status)) throw refuse('escalationState', { escalationStatus: e.status });
  return e;
}

export function validateAcknowledge(state: MatchState, a: EscalationAction): void {
  escalationFor(state, a.escalationId, ['open']);
  assertValid(ZEscalationAction, a);
}

export function validateResolve(state: MatchState, a: ResolveEscalation): void {
  escalationFor(state, a.escalationId, ['open', 'acknowledged', 'snoozed']);
  assertValid(ZResolveEscalation, a);
}

export function validateSnooze(state: MatchState, a: SnoozeEscalation, at: number): void {
  escalationFor(state, a.escalationId, ['open', 'acknowledged']);
  assertValid(ZSnoozeEscalation, a);
  if (!(ms(a.until) > at)) throw refuse('snoozeInPast');
}

export class Escalations {
  constructor(private readonly ctx: MatchContext) {}

  listen(): void {
    const { ctx } = this;
    const { state } = ctx;
    ctx.action<EscalationAction>(
      acknowledgeEscalationUpdate,
      (a) => {
        const e = state.escalations.find((x) => x.id === a.escalationId)!;
        e.status = 'acknowledged';
        e.acknowledgedAt = iso(now());
        ctx.record('escalation.acknowledged', { escalationId: e.id, type: e.type });
      },
      (a) => validateAcknowledge(state, a),
    );
    ctx.action<ResolveEscalation>(
      resolveEscalationUpdate,
      (a) =>
        this.resolve(
          state.escalations.find((x) => x.id === a.escalationId)!,
          'coordinator',
          a.note,
        ),
      (a) => validateResolve(state, a),
    );
    ctx.action<SnoozeEscalation>(
      snoozeEscalationUpdate,
      (a) => {
        const e = state.escalations.find((x) => x.id === a.escalationId)!;
        e.status = 'snoozed';
        e.snoozedUntil = a.until;
        e.snoozeReason = a.reason;
        e.snoozes += 1;
        ctx.record('escalation.snoozed', { escalationId: e.id, type: e.type, until: a.until, reason: a.reason });
      },
      (a) => validateSnooze(state, a, now()),
    );
  }

  // A closed check-in round ---------------------------------------------------------------------------------------

  /**
   * Judges a round that has just closed: the risk signals it shows, from its answers and the match's earlier ones.
   * Keeps what the policy needs of the history (each side's last answers, missed rounds in a row) and the signals,
   * which health reads. Changes no escalation: `actOnRound` does, once the round's close is on the timeline.
   */
  judgeRound(round: CheckinRoundState): RiskSignal[] {
    const { checkins, playbook } = this.ctx.state;
    for (const side of RESPONDENTS)
      checkins.missedInARow[side] = round.answers[side] ? 0 : checkins.missedInARow[side] + 1;
    const current = Object.fromEntries(
      RESPONDENTS.filter((r) => round.answers[r]).map((r) => [r, round.answers[r]!.answers]),
    );
    const signals = evaluateRound(
      { round: round.round, current, previous: checkins.lastAnswers, missedInARow: checkins.missedInARow },
      playbook.risk,
    );
    for (const side of RESPONDENTS) if (current[side]) checkins.lastAnswers[side] = current[side];
    this.ctx.state.previousRoundScore = this.ctx.state.health.score;
    this.ctx.state.signals.round = signals;
    return signals;
  }

  /** Opens an escalation for each signal of the round, and clears those the round no longer shows. */
  actOnRound(round: CheckinRoundState, signals: RiskSignal[]): void {
    // After the close (the final survey), signals show on the timeline and in health, but open no escalation.
    const raising = !this.ctx.isClosed() || !patched('closed-match-raises-nothing');
    if (raising) for (const signal of signals) this.raise(signal);
    // A round that no longer shows a condition clears its escalation, if it could see it: silence clears nothing
    // but a missed check-in.
    const bothAnswered = RESPONDENTS.every((r) => round.answers[r]);
    const judged = (type: RiskSignalType) =>
      bothAnswered || type === 'missed_checkin' || !patched('silence-clears-nothing');
    for (const escalation of this.ctx.state.escalations) {
      if (
        escalation.status !== 'resolved' &&
        ROUND_SIGNAL_TYPES.includes(escalation.type) &&
        !signals.some((s) => s.type === escalation.type) &&
        judged(escalation.type)
      ) {
        this.resolve(escalation, 'auto', `check-in ${round.round} no longer shows it`);
      }
    }
  }

  // Milestones (kickoff, contracts) -------------------------------------------------------------------------------

  /** A milestone missed (kickoff not held, contract overdue): a signal that holds until it is met, and its escalation. */
  raiseMilestone(signal: RiskSignal): void {
    const { state } = this.ctx;
    state.signals.milestones = [...state.signals.milestones.filter((s) => s.type !== signal.type), signal];
    this.raise(signal);
  }

  clearMilestone(type: RiskSignalType, why: string): void {
    const { state } = this.ctx;
    state.signals.milestones = state.signals.milestones.filter((s) => s.type !== type);
    for (const e of state.escalations) if (e.type === type && e.status !== 'resolved') this.resolve(e, 'auto', why);
  }

  /** The match closed: whatever is still open is moot. */
  closeAll(why: string): void {
    for (const e of this.ctx.state.escalations) if (e.status !== 'resolved') this.resolve(e, 'auto', why);
  }

  // The ladder ------------------------------------------------------------------------------------------------------

  /** Past the SLA without acknowledgement, an escalation goes up to the program manager; a snooze ends on its date. */
  async ladder(): Promise<void> {
    const { ctx } = this;
    const { state } = ctx;
    const nextAt = () => {
      const times = state.escalations.flatMap((e) =>
        e.status === 'open' && e.level === 1
          ? [ms(e.dueAt)]
          : e.status === 'snoozed' && e.snoozedUntil
            ? [ms(e.snoozedUntil)]
            : [],
      );
      return times.length ? Math.min(...times) : null;
    };
    for (;;) {
      await ctx.waitUntil(nextAt, () => ctx.finished());
      if (ctx.finished()) return;
      for (const e of state.escalations) {
        if (e.status === 'snoozed' && e.snoozedUntil && ms(e.snoozedUntil) <= now()) {
          e.status = 'open';
          e.snoozedUntil = undefined;
          e.dueAt = iso(this.dueFrom(now()));
          ctx.email(
            `${e.id}-reopened-${e.snoozes}`,
            'coordinator',
            state.match.coordinator,
            { escalation: e, reopened: true },
            { template: 'escalation' },
          );
          ctx.record('escalation.reopened', { escalationId: e.id, type: e.type, dueAt: e.dueAt });
        } else if (e.status === 'open' && e.level === 1 && ms(e.dueAt) <= now()) {
          e.level = 2;
          for (const manager of state.match.programManagers) {
            ctx.email(
              `${e.id}-raised`,
              'program_manager',
              manager,
              { escalation: e, coordinator: state.match.coordinator },
              { template: 'escalation-raised' },
            );
          }
          ctx.record('escalation.raised', {
            escalationId: e.id,
            type: e.type,
            to: state.match.programManagers.map((m) => m.email),
          });
        }
      }
    }
  }

  // Opening and closing one escalation --------------------------------------------------------------------------------

  /** Opens an escalation for a signal, once per type while it is open; a repeat only adds its reason. */
  private raise(signal: RiskSignal): void {
    const { ctx } = this;
    const { state } = ctx;
    const open = state.escalations.find((e) => e.type === signal.type && e.status !== 'resolved');
    if (open) {
      if (!open.reasons.includes(signal.reason)) open.reasons.push(signal.reason);
      if (SEVERITY_RANK[signal.severity] > SEVERITY_RANK[open.severity]) open.severity = signal.severity;
      open.evidence = signal.evidence;
      ctx.record('escalation.updated', { escalationId: open.id, type: open.type, reason: signal.reason });
      return;
    }
    const openedAt = now();
    const escalation: EscalationState = {
      id: `${state.matchId}-esc-${++state.seq}`,
      type: signal.type,
      severity: signal.severity,
      reasons: [signal.reason],
      evidence: signal.evidence,
      status: 'open',
      level: 1,
      openedAt: iso(openedAt),
      dueAt: iso(this.dueFrom(openedAt)),
      snoozes: 0,
    };
    state.escalations.push(escalation);
    ctx.email(
      `${escalation.id}-opened`,
      'coordinator',
      state.match.coordinator,
      { escalation },
      { template: 'escalation' },
    );
    ctx.record('escalation.opened', {
      escalationId: escalation.id,
      type: signal.type,
      severity: signal.severity,
      reason: signal.reason,
      dueAt: escalation.dueAt,
    });
  }

  /**
   * The coordinator has the playbook's business days from when the escalation's email can go out: one raised on a
   * Saturday is due three business days after Monday morning, not after Saturday.
   */
  private dueFrom(openedAt: number): number {
    const { playbook } = this.ctx.state;
    const emailedAt = patched(TIMERS_START_AT_SENDING_HOURS) ? nextSendTime(openedAt, playbook) : openedAt;
    return addBusinessDays(emailedAt, playbook.escalation.slaBusinessDays, playbook);
  }

  private resolve(escalation: EscalationState, by: 'coordinator' | 'auto', note: string): void {
    escalation.status = 'resolved';
    escalation.resolvedAt = iso(now());
    escalation.resolution = { by, note };
    this.ctx.record('escalation.resolved', { escalationId: escalation.id, type: escalation.type, by, note });
  }
}
