/**
 * The kickoff (キックオフミーティング): the coordinator proposes slots, host and talent pick one on a page (or ask
 * for others), everyone gets a calendar invite once they agree, a reminder goes out before the meeting, and the
 * coordinator records it held. Not held by the deadline, it is escalated until it is.
 */
import { condition } from '@temporalio/workflow';
import { localDate } from '../calendar';
import { RESPONDENTS, type Respondent } from '../checkin-questions';
import { DAY_MS, durationMs } from '../durations';
import { ZCancelKickoff, ZProposeKickoffSlots, ZRecordKickoff, ZRespondKickoff, ZScheduleKickoff } from '../messages';
import { kickoffNotHeldSignal } from '../risk';
import {
  cancelKickoffUpdate,
  proposeKickoffSlotsUpdate,
  recordKickoffUpdate,
  respondKickoffUpdate,
  scheduleKickoffUpdate,
  type CancelKickoff,
  type KickoffInvite,
  type KickoffSlot,
  type MatchState,
  type ProposeKickoffSlots,
  type RecordKickoff,
  type RespondKickoff,
  type ScheduleKickoff,
} from '../shared';
import { assertOpen, assertValid, iso, ms, now, refuse, type MatchContext } from './context';
import type { Contracts } from './contracts';
import type { Escalations } from './escalations';
import type { Tasks } from './tasks';

/** Kickoff answer links work this long after the proposal. */
const KICKOFF_LINK_MS = 30 * DAY_MS;

const NEW_SLOTS_TASK = { ja: 'キックオフ候補日時の再提案', en: 'Propose new kickoff slots' };

function assertSlotsAhead(slots: KickoffSlot[], at: number): void {
  for (const slot of slots) if (!(ms(slot.startsAt) > at)) throw refuse('slotNotAhead', { startsAt: slot.startsAt });
}

export function validateProposeSlots(state: MatchState, a: ProposeKickoffSlots, at: number): void {
  assertOpen(state);
  if (state.kickoff.status === 'held') throw refuse('kickoffAlreadyHeld');
  if (state.kickoff.status === 'scheduled') throw refuse('kickoffScheduled');
  assertValid(ZProposeKickoffSlots, a);
  assertSlotsAhead(a.slots, at);
}

export function validateRespond(state: MatchState, a: RespondKickoff, at: number): void {
  const { kickoff } = state;
  assertOpen(state);
  if (kickoff.status !== 'proposed') throw refuse('noSlotsWaiting', { kickoffStatus: kickoff.status });
  if (a.proposal !== undefined && a.proposal !== kickoff.proposal)
    throw refuse('proposalReplaced', { proposal: a.proposal, current: kickoff.proposal });
  assertValid(ZRespondKickoff, a);
  if (a.choice !== 'other' && a.choice >= kickoff.slots.length)
    throw refuse('choiceOutOfRange', { last: kickoff.slots.length - 1 });
  if (a.choice !== 'other' && ms(kickoff.slots[a.choice]!.startsAt) <= at)
    throw refuse('slotPassed', { choice: a.choice });
}

export function validateSchedule(state: MatchState, a: ScheduleKickoff, at: number): void {
  assertOpen(state);
  if (state.kickoff.status === 'held') throw refuse('kickoffAlreadyHeld');
  assertValid(ZScheduleKickoff, a);
  assertSlotsAhead([a], at);
}

export function validateCancel(state: MatchState, a: CancelKickoff): void {
  assertOpen(state);
  if (state.kickoff.status !== 'scheduled') throw refuse('noKickoffToCancel');
  assertValid(ZCancelKickoff, a);
}

export function validateRecord(state: MatchState, a: RecordKickoff, at: number): void {
  const { kickoff } = state;
  assertOpen(state);
  if (kickoff.status !== 'scheduled') throw refuse('kickoffNotScheduled', { kickoffStatus: kickoff.status });
  if (ms(kickoff.scheduled!.startsAt) > at) throw refuse('kickoffNotStarted');
  assertValid(ZRecordKickoff, a);
}

export class Kickoff {
  constructor(
    private readonly ctx: MatchContext,
    private readonly tasks: Tasks,
    private readonly contracts: Contracts,
    private readonly escalations: Escalations,
  ) {}

