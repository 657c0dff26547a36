/**
 * The match as a whole: it is made, moves through its phases (onboarding → active → wrap-up → closed), and the
 * coordinator may pause and resume it, extend it, hand it to another coordinator, note how it goes, and close it
 * (completed, ended early, or cancelled before it started).
 */
import { condition, patched, upsertSearchAttributes } from '@temporalio/workflow';
import { startOfDate } from '../calendar';
import { ZAddNote, ZCancelMatch, ZCompleteMatch, ZEndEarly, ZExtend, ZPause, ZReassign, ZResume } from '../messages';
import { holdComputedDueDates, replanTasks, shiftTimers, wrapUpStartsAt } from '../schedule';
import { matchClosedEvent } from './announcer';
import {
  addNoteUpdate,
  cancelMatchUpdate,
  completeMatchUpdate,
  endEarlyUpdate,
  extendUpdate,
  pauseUpdate,
  reassignUpdate,
  resumeUpdate,
  searchAttributes,
  type AddNote,
  type CancelMatch,
  type CompleteMatch,
  type EndEarly,
  type Extend,
  type MatchState,
  type Outcome,
  type Pause,
  type Reassign,
  type Resume,
} from '../shared';
import {
  assertOpen,
  assertValid,
  iso,
  ms,
  now,
  PAUSE_HOLDS_CONTRACTS_AND_FIRST_CHECKIN,
  refuse,
  type MatchContext,
} from './context';
import type { Checkins } from './checkins';
import type { Contracts } from './contracts';
import type { Escalations } from './escalations';
import type { Tasks } from './tasks';

export function validatePause(state: MatchState, a: Pause): void {
  assertOpen(state);
  if (state.paused) throw refuse('alreadyPaused');
  assertValid(ZPause, a);
}

export function validateResume(state: MatchState, a: Resume): void {
  assertOpen(state);
  if (!state.paused) throw refuse('notPaused');
  assertValid(ZResume, a);
}

export function validateExtend(state: MatchState, a: Extend): void {
  assertOpen(state);
  assertValid(ZExtend, a);
  if (a.endDate <= state.match.endDate) throw refuse('endDateNotLater', { endDate: state.match.endDate });
  if (state.checkins.finalSent) throw refuse('finalSurveySent');
}

export function validateReassign(state: MatchState, a: Reassign): void {
  assertOpen(state);
  assertValid(ZReassign, a);
  if (a.coordinator.email === state.match.coordinator.email) throw refuse('sameCoordinator');
}

export function validateEndEarly(state: MatchState, a: EndEarly): void {
  assertOpen(state);
  assertValid(ZEndEarly, a);
}

export function validateComplete(state: MatchState, a: CompleteMatch): void {
  assertOpen(state);
  if (state.phase !== 'wrap_up') throw refuse('notInWrapUp', { phase: state.phase });
  assertValid(ZCompleteMatch, a);
}

export function validateCancel(state: MatchState, a: CancelMatch): void {
  assertOpen(state);
  if (state.kickoff.status === 'held' || state.checkins.completedRounds > 0) throw refuse('alreadyStarted');
  assertValid(ZCancelMatch, a);
}

export class Lifecycle {
  constructor(
    private readonly ctx: MatchContext,
    private readonly parts: { tasks: Tasks; contracts: Contracts; checkins: Checkins; escalations: Escalations },
  ) {}

  /** The match is made: host, talent and coordinator learn who is who and what comes next. */
  open(): void {
    const { ctx } = this;
    const { match } = ctx.state;
    upsertSearchAttributes([{ key: searchAttributes.programId, value: match.programId }]);
    ctx.record('match.opened', {
      title: match.title,
      startDate: match.startDate,
      endDate: match.endDate,
      playbookVersion: ctx.state.playbook.version,
    });
    for (const role of ['host', 'talent', 'coordinator'] as const) {
      ctx.email('match-opened', role, match[role], { match });
    }
    this.parts.tasks.openDueNow();
  }

