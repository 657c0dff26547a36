/**
 * Risk and escalations: where a closed check-in round is judged for risk, and where escalations are raised to the
 * coordinator (with a due date), cleared when their condition is gone, and raised further to the program managers
 * when nobody acknowledged them in time.
 *
 * The rest of the workflow talks to this part through a narrow interface: `judgeRound` and `actOnRound` for a
 * closed round, `raiseMilestone` and `clearMilestone` for the kickoff and contract milestones, `closeAll` at the
 * close. The risk policy itself is a pure function: for matches started since the patch `risk-model` with a playbook
 * that has a `riskModel`, `assessRisk` (risk-model.ts) over the match's whole risk history, called in one place,
 * `assess`; for matches started before, the round-by-round rules (`evaluateRound` in risk.ts) in `judgeRound`.
 */
import { patched } from '@temporalio/workflow';
import { addBusinessDays, nextSendTime } from '../calendar';
import { RESPONDENTS } from '../checkin-questions';
import type { LocalizedText } from '../locale';
import { ZEscalationAction, ZResolveEscalation, ZSnoozeEscalation } from '../messages';
import { evaluateRound, ROUND_SIGNAL_TYPES, SEVERITY_RANK, type RiskSignal } from '../risk';
import { escalationEvent } from './announcer';
import {
  assessRisk,
  RISK_CAUSES,
  riskSignals,
  severityOf,
  type RiskCause,
  type RiskHistoryEntry,
  type RiskStep,
} from '../risk-model';
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

const SNOOZE_ENDED_QUIETLY: LocalizedText = {
  ja: 'スヌーズの期間が終わり、その間に新しい兆候はありませんでした',
  en: 'the snooze ended with no new evidence since',
};

const isCause = (type: string): type is RiskCause => (RISK_CAUSES as readonly string[]).includes(type);