  listen(): void {
    const { ctx } = this;
    const { state } = ctx;
    ctx.action<ProposeKickoffSlots>(
      proposeKickoffSlotsUpdate,
      (a) => this.propose(a.slots, a.location),
      (a) => validateProposeSlots(state, a, now()),
    );
    ctx.action<RespondKickoff>(
      respondKickoffUpdate,
      (a) => this.respond(a.respondent, a.choice, a.note),
      (a) => validateRespond(state, a, now()),
    );
    ctx.action<ScheduleKickoff>(
      scheduleKickoffUpdate,
      (a) => this.schedule(a),
      (a) => validateSchedule(state, a, now()),
    );
    ctx.action<CancelKickoff>(
      cancelKickoffUpdate,
      (a) => this.cancel(a.reason),
      (a) => validateCancel(state, a),
    );
    ctx.action<RecordKickoff>(
      recordKickoffUpdate,
      (a) => this.record(a.held, a.reason),
      (a) => validateRecord(state, a, now()),
    );
  }

  /** Not held by the deadline: escalate, and keep the escalation until it is held. */
  async deadline(): Promise<void> {
    const { ctx } = this;
    const { state } = ctx;
    const met = () => state.kickoff.status === 'held' || ctx.isClosed();
    const step = () => `kickoff-deadline:${state.kickoff.deadlineAt}`;
    // After a continue-as-new the deadline may long have passed: escalate it once, not once per run.
    if (ctx.done(step())) {
      await condition(met);
    } else if (await ctx.waitUntil(() => ms(state.kickoff.deadlineAt), met)) {
      ctx.markDone(step());
      this.escalations.raiseMilestone(
        kickoffNotHeldSignal(localDate(ms(state.kickoff.deadlineAt), state.playbook.timeZone), state.kickoff.status),
      );
      await condition(met);
    }
    if (state.kickoff.status === 'held') this.escalations.clearMilestone('kickoff_not_held', 'the kickoff was held');
  }

  /** A reminder to all three before the meeting; a rescheduled meeting gets its own. */
  async reminder(): Promise<void> {
    const { ctx } = this;
    const { kickoff } = ctx.state;
    for (;;) {
      await condition(
        () =>
          ctx.isClosed() ||
          (kickoff.status === 'scheduled' && kickoff.remindedSequence !== kickoff.scheduled?.sequence),
      );
      if (ctx.isClosed()) return;
      const sequence = kickoff.scheduled!.sequence;
      const remindAt = () =>
        kickoff.scheduled
          ? ms(kickoff.scheduled.startsAt) - durationMs(ctx.state.playbook.kickoff.reminderBefore)
          : null;
      const moved = () => ctx.isClosed() || kickoff.status !== 'scheduled' || kickoff.scheduled?.sequence !== sequence;
      if (await ctx.waitUntil(remindAt, moved)) {
        kickoff.remindedSequence = sequence;
        for (const role of ['host', 'talent', 'coordinator'] as const) {
          ctx.email(
            `kickoff-reminder-${sequence}`,
            role,
            ctx.state.match[role],
            { kickoff: kickoff.scheduled },
            { template: 'kickoff-reminder' },
          );
        }
        ctx.record('kickoff.reminded', { sequence });
      }
    }
  }

  private propose(slots: KickoffSlot[], location?: string): void {
    const { ctx } = this;
    const { kickoff } = ctx.state;
    kickoff.proposal += 1;
    kickoff.slots = slots;
    kickoff.location = location;
    kickoff.responses = {};
    kickoff.status = 'proposed';
    const expiresAt = iso(now() + KICKOFF_LINK_MS);
    for (const respondent of RESPONDENTS) {
      ctx.email(
        `kickoff-proposal-${kickoff.proposal}`,
        respondent,
        ctx.state.match[respondent],
        { slots, location, proposal: kickoff.proposal },
        { template: 'kickoff-proposal', kickoffLink: { proposal: kickoff.proposal, respondent, expiresAt } },
      );
    }
    ctx.record('kickoff.proposed', { proposal: kickoff.proposal, slots, location: location ?? null });
    this.tasks.completeByKey('propose_kickoff_slots');
  }