  listen(): void {
    const { ctx } = this;
    const { state } = ctx;
    ctx.action<AddNote>(
      addNoteUpdate,
      (a) => {
        if (a.sentiment !== undefined) state.sentiment = a.sentiment;
        ctx.record('note.added', { text: a.text, sentiment: a.sentiment ?? null });
      },
      (a) => assertValid(ZAddNote, a),
    );
    ctx.action<Pause>(
      pauseUpdate,
      (a) => {
        state.paused = { since: iso(now()), reason: a.reason };
        state.status = 'paused';
        ctx.record('match.paused', { reason: a.reason });
      },
      (a) => validatePause(state, a),
    );
    ctx.action<Resume>(
      resumeUpdate,
      () => {
        const pausedFor = now() - ms(state.paused!.since);
        shiftTimers(state, pausedFor);
        if (patched(PAUSE_HOLDS_CONTRACTS_AND_FIRST_CHECKIN))
          holdComputedDueDates(state, ms(state.paused!.since), now());
        this.parts.contracts.refreshDueDates();
        state.paused = undefined;
        state.status = 'open';
        ctx.record('match.resumed', { pausedForMs: pausedFor });
      },
      (a) => validateResume(state, a),
    );
    ctx.action<Extend>(
      extendUpdate,
      (a) => {
        const from = state.match.endDate;
        state.match = { ...state.match, endDate: a.endDate, endsAt: undefined };
        state.endAt = iso(startOfDate(a.endDate, state.playbook.timeZone));
        replanTasks(state);
        if (state.phase === 'wrap_up' && now() < wrapUpStartsAt(state.playbook, ms(state.endAt)))
          ctx.setPhase('active');
        ctx.record('match.extended', { from, to: a.endDate });
      },
      (a) => validateExtend(state, a),
    );
    ctx.action<Reassign>(
      reassignUpdate,
      (a) => {
        const from = state.match.coordinator;
        state.match = { ...state.match, coordinator: a.coordinator };
        ctx.email(
          `reassigned-${a.coordinator.personId}`,
          'coordinator',
          a.coordinator,
          { match: state.match, handover: true },
          { template: 'match-opened' },
        );
        ctx.record('match.reassigned', { from: from.email, to: a.coordinator.email });
      },
      (a) => validateReassign(state, a),
    );
    ctx.action<EndEarly>(
      endEarlyUpdate,
      (a) => this.close({ status: 'terminated_early', reason: a.reason, note: a.note }),
      (a) => validateEndEarly(state, a),
    );
    ctx.action<CompleteMatch>(
      completeMatchUpdate,
      (a) => this.close({ status: 'completed', note: a.note }),
      (a) => validateComplete(state, a),
    );
    ctx.action<CancelMatch>(
      cancelMatchUpdate,
      (a) => this.close({ status: 'cancelled', reason: a.reason }),
      (a) => validateCancel(state, a),
    );
  }

  /** Active → wrap-up before the planned end; after the close, the tasks anchored on it (the retrospective). */
  async phases(): Promise<void> {
    const { ctx } = this;
    while (!ctx.isClosed()) {
      const wrapUpAt = () => wrapUpStartsAt(ctx.state.playbook, ms(ctx.state.endAt));
      if (ctx.state.phase !== 'wrap_up') {
        if (await ctx.waitUntil(wrapUpAt, () => ctx.isClosed())) ctx.setPhase('wrap_up');
      } else {
        await condition(() => ctx.isClosed() || ctx.state.phase !== 'wrap_up');
      }
    }
    this.parts.tasks.planCloseAnchored();
  }

  private close(outcome: Omit<Outcome, 'at'>): void {
    const { ctx } = this;
    const { state } = ctx;
    const { tasks } = this.parts;
    // A match closed while paused is no longer paused: its last emails and tasks must not wait for a resume.
    if (state.paused && patched('close-ends-pause')) state.paused = undefined;
    state.outcome = { ...outcome, at: iso(now()) };
    state.status = outcome.status;
    ctx.setPhase('closed');
    tasks.completeByKey('record_outcome');
    tasks.cancelScheduled();
    // Work that was still open is moot once the match has closed: no overdue reminders for it.
    if (state.tasks.some((t) => t.status === 'open') && patched('close-cancels-open-tasks')) tasks.cancelOpen();
    this.parts.checkins.closeEarly();
    this.parts.escalations.closeAll(`the match closed (${outcome.status})`);
    ctx.record('match.closed', {
      outcome: outcome.status,
      reason: outcome.reason ?? null,
      note: outcome.note ?? null,
    });
    ctx.announce(matchClosedEvent(state));
  }
}