export class Escalations {
  /** The model's step for the round being closed, between `judgeRound` and `actOnRound`. */
  private judged: RiskStep | undefined;

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
      (a) => {
        const e = state.escalations.find((x) => x.id === a.escalationId)!;
        this.resolve(e, 'coordinator', a.note);
        this.tellModel(e, 'resolved');
      },
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
        this.tellModel(e, 'snoozed', a.until);
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
    const { state } = this.ctx;
    const { checkins, playbook } = state;
    for (const side of RESPONDENTS)
      checkins.missedInARow[side] = round.answers[side] ? 0 : checkins.missedInARow[side] + 1;
    const current = Object.fromEntries(
      RESPONDENTS.filter((r) => round.answers[r]).map((r) => [r, round.answers[r]!.answers]),
    );
    state.previousRoundScore = state.health.score;
    if (state.risk) {
      // Read after the close (the final survey), the round shows but escalates nothing.
      const final = this.ctx.isClosed() ? { final: true } : {};
      this.judged = this.assess({ kind: 'round', round: round.round, at: iso(now()), ...final, answers: current });
      for (const side of RESPONDENTS) if (current[side]) checkins.lastAnswers[side] = current[side];
      state.signals.round = riskSignals(this.judged.state);
      return state.signals.round;
    }
    const signals = evaluateRound(
      { round: round.round, current, previous: checkins.lastAnswers, missedInARow: checkins.missedInARow },
      playbook.risk,
    );
    for (const side of RESPONDENTS) if (current[side]) checkins.lastAnswers[side] = current[side];
    state.signals.round = signals;
    return signals;
  }

  /** Opens an escalation for each signal of the round, and clears those the round no longer shows. */
  actOnRound(round: CheckinRoundState, signals: RiskSignal[]): void {
    if (this.judged) {
      this.act(this.judged);
      this.judged = undefined;
      return;
    }
    // After the close (the final survey), signals show on the timeline and in health, but open no escalation.
    const raising = !this.ctx.isClosed() || !patched('closed-match-raises-nothing');
    if (raising) for (const signal of signals) this.raise(signal);
    // A round that no longer shows a condition clears its escalation, if it could see it: silence clears nothing
    // but a missed check-in.
    const bothAnswered = RESPONDENTS.every((r) => round.answers[r]);
    const judged = (type: string) => bothAnswered || type === 'missed_checkin' || !patched('silence-clears-nothing');
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

  // The risk model ------------------------------------------------------------------------------------------------

  /** Adds an entry to the match's risk history and runs the model over the whole of it; the entry's step. */
  private assess(entry: RiskHistoryEntry): RiskStep {
    const { state } = this.ctx;
    const risk = state.risk!;
    risk.history.push(entry);
    const steps = assessRisk(risk.history, state.playbook.riskModel!);
    const step = steps[steps.length - 1]!;
    risk.state = step.state;
    return step;
  }

  /** Does what a step of the model says: escalations it opened are raised (or re-opened), those it cleared close. */
  private act(step: RiskStep): void {
    for (const closing of step.closed) {
      // The coordinator's own resolve or snooze has already changed the escalation.
      if (closing.why === 'resolved' || closing.why === 'snoozed') continue;
      const e = this.unresolved(closing.cause);
      if (e) this.resolve(e, 'auto', `${closing.reason.ja} / ${closing.reason.en}`);
    }
    for (const opening of step.opened) {
      const signal: RiskSignal = {
        type: opening.cause,
        severity: severityOf(opening.cause, 'escalated'),
        reason: opening.reason.en,
        evidence: { score: opening.score, evidence: opening.evidence },
      };
      const snoozed = this.unresolved(opening.cause);
      if (snoozed?.status === 'snoozed') this.reopen(snoozed, 'evidence', signal, opening.reason);
      else this.raise(signal, opening.reason);
    }
  }

  /** The coordinator resolved or snoozed an escalation: the model hears of it, so only new evidence re-opens it. */
  private tellModel(e: EscalationState, action: 'resolved' | 'snoozed', until?: string): void {
    if (!this.ctx.state.risk || !isCause(e.type)) return;
    this.act(this.assess({ kind: 'coordinator', at: iso(now()), cause: e.type, action, ...(until ? { until } : {}) }));
  }

  private unresolved(type: EscalationState['type']): EscalationState | undefined {
    return this.ctx.state.escalations.find((e) => e.type === type && e.status !== 'resolved');
  }

  // Milestones (kickoff, contracts) -------------------------------------------------------------------------------

  /** A milestone missed (kickoff not held, contract overdue): a signal that holds until it is met, and its escalation. */
  raiseMilestone(signal: RiskSignal): void {
    const { state } = this.ctx;
    state.signals.milestones = [...state.signals.milestones.filter((s) => s.type !== signal.type), signal];
    if (state.risk && (signal.type === 'contract_overdue' || signal.type === 'kickoff_not_held')) {
      const detail = { ...signal.evidence, ...this.documentLabels(signal.evidence) };
      this.act(this.assess({ kind: 'milestone', at: iso(now()), cause: signal.type, missed: true, detail }));
      return;
    }
    this.raise(signal);
  }

  clearMilestone(type: 'contract_overdue' | 'kickoff_not_held', why: string): void {
    const { state } = this.ctx;
    state.signals.milestones = state.signals.milestones.filter((s) => s.type !== type);
    if (state.risk) {
      this.act(this.assess({ kind: 'milestone', at: iso(now()), cause: type, missed: false }));
      return;
    }
    for (const e of state.escalations) if (e.type === type && e.status !== 'resolved') this.resolve(e, 'auto', why);
  }

  /** Contract documents by their names in both languages, for the reason in words. */
  private documentLabels(evidence: Record<string, unknown>): Record<string, unknown> {
    if (!Array.isArray(evidence.documents)) return {};
    const documents = (evidence.documents as { type: string; status: string }[]).map((d) => ({
      ...d,
      label: this.ctx.state.contracts.find((c) => c.type === d.type)?.label,
    }));
    return { documents };
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
          if (state.risk && isCause(e.type)) this.snoozeEnded(e, e.type);
          else this.reopen(e, 'snooze');
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
          ctx.announce(escalationEvent(state, e, 'escalation.raised'));
        }
      }
    }
  }

  // Opening and closing one escalation --------------------------------------------------------------------------------

  /** A snooze ended: by the round-by-round rules it re-opens; by the risk model only on evidence since, else it closes. */
  private snoozeEnded(e: EscalationState, cause: RiskCause): void {
    const step = this.assess({ kind: 'coordinator', at: iso(now()), cause, action: 'snooze_ended' });
    if (step.opened.some((o) => o.cause === cause)) this.act(step);
    else this.resolve(e, 'auto', `${SNOOZE_ENDED_QUIETLY.ja} / ${SNOOZE_ENDED_QUIETLY.en}`);
  }

  /** Opens a snoozed escalation again, with a new due date and an email: its snooze ended, or new evidence came. */
  private reopen(e: EscalationState, why: 'snooze' | 'evidence', signal?: RiskSignal, reason?: LocalizedText): void {
    const { ctx } = this;
    const { state } = ctx;
    e.status = 'open';
    e.snoozedUntil = undefined;
    e.dueAt = iso(this.dueFrom(now()));
    if (signal) this.update(e, signal, reason);
    ctx.email(
      `${e.id}-reopened-${e.snoozes}`,
      'coordinator',
      state.match.coordinator,
      { escalation: e, reopened: why === 'evidence' ? 'evidence' : true },
      { template: 'escalation' },
    );
    ctx.record('escalation.reopened', { escalationId: e.id, type: e.type, dueAt: e.dueAt, why });
    ctx.announce(escalationEvent(state, e, 'escalation.opened', `reopened-${e.snoozes}`));
  }

  /** Opens an escalation for a signal, once per type while it is open; a repeat only adds its reason. */
  private raise(signal: RiskSignal, reason?: LocalizedText): void {
    const { ctx } = this;
    const { state } = ctx;
    const open = this.unresolved(signal.type);
    if (open) {
      this.update(open, signal, reason);
      ctx.record('escalation.updated', { escalationId: open.id, type: open.type, reason: signal.reason });
      return;
    }
    const openedAt = now();
    const escalation: EscalationState = {
      id: `${state.matchId}-esc-${++state.seq}`,
      type: signal.type,
      severity: signal.severity,
      reasons: [signal.reason],
      ...(reason ? { reason } : {}),
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
    ctx.announce(escalationEvent(state, escalation, 'escalation.opened'));
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

  private update(e: EscalationState, signal: RiskSignal, reason?: LocalizedText): void {
    if (!e.reasons.includes(signal.reason)) e.reasons.push(signal.reason);
    if (SEVERITY_RANK[signal.severity] > SEVERITY_RANK[e.severity]) e.severity = signal.severity;
    e.evidence = signal.evidence;
    if (reason) e.reason = reason;
  }

  private resolve(escalation: EscalationState, by: 'coordinator' | 'auto', note: string): void {
    escalation.status = 'resolved';
    escalation.resolvedAt = iso(now());
    escalation.resolution = { by, note };
    this.ctx.record('escalation.resolved', { escalationId: escalation.id, type: escalation.type, by, note });
  }
}