  private respond(respondent: Respondent, choice: number | 'other', note?: string): void {
    const { kickoff } = this.ctx.state;
    kickoff.responses[respondent] = { choice, note, at: iso(now()) };
    this.ctx.record('kickoff.responded', { respondent, choice, note: note ?? null, proposal: kickoff.proposal });
    const host = kickoff.responses.host;
    const talent = kickoff.responses.talent;
    if (!host || !talent) return;
    if (host.choice !== 'other' && host.choice === talent.choice) {
      this.schedule({ ...kickoff.slots[host.choice]!, location: kickoff.location });
    } else {
      // They did not agree on one slot: the coordinator proposes again.
      this.tasks.openDynamic('propose_kickoff_slots', { ...NEW_SLOTS_TASK }, '3d');
    }
  }

  /** Schedules (or moves) the meeting and sends everyone a calendar invite. */
  private schedule(slot: KickoffSlot & { location?: string }): void {
    const { ctx } = this;
    const { kickoff } = ctx.state;
    const changed = Boolean(kickoff.scheduled);
    kickoff.inviteSequence += 1;
    kickoff.status = 'scheduled';
    kickoff.scheduled = {
      startsAt: slot.startsAt,
      durationMinutes: slot.durationMinutes,
      location: slot.location,
      sequence: kickoff.inviteSequence,
    };
    const template = changed ? 'kickoff-changed' : 'kickoff-confirmed';
    const invite = this.invite('REQUEST');
    for (const role of ['host', 'talent', 'coordinator'] as const) {
      ctx.email(
        `${template}-${kickoff.inviteSequence}`,
        role,
        ctx.state.match[role],
        { kickoff: kickoff.scheduled },
        { template, invite },
      );
    }
    this.contracts.refreshDueDates();
    ctx.record(changed ? 'kickoff.rescheduled' : 'kickoff.scheduled', { ...kickoff.scheduled });
  }

  private cancel(reason: string): void {
    const { ctx } = this;
    const { kickoff } = ctx.state;
    kickoff.inviteSequence += 1;
    const invite = this.invite('CANCEL');
    const cancelled = kickoff.scheduled;
    kickoff.status = 'unscheduled';
    kickoff.scheduled = undefined;
    kickoff.responses = {};
    for (const role of ['host', 'talent', 'coordinator'] as const) {
      ctx.email(
        `kickoff-cancelled-${kickoff.inviteSequence}`,
        role,
        ctx.state.match[role],
        { kickoff: cancelled, reason },
        { template: 'kickoff-cancelled', invite },
      );
    }
    this.contracts.refreshDueDates();
    ctx.record('kickoff.cancelled', { reason });
  }

  private record(held: boolean, reason?: string): void {
    const { ctx } = this;
    const { kickoff } = ctx.state;
    if (held) {
      kickoff.status = 'held';
      kickoff.heldAt = iso(now());
      if (ctx.state.phase === 'onboarding') ctx.setPhase('active');
      this.tasks.completeByKey('kickoff_prep');
    } else {
      kickoff.status = 'not_held';
      kickoff.notHeldReason = reason;
      kickoff.scheduled = undefined;
      this.tasks.openDynamic('propose_kickoff_slots', { ...NEW_SLOTS_TASK }, '3d');
    }
    ctx.record(held ? 'kickoff.held' : 'kickoff.not_held', { reason: reason ?? null });
  }

  private invite(method: KickoffInvite['method']): KickoffInvite {
    const { kickoff, match } = this.ctx.state;
    const slot = kickoff.scheduled!;
    return {
      method,
      uid: `${match.id}-kickoff@bansou`,
      sequence: kickoff.inviteSequence,
      startsAt: slot.startsAt,
      durationMinutes: slot.durationMinutes,
      summary: `${match.title}: キックオフミーティング / Kickoff`,
      location: slot.location,
      organizer: { name: match.coordinator.name, email: match.coordinator.email },
      attendees: [match.host, match.talent].map((p) => ({ name: p.name, email: p.email })),
    };
  }
}
